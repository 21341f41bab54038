/**
 * The process's one logger: a line per event, JSON when stdout is not a terminal (for log collectors) and
 * `time LEVEL message key=value …` when it is; LOG_LEVEL and LOG_FORMAT decide (docs/operations.md).
 * Every message and field passes the same scrubber as the events sent to Sentry (core/scrub.ts), so a
 * credential that reaches a log call is removed (by key) or masked (by its shape) before it is written.
 *
 * Start-up configures the output once (configureLogging); until then lines go to stdout at `info` in the
 * format the terminal suggests. Modules take the shared `log` or a child of it that carries ids.
 */
import { scrubDeep, scrubString } from "./scrub.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry these fields (request_id, job_id, app_id …). */
  child(fields: LogFields): Logger;
  /** True when a line at this level would be written (skip building expensive fields otherwise). */
  enabled(level: LogLevel): boolean;
}

export interface LogOutput {
  level: LogLevel;
  format: LogFormat;
  /** Receives each finished line, without its newline. */
  write: (line: string) => void;
  /** Colour the level in pretty lines (a terminal that did not ask for NO_COLOR). */
  color: boolean;
  now: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function stdoutIsTerminal(): boolean {
  return process.stdout.isTTY === true;
}

/** JSON for pipes and files, readable lines for a person at a terminal. */
export function defaultLogFormat(): LogFormat {
  return stdoutIsTerminal() ? "pretty" : "json";
}

function defaultOutput(): LogOutput {
  return {
    level: "info",
    format: defaultLogFormat(),
    write: (line) => {
      process.stdout.write(`${line}\n`);
    },
    color: stdoutIsTerminal() && !process.env.NO_COLOR,
    now: () => new Date(),
  };
}

let output: LogOutput = defaultOutput();

/**
 * Sets where and how lines are written (start-up, from LOG_LEVEL and LOG_FORMAT; tests capture lines).
 * Returns a function that puts the previous output back.
 */
export function configureLogging(options: Partial<LogOutput>): () => void {
  const previous = output;
  output = { ...output, ...options };
  return () => {
    output = previous;
  };
}

/** An Error as plain fields (name, message, code, stack, cause), since JSON.stringify drops them all. */
function serializeError(err: Error, depth = 0): LogFields {
  const out: LogFields = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  if (err.stack) out.stack = err.stack;
  if (err.cause !== undefined && depth < 3) {
    out.cause = err.cause instanceof Error ? serializeError(err.cause, depth + 1) : err.cause;
  }
  return out;
}

function plain(value: unknown): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** Field values made loggable (errors, bigints, dates), then scrubbed exactly as Sentry events are. */
function scrubFields(fields: LogFields): LogFields {
  const flat: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    flat[key] = plain(value);
  }
  return scrubDeep(flat) as LogFields;
}

const LEVEL_COLOR: Record<LogLevel, string> = {
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

function prettyValue(value: unknown): string {
  if (typeof value === "string") return /^[\w./:@{}+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** `2026-01-02T03:04:05.678Z INFO  message key=value …`, an error's stack indented below. */
function prettyLine(time: Date, level: LogLevel, message: string, fields: LogFields, color: boolean): string {
  const name = level.toUpperCase().padEnd(5);
  const shown = color ? `${LEVEL_COLOR[level]}${name}\x1b[0m` : name;
  let stack = "";
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (key === "err" && value !== null && typeof value === "object") {
      const { stack: s, ...rest } = value as LogFields;
      if (typeof s === "string") stack = `\n    ${s.split("\n").join("\n    ")}`;
      pairs.push(`err=${prettyValue(rest)}`);
      continue;
    }
    pairs.push(`${key}=${prettyValue(value)}`);
  }
  return `${time.toISOString()} ${shown} ${message}${pairs.length ? ` ${pairs.join(" ")}` : ""}${stack}`;
}

function emit(level: LogLevel, bound: LogFields, message: string, fields: LogFields | undefined): void {
  if (RANK[level] < RANK[output.level]) return;
  const time = output.now();
  const msg = scrubString(message);
  let line: string;
  try {
    const clean = scrubFields(fields ? { ...bound, ...fields } : bound);
    line = formatLine(time, level, msg, clean);
  } catch {
    // A field JSON cannot represent (a BigInt deep inside) must cost the fields, not the line or the caller.
    line = formatLine(time, level, msg, { log_error: "fields could not be serialized" });
  }
  try {
    output.write(line);
  } catch {
    // A closed stdout must not take a request or a job down with it.
  }
}

function formatLine(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  if (output.format === "json") {
    // time, level and msg first and never overwritten by a field of the same name.
    return JSON.stringify({
      time: time.toISOString(),
      level,
      msg,
      ...omit(fields, ["time", "level", "msg"]),
    });
  }
  // One event, one line: a newline inside a message (or one forged into it) is shown, not obeyed.
  return prettyLine(time, level, msg.replace(/\r?\n/g, "\\n"), fields, output.color);
}

function omit(fields: LogFields, keys: string[]): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) if (!keys.includes(k)) out[k] = v;
  return out;
}

function makeLogger(bound: LogFields): Logger {
  return {
    debug: (message, fields) => emit("debug", bound, message, fields),
    info: (message, fields) => emit("info", bound, message, fields),
    warn: (message, fields) => emit("warn", bound, message, fields),
    error: (message, fields) => emit("error", bound, message, fields),
    child: (fields) => makeLogger({ ...bound, ...fields }),
    enabled: (level) => RANK[level] >= RANK[output.level],
  };
}

/** The process logger. */
export const log: Logger = makeLogger({});
