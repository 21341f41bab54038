/**
 * Turning a catalog entry into what the deploy saga writes into the container: the final environment
 * (defaults + generated secrets + the user's values, validated), the `.env` text, and — for tests and
 * previews — the compose document with the variables substituted.
 *
 * Web-standard only (crypto.getRandomValues / randomUUID), so it runs anywhere.
 */
import { stringify as stringifyYaml } from "yaml";
import { type ErrorDetail, ValidationError } from "../../core/errors.ts";
import {
  type CatalogEntry,
  type CatalogEnv,
  type DeployVariable,
  ENV_NAME_PATTERN,
  type Generator,
} from "./catalog.schemas.ts";
import { parseCompose } from "./compose-policy.ts";
import { compilePattern } from "./entry-rules.ts";
import { mapStrings, substitute } from "./interpolation.ts";
import { ociService } from "./oci-service.ts";

/** Longest accepted environment value, in characters. */
export const MAX_ENV_VALUE_LENGTH = 4096;

const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** One letter or digit, uniformly: the 62 alphanumerics are URL_SAFE's first, so a byte past them is redrawn. */
function firstAlphanumeric(): string {
  for (;;) {
    const b = randomBytes(1)[0]! & 63;
    if (b < 62) return URL_SAFE[b]!;
  }
}

/** One fresh value for a `generate` kind. */
export function generateValue(kind: Generator): string {
  switch (kind) {
    case "password":
      // 64-symbol alphabet: `byte & 63` is unbiased. 24 symbols ≈ 143 bits. The first is a letter or digit:
      // a value that starts with "-" reads as an option where a command line carries it (`redis-cli -a`,
      // `--requirepass`, which a store's compose may hold).
      return firstAlphanumeric() + Array.from(randomBytes(23), (b) => URL_SAFE[b & 63]).join("");
    case "hex32":
      return Array.from(randomBytes(16), (b) => b.toString(16).padStart(2, "0")).join("");
    case "hex64":
      // 64 hex characters (32 bytes): what an app wants as a hex-encoded 256-bit key (LibreChat's CREDS_KEY).
      return Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, "0")).join("");
    case "uuid":
      return crypto.randomUUID();
    case "base64_32":
      // 32 random bytes in standard base64: what Laravel apps (BookStack, Firefly III) expect after "base64:".
      return btoa(String.fromCharCode(...randomBytes(32)));
  }
}

/** Fresh values for every env with `generate`, keyed by name. Call once per deployment and store the result. */
export function generateSecrets(entry: CatalogEntry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entry.env) if (e.generate) out[e.name] = generateValue(e.generate);
  return out;
}

/** Why a value cannot go into `.env` (or undefined when it can). */
export function envValueProblem(value: string): string | undefined {
  if (value.includes("\0")) return "must not contain NUL characters";
  if (/[\r\n]/.test(value)) return "must be a single line (no CR or LF)";
  if (value.length > MAX_ENV_VALUE_LENGTH) return `must be at most ${MAX_ENV_VALUE_LENGTH} characters`;
  return undefined;
}

/** Why a value does not fit the setting's type (`true`/`false`, a number, an http(s) URL, an e-mail address). */
export function envTypeProblem(type: CatalogEnv["type"], value: string): string | undefined {
  switch (type) {
    case "boolean":
      return value === "true" || value === "false" ? undefined : "must be true or false";
    case "number":
      return /^-?\d+(\.\d+)?$/.test(value) ? undefined : "must be a number";
    case "url":
      return /^https?:\/\/[^\s/]+/.test(value) && URL.canParse(value)
        ? undefined
        : "must be a URL starting with http:// or https://";
    case "email":
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? undefined : "must be an e-mail address";
    default:
      return undefined;
  }
}

/**
 * Validate the user's environment against the catalog entry and merge it:
 * declared defaults < generated values < user values, in declaration order. An empty user value means "not
 * set" (the default applies); an optional variable that ends up without a value is left out entirely, so it
 * never reaches the container as a set-but-empty variable (compose falls back to the entry's `${VAR:-…}`).
 *
 * `generated` defaults to fresh values; pass the stored ones when re-rendering an existing app so its
 * secrets do not change. Throws ValidationError with `details: [{field: "environment.KEY", message}]` for
 * unknown keys, non-string values, missing required values and values that are not single-line.
 */
export function resolveEnvironment(
  entry: CatalogEntry,
  userEnv: Readonly<Record<string, unknown>> = {},
  generated: Readonly<Record<string, string>> = generateSecrets(entry),
): Record<string, string> {
  const declared = new Map(entry.env.map((e) => [e.name, e]));
  const details: ErrorDetail[] = [];

  const unknown = Object.keys(userEnv).filter((k) => !declared.has(k));
  for (const key of unknown) {
    details.push({
      field: `environment.${key}`,
      message: `unknown variable; ${entry.name} accepts: ${[...declared.keys()].join(", ") || "none"}`,
    });
  }
  for (const [key, value] of Object.entries(userEnv)) {
    if (!declared.has(key)) continue;
    if (typeof value !== "string") {
      details.push({ field: `environment.${key}`, message: "must be a string" });
      continue;
    }
    const problem = envValueProblem(value);
    if (problem) details.push({ field: `environment.${key}`, message: problem });
  }

  const result: Record<string, string> = {};
  for (const e of entry.env) {
    const user = userEnv[e.name];
    let value: string | undefined = typeof user === "string" && user !== "" ? user : undefined;
    if (value === undefined && e.generate) value = generated[e.name];
    // A required setting someone emptied on purpose is refused, not silently given its default back.
    if (value === undefined && !(e.required && user === "")) value = e.default;
    const typeProblem = value !== undefined && value !== "" ? envTypeProblem(e.type, value) : undefined;
    if (e.required && (value === undefined || value === "")) {
      details.push({ field: `environment.${e.name}`, message: `is required: ${e.description}` });
    } else if (typeProblem) {
      details.push({ field: `environment.${e.name}`, message: typeProblem });
    } else if (value !== undefined && e.pattern !== undefined && e.pattern_message !== undefined) {
      if (!compilePattern(e.pattern)?.test(value))
        details.push({ field: `environment.${e.name}`, message: e.pattern_message });
    }
    if (value !== undefined && value !== "") result[e.name] = value;
  }

  if (details.length > 0) {
    const message =
      unknown.length > 0
        ? `Unknown environment variable${unknown.length > 1 ? "s" : ""} for ${entry.id}: ${unknown.join(", ")}`
        : `Invalid environment for ${entry.id}`;
    throw new ValidationError(message, details);
  }
  return result;
}

/** Where an app is reachable, known once its container has an address. */
export interface DeployFacts {
  /** The container's IPv4 address. */
  address: string;
  /** The container's hostname. */
  hostname: string;
  /** The app's HTTPS URL through the managed proxy while it is exposed (features/access), else absent. */
  publicUrl?: string | null | undefined;
}

/**
 * The values the entry's `exposure.env` gives its variables while the app is exposed at `publicUrl`
 * (`{url}` → the URL, `{host}` → its host name); nothing when it is not exposed.
 */
export function exposureEnv(
  entry: CatalogEntry,
  publicUrl: string | null | undefined,
): Record<string, string> {
  if (!publicUrl || !entry.exposure) return {};
  const host = new URL(publicUrl).host;
  return Object.fromEntries(
    Object.entries(entry.exposure.env).map(([k, v]) => [
      k,
      v.replaceAll("{url}", publicUrl).replaceAll("{host}", host),
    ]),
  );
}

/**
 * The per-deploy values every compose project may use (`APP_ADDRESS`, `APP_HOSTNAME`, and `APP_URL`,
 * `APP_PORT` for an app with a web interface). They are written to `.env` after the network step and
 * rewritten when the address changes.
 */
export function deployVariables(
  entry: CatalogEntry,
  facts: DeployFacts,
): Partial<Record<DeployVariable, string>> {
  const url = entryUrl(entry, facts.address);
  const port = webPort(entry);
  return {
    APP_ADDRESS: facts.address,
    APP_HOSTNAME: facts.hostname,
    ...(url === null || port === undefined ? {} : { APP_URL: url, APP_PORT: String(port) }),
  };
}

/**
 * The port users open: the entry's primary port, else its first (80 for an entry that declares none); none for
 * an app without a web interface.
 */
export function webPort(entry: CatalogEntry): number | undefined {
  if (!entry.web) return undefined;
  return (entry.ports.find((p) => p.primary) ?? entry.ports[0])?.container ?? 80;
}

/** The scheme a TCP port of the entry serves: https only where the entry says so. */
export function portScheme(entry: CatalogEntry, port: number): "http" | "https" {
  return entry.ports.find((p) => p.container === port && p.protocol === "tcp")?.scheme ?? "http";
}

/**
 * The one place an app's URL is made: its web port on the container's address, in that port's scheme (none
 * without a web interface).
 */
export function entryUrl(entry: CatalogEntry, address: string): string | null {
  const port = webPort(entry);
  return port === undefined ? null : `${portScheme(entry, port)}://${address}:${port}`;
}

/**
 * The `.env` of an installed app: its stored values (keys the entry no longer declares are dropped, new
 * defaults apply) plus the per-deploy values.
 */
export function renderAppEnv(
  entry: CatalogEntry,
  stored: Readonly<Record<string, string>>,
  facts: DeployFacts,
): string {
  return renderEnvFile(appEnvValues(entry, stored, facts));
}

/** The values `.env` holds (renderAppEnv), by name: what a template file (`files`) is filled in with too. */
export function appEnvValues(
  entry: CatalogEntry,
  stored: Readonly<Record<string, string>>,
  facts: DeployFacts,
): Record<string, string> {
  const declared = new Set(entry.env.map((e) => e.name));
  const kept = Object.fromEntries(Object.entries(stored).filter(([k]) => declared.has(k)));
  return {
    ...resolveEnvironment(entry, kept, {}),
    ...exposureEnv(entry, facts.publicUrl),
    ...deployVariables(entry, facts),
  };
}

/**
 * The container environment of an app run by the OCI runtime: its one service's `environment`, with the
 * app's values (stored values kept as in `.env`, new defaults applied) and the per-deploy ones substituted,
 * as compose would. Secrets stay in the returned map only: it is written to PVE's `env` and never logged.
 */
export function renderOciEnvironment(
  entry: CatalogEntry,
  stored: Readonly<Record<string, string>>,
  facts: DeployFacts,
): Record<string, string> {
  const service = ociService(entry.compose);
  if (Array.isArray(service))
    throw new Error(`${entry.id} cannot run as an OCI container: ${service.join("; ")}`);
  const declared = new Set(entry.env.map((e) => e.name));
  const kept = Object.fromEntries(Object.entries(stored).filter(([k]) => declared.has(k)));
  const values: Record<string, string> = {
    ...resolveEnvironment(entry, kept, {}),
    ...exposureEnv(entry, facts.publicUrl),
    ...deployVariables(entry, facts),
  };
  const lookup = (name: string) => (Object.hasOwn(values, name) ? values[name] : undefined);
  const out: Record<string, string> = {};
  for (const [key, template] of service.environment) out[key] = substitute(template, lookup);
  return out;
}

/** Quote one value so that docker compose's `.env` parser reads it back literally. */
export function quoteEnvValue(value: string): string {
  // Single quotes are literal in every compose v2 release (no escapes, no interpolation). They cannot hold a
  // `'`, and a trailing `\` would make the parser skip the closing quote as "escaped".
  if (!value.includes("'") && !value.endsWith("\\")) return `'${value}'`;
  // Double quotes: compose expands `\\`, `\"`, `\$` (→ literal $) and interpolates `$…`, so escape those
  // three. A trailing backslash is written as the octal escape `\0134` so that the closing quote is never
  // preceded by a backslash.
  let body = value.replace(/[\\"$]/g, (ch) => `\\${ch}`);
  if (value.endsWith("\\")) body = `${body.slice(0, -2)}\\0134`;
  return `"${body}"`;
}

/** Render a `.env` file (KEY='value' lines) for docker compose. Throws ValidationError on an unsafe key/value. */
export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  const details: ErrorDetail[] = [];
  const lines = ["# Written by Proximity. Changes here are overwritten when the app is reconfigured."];
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_NAME_PATTERN.test(key)) {
      details.push({ field: `environment.${key}`, message: "invalid variable name" });
      continue;
    }
    const problem = envValueProblem(value);
    if (problem) {
      details.push({ field: `environment.${key}`, message: problem });
      continue;
    }
    lines.push(`${key}=${quoteEnvValue(value)}`);
  }
  if (details.length > 0) throw new ValidationError("Environment cannot be written to .env", details);
  return `${lines.join("\n")}\n`;
}

/**
 * The compose document with `${VAR}` / `${VAR:-default}` … substituted from `env` (and `$$` → `$`), as YAML
 * text. Substitution happens on the parsed document's string values, like compose does, so a value containing
 * `: ` or `#` cannot change the document's structure. Throws on `${VAR:?msg}` with VAR unset/empty.
 */
export function interpolate(compose: string, env: Readonly<Record<string, string>>): string {
  const doc = parseCompose(compose);
  const lookup = (name: string) => (Object.hasOwn(env, name) ? env[name] : undefined);
  const out = mapStrings(doc, (s) => substitute(s, lookup));
  return stringifyYaml(out, { lineWidth: 0 });
}
