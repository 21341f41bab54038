/**
 * YAML and JSON from a store archive are untrusted: a document is parsed only when it is small, aliases are
 * capped (no "billion laughs"), and the result is walked once to refuse deep nesting and huge strings before
 * any importer looks at it.
 */
import { parse as parseYaml } from "yaml";
import { runtime } from "../../../core/runtime/index.ts";

/** A manifest or compose file larger than this is refused unread. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
const MAX_DEPTH = 32;
const MAX_STRING = 64 * 1024;
const MAX_NODES = 20_000;

export class DocumentError extends Error {}

/** An anchor or alias token (`&name`, `*name`): such a document goes to the parser that caps aliases. */
const ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][A-Za-z0-9_-]+(?=[\s,\]}]|$)/m;

function checkShape(value: unknown): void {
  let nodes = 0;
  const walk = (v: unknown, depth: number): void => {
    if (++nodes > MAX_NODES) throw new DocumentError(`has more than ${MAX_NODES} values`);
    if (depth > MAX_DEPTH) throw new DocumentError(`is nested deeper than ${MAX_DEPTH} levels`);
    if (typeof v === "string") {
      if (v.length > MAX_STRING)
        throw new DocumentError(`holds a string longer than ${MAX_STRING} characters`);
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
    } else if (v !== null && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) {
        if (k.length > 1024) throw new DocumentError("has a key longer than 1024 characters");
        walk(item, depth + 1);
      }
    }
  };
  walk(value, 0);
}

/** Parse YAML from a store; throws DocumentError with a one-line reason. */
export function parseStoreYaml(text: string, what: string): unknown {
  return parseStoreDocument(text, what, "YAML", (yaml) => {
    // The runtime's native parser is ~40× faster (CasaOS's composes carry 15 languages each), but does not
    // cap aliases: a document with anchors or aliases goes to the yaml package, whose maxAliasCount bounds
    // their expansion (merge keys, <<, are what compose files use them for). Either result is then walked
    // with a node budget (checkShape), so no parse result is ever expanded past it.
    const fast = runtime.parseYaml;
    return fast && !ANCHOR_OR_ALIAS.test(yaml)
      ? fast(yaml)
      : parseYaml(yaml, { maxAliasCount: 100, merge: true, uniqueKeys: false });
  });
}

/** Parse JSON from a store, with the same limits. */
export function parseStoreJson(text: string, what: string): unknown {
  return parseStoreDocument(text, what, "JSON", JSON.parse);
}

/** The size bound, then `parse` (its failure named as invalid `syntax`), then the shape walk. */
function parseStoreDocument(
  text: string,
  what: string,
  syntax: "YAML" | "JSON",
  parse: (text: string) => unknown,
): unknown {
  if (text.length > MAX_DOCUMENT_BYTES) throw new DocumentError(`${what} is larger than 256 KiB`);
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new DocumentError(`${what} is not valid ${syntax}: ${(err as Error).message.split("\n")[0]}`);
  }
  try {
    checkShape(doc);
  } catch (err) {
    throw new DocumentError(`${what} ${(err as Error).message}`);
  }
  return doc;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A value as a trimmed string, or undefined when it is not a non-empty scalar. */
export function str(v: unknown): string | undefined {
  if (typeof v === "string") return v.trim() || undefined;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}
