/** Captures the process log for a test: every line at the given level, in the given format. */
import { configureLogging, type LogFormat, type LogLevel } from "../../src/core/log.ts";

export interface CapturedLogs {
  lines: string[];
  /** The lines parsed as JSON (format "json" only). */
  entries(): Record<string, unknown>[];
  text(): string;
  restore(): void;
}

export function captureLogs(level: LogLevel = "debug", format: LogFormat = "json"): CapturedLogs {
  const lines: string[] = [];
  const restore = configureLogging({ level, format, color: false, write: (line) => lines.push(line) });
  return {
    lines,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join("\n"),
    restore,
  };
}
