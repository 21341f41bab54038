/**
 * The one place that reads the environment. Parsed once with zod; an invalid value stops start-up with a
 * single line naming the variable (see formatConfigError).
 */
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import pkg from "../../package.json" with { type: "json" };
import { LOG_FORMATS, LOG_LEVELS } from "./log.ts";
import "./messages.ts";

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const bool = (dflt: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(["true", "false", "1", "0", "yes", "no", "on", "off"], {
        error: "must be one of true, false, 1, 0, yes, no, on, off",
      })
      .optional()
      .transform((v) => (v === undefined ? dflt : ["true", "1", "yes", "on"].includes(v))),
  );
const port = (dflt: number) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: "must be an integer between 0 and 65535" })
      .int("must be an integer between 0 and 65535")
      .min(0, "must be an integer between 0 and 65535")
      .max(65535, "must be an integer between 0 and 65535")
      .default(dflt),
  );
const intIn = (min: number, max: number, dflt: number) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number()
      .int(`must be an integer between ${min} and ${max}`)
      .min(min, `must be an integer between ${min} and ${max}`)
      .max(max, `must be an integer between ${min} and ${max}`)
      .default(dflt),
  );
const url = (what: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(
        (v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol),
        `must be an ${what} http(s) URL`,
      )
      .optional(),
  );

const schema = z.object({
  PORT: port(8765),
  HOST: z.preprocess(emptyToUndefined, z.string().default("0.0.0.0")),
  PUBLIC_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((v) => URL.canParse(v), "must be an absolute URL such as https://proximity.example.com")
      .default("http://localhost:8765"),
  ),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(
        (v) => v === "memory://" || /^postgres(ql)?:\/\//.test(v),
        'must be "memory://" or a postgres:// URL (leave it unset for the embedded database)',
      )
      .optional(),
  ),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default("./data")),
  PROXIMITY_SECRET_KEY: z.preprocess(
    emptyToUndefined,
    z.string().min(32, "must be at least 32 characters (e.g. `openssl rand -hex 32`)").optional(),
  ),
  PROXIMITY_SIMULATOR: z.preprocess(
    emptyToUndefined,
    z.enum(["auto", "on", "off"], { error: "must be auto, on or off" }).default("auto"),
  ),
  PROXMOX_URL: url("absolute"),
  PROXMOX_TOKEN_ID: optionalString,
  PROXMOX_TOKEN_SECRET: optionalString,
  PROXMOX_USERNAME: optionalString,
  PROXMOX_PASSWORD: optionalString,
  PROXMOX_VERIFY_TLS: bool(true),
  PROXMOX_FINGERPRINT: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/, "must be a SHA-256 fingerprint AA:BB:…(32 pairs)")
      .optional(),
  ),
  PROXMOX_SSH_HOST: optionalString,
  PROXMOX_SSH_PORT: port(22),
  PROXMOX_SSH_USERNAME: z.preprocess(emptyToUndefined, z.string().default("root")),
  PROXMOX_SSH_PASSWORD: optionalString,
  PROXMOX_SSH_PRIVATE_KEY_FILE: optionalString,
  SENTRY_DSN: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(
        (v) => URL.canParse(v) && new URL(v).username !== "",
        "must be a Sentry DSN such as https://key@host/1",
      )
      .optional(),
  ),
  SENTRY_ENVIRONMENT: optionalString,
  SENTRY_RELEASE: optionalString,
  SENTRY_MAX_BREADCRUMBS: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number()
      .int()
      .min(0, "must be between 0 and 100")
      .max(100, "must be between 0 and 100")
      .default(50),
  ),
  SENTRY_TRACES_SAMPLE_RATE: z.preprocess(
    emptyToUndefined,
    z.coerce.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").optional(),
  ),
  APP_VERSION: z.preprocess(emptyToUndefined, z.string().default(pkg.version)),
  CORS_ORIGINS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .refine((list) => !list.includes("*"), "must list explicit origins; * is not allowed with credentials")
      .refine((list) => list.every((o) => URL.canParse(o)), "must be a comma-separated list of origins"),
  ),
  TRUST_PROXY: bool(false),
  METRICS_TOKEN: z.preprocess(
    emptyToUndefined,
    z.string().min(16, "must be at least 16 characters").optional(),
  ),
  /** Lines below this level are not written (docs/operations.md). */
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(LOG_LEVELS, { error: "must be debug, info, warn or error" }).default("info"),
  ),
  /** json: one JSON object per line; pretty: readable lines. Unset: pretty on a terminal, json otherwise. */
  LOG_FORMAT: z.preprocess(
    emptyToUndefined,
    z.enum(LOG_FORMATS, { error: "must be json or pretty" }).optional(),
  ),
  /** How long a job's lease lasts without a heartbeat: after a crash, its job resumes this much later. */
  JOB_LEASE_SECONDS: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number()
      .int()
      .min(2, "must be between 2 and 600")
      .max(600, "must be between 2 and 600")
      .default(30),
  ),
  /** argon2id memory cost in KiB; lower only for tests or very small machines. */
  PASSWORD_HASH_MEMORY_KIB: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(1024, "must be at least 1024").max(1048576).default(65536),
  ),
  /** Password hashes computed at once (each holds PASSWORD_HASH_MEMORY_KIB); default: the CPU count. */
  PASSWORD_HASH_CONCURRENCY: intIn(1, 64, Math.max(1, navigator.hardwareConcurrency || 1)),
  /** Hashes allowed to wait for a slot; beyond it, sign-ins answer 503 with retry-after. */
  PASSWORD_HASH_QUEUE: intIn(0, 10_000, 32),
  /** Largest accepted request body in bytes (413 beyond it). */
  MAX_BODY_BYTES: intIn(1024, 64 * 1024 * 1024, 1024 * 1024),
  /** Seconds between keep-alive comments on an idle event stream. */
  SSE_KEEPALIVE_SECONDS: intIn(1, 120, 15),
  /** Seconds between re-checks of an open event stream's user, session and app. */
  SSE_RECHECK_SECONDS: intIn(1, 600, 30),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config extends RawConfig {
  /** Absolute DATA_DIR. */
  dataDir: string;
  /** Which database we talk to, derived from DATABASE_URL. */
  database: { kind: "pglite"; dataDir: string | null } | { kind: "postgres"; url: string };
  version: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** One line per problem, naming the variable: `PORT: must be an integer between 0 and 65535 (got "x")`. */
function formatConfigError(error: z.ZodError, env: Record<string, string | undefined>): string {
  const issue = error.issues[0]!;
  const key = String(issue.path[0] ?? "config");
  const got = env[key];
  const shown =
    key.includes("SECRET") || key.includes("PASSWORD") || key.includes("DSN") ? "" : ` (got "${got}")`;
  return `Invalid configuration: ${key} ${issue.message}${got === undefined ? "" : shown}`;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(formatConfigError(parsed.error, env));
  const raw = parsed.data;
  const dataDir = isAbsolute(raw.DATA_DIR) ? raw.DATA_DIR : resolve(process.cwd(), raw.DATA_DIR);
  const database: Config["database"] =
    raw.DATABASE_URL === undefined
      ? { kind: "pglite", dataDir: resolve(dataDir, "pglite") }
      : raw.DATABASE_URL === "memory://"
        ? { kind: "pglite", dataDir: null }
        : { kind: "postgres", url: raw.DATABASE_URL };
  return { ...raw, dataDir, database, version: raw.APP_VERSION };
}
