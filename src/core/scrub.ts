/**
 * What must never leave the process: credentials in headers, cookies, query strings, or anywhere else in an
 * event or a log line. Two layers: keys that look sensitive are removed, and values that look like
 * credentials (JWTs, bearer tokens, PVE API tokens and tickets) are replaced wherever they appear. The Sentry
 * layer (observability/event-scrub.ts) and the logger (core/log.ts) both apply these rules.
 */

/** Header names removed outright (besides anything matching SENSITIVE_KEY). */
const DENIED_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "csrfpreventiontoken",
  "x-csrf-token",
  "x-xsrf-token",
  "forwarded",
  "x-real-ip",
  "cf-connecting-ip",
]);

/** Any key naming a credential: auth, token, secret, password, key (api_key, x-api-key …), plus their kin. */
const SENSITIVE_KEY =
  /auth|token|secret|passw|pwd|key|cookie|csrf|xsrf|session|jwt|bearer|credential|ticket|signature|private/i;

/** Values that are credentials whatever key they sit under. */
const SECRET_VALUE_PATTERNS: RegExp[] = [
  // Bearer / Basic credentials in free text.
  /\b(Bearer|Basic)\s+[\w.~+/=-]{8,}/gi,
  // JWT (header.payload.signature, base64url); our access tokens and any other.
  /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,}/g,
  // PVE API token header value: PVEAPIToken=USER@REALM!TOKENID=UUID (or :UUID).
  /PVEAPIToken[=:\s]+\S+/gi,
  // PVE ticket cookie.
  /PVE:[^\s:]+@[^\s:]+:[0-9A-F]{8}::[\w+/=]+/g,
  /PVEAuthCookie=[^\s;]+/gi,
];

export const FILTERED = "[Filtered]";

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

export function scrubString(value: string): string {
  let out = value;
  for (const re of SECRET_VALUE_PATTERNS) {
    re.lastIndex = 0;
    if (re.test(out)) {
      re.lastIndex = 0;
      out = out.replace(re, FILTERED);
    }
  }
  return out;
}

/** Headers with every credential-bearing one removed (names compared case-insensitively). */
export function scrubHeaders(
  headers: Record<string, unknown> | undefined,
): Record<string, string> | undefined {
  if (!headers) return headers;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (DENIED_HEADERS.has(lower) || isSensitiveKey(lower)) continue;
    if (lower.startsWith("x-proxmox") || lower.startsWith("pve")) continue;
    out[name] = scrubString(String(value));
  }
  return out;
}

/** A query string with sensitive parameters removed and credential-looking values masked. */
export function scrubQueryString(query: string): string {
  const raw = query.startsWith("?") ? query.slice(1) : query;
  if (!raw) return "";
  const params = new URLSearchParams(raw);
  const kept = new URLSearchParams();
  for (const [k, v] of params) {
    if (isSensitiveKey(k)) continue;
    kept.append(k, scrubString(v));
  }
  return kept.toString();
}

/** A URL without credentials in userinfo and with its query scrubbed. */
export function scrubUrl(url: string): string {
  if (!URL.canParse(url)) return scrubString(url.replace(/\?.*$/, ""));
  const u = new URL(url);
  u.username = "";
  u.password = "";
  const q = scrubQueryString(u.search);
  u.search = q ? `?${q}` : "";
  return scrubString(u.toString());
}

/**
 * Deep copy with sensitive keys removed and string values scrubbed. Depth- and size-limited: this runs on
 * every outgoing event, so it must stay cheap and can never loop on a cycle.
 */
export function scrubDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return scrubString(value);
  if (value === null || typeof value !== "object") return value;
  if (depth > 12 || seen.has(value)) return "[Truncated]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSensitiveKey(k)) continue;
    out[k] = scrubDeep(v, depth + 1, seen);
  }
  return out;
}
