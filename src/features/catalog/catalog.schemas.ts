/**
 * The catalog entry format: one YAML document per app (src/features/catalog/entries/<id>.yaml, or an operator's
 * $DATA_DIR/catalog/<id>.yaml). Objects are strict — an unknown or misspelt key is an error, never ignored —
 * and the cross-field rules below make sure an entry that validates can actually be deployed:
 *
 * - exactly one port is `primary`, and it is TCP (the app URL is http://<ip>:<primary port>);
 * - port names and (port, protocol) pairs are unique; the health check uses one of the TCP ports;
 * - env names are unique; `generate` excludes `default` and `required`; a `secret` never has a `default`;
 * - the compose document parses as YAML and has a non-empty `services` map; every service has an `image`
 *   with an explicit tag (or digest) that is not `latest`, and no `build`;
 * - every `${VAR}` the compose document uses is declared in `env`, and every declared env is used;
 * - ports are published with the host port equal to the container port, and the published set equals the
 *   declared `ports` (unless a service uses `network_mode: host`, where nothing is published);
 * - volumes are named volumes or bind mounts under `./` (no `..`); the only host path allowed is
 *   `/var/run/docker.sock` (the LXC's own Docker, for Docker managers such as Portainer);
 * - no `privileged: true`, `pid: host`, `ipc: host`, `userns_mode: host` or `cgroup: host`;
 * - hardening (docs/security.md): `privileged` in any spelling ("true", yes, 1 …) counts as true; no
 *   `devices`, `security_opt`, `device_cgroup_rules` or `cgroup_parent`, and `cap_add` only NET_ADMIN, NET_RAW or
 *   SYS_PTRACE; top-level volumes use
 *   the default driver without `driver_opts` (a local volume with `o: bind` is a bind mount in disguise);
 *   no variables in `privileged`, `pid`, `ipc`, `userns_mode`, `cgroup`, `network_mode` or volume sources
 *   and types; and the rules above still hold after every variable is replaced by each of a set of
 *   worst-case values ("host", "true", "/", "../..").
 *
 * And the rules that keep an installed app working for its whole life (docs/catalog.md):
 *
 * - no unset optional value reaches the container: an optional variable without a default is left out of
 *   `.env`, so compose may only use it as `${VAR:-fallback}` with a non-empty fallback; `default: ""` is
 *   refused (leave the default out instead);
 * - the per-deploy values `APP_ADDRESS`, `APP_HOSTNAME`, `APP_URL` and `APP_PORT` are provided by Proximity
 *   (written to `.env` once the container has its address, and again whenever it changes): compose may use
 *   them without declaring them, and no env may take those names;
 * - the health check names a request for the first boot and one for later (start, restart, update, restore,
 *   clone), both answered by IP; an app that rejects unknown Host headers gets `host` sent instead;
 * - the memory minimum leaves room for the Docker daemon that runs next to the app (at least 256 MB);
 * - `version` is the tag (or the start of the tag) of one of the images, and `pin` records when it was last
 *   checked against `pin.source` (the upstream release page), with the support policy and end date if known;
 * - `update_policy` says which updates are safe; `upgrade` says what a maintainer or user must know;
 * - `runtimes` lists how the app may run (default `[docker]`). `oci` — the image itself as a PVE 9.1+
 *   application container — needs a single service without a digest, with only `image`, `restart`,
 *   `environment`, `ports` and `volumes`, and named volumes (each becomes a mount point).
 */

// z from @hono/zod-openapi (zod 4 plus `.openapi()`): the extension must be in place before these schemas are built.
import { z } from "@hono/zod-openapi";
import "../../core/messages.ts";
import { parse as parseYaml } from "yaml";
import {
  InterpolationError,
  mapStrings,
  substitute,
  type VariableUse,
  variableUses,
} from "./interpolation.ts";

/** How a catalog app may run (the same names as an app row's `runtime`). */
export const CATALOG_RUNTIMES = ["docker", "oci"] as const;
export type CatalogRuntime = (typeof CATALOG_RUNTIMES)[number];

export const CATEGORY_NAMES = {
  development: "Development",
  monitoring: "Monitoring",
  media: "Media",
  productivity: "Productivity",
  security: "Security",
  networking: "Networking",
  databases: "Databases",
  "home-automation": "Home Automation",
  tools: "Tools",
} as const;

export type CategoryId = keyof typeof CATEGORY_NAMES;
export const CATEGORY_IDS = Object.keys(CATEGORY_NAMES) as [CategoryId, ...CategoryId[]];

export const OS_TEMPLATES = ["alpine-3.22", "debian-12", "debian-13"] as const;
export const GENERATORS = ["password", "hex32", "uuid", "base64_32"] as const;
/** What kind of value a setting takes: the install form shows a toggle, a number or a URL field, and the value is checked (compose.ts envTypeProblem). */
export const ENV_TYPES = ["text", "boolean", "number", "url", "email"] as const;
export type Generator = (typeof GENERATORS)[number];

/** Values Proximity provides to every compose project, known once the container has its address. */
export const DEPLOY_VARIABLES = ["APP_ADDRESS", "APP_HOSTNAME", "APP_URL", "APP_PORT"] as const;
export type DeployVariable = (typeof DEPLOY_VARIABLES)[number];
const DEPLOY_VARIABLE_SET = new Set<string>(DEPLOY_VARIABLES);

/**
 * Which updates the update operation performs (an update that changes `version` is checked against the
 * version the app was installed or last updated with):
 * - `any`: the app migrates its own data across any version;
 * - `same-major`: only within the same major version (the first number of `version`);
 * - `dump-first`: data is bound to the exact version; a version change needs an export and a fresh install;
 * - `never`: the app cannot be updated in place (reinstall and restore its data by hand).
 */
export const UPDATE_POLICIES = ["any", "same-major", "dump-first", "never"] as const;
export type UpdatePolicy = (typeof UPDATE_POLICIES)[number];

/** The smallest memory minimum: the Docker daemon alone needs about 100 MB next to the app. */
export const MIN_MEMORY_MB = 256;

/** Catalog ids: lower-case DNS-label-like, 2–40 characters (they prefix app ids and default hostnames). */
export const CATALOG_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$/;
/** Env names: what compose accepts in `${…}` and what a shell accepts as a variable. */
export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The only absolute host path a compose file may bind (the LXC's own Docker daemon). */
export const ALLOWED_HOST_PATHS = ["/var/run/docker.sock"] as const;

const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" });
/** An icon file beside an operator's YAML: a plain file name (no directory), .svg or .png. */
export const ICON_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.(svg|png)$/i;
const iconRef = z
  .string()
  .refine(
    (v) => ICON_FILE_PATTERN.test(v) || httpUrl.safeParse(v).success,
    "must be an http(s) URL, or the name of an .svg or .png file beside the YAML",
  );
const isoDate = z.iso.date({ message: "must be a date (YYYY-MM-DD)" });

export const healthRequestSchema = z.strictObject({
  path: z.string().startsWith("/", "must start with /").max(500),
  expect: z.number().int().min(100).max(599).default(200),
});

export const catalogHealthcheckSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  /**
   * The Host header sent instead of the address, for apps that only answer names they trust (Nextcloud
   * always trusts `localhost`). The request still goes to the container's IP.
   */
  host: z
    .string()
    .regex(/^[a-z0-9.-]+(?::\d{1,5})?$/i, "must be a host name, optionally with :port")
    .optional(),
  /** What answers before anyone has finished the app's setup (the deploy waits for this). */
  first_boot: healthRequestSchema,
  /** What answers once the app is set up; start/restart/update/restore/clone accept this or `first_boot`. */
  later: healthRequestSchema,
});

/**
 * A supporting image of a multi-service entry (a database, cache or browser beside the app) and where its tag was
 * checked: sidecars follow their own release line, not the app's `version`.
 */
export const catalogSidecarPinSchema = z.strictObject({
  /** The image reference exactly as the compose file names it. */
  image: z.string().min(1).max(200),
  /** The upstream release page (or tag list) the sidecar's tag was taken from. */
  source: httpUrl,
  /** The upstream support/lifecycle policy, when one is published. */
  support: httpUrl.optional(),
  /** When the sidecar's release line stops getting fixes, when upstream says so. */
  eol: isoDate.optional(),
  /** Why this line (e.g. the version the app's own compose file uses). */
  note: z.string().min(1).max(300).optional(),
});

export const catalogPinSchema = z.strictObject({
  /** The day the pins were last checked against `source`. */
  verified: isoDate,
  /** The upstream release page (or tag list) the pin was taken from. */
  source: httpUrl,
  /** The upstream support/lifecycle policy, when one is published. */
  support: httpUrl.optional(),
  /** When the pinned release line stops getting fixes, when upstream says so. */
  eol: isoDate.optional(),
  /** What the maintainer who verified the pin wants the next one to know (e.g. a newer major not adopted yet). */
  note: z.string().min(1).max(300).optional(),
  /** The supporting images (databases, caches …), verified the same day as the app. */
  sidecars: z.array(catalogSidecarPinSchema).max(8).optional(),
});

export const catalogPortSchema = z.strictObject({
  name: z.string().regex(SLUG, "must be a lower-case slug"),
  container: z.number().int().min(1).max(65535),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
  primary: z.boolean().default(false),
});

export const catalogEnvSchema = z.strictObject({
  name: z.string().regex(ENV_NAME_PATTERN, "must match [A-Z_][A-Z0-9_]*"),
  description: z.string().min(1).max(500),
  default: z.string().max(4096).optional(),
  required: z.boolean().default(false),
  secret: z.boolean().default(false),
  generate: z.enum(GENERATORS).optional(),
  type: z.enum(ENV_TYPES).default("text"),
  /**
   * A value the app would reject at run time (and stop on) is refused at deploy time instead: the whole value
   * must match this regular expression, else `pattern_message` is the error the user sees.
   */
  pattern: z.string().min(1).max(500).optional(),
  pattern_message: z.string().min(1).max(300).optional(),
});

export const catalogEntryObjectSchema = z.strictObject({
  id: z
    .string()
    .regex(
      CATALOG_ID_PATTERN,
      "must be 2–40 characters of a-z, 0-9 and '-', not starting or ending with '-'",
    ),
  name: z.string().min(1).max(80),
  version: z.string().min(1).max(60),
  description: z.string().min(1).max(1000),
  category: z.enum(CATEGORY_IDS),
  tags: z.array(z.string().regex(SLUG, "must be a lower-case slug")).max(20).default([]),
  /**
   * The built-ins' upstream icon URL (Proximity serves its own copy), or — in an operator's file — the name
   * of an SVG or PNG file beside the YAML, served as the app's icon.
   */
  icon: iconRef,
  website: httpUrl,
  os_template: z.enum(OS_TEMPLATES),
  min: z.strictObject({
    cores: z.number().int().min(1).max(64),
    memory_mb: z
      .number()
      .int()
      .min(MIN_MEMORY_MB, `must be at least ${MIN_MEMORY_MB} (the Docker daemon runs next to the app)`)
      .max(262144),
    disk_gb: z.number().int().min(1).max(4096),
  }),
  ports: z.array(catalogPortSchema).min(1).max(32),
  env: z.array(catalogEnvSchema).max(64).default([]),
  compose: z.string().min(1).max(65536),
  healthcheck: catalogHealthcheckSchema,
  pin: catalogPinSchema,
  /** The day the entry joined the catalog (the web's "Recently added"); entries of the first catalog have none. */
  added: isoDate.optional(),
  update_policy: z.enum(UPDATE_POLICIES),
  /** What changes between versions and what a user must do; shown when an update is refused. */
  upgrade: z.string().min(1).max(2000),
  /**
   * How the app may run: `docker` (Docker Compose inside an LXC container) and/or `oci` (its one image as a
   * PVE 9.1+ application container). The first listed is not a preference: see docs/catalog.md.
   */
  runtimes: z.array(z.enum(CATALOG_RUNTIMES)).min(1).max(2).default(["docker"]),
  /**
   * What changes when the app is exposed through the managed proxy at its HTTPS name (features/access):
   * `env` maps a declared variable to the value it takes while exposed, where `{url}` is the HTTPS URL
   * (`https://<hostname>.<domain>`, no trailing slash) and `{host}` its host name. The stored value is kept
   * and comes back when the app is unexposed; the app is restarted once each way (docs/access.md).
   */
  exposure: z
    .strictObject({
      env: z.record(
        z.string().regex(ENV_NAME_PATTERN, "must match [A-Z_][A-Z0-9_]*"),
        z
          .string()
          .min(1)
          .max(500)
          .regex(/^(?:[^{}]|\{url\}|\{host\})*$/, "may use only the placeholders {url} and {host}"),
      ),
    })
    .optional(),
  /**
   * A system entry (the managed reverse proxy) is deployed by Proximity itself: it is not listed, searched
   * or installable through the catalog.
   */
  system: z.boolean().default(false),
});

type EntryShape = z.output<typeof catalogEntryObjectSchema>;

interface Issue {
  path: (string | number)[];
  message: string;
}

// ---------------------------------------------------------------------------------------------------------
// Compose checks

/** A parsed compose document, as far as the catalog cares. */
export interface ComposeDocument {
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, unknown> | null;
  networks?: Record<string, unknown> | null;
  [key: string]: unknown;
}

const ALLOWED_TOP_LEVEL = new Set(["services", "volumes", "networks", "name"]);
const FORBIDDEN_HOST_MODES = ["pid", "ipc", "userns_mode", "cgroup"] as const;
/** Service keys that widen what a container may do to the LXC it runs in. */
const FORBIDDEN_SERVICE_KEYS = ["devices", "security_opt", "device_cgroup_rules", "cgroup_parent"];
/**
 * The only capabilities an entry may add, literally (no variables): network administration for VPNs and
 * packet tools, and ptrace for monitoring agents. Inside an unprivileged LXC they act in the container's
 * own user namespace; ALL, SYS_ADMIN, SYS_MODULE and the rest stay refused.
 */
const ALLOWED_CAPABILITIES = new Set(["NET_ADMIN", "NET_RAW", "SYS_PTRACE"]);
/** Keys whose value decides isolation: no variables, so a user's value can never change them. */
const FIXED_SERVICE_KEYS = ["privileged", ...FORBIDDEN_HOST_MODES, "network_mode"] as const;
/** What a user could put in any variable, tried against the rules after interpolation. */
const WORST_CASE_VALUES = ["host", "true", "/", "../.."];

/** Compose reads "true", "yes", "on", "1" (any case) as true; so do we, for anything but a plain false. */
function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  return !/^(false|no|off|0|)$/i.test(String(value).trim());
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Parse a compose document; throws an Error with a readable message when it is not YAML or has no services. */
export function parseCompose(text: string): ComposeDocument {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new Error(`compose is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!isRecord(doc)) throw new Error("compose must be a YAML mapping");
  if (!isRecord(doc.services) || Object.keys(doc.services).length === 0) {
    throw new Error("compose must have a non-empty `services` map");
  }
  for (const [name, svc] of Object.entries(doc.services)) {
    if (!isRecord(svc)) throw new Error(`compose service ${name} must be a mapping`);
  }
  return doc as ComposeDocument;
}

/**
 * Whether an image reference carries an explicit, pinned tag: `name:tag` (tag not `latest`) or `name@sha256:…`.
 * The tag is what follows the last `:` after the last `/` (a `:` before it is a registry port).
 */
export function imageTagProblem(image: string): string | undefined {
  if (image.includes("$")) return `image "${image}" must not use variables`;
  if (!/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(image)) return `image "${image}" is not a valid image reference`;
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon === -1) return `image "${image}" has no explicit tag`;
  const tag = lastSegment.slice(colon + 1);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return `image "${image}" has an invalid tag`;
  if (tag === "latest") return `image "${image}" must pin a version, not "latest"`;
  return undefined;
}

interface PublishedPort {
  port: number;
  protocol: "tcp" | "udp";
}

/** Parse one `ports:` item; host and container port must be the same single port. */
function parsePublished(item: unknown): PublishedPort | string {
  if (typeof item === "number") return "ports must be published as HOST:CONTAINER";
  if (isRecord(item)) {
    const target = Number(item.target);
    const published = Number(item.published);
    const protocol = item.protocol ?? "tcp";
    if (protocol !== "tcp" && protocol !== "udp") return `unsupported protocol ${String(protocol)}`;
    if (!Number.isInteger(target) || !Number.isInteger(published))
      return "long-syntax ports need target and published";
    if (target !== published) return `published port ${published} must equal the container port ${target}`;
    return { port: target, protocol };
  }
  if (typeof item !== "string") return "a port must be a string";
  const m = /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/i.exec(
    item,
  );
  if (!m) return `port "${item}" must look like HOST:CONTAINER[/tcp|udp] (no ranges)`;
  const host = Number(m[1]);
  const container = Number(m[2]);
  if (host !== container) return `port "${item}": the host port must equal the container port`;
  if (container < 1 || container > 65535) return `port "${item}" is out of range`;
  return { port: container, protocol: (m[3]?.toLowerCase() ?? "tcp") as "tcp" | "udp" };
}

/** Check one volume item; returns a problem or undefined. */
function volumeProblem(item: unknown, namedVolumes: Set<string>): string | undefined {
  let source: string | undefined;
  let type: string | undefined;
  if (typeof item === "string") {
    const parts = item.split(":");
    if (parts.length === 1) return undefined; // anonymous volume at a container path
    source = parts[0];
  } else if (isRecord(item)) {
    type = typeof item.type === "string" ? item.type : undefined;
    source = typeof item.source === "string" ? item.source : undefined;
    if (type !== "bind" && type !== "volume" && type !== "tmpfs")
      return `unsupported volume type ${String(type)}`;
    if (type === "tmpfs" || source === undefined) return undefined;
  } else {
    return "a volume must be a string or a mapping";
  }
  if (source === undefined || source === "") return "a volume needs a source";
  if (source.startsWith("./")) {
    if (source.split("/").includes("..")) return `bind mount "${source}" must stay under ./`;
    return undefined;
  }
  if (source.startsWith("/") || source.startsWith("~") || source.startsWith(".")) {
    if ((ALLOWED_HOST_PATHS as readonly string[]).includes(source)) return undefined;
    return `bind mount "${source}" is outside ./ (use a named volume or ./data/…)`;
  }
  if (type === "bind") return `bind mount "${source}" must start with ./`;
  if (!namedVolumes.has(source)) return `named volume "${source}" is not declared under top-level volumes`;
  return undefined;
}

/**
 * What a service may not do to the container it runs in: privileged (any spelling), host namespaces,
 * added capabilities or devices, relaxed security options, volumes outside the project, and variables in
 * any of the keys that decide these.
 */
function isolationProblems(svc: Record<string, unknown>, namedVolumes: Set<string>): string[] {
  const out: string[] = [];
  for (const key of FIXED_SERVICE_KEYS) {
    if (typeof svc[key] === "string" && (svc[key] as string).includes("$"))
      out.push(`${key} must not use variables`);
  }
  if (isTruthy(svc.privileged)) out.push("privileged is not allowed");
  for (const mode of FORBIDDEN_HOST_MODES) {
    if (
      String(svc[mode] ?? "")
        .trim()
        .toLowerCase() === "host"
    )
      out.push(`${mode}: host is not allowed`);
  }
  for (const key of FORBIDDEN_SERVICE_KEYS) if (key in svc) out.push(`${key} is not allowed`);
  if ("cap_add" in svc) {
    const caps = Array.isArray(svc.cap_add) ? svc.cap_add : [svc.cap_add];
    const refused = caps.filter((c) => typeof c !== "string" || !ALLOWED_CAPABILITIES.has(c.toUpperCase()));
    if (refused.length)
      out.push(
        `cap_add may only name ${[...ALLOWED_CAPABILITIES].join(", ")} (got ${refused.map(String).join(", ")})`,
      );
  }
  if (Array.isArray(svc.volumes)) {
    for (const item of svc.volumes) {
      const source = typeof item === "string" ? item.split(":")[0] : isRecord(item) ? item.source : undefined;
      const type = isRecord(item) ? item.type : undefined;
      if ([source, type].some((v) => typeof v === "string" && v.includes("$"))) {
        out.push(
          `volume "${typeof item === "string" ? item : String(source)}": sources must not use variables`,
        );
        continue;
      }
      const problem = volumeProblem(item, namedVolumes);
      if (problem) out.push(problem);
    }
  }
  return out;
}

/** Named volumes use the default local driver as they are: `driver_opts` can turn one into a host bind. */
function topLevelVolumeProblems(volumes: unknown): string[] {
  if (!isRecord(volumes)) return [];
  const out: string[] = [];
  for (const [name, spec] of Object.entries(volumes)) {
    if (spec === null || spec === undefined) continue;
    if (!isRecord(spec)) {
      out.push(`volume ${name} must be a mapping`);
      continue;
    }
    for (const key of Object.keys(spec)) {
      if (key !== "name" && key !== "labels")
        out.push(`volume ${name}: ${key} is not allowed (named volumes use the default driver)`);
    }
  }
  return out;
}

/**
 * The isolation rules again, after replacing every variable with each worst-case value: whatever a user
 * puts in the environment, the interpolated compose file must still pass.
 */
function worstCaseProblems(doc: ComposeDocument, namedVolumes: Set<string>): string[] {
  const found = new Set<string>();
  const direct = new Set(
    Object.entries(doc.services).flatMap(([name, svc]) =>
      isolationProblems(svc, namedVolumes).map((p) => `service ${name}: ${p}`),
    ),
  );
  for (const worst of WORST_CASE_VALUES) {
    let rendered: ComposeDocument;
    try {
      rendered = mapStrings(doc, (text) => substitute(text, () => worst)) as ComposeDocument;
    } catch {
      continue; // ${VAR:?…} and friends: reported by the variable scan
    }
    for (const [name, svc] of Object.entries(rendered.services)) {
      if (!isRecord(svc)) continue;
      for (const problem of isolationProblems(svc, namedVolumes)) {
        const message = `service ${name}: ${problem}`;
        if (!direct.has(message)) found.add(`${message} when a variable is "${worst}"`);
      }
    }
  }
  return [...found];
}

function checkCompose(entry: EntryShape, issues: Issue[]): void {
  const at = (message: string) => issues.push({ path: ["compose"], message });
  let doc: ComposeDocument;
  try {
    doc = parseCompose(entry.compose);
  } catch (err) {
    at((err as Error).message);
    return;
  }
  for (const key of Object.keys(doc)) {
    if (!ALLOWED_TOP_LEVEL.has(key) && !key.startsWith("x-")) at(`unsupported top-level key "${key}"`);
  }
  const namedVolumes = new Set(isRecord(doc.volumes) ? Object.keys(doc.volumes) : []);

  const published = new Map<string, string>(); // "port/proto" -> service
  let hostNetwork = false;
  for (const [name, svc] of Object.entries(doc.services)) {
    const where = `service ${name}: `;
    if (typeof svc.image !== "string") at(`${where}needs an image`);
    else {
      const problem = imageTagProblem(svc.image);
      if (problem) at(where + problem);
    }
    if ("build" in svc) at(`${where}build is not supported, use a published image`);
    for (const problem of isolationProblems(svc, namedVolumes)) at(where + problem);
    if (svc.network_mode === "host") {
      hostNetwork = true;
      if (svc.ports !== undefined) at(`${where}ports cannot be published with network_mode: host`);
    } else if (svc.network_mode !== undefined && !/^service:[a-z0-9_-]+$/i.test(String(svc.network_mode))) {
      at(`${where}network_mode must be host or service:<name>`);
    }
    if (svc.ports !== undefined) {
      if (!Array.isArray(svc.ports)) at(`${where}ports must be a list`);
      else
        for (const item of svc.ports) {
          const p = parsePublished(item);
          if (typeof p === "string") {
            at(where + p);
            continue;
          }
          const key = `${p.port}/${p.protocol}`;
          if (published.has(key)) at(`${where}port ${key} is already published by ${published.get(key)}`);
          published.set(key, name);
        }
    }
    if (svc.volumes !== undefined && !Array.isArray(svc.volumes)) at(`${where}volumes must be a list`);
  }
  for (const problem of topLevelVolumeProblems(doc.volumes)) at(problem);
  for (const problem of worstCaseProblems(doc, namedVolumes)) at(problem);

  const declared = new Set(entry.ports.map((p) => `${p.container}/${p.protocol}`));
  for (const key of published.keys()) {
    if (!declared.has(key)) at(`publishes ${key}, which is not declared in ports`);
  }
  if (!hostNetwork) {
    for (const key of declared) {
      if (!published.has(key))
        issues.push({ path: ["ports"], message: `port ${key} is not published by any service` });
    }
  }

  // Variables: every ${VAR} used is declared (or provided by Proximity), every declared env is used, and an
  // optional value that may be unset is only used with a non-empty fallback, so it never reaches the
  // container as a set-but-empty variable.
  const uses: VariableUse[] = [];
  const scan = (value: unknown): void => {
    if (typeof value === "string") {
      try {
        uses.push(...variableUses(value));
      } catch (err) {
        if (err instanceof InterpolationError) at(err.message);
        else throw err;
      }
    } else if (Array.isArray(value)) value.forEach(scan);
    else if (isRecord(value)) Object.values(value).forEach(scan);
  };
  scan(doc);
  const used = new Set(uses.map((u) => u.name));
  const envByName = new Map(entry.env.map((e) => [e.name, e]));
  for (const v of used) {
    if (!envByName.has(v) && !DEPLOY_VARIABLE_SET.has(v)) at(`uses \${${v}}, which is not declared in env`);
  }
  const reported = new Set<string>();
  for (const use of uses) {
    const e = envByName.get(use.name);
    if (!e || !mayBeUnset(e) || reported.has(use.name)) continue;
    if (use.op === "-" && use.colon && use.rest !== "") continue;
    reported.add(use.name);
    at(
      `\${${use.name}} is optional without a default, so it can be unset: use \${${use.name}:-<fallback>} ` +
        "or give it a default (an empty value must never reach the container)",
    );
  }
  entry.env.forEach((e, i) => {
    if (!used.has(e.name))
      issues.push({ path: ["env", i, "name"], message: `${e.name} is not used by the compose file` });
  });
}

/** An env `pattern` as an anchored RegExp (undefined when it does not compile). */
export function compilePattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    return undefined;
  }
}

/** Whether an env can be left out of `.env`: optional, no default, nothing generated. */
function mayBeUnset(e: EntryShape["env"][number]): boolean {
  return !e.required && e.default === undefined && e.generate === undefined;
}

/** The tags of every service image, for the `version` check. */
/** The image reference of every service, in compose order (empty when the compose file does not parse). */
export function composeImages(compose: string): string[] {
  try {
    const doc = parseCompose(compose);
    return Object.values(doc.services)
      .map((svc) => (typeof svc.image === "string" ? svc.image : ""))
      .filter(Boolean);
  } catch {
    return []; // reported by checkCompose
  }
}

/** The tag of an image reference ("" when it has none). */
export function imageTag(image: string): string {
  const last = image.slice(image.lastIndexOf("/") + 1).split("@")[0] ?? "";
  const colon = last.indexOf(":");
  return colon === -1 ? "" : last.slice(colon + 1);
}

function imageTags(compose: string): string[] {
  return composeImages(compose).map(imageTag).filter(Boolean);
}

/**
 * The images of an entry that do not carry its `version` (databases, caches, browsers beside the app): the ones
 * `pin.sidecars` should record.
 */
export function sidecarImagesOf(entry: Pick<CatalogEntry, "compose" | "version">): string[] {
  const version = entry.version.replace(/^v/, "");
  return [...new Set(composeImages(entry.compose))].filter((image) => !imageTag(image).includes(version));
}

function checkEntry(entry: EntryShape, issues: Issue[]): void {
  const declaredEnv = new Set(entry.env.map((e) => e.name));
  for (const name of Object.keys(entry.exposure?.env ?? {})) {
    if (!declaredEnv.has(name))
      issues.push({ path: ["exposure", "env", name], message: `${name} is not a declared env` });
  }
  const primaries = entry.ports.filter((p) => p.primary);
  if (primaries.length !== 1) {
    issues.push({ path: ["ports"], message: `exactly one port must be primary (found ${primaries.length})` });
  } else if (primaries[0]!.protocol !== "tcp") {
    issues.push({ path: ["ports"], message: "the primary port must be TCP" });
  }
  const portNames = new Set<string>();
  const portKeys = new Set<string>();
  entry.ports.forEach((p, i) => {
    if (portNames.has(p.name))
      issues.push({ path: ["ports", i, "name"], message: `duplicate port name ${p.name}` });
    const key = `${p.container}/${p.protocol}`;
    if (portKeys.has(key)) issues.push({ path: ["ports", i], message: `duplicate port ${key}` });
    portNames.add(p.name);
    portKeys.add(key);
  });
  const version = entry.version.replace(/^v/, "");
  const tags = imageTags(entry.compose);
  if (tags.length > 0 && !tags.some((t) => t.includes(version))) {
    issues.push({
      path: ["version"],
      message: `"${entry.version}" is not the tag of any image (${tags.join(", ")}): say which release is pinned`,
    });
  }
  if (entry.pin.eol !== undefined && entry.pin.eol < entry.pin.verified) {
    issues.push({
      path: ["pin", "eol"],
      message: "the pinned release was already out of support when verified",
    });
  }
  const images = composeImages(entry.compose);
  const sidecarImages = new Set<string>();
  (entry.pin.sidecars ?? []).forEach((sidecar, i) => {
    if (sidecarImages.has(sidecar.image)) {
      issues.push({ path: ["pin", "sidecars", i, "image"], message: `${sidecar.image} is listed twice` });
    }
    sidecarImages.add(sidecar.image);
    if (images.length > 0 && !images.includes(sidecar.image)) {
      issues.push({
        path: ["pin", "sidecars", i, "image"],
        message: `${sidecar.image} is not an image of the compose file (${images.join(", ")})`,
      });
    }
    if (sidecar.eol !== undefined && sidecar.eol < entry.pin.verified) {
      issues.push({
        path: ["pin", "sidecars", i, "eol"],
        message: `${sidecar.image} was already out of support when verified`,
      });
    }
  });
  if (!entry.ports.some((p) => p.protocol === "tcp" && p.container === entry.healthcheck.port)) {
    issues.push({ path: ["healthcheck", "port"], message: "must be one of the TCP ports" });
  }
  const envNames = new Set<string>();
  entry.env.forEach((e, i) => {
    if (envNames.has(e.name)) issues.push({ path: ["env", i, "name"], message: `duplicate env ${e.name}` });
    envNames.add(e.name);
    if (DEPLOY_VARIABLE_SET.has(e.name)) {
      issues.push({
        path: ["env", i, "name"],
        message: `${e.name} is provided by Proximity and cannot be declared`,
      });
    }
    if (e.default === "") {
      issues.push({
        path: ["env", i, "default"],
        message: "an empty default would reach the container set-but-empty: leave the default out",
      });
    }
    if (e.generate && e.default !== undefined) {
      issues.push({ path: ["env", i], message: "a generated value cannot have a default" });
    }
    if (e.generate && e.required) {
      issues.push({ path: ["env", i], message: "a generated value cannot be required" });
    }
    if (e.secret && e.default !== undefined) {
      issues.push({ path: ["env", i], message: "a secret cannot have a default" });
    }
    if ((e.pattern === undefined) !== (e.pattern_message === undefined)) {
      issues.push({ path: ["env", i], message: "pattern and pattern_message go together" });
    }
    if (e.pattern !== undefined) {
      const re = compilePattern(e.pattern);
      if (!re) issues.push({ path: ["env", i, "pattern"], message: "is not a valid regular expression" });
      else if (e.default !== undefined && !re.test(e.default))
        issues.push({ path: ["env", i, "default"], message: "does not match the pattern" });
    }
    if (e.default !== undefined && /[\0\r\n]/.test(e.default)) {
      issues.push({ path: ["env", i, "default"], message: "must be a single line" });
    }
  });
  if (new Set(entry.tags).size !== entry.tags.length)
    issues.push({ path: ["tags"], message: "duplicate tags" });
  if (new Set(entry.runtimes).size !== entry.runtimes.length)
    issues.push({ path: ["runtimes"], message: "duplicate runtimes" });
  checkCompose(entry, issues);
  if (entry.runtimes.includes("oci")) {
    for (const message of ociProblems(entry.compose)) issues.push({ path: ["runtimes"], message });
  }
}

// ---------------------------------------------------------------------------------------------------------
// The OCI runtime: the entry's one service, run by PVE from its image

/** What the OCI runtime takes from an entry's compose service. */
export interface OciService {
  /** The compose service's name. */
  name: string;
  /** The image as the compose file names it (a tag, no digest). */
  image: string;
  /** `environment` as written (values may hold `${VAR}`), in order. */
  environment: [string, string][];
  /** Named volumes: the volume's name and the path it is mounted at in the container. */
  volumes: { name: string; path: string }[];
}

const OCI_SERVICE_KEYS = new Set(["image", "restart", "environment", "ports", "volumes"]);

function serviceEnvironment(value: unknown): [string, string][] | string {
  if (value === undefined) return [];
  if (Array.isArray(value)) {
    const out: [string, string][] = [];
    for (const item of value) {
      if (typeof item !== "string" || !item.includes("=")) return "environment items must be KEY=value";
      const i = item.indexOf("=");
      out.push([item.slice(0, i), item.slice(i + 1)]);
    }
    return out;
  }
  if (!isRecord(value)) return "environment must be a mapping or a list";
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean")
      return `environment ${k} must be a scalar`;
    out.push([k, String(v)]);
  }
  return out;
}

/** The entry's service for the OCI runtime, or the reasons it cannot run as one. */
export function ociService(compose: string): OciService | string[] {
  let doc: ComposeDocument;
  try {
    doc = parseCompose(compose);
  } catch (err) {
    return [(err as Error).message];
  }
  const services = Object.entries(doc.services);
  if (services.length !== 1) {
    return [`oci needs exactly one compose service (found ${services.length}); use docker for this app`];
  }
  const [name, svc] = services[0]!;
  const problems: string[] = [];
  for (const key of Object.keys(svc)) {
    if (!OCI_SERVICE_KEYS.has(key)) problems.push(`oci cannot run service ${name}'s "${key}"`);
  }
  const image = typeof svc.image === "string" ? svc.image : "";
  if (image.includes("@")) problems.push(`oci needs a tagged image; PVE refuses a digest (${image})`);
  const environment = serviceEnvironment(svc.environment);
  if (typeof environment === "string") problems.push(`service ${name}: ${environment}`);
  const volumes: { name: string; path: string }[] = [];
  for (const item of Array.isArray(svc.volumes) ? svc.volumes : []) {
    const parts = typeof item === "string" ? item.split(":") : [];
    const [source, path] = parts;
    if (parts.length < 2 || !source || !path || source.startsWith(".") || source.startsWith("/")) {
      problems.push(`oci mounts only named volumes (${JSON.stringify(item)})`);
      continue;
    }
    volumes.push({ name: source, path });
  }
  if (volumes.length > 8) problems.push("oci mounts at most 8 volumes");
  if (problems.length > 0 || typeof environment === "string") return problems;
  return { name, image, environment, volumes };
}

function ociProblems(compose: string): string[] {
  const result = ociService(compose);
  return Array.isArray(result) ? result : [];
}

/** The full schema: shape + cross-field rules. Parse with `.safeParse(raw)`. */
export const catalogEntrySchema = catalogEntryObjectSchema.superRefine((entry, ctx) => {
  const issues: Issue[] = [];
  checkEntry(entry, issues);
  for (const issue of issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});

export type CatalogEntry = z.output<typeof catalogEntrySchema>;
export type CatalogEntryInput = z.input<typeof catalogEntrySchema>;
export type CatalogPort = CatalogEntry["ports"][number];
export type CatalogEnv = CatalogEntry["env"][number];

/** `path: message` for a zod issue, e.g. `ports: exactly one port must be primary (found 2)`. */
export function formatIssue(issue: { path: PropertyKey[]; message: string }): string {
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

export type ParseResult = { ok: true; entry: CatalogEntry } | { ok: false; issues: string[] };

/**
 * Validate one catalog file: YAML text → entry. `fileId` is the file name without its extension; the entry's
 * `id` must equal it (so `GET /catalog/{id}` and the file on disk never disagree).
 */
export function parseCatalogFile(text: string, fileId: string): ParseResult {
  let raw: unknown;
  try {
    raw = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    return { ok: false, issues: [`not valid YAML: ${(err as Error).message.split("\n")[0]}`] };
  }
  const result = catalogEntrySchema.safeParse(raw);
  if (!result.success) return { ok: false, issues: result.error.issues.map(formatIssue) };
  if (result.data.id !== fileId) {
    return { ok: false, issues: [`id: "${result.data.id}" does not match the file name "${fileId}"`] };
  }
  return { ok: true, entry: result.data };
}
