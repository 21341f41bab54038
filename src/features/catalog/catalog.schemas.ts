/**
 * The catalog entry format: one YAML document per app (src/features/catalog/entries/<id>.yaml, or an operator's
 * $DATA_DIR/catalog/<id>.yaml). This module is the entry's shape: its fields, their types and limits, and the
 * names and constants the format uses. Objects are strict — an unknown or misspelt key is an error, never
 * ignored. The rules across fields that make sure an entry that validates can actually be deployed are in
 * entry-rules.ts (ports, env, versions, pins), compose-policy.ts (what a compose document may do) and
 * oci-service.ts (what the OCI runtime can run); `catalogEntrySchema` (entry-rules.ts) is shape + rules.
 */

// z from @hono/zod-openapi (zod 4 plus `.openapi()`): the extension must be in place before these schemas are built.
import { z } from "@hono/zod-openapi";
import "../../core/messages.ts";

/** How a catalog app may run (the same names as an app row's `runtime`). */
export const CATALOG_RUNTIMES = ["docker", "oci"] as const;

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
export const GENERATORS = ["password", "hex32", "hex64", "uuid", "base64_32"] as const;
/** What kind of value a setting takes: the install form shows a toggle, a number or a URL field, and the value is checked (compose.ts envTypeProblem). */
export const ENV_TYPES = ["text", "boolean", "number", "url", "email"] as const;
export type Generator = (typeof GENERATORS)[number];

/** Values Proximity provides to every compose project, known once the container has its address. */
export const DEPLOY_VARIABLES = ["APP_ADDRESS", "APP_HOSTNAME", "APP_URL", "APP_PORT"] as const;
export type DeployVariable = (typeof DEPLOY_VARIABLES)[number];
/** The per-deploy values of an entry without a web interface (`web: false`): it has no URL and no web port. */
export const NO_WEB_DEPLOY_VARIABLES = ["APP_ADDRESS", "APP_HOSTNAME"] as const satisfies DeployVariable[];
/** Whether `name` is one of the values Proximity provides (an entry may use but not declare them). */
export function isDeployVariable(name: string): boolean {
  return (DEPLOY_VARIABLES as readonly string[]).includes(name);
}

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
  /**
   * The status the request must answer, or 0 for any answer below 500: what entries imported from a
   * third-party store use, whose manifests do not say what their app answers (a redirect to a login page is
   * as healthy as a 200).
   */
  expect: z
    .number()
    .int()
    .refine(
      (v) => v === 0 || (v >= 100 && v <= 599),
      "must be an HTTP status (100–599), or 0 for any answer below 500",
    )
    .default(200),
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
  /**
   * `https` when the app serves TLS itself on this TCP port (usually with a self-signed certificate): its URL,
   * health check and proxy upstream use https, without verifying the certificate. Absent: http.
   */
  scheme: z.enum(["http", "https"]).optional(),
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

/** Limits of the files an entry ships (docs/catalog.md "Files"): what a deploy writes into the app's volumes. */
export const ENTRY_FILE_LIMITS = { count: 64, bytes: 512 * 1024, totalBytes: 1024 * 1024 } as const;
/** A relative path inside a volume: plain segments (no `.`, `..` or empty one, no control character), at most 8 deep. */
export const ENTRY_FILE_PATH_PATTERN =
  /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._@+=,-][A-Za-z0-9._@+=, -]{0,99}(?:\/[A-Za-z0-9._@+=,-][A-Za-z0-9._@+=, -]{0,99}){0,7}$/;

/**
 * A file the deploy writes into one of the app's named volumes before the app first starts (a configuration
 * file a third-party store ships, a seed the app expects). Written once, at the first deploy: later deploys
 * of the same app (updates, restores) never overwrite what the app or the user changed.
 */
export const catalogFileSchema = z.strictObject({
  /** A named volume of the compose file (declared under its top-level `volumes`). */
  volume: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, "must be a volume name"),
  /** Where in the volume: relative, no `.` or `..` segment. */
  path: z
    .string()
    .max(255)
    .regex(ENTRY_FILE_PATH_PATTERN, "must be a relative path without . or .. segments"),
  /** The content: UTF-8 text, or the bytes in base64 when `encoding` is base64 (a small binary). */
  content: z.string().max(Math.ceil((ENTRY_FILE_LIMITS.bytes * 4) / 3) + 4),
  encoding: z.enum(["utf-8", "base64"]).default("utf-8"),
  /** Permission bits (no setuid, setgid or sticky bit). */
  mode: z
    .string()
    .regex(/^0?[0-7]{3}$/, "must be octal permission bits such as 0644")
    .default("0644"),
  /** Numeric `uid:gid` the file (and the directories written for it) belong to. */
  owner: z
    .string()
    .regex(/^\d{1,10}:\d{1,10}$/, "must be numeric uid:gid")
    .default("0:0"),
  /**
   * A template: at the deploy every `{{NAME}}` becomes the install's value of NAME (a setting of `env` or a
   * per-deploy variable, the values `.env` gets); UTF-8 text only (entry-files.ts).
   */
  template: z.boolean().optional(),
});
export type CatalogFile = z.output<typeof catalogFileSchema>;

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
  /**
   * Whether the app has a web interface (the default). An app without one (`web: false`: a DNS updater, a VPN
   * client, a database) has no primary port, no URL, no Open button and no HTTP health check: Proximity checks
   * that its containers run (and pass their image's own health check) and that its first TCP port, when it
   * has one, accepts a connection (docs/catalog.md).
   */
  web: z.boolean().default(true),
  ports: z.array(catalogPortSchema).max(32).default([]),
  env: z.array(catalogEnvSchema).max(64).default([]),
  compose: z.string().min(1).max(65536),
  /**
   * Images of the compose file that a third-party store names without a version (tag `latest` or none). Only
   * entries imported from a store may have them (docs/catalog.md "Unpinned images"): the app installs, but
   * Proximity cannot tell which version it runs or when a newer one exists, so it never offers an update.
   */
  unpinned_images: z.array(z.string().min(1).max(200)).max(16).default([]),
  /** Files written into the app's named volumes at its first deploy (catalogFileSchema). */
  files: z.array(catalogFileSchema).max(ENTRY_FILE_LIMITS.count).default([]),
  /** The HTTP health check of an app with a web interface; an app without one has none (see `web`). */
  healthcheck: catalogHealthcheckSchema.optional(),
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

export type CatalogEntry = z.output<typeof catalogEntryObjectSchema>;

/** The per-deploy values Proximity writes for an entry: all of them, or without URL and port when it has no web interface. */
export function providedVariables(entry: Pick<CatalogEntry, "web">): readonly DeployVariable[] {
  return entry.web ? DEPLOY_VARIABLES : NO_WEB_DEPLOY_VARIABLES;
}
export type CatalogEnv = CatalogEntry["env"][number];

/** A problem with an entry, at a path inside it (reported as a zod issue by catalogEntrySchema). */
export interface EntryIssue {
  path: (string | number)[];
  message: string;
}
