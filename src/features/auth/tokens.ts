/**
 * Access tokens: HS256 JWTs (jose) with iss/aud checked and 30 s clock tolerance. Refresh tokens: opaque
 * random strings, only their SHA-256 is stored.
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
  jti: string;
}

export async function signAccessToken(key: Uint8Array, claims: Omit<AccessClaims, "jti">, now = new Date()) {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ username: claims.username, role: claims.role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .sign(key);
}

export async function verifyAccessToken(key: Uint8Array, token: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["sub", "jti", "exp", "iat"],
    });
    if (typeof payload.sub !== "string" || typeof payload.username !== "string")
      throw new Error("bad claims");
    if (payload.role !== "admin" && payload.role !== "user") throw new Error("bad role");
    return { sub: payload.sub, username: payload.username, role: payload.role, jti: String(payload.jti) };
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
