/**
 * Access tokens: HS256 JWTs (jose) with iss/aud checked and 30 s clock tolerance. Each carries `sid`, the
 * refresh-token family (session) that issued it, so ending that session ends its access tokens too.
 * Refresh tokens: opaque random strings, only their SHA-256 is stored.
 */
import { createHash } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { UnauthenticatedError } from "../../core/errors.ts";

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
export const JWT_ISSUER = "proximity";
export const JWT_AUDIENCE = "proximity-api";
const CLOCK_TOLERANCE_SECONDS = 30;

export interface AccessClaims {
  sub: string;
  username: string;
  role: "admin" | "user";
  /** The session (refresh-token family) this token belongs to. */
  sid: string;
  jti: string;
}

/**
 * jose imports a raw Uint8Array key into WebCrypto on every call (an async importKey per request). The key
 * bytes never change for the life of the process, so each is imported once and the CryptoKey reused.
 */
const imported = new WeakMap<Uint8Array, CryptoKey>();

async function hmacKey(key: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  let k = imported.get(key);
  if (!k) {
    k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    imported.set(key, k);
  }
  return k;
}

export async function signAccessToken(
  key: Uint8Array<ArrayBuffer>,
  claims: Omit<AccessClaims, "jti">,
  now = new Date(),
) {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ username: claims.username, role: claims.role, sid: claims.sid })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .sign(await hmacKey(key));
}

/**
 * Tokens whose signature and claims were already verified with a key, with their expiry. A JWT is
 * immutable, so re-verifying the same string (every request of a session presents it again) can only give
 * the same answer until it expires: the HMAC is computed once per token, and expiry is checked every time.
 * Whether the user may still act (disabled, demoted, deleted) is not cached here — the caller reads that.
 */
const verifiedTokens = new WeakMap<Uint8Array, Map<string, { claims: AccessClaims; exp: number }>>();
const MAX_VERIFIED_TOKENS = 10_000;

export async function verifyAccessToken(key: Uint8Array<ArrayBuffer>, token: string): Promise<AccessClaims> {
  let verified = verifiedTokens.get(key);
  if (!verified) {
    verified = new Map();
    verifiedTokens.set(key, verified);
  }
  const hit = verified.get(token);
  if (hit) {
    if (Date.now() / 1000 <= hit.exp + CLOCK_TOLERANCE_SECONDS) return hit.claims;
    verified.delete(token);
    throw new UnauthenticatedError("The access token has expired");
  }
  try {
    const { payload } = await jwtVerify(token, await hmacKey(key), {
      algorithms: ["HS256"],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["sub", "jti", "exp", "iat", "sid"],
    });
    if (
      typeof payload.sub !== "string" ||
      typeof payload.username !== "string" ||
      typeof payload.sid !== "string"
    )
      throw new Error("bad claims");
    if (payload.role !== "admin" && payload.role !== "user") throw new Error("bad role");
    const claims: AccessClaims = {
      sub: payload.sub,
      username: payload.username,
      role: payload.role,
      sid: payload.sid,
      jti: String(payload.jti),
    };
    // Oldest first out (a Map iterates in insertion order): memory stays bounded under any token churn.
    if (verified.size >= MAX_VERIFIED_TOKENS) verified.delete(verified.keys().next().value!);
    verified.set(token, { claims, exp: payload.exp! });
    return claims;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new UnauthenticatedError("The access token has expired");
    throw new UnauthenticatedError("The access token is invalid");
  }
}

export function newRefreshToken(): string {
  return `prt_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
