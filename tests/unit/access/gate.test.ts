/** The gate's codes and passes: signed, kind-bound, expiring, a code spent once; redirects stay on the name. */
import { describe, expect, test } from "bun:test";
import { cookieValue, GateTokens, safePath } from "../../../src/features/access/gate.ts";

const key = new Uint8Array(32).fill(7);

describe("GateTokens", () => {
  test("a pass reads back with its app and user until it expires", () => {
    const g = new GateTokens(key);
    const pass = g.issue("pass", "app-1", "user-1", 1_000);
    expect(g.read(pass, "pass", 2_000)).toMatchObject({ app: "app-1", user: "user-1", kind: "pass" });
    expect(g.read(pass, "pass", 1_000 + 12 * 3600_000)).toBeUndefined();
  });

  test("a code works once, and never as a pass (nor a pass as a code)", () => {
    const g = new GateTokens(key);
    const code = g.issue("code", "app-1", "user-1");
    expect(g.read(code, "pass")).toBeUndefined();
    expect(g.read(code, "code")?.app).toBe("app-1");
    expect(g.read(code, "code")).toBeUndefined();
    expect(g.read(g.issue("pass", "app-1", "user-1"), "code")).toBeUndefined();
  });

  test("a changed body or signature, another instance's key, or garbage is refused", () => {
    const g = new GateTokens(key);
    const pass = g.issue("pass", "app-1", "user-1");
    const [body, sig] = pass.split(".") as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, "base64url").toString()), app: "app-2" }),
    ).toString("base64url");
    expect(g.read(`${forged}.${sig}`, "pass")).toBeUndefined();
    expect(g.read(`${body}.${sig.slice(0, -2)}AA`, "pass")).toBeUndefined();
    expect(new GateTokens(new Uint8Array(32).fill(8)).read(pass, "pass")).toBeUndefined();
    for (const junk of [undefined, "", ".", "a.b", "x".repeat(5000)])
      expect(g.read(junk, "pass")).toBeUndefined();
  });
});

test("cookieValue finds one cookie among several", () => {
  expect(cookieValue("a=1; __Host-proximity-gate=x.y; b=2", "__Host-proximity-gate")).toBe("x.y");
  expect(cookieValue(undefined, "a")).toBeUndefined();
});

test("safePath keeps paths on the same name only", () => {
  expect(safePath("/alive?x=1")).toBe("/alive?x=1");
  for (const bad of ["//evil.example/", "/\\evil.example", "https://evil.example/", "", undefined])
    expect(safePath(bad)).toBe("/");
});
