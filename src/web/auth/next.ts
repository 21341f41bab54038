/**
 * Where a sign-in sends the browser next: only a page of ours. `next` is resolved against our own origin
 * and only its path and query are kept, so `//evil.example`, `/\evil.example`, tab and CR/LF tricks and
 * absolute URLs all end on our side (the browser's own URL parser decides, not a prefix check).
 */
const BASE = "http://proximity.invalid";

export function safeNext(next: string | undefined, fallback = "/apps"): string {
  if (!next || next.length > 2048 || !next.startsWith("/")) return fallback;
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE) return fallback;
  const target = `${url.pathname}${url.search}`;
  // A path that would resolve to another host once the browser reads it again ("//host").
  return target.startsWith("//") ? fallback : target;
}
