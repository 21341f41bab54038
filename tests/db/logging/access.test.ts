/** One access line per request: method, route template, status, duration, request id and user id. */
import { afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appWithAdmin, type Session, type TestApp } from "../../helpers/harness.ts";
import { type CapturedLogs, captureLogs } from "../../helpers/logs.ts";

// The embedded database starts slowly on a busy machine (set per file: a preload's default reaches only
// the first file): about 3× the ~14 s the file took alone on the 2-core machine, rounded up to the default.
setDefaultTimeout(60_000);

let t: TestApp;
let admin: Session;
let logs: CapturedLogs | undefined;

beforeAll(async () => {
  ({ t, admin } = await appWithAdmin());
});
afterEach(() => logs?.restore());

function accessLines(c: CapturedLogs) {
  return c.entries().filter((e) => e.type === "access");
}

describe("access log", () => {
  test("each request writes one line with the route template, never the concrete path", async () => {
    logs = captureLogs("info");
    const appId = crypto.randomUUID();
    const missing = await t.request(`/api/v1/apps/${appId}`, {
      token: admin.token,
      headers: { "x-request-id": "req-access-0001" },
    });
    expect(missing.status).toBe(404);
    const listed = await t.request("/api/v1/apps?page=1&per_page=5", { token: admin.token });
    expect(listed.status).toBe(200);
    const anonymous = await t.request("/api/v1/apps");
    expect(anonymous.status).toBe(401);

    const lines = accessLines(logs);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: "info",
      msg: "GET /api/v1/apps/{app_id} 404",
      method: "GET",
      route: "/api/v1/apps/{app_id}",
      status: 404,
      request_id: "req-access-0001",
      user_id: admin.id,
    });
    expect(lines[1]).toMatchObject({ route: "/api/v1/apps", status: 200, user_id: admin.id });
    expect(lines[1]!.request_id).toBe(listed.headers.get("x-request-id")!);
    expect(lines[2]).toMatchObject({ route: "/api/v1/apps", status: 401, user_id: null });
    for (const line of lines) {
      expect(typeof line.duration_ms).toBe("number");
      expect(line.duration_ms as number).toBeGreaterThanOrEqual(0);
    }
    expect(logs.text()).not.toContain(appId);
    expect(logs.text()).not.toContain("per_page");
  });

  test("a POST that fails validation and a route that does not exist are logged too", async () => {
    logs = captureLogs("info");
    const bad = await t.request("/api/v1/apps/deploy", { method: "POST", token: admin.token, json: {} });
    expect(bad.status).toBe(422);
    const nowhere = await t.request("/api/v1/no/such/route/x7");
    expect(nowhere.status).toBe(404);
    const lines = accessLines(logs);
    expect(lines.map((l) => [l.method, l.route, l.status])).toEqual([
      ["POST", "/api/v1/apps/deploy", 422],
      ["GET", "unmatched", 404],
    ]);
    expect(logs.text()).not.toContain("x7");
  });

  test("probes (/health, /ready, /metrics) are logged at debug, so LOG_LEVEL=info leaves them out", async () => {
    logs = captureLogs("info");
    expect((await t.request("/health")).status).toBe(200);
    expect((await t.request("/ready")).status).toBe(200);
    expect(accessLines(logs)).toHaveLength(0);
    logs.restore();
    logs = captureLogs("debug");
    expect((await t.request("/health")).status).toBe(200);
    expect(accessLines(logs)).toEqual([
      expect.objectContaining({ level: "debug", route: "/health", status: 200, user_id: null }),
    ]);
  });

  test("pretty format: a readable access line", async () => {
    logs = captureLogs("info", "pretty");
    await t.request("/api/v1/auth/me", { token: admin.token });
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatch(
      new RegExp(
        `^\\S+Z INFO {2}GET /api/v1/auth/me 200 type=access method=GET route=/api/v1/auth/me status=200 duration_ms=[\\d.]+ request_id=[0-9a-f-]{36} user_id=${admin.id}$`,
      ),
    );
  });
});
