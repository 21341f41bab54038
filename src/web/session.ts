/**
 * Browser sessions and CSRF protection for the web pages.
 *
 * Session: an httpOnly cookie holds the refresh token of a login (the same token family the API hands out).
 * Every request resolves it (AuthService.resolveSession: from memory while the token is current, the
 * database announcing every change to every instance), so logout, "sign out everywhere", a password change,
 * a demotion and a disabled account take effect at once. After 15 minutes (the API's access-token lifetime) the token is
 * rotated; re-use of a rotated token revokes the family, exactly as on the API. Concurrent requests that
 * carry the same about-to-rotate token (a page and its live stream) share one rotation for a few seconds,
 * instead of tripping the re-use alarm.
 *
 * CSRF: every POST/PUT/PATCH/DELETE must (1) come from our origin — the Origin (or Referer) header equals
 * PUBLIC_URL's origin or the origin the request was addressed to — and (2) carry a token, as form field
 * `_csrf` or header x-csrf-token, equal to an HMAC of a random per-browser cookie under a server key. A
 * foreign site can neither read the cookie nor compute the token.
 *
 * HTTPS: a request is secure when PUBLIC_URL is https or, behind a trusted proxy (TRUST_PROXY), when the
 * proxy says so (X-Forwarded-Proto: https). Then the cookies are `Secure` and carry the `__Host-` prefix
 * (the browser refuses them from http and from any other host or path), and the origin the request was
 * addressed to is https.
 */
import { createHmac } from "node:crypto";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ForbiddenError } from "../core/errors.ts";
import type { ClientActor } from "../core/identity.ts";
import { ACCESS_TTL_SECONDS, SESSION_TTL_SECONDS } from "../features/auth/auth.service.ts";
import { clientOf } from "../http/context.ts";
import type { WebEnv } from "./context.ts";
import { addressedHost } from "./host-check.ts";

const SESSION_COOKIE = "proximity_session";
const CSRF_COOKIE = "proximity_csrf";
const THEME_COOKIE = "proximity_theme";
/** Over HTTPS the cookies carry the `__Host-` prefix. */
const SECURE_PREFIX = "__Host-";

const ROTATE_AFTER_MS = ACCESS_TTL_SECONDS * 1000;
const ROTATION_GRACE_MS = 10_000;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Tokens this instance rotated in the last few seconds: old token → new token. Per instance (keyed by its
 * services), as with one instance per process: another instance does not know them.
 */
const rotationsOf = new WeakMap<object, Map<string, { token: string; at: number }>>();

/** The scheme the browser used: the socket's, or X-Forwarded-Proto behind a trusted proxy. */
function requestScheme(c: Context<WebEnv>): "http" | "https" {
  if (c.get("services").config.TRUST_PROXY) {
    const proto = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
    if (proto === "https" || proto === "http") return proto;
  }
  return new URL(c.req.url).protocol === "https:" ? "https" : "http";
}

function secure(c: Context<WebEnv>): boolean {
  return c.get("services").config.PUBLIC_URL.startsWith("https:") || requestScheme(c) === "https";
}

/** A cookie's name on this request: `__Host-` prefixed when secure. */
function cookieName(c: Context<WebEnv>, base: string): string {
  return secure(c) ? `${SECURE_PREFIX}${base}` : base;
}

function client(c: Context<WebEnv>): ClientActor {
  return clientOf(c);
}

export function setSessionCookie(c: Context<WebEnv>, token: string): void {
  setCookie(c, cookieName(c, SESSION_COOKIE), token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: secure(c),
    path: "/",
    maxAge: SESSION_TTL_SECONDS,
  });
  c.set("sessionToken", token);
}

export function clearSessionCookie(c: Context<WebEnv>): void {
  setCookie(c, cookieName(c, SESSION_COOKIE), "", {
    httpOnly: true,
    sameSite: "Lax",
    secure: secure(c),
    path: "/",
    maxAge: 0,
  });
  c.set("sessionToken", undefined);
  c.set("viewer", undefined);
}

/** HMAC-SHA256, base64url. node:crypto's, synchronous: WebCrypto imported the key again on every request. */
function hmac(key: Uint8Array, text: string): string {
  return createHmac("sha256", key).update(`proximity/csrf/v1\n${text}`).digest("base64url");
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The origin the browser addressed (Host, or X-Forwarded-Host/Proto behind a trusted proxy). */
function requestOrigin(c: Context<WebEnv>): string {
  const host = addressedHost(c) ?? new URL(c.req.url).host;
  return `${requestScheme(c)}://${host}`;
}

function sameOrigin(c: Context<WebEnv>): boolean {
  let origin = c.req.header("origin");
  if (!origin || origin === "null") {
    const referer = c.req.header("referer");
    if (!referer || !URL.canParse(referer)) return false;
    origin = new URL(referer).origin;
  }
  const allowed = [new URL(c.get("services").config.PUBLIC_URL).origin, requestOrigin(c)];
  return allowed.includes(origin);
}

async function presentedToken(c: Context<WebEnv>): Promise<string | undefined> {
  const header = c.req.header("x-csrf-token");
  if (header) return header;
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
    const body = await c.req.parseBody();
    const field = body._csrf;
    return typeof field === "string" ? field : undefined;
  }
  return undefined;
}

/** Resolves the session cookie and the CSRF cookie; refuses state changes without origin and token. */
export const webSession = createMiddleware<WebEnv>(async (c, next) => {
  const services = c.get("services");
  // CSRF cookie first: even the login and first-run forms are protected.
  let csrfSeed = getCookie(c, cookieName(c, CSRF_COOKIE));
  if (!csrfSeed || !/^[A-Za-z0-9_-]{32,64}$/.test(csrfSeed)) {
    csrfSeed = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    setCookie(c, cookieName(c, CSRF_COOKIE), csrfSeed, {
      httpOnly: true,
      sameSite: "Lax",
      secure: secure(c),
      path: "/",
    });
  }
  const csrfToken = hmac(services.keys.jwt, csrfSeed);
  c.set("csrfToken", csrfToken);
  const theme = getCookie(c, THEME_COOKIE);
  c.set("theme", theme === "light" || theme === "dark" ? theme : undefined);

  if (!SAFE_METHODS.has(c.req.method)) {
    if (!sameOrigin(c)) throw new ForbiddenError("Cross-origin request refused");
    const presented = await presentedToken(c);
    if (!presented || !timingSafeEqual(presented, csrfToken)) {
      throw new ForbiddenError("The form has expired or lacks its security token; reload the page and retry");
    }
  }

  c.set("viewer", undefined);
  c.set("sessionToken", undefined);
  let token = getCookie(c, cookieName(c, SESSION_COOKIE));
  let recentRotations = rotationsOf.get(services);
  if (!recentRotations) {
    recentRotations = new Map();
    rotationsOf.set(services, recentRotations);
  }
  const recent = token ? recentRotations.get(token) : undefined;
  if (token && recent && Date.now() - recent.at < ROTATION_GRACE_MS) {
    token = recent.token;
    setSessionCookie(c, token);
  }
  if (token) {
    const session = await services.auth.resolveSession(token, client(c));
    if (!session) {
      clearSessionCookie(c);
    } else if (Date.now() - session.issuedAt.getTime() > ROTATE_AFTER_MS) {
      const rotated = await services.auth.refresh(token, client(c)).catch(() => undefined);
      if (rotated) {
        recentRotations.set(token, { token: rotated.refresh_token, at: Date.now() });
        for (const [k, v] of recentRotations)
          if (Date.now() - v.at > ROTATION_GRACE_MS) recentRotations.delete(k);
        setSessionCookie(c, rotated.refresh_token);
        c.set("viewer", session.user);
      } else clearSessionCookie(c);
    } else {
      c.set("sessionToken", token);
      c.set("viewer", session.user);
    }
  }
  await next();
});
