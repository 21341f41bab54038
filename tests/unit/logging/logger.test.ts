/** The process logger: levels, the two formats, child fields, errors, and the Sentry scrubbing rules. */
import { afterEach, describe, expect, test } from "bun:test";
import { configureLogging, log } from "../../../src/core/log.ts";
import { type CapturedLogs, captureLogs } from "../../helpers/logs.ts";

let logs: CapturedLogs | undefined;
afterEach(() => logs?.restore());

function capture(...args: Parameters<typeof captureLogs>): CapturedLogs {
  logs = captureLogs(...args);
  return logs;
}

const JWT =
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

describe("levels", () => {
  test("lines below LOG_LEVEL are dropped, the rest written in order", () => {
    const c = capture("warn");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(c.entries().map((e) => [e.level, e.msg])).toEqual([
      ["warn", "w"],
      ["error", "e"],
    ]);
    expect(log.enabled("info")).toBe(false);
    expect(log.enabled("warn")).toBe(true);
  });

  test("debug lets everything through; error only errors", () => {
    const all = capture("debug");
    for (const level of ["debug", "info", "warn", "error"] as const) log[level](level);
    expect(all.entries().map((e) => e.level)).toEqual(["debug", "info", "warn", "error"]);
    all.restore();
    const errors = capture("error");
    for (const level of ["debug", "info", "warn", "error"] as const) log[level](level);
    expect(errors.entries().map((e) => e.level)).toEqual(["error"]);
  });
});

describe("JSON lines", () => {
  test("one object per line: time, level and msg first, then the fields; a child adds its own", () => {
    const c = capture("info", "json");
    const job = log.child({ job_id: "j1", app_id: "a1" });
    job.info("Job step started", { step: "create", step_index: 3, msg: "not mine", level: "error" });
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).not.toContain("\n");
    const entry = c.entries()[0]!;
    expect(Object.keys(entry).slice(0, 3)).toEqual(["time", "level", "msg"]);
    expect(entry).toMatchObject({
      level: "info",
      msg: "Job step started",
      job_id: "j1",
      app_id: "a1",
      step: "create",
      step_index: 3,
    });
    expect(new Date(entry.time as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  test("an error becomes name, message, code and stack (with its cause)", () => {
    const c = capture("error", "json");
    const err = Object.assign(new Error("outer", { cause: new TypeError("inner") }), { code: "E_X" });
    log.error("It broke", { err });
    const logged = c.entries()[0]!.err as Record<string, unknown>;
    expect(logged).toMatchObject({ name: "Error", message: "outer", code: "E_X" });
    expect(logged.stack).toContain("logger.test.ts");
    expect(logged.cause).toMatchObject({ name: "TypeError", message: "inner" });
  });
});

describe("pretty lines", () => {
  test("time, level, message, then key=value pairs (quoted when needed); the stack indented below", () => {
    const c = capture("debug", "pretty");
    log.info("GET /api/v1/apps/{app_id} 200", {
      status: 200,
      route: "/api/v1/apps/{app_id}",
      note: "two words",
    });
    log.error("Job failed", { err: new Error("boom") });
    const [access, failure] = c.lines;
    expect(access).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}GET \/api\/v1\/apps\/\{app_id\} 200 status=200 route=\/api\/v1\/apps\/\{app_id\} note="two words"$/,
    );
    expect(() => JSON.parse(access!)).toThrow();
    const [first, ...stack] = failure!.split("\n");
    expect(first).toMatch(/ERROR Job failed err=\{"name":"Error","message":"boom"\}$/);
    expect(stack[0]).toMatch(/^ {4}Error: boom/);
    expect(stack.some((l) => l.includes("logger.test.ts"))).toBe(true);
    expect(failure).not.toContain("\x1b[");
  });

  test("a newline in a message cannot start a forged line", () => {
    const c = capture("info", "pretty");
    log.info("Host sync failed: bad\n2026-01-01T00:00:00.000Z ERROR forged");
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).not.toContain("\n");
    expect(c.lines[0]).toContain("bad\\n2026");
  });

  test("a field JSON cannot hold costs the fields, not the line or the caller", () => {
    const c = capture("info", "json");
    expect(() => log.info("odd", { deep: { n: 10n ** 30n } })).not.toThrow();
    expect(c.entries()).toEqual([expect.objectContaining({ msg: "odd", log_error: expect.any(String) })]);
  });

  test("on a colour terminal the level is coloured", () => {
    const lines: string[] = [];
    const restore = configureLogging({
      level: "info",
      format: "pretty",
      color: true,
      write: (l) => lines.push(l),
    });
    try {
      log.warn("careful");
    } finally {
      restore();
    }
    expect(lines[0]).toContain("\x1b[33mWARN \x1b[0m careful");
  });
});

describe("scrubbing: the rules of the Sentry layer", () => {
  test.each(["json", "pretty"] as const)(
    "%s: sensitive keys are removed and credential values masked",
    (format) => {
      const c = capture("debug", format);
      log.child({ session: "s-123456789" }).warn(`Login with Bearer ${JWT} failed`, {
        username: "alice",
        password: "hunter2-hunter2",
        token_secret: "5ecr3t-uuid",
        nested: { api_key: "k-987654321", fine: "visible", header: `PVEAPIToken=root@pam!ci=abcdef12-3456` },
        err: new Error(`upstream said ${JWT}`),
      });
      const text = c.text();
      for (const secret of ["hunter2", "5ecr3t", "k-987654321", "s-123456789", JWT, "abcdef12-3456"]) {
        expect(text).not.toContain(secret);
      }
      expect(text).toContain("alice");
      expect(text).toContain("visible");
      expect(text).toContain("[Filtered]");
    },
  );
});
