/** Access tokens: a token verified once is still checked for expiry on every use, and only under its key. */
import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import {
  ACCESS_TOKEN_TTL_SECONDS,
  signAccessToken,
  verifyAccessToken,
} from "../../../src/features/auth/tokens.ts";

const key = () => crypto.getRandomValues(new Uint8Array(32));
const claims = {
  sub: "8d6c0c1e-2f55-4c8e-9d0e-3b8f2f0a1c11",
  username: "erin",
  role: "user" as const,
  sid: "4b0b6c3e-3c1f-4d7e-8f8a-5a9e1c2d3f40",
};

afterEach(() => setSystemTime());

describe("access tokens", () => {
  test("a token verified before is rejected once it has expired", async () => {
    const k = key();
    const token = await signAccessToken(k, claims);
    expect((await verifyAccessToken(k, token)).sub).toBe(claims.sub);
    expect((await verifyAccessToken(k, token)).username).toBe("erin");
    setSystemTime(new Date(Date.now() + (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000));
    await expect(verifyAccessToken(k, token)).rejects.toThrow(/expired/);
  });

  test("a token verified under one key is not accepted under another", async () => {
    const a = key();
    const token = await signAccessToken(a, claims);
    await verifyAccessToken(a, token);
    await expect(verifyAccessToken(key(), token)).rejects.toThrow(/invalid/);
  });

  test("a tampered token is rejected even when the original was verified", async () => {
    const k = key();
    const token = await signAccessToken(k, claims);
    await verifyAccessToken(k, token);
    const [h, p, s] = token.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, "base64url").toString()), role: "admin" })).toString("base64url")}.${s}`;
    await expect(verifyAccessToken(k, forged)).rejects.toThrow(/invalid/);
  });
});
