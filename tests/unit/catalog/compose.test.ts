/** Secrets, environment validation, `.env` rendering and compose interpolation. */
import { describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { ValidationError } from "../../../src/core/errors.ts";
import type { CatalogEntry } from "../../../src/features/catalog/catalog.schemas.ts";
import {
  generateSecrets,
  generateValue,
  interpolate,
  quoteEnvValue,
  renderEnvFile,
  resolveEnvironment,
} from "../../../src/features/catalog/compose.ts";
import { parseCatalogFile } from "../../../src/features/catalog/entry-rules.ts";
import {
  InterpolationError,
  referencedVariables,
  substitute,
} from "../../../src/features/catalog/interpolation.ts";
import { DEMO_ENTRY } from "./demo-entry.ts";

function entry(): CatalogEntry {
  const raw = {
    ...DEMO_ENTRY,
    version: "1.0.0",
    ports: [{ name: "http", container: 80, primary: true }],
    env: [
      { name: "ADMIN_EMAIL", description: "Admin e-mail", required: true },
      { name: "DB_PASSWORD", description: "DB password", secret: true, generate: "password" },
      { name: "SECRET_KEY", description: "Key", secret: true, generate: "hex32" },
      { name: "INSTANCE_ID", description: "Id", generate: "uuid" },
      { name: "GREETING", description: "Greeting", default: "hello world" },
      { name: "OPTIONAL", description: "Optional" },
    ],
    compose: `services:
  app:
    image: example/app:1.0.0
    environment:
      ADMIN_EMAIL: \${ADMIN_EMAIL}
      DB_PASSWORD: \${DB_PASSWORD}
      SECRET_KEY: \${SECRET_KEY}
      INSTANCE_ID: \${INSTANCE_ID}
      GREETING: "\${GREETING}"
      OPTIONAL: \${OPTIONAL:-fallback}
      PRICE: $$5
    ports: ["80:80"]
  db:
    image: postgres:17.5-alpine
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD}
`,
    healthcheck: { port: 80, first_boot: { path: "/" }, later: { path: "/" } },
    pin: { verified: "2026-11-29", source: "https://example.com/releases" },
    update_policy: "any",
    upgrade: "Nothing to do.",
  };
  const result = parseCatalogFile(stringify(raw), "demo");
  if (!result.ok) throw new Error(result.issues.join("; "));
  return result.entry;
}

function validationDetails(fn: () => unknown): {
  message: string;
  details: { field: string; message: string }[];
} {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const e = err as ValidationError;
    expect(e.code).toBe("VALIDATION_FAILED");
    expect(e.status).toBe(422);
    return { message: e.message, details: e.details ?? [] };
  }
  throw new Error("expected a ValidationError");
}

describe("generated values", () => {
  test("password: 24 URL-safe characters, different every time", () => {
    const values = new Set(Array.from({ length: 200 }, () => generateValue("password")));
    expect(values.size).toBe(200);
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  test("password: never starts with '-' or '_', which a command line would read as an option", () => {
    // Without the rule 1 in 32 starts so: 10,000 values would hold ~312 of them.
    const firsts = new Set(Array.from({ length: 10_000 }, () => generateValue("password")[0]));
    expect([...firsts].filter((c) => !/[A-Za-z0-9]/.test(c!))).toEqual([]);
    expect(firsts.size).toBe(62);
  });

  test("hex32: 32 lower-case hex characters", () => {
    expect(generateValue("hex32")).toMatch(/^[0-9a-f]{32}$/);
  });

  test("uuid: an RFC 4122 v4 UUID", () => {
    expect(generateValue("uuid")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  test("generateSecrets covers exactly the env with generate", () => {
    const secrets = generateSecrets(entry());
    expect(Object.keys(secrets).sort()).toEqual(["DB_PASSWORD", "INSTANCE_ID", "SECRET_KEY"]);
    expect(generateSecrets(entry()).DB_PASSWORD).not.toBe(secrets.DB_PASSWORD);
  });
});

describe("resolveEnvironment", () => {
  test("merges defaults < generated < user, in declaration order; an unset optional one is left out", () => {
    const generated = { DB_PASSWORD: "gen-pass", SECRET_KEY: "k".repeat(32), INSTANCE_ID: "id-1" };
    const env = resolveEnvironment(entry(), { ADMIN_EMAIL: "me@example.com", GREETING: "hi" }, generated);
    expect(env).toEqual({
      ADMIN_EMAIL: "me@example.com",
      DB_PASSWORD: "gen-pass",
      SECRET_KEY: "k".repeat(32),
      INSTANCE_ID: "id-1",
      GREETING: "hi",
    });
    expect(Object.keys(env)).toEqual(["ADMIN_EMAIL", "DB_PASSWORD", "SECRET_KEY", "INSTANCE_ID", "GREETING"]);
  });

  test("a user value overrides a generated one; defaults apply when the user gives nothing", () => {
    const env = resolveEnvironment(entry(), { ADMIN_EMAIL: "a@b.c", DB_PASSWORD: "mine" });
    expect(env.DB_PASSWORD).toBe("mine");
    expect(env.GREETING).toBe("hello world");
    expect(env.SECRET_KEY).toMatch(/^[0-9a-f]{32}$/);
  });

  test("unknown keys are rejected, listed in the message and per field", () => {
    const { message, details } = validationDetails(() =>
      resolveEnvironment(entry(), { ADMIN_EMAIL: "a@b.c", NOPE: "1", ALSO_NOPE: "2" }),
    );
    expect(message).toContain("NOPE, ALSO_NOPE");
    expect(details.map((d) => d.field)).toEqual(["environment.NOPE", "environment.ALSO_NOPE"]);
    expect(details[0]!.message).toContain("ADMIN_EMAIL");
  });

  test("a missing or empty required value is rejected", () => {
    for (const user of [{}, { ADMIN_EMAIL: "" }]) {
      const { details } = validationDetails(() => resolveEnvironment(entry(), user));
      expect(details).toEqual([{ field: "environment.ADMIN_EMAIL", message: "is required: Admin e-mail" }]);
    }
  });

  test.each([
    ["a newline", "line1\nline2", "single line"],
    ["a carriage return", "a\rb", "single line"],
    ["a NUL", "a\0b", "NUL"],
    ["too long", "x".repeat(4097), "at most 4096"],
  ])("a value with %s is rejected", (_what: string, value: string, problem: string) => {
    const { details } = validationDetails(() =>
      resolveEnvironment(entry(), { ADMIN_EMAIL: "a@b.c", GREETING: value }),
    );
    expect(details).toHaveLength(1);
    expect(details[0]!.field).toBe("environment.GREETING");
    expect(details[0]!.message).toContain(problem);
  });

  test("4096 characters are fine; non-strings are rejected", () => {
    expect(
      resolveEnvironment(entry(), { ADMIN_EMAIL: "a@b.c", GREETING: "x".repeat(4096) }).GREETING,
    ).toHaveLength(4096);
    const { details } = validationDetails(() =>
      resolveEnvironment(entry(), { ADMIN_EMAIL: "a@b.c", GREETING: 5 }),
    );
    expect(details).toEqual([{ field: "environment.GREETING", message: "must be a string" }]);
  });

  test("all problems are reported at once", () => {
    const { details } = validationDetails(() => resolveEnvironment(entry(), { X: "1", GREETING: "a\nb" }));
    expect(details.map((d) => d.field).sort()).toEqual([
      "environment.ADMIN_EMAIL",
      "environment.GREETING",
      "environment.X",
    ]);
  });
});

/**
 * A reader for the `.env` lines we write, following docker compose's parser (compose-go `dotenv`):
 * single quotes are literal (closed by a `'` not preceded by `\`); double quotes close on a `"` not preceded
 * by `\`, then `\\ \" \$ \n \r \t \0ooo` are unescaped (`\$` → literal `$`) and `$VAR` / `${VAR}` are
 * interpolated; unquoted values end at ` #`, are trimmed, and are interpolated.
 */
function parseDotenv(text: string, lookup: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const interpolateValue = (v: string) =>
    v.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a, b) =>
      m === "$$" ? "$" : (out[a ?? b] ?? lookup[a ?? b] ?? ""),
    );
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const eq = line.indexOf("=");
    const key = line.slice(0, eq).trim();
    const raw = line.slice(eq + 1).trimStart();
    const quote = raw[0];
    if (quote === "'" || quote === '"') {
      let end = -1;
      for (let i = 1; i < raw.length; i++) {
        if (raw[i] === quote && raw[i - 1] !== "\\") {
          end = i;
          break;
        }
      }
      if (end === -1) throw new Error(`unterminated quoted value: ${line}`);
      const inner = raw.slice(1, end);
      if (quote === "'") {
        out[key] = inner;
        continue;
      }
      const unescaped = inner.replace(/\\(?:[abcfnrtv$"\\]|0[0-7]{0,3})/g, (m) => {
        const c = m.slice(1);
        if (c === "$") return "$$";
        if (c.startsWith("0")) return String.fromCharCode(Number.parseInt(c.slice(1) || "0", 8));
        const map: Record<string, string> = {
          n: "\n",
          r: "\r",
          t: "\t",
          a: "\x07",
          b: "\b",
          f: "\f",
          v: "\v",
        };
        return map[c] ?? c;
      });
      out[key] = interpolateValue(unescaped);
    } else {
      const cut = raw.indexOf(" #");
      out[key] = interpolateValue((cut === -1 ? raw : raw.slice(0, cut)).trimEnd());
    }
  }
  return out;
}

describe(".env rendering", () => {
  const tricky: Record<string, string> = {
    DOLLAR: "pa$$word$HOME${HOME}",
    HASH: "abc #not a comment",
    SINGLE: "it's",
    DOUBLE: 'say "hi"',
    BOTH: `it's "$HOME" \\n`,
    SPACES: "  leading and trailing  ",
    BACKSLASH_END: "ends with \\",
    QUOTE_AND_BACKSLASH_END: "it's \\",
    BACKSLASHES: "C:\\path\\to\\n",
    EQUALS: "a=b=c",
    EMPTY: "",
    UNICODE: "grüße 🎉",
    BRACES: "${NOT_A_VAR:-x}",
  };

  test("round-trips $, #, quotes, spaces and backslashes through a compose-style parser", () => {
    const text = renderEnvFile(tricky);
    expect(parseDotenv(text, { HOME: "/root" })).toEqual(tricky);
  });

  test("exact text: single quotes unless the value needs double quotes", () => {
    expect(quoteEnvValue("p$ss #1")).toBe("'p$ss #1'");
    expect(quoteEnvValue('say "hi" $HOME')).toBe(`'say "hi" $HOME'`);
    expect(quoteEnvValue("it's")).toBe(`"it's"`);
    expect(quoteEnvValue("it's $5 \\o/")).toBe(`"it's \\$5 \\\\o/"`);
    expect(quoteEnvValue('it\'s "x"')).toBe(`"it's \\"x\\""`);
    expect(quoteEnvValue("end\\")).toBe(`"end\\0134"`);
    expect(quoteEnvValue("")).toBe("''");
  });

  test("one KEY=value line per variable after a comment header", () => {
    const text = renderEnvFile({ A: "1", B: "two words" });
    expect(text.endsWith("\nA='1'\nB='two words'\n")).toBe(true);
    expect(text.startsWith("#")).toBe(true);
  });

  test("refuses values and keys that cannot be written safely", () => {
    const { details } = validationDetails(() => renderEnvFile({ A: "x\ny", "B-C": "1", D: "ok" }));
    expect(details.map((d) => d.field)).toEqual(["environment.A", "environment.B-C"]);
  });

  test("generated secrets survive the round trip", () => {
    const env = resolveEnvironment(entry(), { ADMIN_EMAIL: "a@b.c" });
    expect(parseDotenv(renderEnvFile(env))).toEqual(env);
  });
});

describe("interpolate", () => {
  test("substitutes variables, defaults and $$ on the parsed document", () => {
    const e = entry();
    const env = resolveEnvironment(
      e,
      { ADMIN_EMAIL: "a@b.c" },
      { DB_PASSWORD: "pw", SECRET_KEY: "sk", INSTANCE_ID: "id" },
    );
    const out = Bun.YAML.parse(interpolate(e.compose, env)) as {
      services: Record<string, { environment: Record<string, string> }>;
    };
    expect(out.services.app!.environment).toEqual({
      ADMIN_EMAIL: "a@b.c",
      DB_PASSWORD: "pw",
      SECRET_KEY: "sk",
      INSTANCE_ID: "id",
      GREETING: "hello world",
      OPTIONAL: "fallback",
      PRICE: "$5",
    });
    expect(out.services.db!.environment.POSTGRES_PASSWORD).toBe("pw");
  });

  test("a value with YAML syntax cannot change the document's structure", () => {
    const e = entry();
    const safe = resolveEnvironment(e, { ADMIN_EMAIL: '"}, evil: true, {"', GREETING: "a: b # c" });
    const out = Bun.YAML.parse(interpolate(e.compose, safe)) as {
      services: Record<string, { environment: Record<string, string> }>;
    };
    expect(out.services.app!.environment.ADMIN_EMAIL).toBe('"}, evil: true, {"');
    expect(out.services.app!.environment.GREETING).toBe("a: b # c");
    expect(Object.keys(out.services)).toEqual(["app", "db"]);
  });
});

describe("compose variable syntax", () => {
  const vars: Record<string, string> = { SET: "v", EMPTY: "" };
  const lookup = (n: string) => vars[n];
  test.each([
    ["${SET}", "v"],
    ["$SET-x", "v-x"],
    ["${UNSET}", ""],
    ["${UNSET:-d}", "d"],
    ["${EMPTY:-d}", "d"],
    ["${EMPTY-d}", ""],
    ["${UNSET-d}", "d"],
    ["${SET:+alt}", "alt"],
    ["${EMPTY:+alt}", ""],
    ["${EMPTY+alt}", "alt"],
    ["${UNSET:-${SET}}", "v"],
    ["${UNSET:-${UNSET2:-deep}}", "deep"],
    ["$$SET", "$SET"],
    ["cost: 5$", "cost: 5$"],
    ["$1", "$1"],
  ])("%s → %s", (input: string, expected: string) => {
    expect(substitute(input, lookup)).toBe(expected);
  });

  test("required values throw when missing", () => {
    expect(() => substitute("${UNSET:?needed}", lookup)).toThrow(InterpolationError);
    expect(() => substitute("${EMPTY:?needed}", lookup)).toThrow("needed");
    expect(substitute("${EMPTY?needed}", lookup)).toBe("");
  });

  test("referencedVariables finds nested names and ignores $$", () => {
    expect([...referencedVariables("${A:-${B}} $C $$D ${E:?msg $F}")].sort()).toEqual([
      "A",
      "B",
      "C",
      "E",
      "F",
    ]);
  });

  test("malformed expressions are errors", () => {
    expect(() => referencedVariables("${A")).toThrow("unterminated");
    expect(() => referencedVariables("${A/x/y}")).toThrow("invalid interpolation format");
  });
});
