/**
 * Edges of the HTTP layer that every route shares: a body over MAX_BODY_BYTES is answered with a readable
 * 413 (not a cut connection), NUL and unpaired surrogates are a 422 naming the field (not a 500), and
 * answers that carry tokens or credentials are never cached.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { connect } from "node:net";
import { serverBodyCap } from "../../../src/boot/server.ts";
import { createTestApp, PASSWORD, setupAdmin, type TestApp } from "../../helpers/harness.ts";

setDefaultTimeout(60_000);

let t: TestApp;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  t = await createTestApp({ MAX_BODY_BYTES: "65536" });
  await setupAdmin(t);
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: serverBodyCap(t.services.config),
    fetch: (req, srv) => t.app.fetch(req, srv),
  });
});
afterAll(() => server?.stop(true));

/** A plain client: writes the whole request, then reads the answer (as Python's http.client does). */
function rawPost(path: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port!, "127.0.0.1");
    let answer = "";
    socket.on("data", (d) => {
      answer += d.toString();
    });
    socket.on("end", () => resolve(answer));
    socket.on("close", () => resolve(answer));
    socket.on("error", (err) => (answer ? resolve(answer) : reject(err)));
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    // In pieces, as a client on a network sends it.
    let i = 0;
    const pump = () => {
      while (i < body.length) {
        const ok = socket.write(body.subarray(i, i + 65536));
        i += 65536;
        if (!ok) return void socket.once("drain", pump);
      }
      socket.end();
    };
    pump();
  });
}

describe("a body over the limit", () => {
  test("a client that sends it whole still reads the 413 and its reason", async () => {
    // 10 MiB against a 64 KiB limit: far more than the limit, within what the 413 reads and discards.
    const body = Buffer.alloc(10 * 1024 * 1024, "a");
    const answer = await rawPost("/api/v1/auth/login", body);
    expect(answer).toStartWith("HTTP/1.1 413");
    expect(answer).toContain('"code":"PAYLOAD_TOO_LARGE"');
  });
});

describe("text the database cannot store", () => {
  test.each([
    ["a NUL in JSON", '{"username":"ad\\u0000min","password":"x"}', "username"],
    ["a lone surrogate in JSON", '{"username":"ad\\ud800min","password":"x"}', "username"],
  ])("%s is a 422 naming the field, not a 500", async (_, body, field) => {
    const res = await t.app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { details: { field: string }[] } };
    expect(error.details.map((d) => d.field)).toEqual([field]);
  });

  test("in a query or a form too", async () => {
    expect((await t.app.request("/api/v1/catalog?q=a%00b")).status).toBe(422);
    expect((await t.app.request("/api/v1/catalog?q=%ED%A0%80")).status).toBe(422);
    const form = await t.app.request("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost:8765" },
      body: "username=a%00b&password=x",
    });
    expect(form.status).toBe(422);
  });
});

describe("caching", () => {
  test("tokens and credentials are answered with Cache-Control: no-store", async () => {
    const login = await t.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "admin", password: PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.headers.get("cache-control")).toBe("no-store");
    const page = await t.app.request("/login", { headers: { accept: "text/html" } });
    expect(page.headers.get("cache-control")).toBe("no-store");
    // A redirect too (an answer the guard gives, not the page's handler).
    const redirect = await t.app.request("/catalog", { headers: { accept: "text/html" } });
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get("cache-control")).toBe("no-store");
  });
});
