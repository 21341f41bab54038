import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../../src/core/config.ts";

describe("config", () => {
  test("defaults", () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8765);
    expect(c.HOST).toBe("0.0.0.0");
    expect(c.PUBLIC_URL).toBe("http://localhost:8765");
    expect(c.PROXIMITY_SIMULATOR).toBe("auto");
    expect(c.database).toEqual({ kind: "pglite", dataDir: `${process.cwd()}/data/pglite` });
    expect(c.SENTRY_MAX_BREADCRUMBS).toBe(50);
    expect(c.CORS_ORIGINS).toEqual([]);
    expect(c.version).toBe("0.1.0");
  });

  test("LOG_LEVEL and LOG_FORMAT: info, and the format left to the terminal unless set", () => {
    expect(loadConfig({}).LOG_LEVEL).toBe("info");
    expect(loadConfig({}).LOG_FORMAT).toBeUndefined();
    expect(loadConfig({ LOG_FORMAT: "" }).LOG_FORMAT).toBeUndefined();
    expect(loadConfig({ LOG_LEVEL: "debug", LOG_FORMAT: "pretty" })).toMatchObject({
      LOG_LEVEL: "debug",
      LOG_FORMAT: "pretty",
    });
    expect(loadConfig({ LOG_FORMAT: "json" }).LOG_FORMAT).toBe("json");
  });

  test("DATABASE_URL picks the driver", () => {
    expect(loadConfig({ DATABASE_URL: "memory://" }).database).toEqual({ kind: "pglite", dataDir: null });
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db" }).database).toEqual({
      kind: "postgres",
      url: "postgres://u@h/db",
    });
    expect(loadConfig({ DATA_DIR: "/srv/prox" }).database).toEqual({
      kind: "pglite",
      dataDir: "/srv/prox/pglite",
    });
  });

  test.each([
    [{ PORT: "abc" }, /^Invalid configuration: PORT must be an integer between 0 and 65535 \(got "abc"\)$/],
    [{ PORT: "70000" }, /^Invalid configuration: PORT /],
    [
      { DATABASE_URL: "mysql://x" },
      /^Invalid configuration: DATABASE_URL must be "memory:\/\/" or a postgres/,
    ],
    [
      { PROXIMITY_SECRET_KEY: "short" },
      /^Invalid configuration: PROXIMITY_SECRET_KEY must be at least 32 characters/,
    ],
    [{ PROXIMITY_SIMULATOR: "maybe" }, /^Invalid configuration: PROXIMITY_SIMULATOR must be auto, on or off/],
    [{ PROXMOX_VERIFY_TLS: "perhaps" }, /^Invalid configuration: PROXMOX_VERIFY_TLS must be one of/],
    [{ CORS_ORIGINS: "*" }, /^Invalid configuration: CORS_ORIGINS must list explicit origins/],
    [{ SENTRY_DSN: "not a dsn" }, /^Invalid configuration: SENTRY_DSN must be a Sentry DSN/],
    [{ LOG_LEVEL: "verbose" }, /^Invalid configuration: LOG_LEVEL must be debug, info, warn or error/],
    [{ LOG_FORMAT: "xml" }, /^Invalid configuration: LOG_FORMAT must be json or pretty \(got "xml"\)$/],
    [
      { SENTRY_TRACES_SAMPLE_RATE: "2" },
      /^Invalid configuration: SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1/,
    ],
  ])("%j is refused with one line naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    }
  });

  test("secret values are never echoed in the error", () => {
    try {
      loadConfig({ PROXIMITY_SECRET_KEY: "hunter2" });
    } catch (err) {
      expect((err as Error).message).not.toContain("hunter2");
    }
  });

  test("an invalid value stops the process with exit code 2 and one line", async () => {
    const proc = Bun.spawn(["bun", "src/index.ts"], {
      env: { ...process.env, PORT: "not-a-port" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(2);
    const err = (await new Response(proc.stderr).text()).trim();
    expect(err).toBe('Invalid configuration: PORT must be an integer between 0 and 65535 (got "not-a-port")');
  });
});
