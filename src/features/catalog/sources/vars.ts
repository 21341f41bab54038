/**
 * Rewriting the variable references of a store's compose text into Proximity's own. Unlike
 * `interpolation.ts`, which substitutes values, this keeps references: `${APP_DOMAIN}` becomes
 * `${APP_HOSTNAME}`, `${APP_DATA_DIR}` disappears into a volume name, a store default `${TZ:-UTC}` stays a
 * reference to a declared setting. `$$` (a literal `$`) is kept as it is.
 */

export interface VarUse {
  name: string;
  /** "" for `$X` / `${X}`, else the operator with its colon: ":-", "-", ":?", "?", ":+", "+". */
  op: string;
  /** The text after the operator, already rewritten. */
  rest: string;
}

/** Returns the replacement text for one reference. */
export type Rewrite = (use: VarUse) => string;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

function closing(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && (text[i + 1] === "$" || text[i + 1] === "{")) {
      if (text[i + 1] === "{") depth++;
      i++;
      continue;
    }
    if (text[i] === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Rewrite every reference in `text`; malformed `${…}` is left as it is (the entry's validation reports it). */
export function rewriteVars(text: string, rewrite: Rewrite): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch !== "$" || next === undefined) {
      out += ch;
      i++;
      continue;
    }
    if (next === "$") {
      out += "$$";
      i += 2;
      continue;
    }
    if (NAME_START.test(next)) {
      let j = i + 1;
      while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
      out += rewrite({ name: text.slice(i + 1, j), op: "", rest: "" });
      i = j;
      continue;
    }
    if (next === "{") {
      const close = closing(text, i + 2);
      const body = close === -1 ? "" : text.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
      if (close === -1 || !m) {
        out += ch;
        i++;
        continue;
      }
      out += rewrite({ name: m[1]!, op: m[2] ?? "", rest: rewriteVars(m[3] ?? "", rewrite) });
      i = close + 1;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/** A reference written back in the braced form. */
export function reference(name: string, op = "", rest = ""): string {
  return `\${${name}${op}${rest}}`;
}

/** Literal text in compose: `$` doubled so compose does not read it as a variable. */
export function literal(text: string): string {
  return text.replaceAll("$", "$$");
}

/** Every variable name referenced by `text`. */
export function namesIn(text: string): string[] {
  const names: string[] = [];
  rewriteVars(text, (u) => {
    names.push(u.name);
    return "";
  });
  return names;
}

/** `text` as a regular expression that matches it literally (every metacharacter escaped). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
