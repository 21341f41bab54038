/**
 * PVE authentication: tickets `PVE:<user>:<HEX epoch>::<sig>` with a CSRF token
 * `<HEX epoch>:<hmac>`, both valid 2 h; API tokens `PVEAPIToken=USER@REALM!ID=SECRET`, which skip
 * CSRF. Failures are 401s with an empty body; the HTTP layer adds the (configurable) 3 s delay.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { SimClock } from "./clock.ts";

export const TICKET_LIFETIME = 7200;
/** Clock-skew grace PVE allows on ticket age (AccessControl.pm). */
const GRACE = 300;

export interface Credentials {
  username: string;
  password: string;
  tokenId: string;
  tokenSecret: string;
}

export type AuthResult =
  | { ok: true; authid: string; via: "ticket" | "token" }
  | { ok: false; reason: "No ticket" | "Authentication failed!" | "Permission denied - invalid csrf token" };

export class Authenticator {
  private readonly key: Buffer;

  constructor(
    readonly creds: Credentials,
    private readonly clock: SimClock,
    keySeed: string,
  ) {
    this.key = Buffer.from(createHmac("sha256", "pve-sim-key").update(keySeed).digest());
  }

  private sign(data: string): string {
    return createHmac("sha256", this.key).update(data).digest("base64").replace(/=+$/, "");
  }

  issueTicket(user: string): { ticket: string; csrf: string } {
    const ts = this.clock.now().toString(16).toUpperCase().padStart(8, "0");
    // Ticket.pm escapes the userid; in practice only "%" and the ":" separator ever need it.
    const plain = `PVE:${user.replaceAll("%", "%25").replaceAll(":", "%3A")}:${ts}`;
    return { ticket: `${plain}::${this.sign(plain)}`, csrf: `${ts}:${this.sign(`csrf:${ts}:${user}`)}` };
  }

  /** Returns the user of a valid, unexpired ticket. */
  verifyTicket(ticket: string): { user: string; ts: string } | undefined {
    const m = /^(PVE:([^:]+):([0-9A-F]{8}))::(.+)$/.exec(ticket);
    if (!m) return undefined;
    const [, plain, user, ts, sig] = m as unknown as [string, string, string, string, string];
    if (!safeEqual(sig, this.sign(plain))) return undefined;
    if (!this.fresh(ts)) return undefined;
    return { user: decodeURIComponent(user), ts };
  }

  private fresh(tsHex: string): boolean {
    const age = this.clock.now() - Number.parseInt(tsHex, 16);
    return age >= -GRACE && age <= TICKET_LIFETIME;
  }

  verifyCsrf(token: string | undefined, user: string): boolean {
    if (!token) return false;
    const m = /^([0-9A-F]{8}):(.+)$/.exec(token);
    if (!m) return false;
    return this.fresh(m[1]!) && safeEqual(m[2]!, this.sign(`csrf:${m[1]}:${user}`));
  }

  /** Checks username/password for POST /access/ticket; a valid ticket as password renews it. */
  login(username: string, password: string): boolean {
    if (username !== this.creds.username) return false;
    if (safeEqual(password, this.creds.password)) return true;
    const t = this.verifyTicket(password);
    return t !== undefined && t.user === username;
  }

  /** Authenticates a request from its headers, as PVE's auth_handler does. */
  authenticate(method: string, headers: Headers): AuthResult {
    const authz = headers.get("authorization") ?? "";
    const tokenMatch = /^PVEAPIToken[= ](\S+?)=(\S+)$/.exec(authz.trim());
    if (tokenMatch) {
      const [, id, secret] = tokenMatch as unknown as [string, string, string];
      if (id === this.creds.tokenId && safeEqual(secret, this.creds.tokenSecret)) {
        return { ok: true, authid: id, via: "token" };
      }
      return { ok: false, reason: "Authentication failed!" };
    }
    // The ticket comes from the cookie, or (PVE fallback) the cookie pair in Authorization.
    const ticket = cookieValue(headers.get("cookie")) ?? cookieValue(authz);
    if (!ticket) return { ok: false, reason: "No ticket" };
    const t = this.verifyTicket(ticket);
    if (!t) return { ok: false, reason: "Authentication failed!" };
    if (method !== "GET" && !this.verifyCsrf(headers.get("csrfpreventiontoken") ?? undefined, t.user)) {
      return { ok: false, reason: "Permission denied - invalid csrf token" };
    }
    return { ok: true, authid: t.user, via: "ticket" };
  }
}

function cookieValue(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === "PVEAuthCookie") return decodeURIComponent(v.join("="));
  }
  return undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
