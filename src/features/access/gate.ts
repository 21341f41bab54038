/**
 * The sign-in gate (docs/access.md "The sign-in gate"): the proxy asks Proximity, before every request to
 * a gated app, whether the visitor may see it (Caddy's forward-auth pattern). Proximity's own session lives
 * on Proximity's origin, which is not the app's, so no cookie is shared across names; instead:
 *
 * 1. no gate cookie → `verify` answers 302 to Proximity's `/access/gate?host=…&to=…` (a signed-in page);
 * 2. there a user who may see the app (its owner or an administrator) gets a one-time **code** (60 s) and is
 *    sent to `https://<app name>/.proximity/gate?code=…&to=…`, a path the proxy hands to Proximity;
 * 3. `callback` checks the code (once only) and sets `__Host-proximity-gate` on the app's own name
 *    (Secure, HttpOnly, SameSite=Lax): a signed **pass** for that app and user, 12 h;
 * 4. `verify` accepts the pass while the user still exists, is enabled and may still see the app.
 *
 * Codes and passes are HMAC-SHA256 over their JSON with a key derived from the instance secret for this use
 * only, so neither can stand in for an API token (nor one for the other: each carries its kind).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const GATE_COOKIE = "__Host-proximity-gate";
export const GATE_PATH = "/.proximity/gate";
const CODE_TTL_MS = 60_000;
const PASS_TTL_MS = 12 * 3600_000;

interface Claims {
  kind: "code" | "pass";
  app: string;
  user: string;
  exp: number;
  nonce: string;
}

export class GateTokens {
  private readonly key: Buffer;
  /** Codes already exchanged (until they expire): a code works once. */
  private readonly used = new Map<string, number>();

  constructor(jwtKey: Uint8Array) {
    this.key = createHmac("sha256", Buffer.from(jwtKey)).update("proximity/access-gate/v1").digest();
  }

  issue(kind: Claims["kind"], app: string, user: string, now = Date.now()): string {
    const claims: Claims = {
      kind,
      app,
      user,
      exp: now + (kind === "code" ? CODE_TTL_MS : PASS_TTL_MS),
      nonce: randomBytes(12).toString("base64url"),
    };
    const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
    return `${body}.${this.sign(body)}`;
  }

  /** The claims of a valid, unexpired token of that kind; a code is spent by reading it. */
  read(token: string | undefined, kind: Claims["kind"], now = Date.now()): Claims | undefined {
    if (!token || token.length > 1000) return undefined;
    const [body, sig] = token.split(".");
    if (!body || !sig) return undefined;
    const want = Buffer.from(this.sign(body));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(body, "base64url").toString()) as Claims;
    } catch {
      return undefined;
    }
    if (claims.kind !== kind || !(claims.exp > now)) return undefined;
    if (kind === "code") {
      for (const [n, exp] of this.used) if (exp <= now) this.used.delete(n);
      if (this.used.has(claims.nonce)) return undefined;
      this.used.set(claims.nonce, claims.exp);
    }
    return claims;
  }

  private sign(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url");
  }
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

/** Only a path on the same name (`/…`, not `//host`): where the callback may send the visitor. */
export function safePath(to: string | undefined): string {
  return to?.startsWith("/") && !to.startsWith("//") && !to.startsWith("/\\") ? to : "/";
}
