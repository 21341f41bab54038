/**
 * Docker Compose variable interpolation (https://docs.docker.com/reference/compose-file/interpolation/):
 * `$$` (a literal `$`), `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nested inside the default / alt / error part.
 * Anything else after a `$` is kept as it is, as compose does.
 *
 * Pure string functions: used both to validate catalog entries (which variables a compose file uses) and to
 * render a compose document with concrete values (tests, previews). At deploy time compose reads `.env` itself.
 */

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export class InterpolationError extends Error {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
    this.name = "InterpolationError";
  }
}

/** A lookup returns undefined for an unset variable. */
export type Lookup = (name: string) => string | undefined;

/**
 * How a variable is referenced: `$VAR` / `${VAR}` (op ""), or with an operator (`-`, `?`, `+`), `colon` for the
 * `:-` / `:?` / `:+` forms, and the raw text after the operator (the fallback, message or alternative).
 */
export interface VariableUse {
  name: string;
  op: "" | "-" | "?" | "+";
  colon: boolean;
  rest: string;
}

export type OnVariable = (name: string, use: VariableUse) => void;

/** Find the index of the `}` that closes a `${` whose body starts at `from`, honouring nested `${…}`. */
function findClosingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === "$" && text[i + 1] === "$") {
      i++;
      continue;
    }
    if (ch === "$" && text[i + 1] === "{") {
      depth++;
      i++;
      continue;
    }
    if (ch === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/**
 * Substitute every variable in `text`. `onVariable` (optional) is told every variable name referenced,
 * including those only referenced inside a default that was not used.
 */
export function substitute(text: string, lookup: Lookup, onVariable?: OnVariable): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch !== "$") {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
      const name = text.slice(i + 1, j);
      onVariable?.(name, { name, op: "", colon: false, rest: "" });
      out += lookup(name) ?? "";
      i = j;
      continue;
    }
    if (next === "{") {
      const close = findClosingBrace(text, i + 2);
      if (close === -1) throw new InterpolationError(`unterminated "\${" in ${JSON.stringify(text)}`);
      const body = text.slice(i + 2, close);
      out += expandBraced(body, lookup, onVariable);
      i = close + 1;
      continue;
    }
    // A lone `$` (end of text, or followed by something that is not a name): kept literally.
    out += ch;
    i++;
  }
  return out;
}

function expandBraced(body: string, lookup: Lookup, onVariable?: OnVariable): string {
  let j = 0;
  if (!(body[0] !== undefined && NAME_START.test(body[0]))) {
    throw new InterpolationError(`invalid interpolation format "\${${body}}"`);
  }
  while (j < body.length && NAME_CHAR.test(body[j]!)) j++;
  const name = body.slice(0, j);
  const value = lookup(name);
  if (j === body.length) {
    onVariable?.(name, { name, op: "", colon: false, rest: "" });
    return value ?? "";
  }

  let op = body[j]!;
  let rest = body.slice(j + 1);
  let colon = false;
  if (op === ":") {
    colon = true;
    op = body[j + 1] ?? "";
    rest = body.slice(j + 2);
  }
  if (op !== "-" && op !== "?" && op !== "+") {
    throw new InterpolationError(`invalid interpolation format "\${${body}}"`, name);
  }
  onVariable?.(name, { name, op, colon, rest });
  // The nested part is always scanned so that every referenced variable is reported.
  const nested = () => substitute(rest, lookup, onVariable);
  const isSet = value !== undefined && (!colon || value !== "");
  switch (op) {
    case "-": {
      const alt = nested();
      return isSet ? value : alt;
    }
    case "+": {
      const alt = nested();
      return isSet ? alt : "";
    }
    default: {
      const message = nested();
      if (isSet) return value;
      if (onVariable) return ""; // collecting names only: a missing required value is not an error here
      throw new InterpolationError(`required variable ${name} is missing a value: ${message}`, name);
    }
  }
}

/** Every variable name referenced by `text` (including nested ones in defaults). */
export function referencedVariables(text: string): Set<string> {
  const names = new Set<string>();
  substitute(
    text,
    () => undefined,
    (name) => names.add(name),
  );
  return names;
}

/** Every reference in `text`, with its form, in order (nested references included). */
export function variableUses(text: string): VariableUse[] {
  const uses: VariableUse[] = [];
  substitute(
    text,
    () => undefined,
    (_name, use) => uses.push(use),
  );
  return uses;
}

/** Apply `fn` to every string scalar (values only, not keys) of a parsed YAML/JSON value. */
export function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, fn);
    return out;
  }
  return value;
}
