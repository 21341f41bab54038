/**
 * One store app → one catalog entry, or the reasons it cannot be one.
 *
 * Each format's reader (runtipi.ts, casaos.ts, umbrel.ts) turns an app directory into a `StoreApp`: its
 * compose services in compose's own shape, its main service and port, the settings the store asks the user
 * for, and how to read the store's own variables and host paths. This module does what is common:
 *
 * - the app's data directory (`${APP_DATA_DIR}/x`, `/DATA/AppData/$AppID/x`) becomes a named volume per path,
 *   the store's shared storage (`/DATA/Media`, `${UMBREL_ROOT}/data/storage/…`) a volume of the app's own;
 *   `/etc/localtime` and `/etc/timezone` are dropped (the container's clock is the host's), the Docker socket
 *   stays (the LXC's own daemon); any other host path refuses the app;
 * - store variables become Proximity's per-deploy values (`APP_HOSTNAME`, `APP_URL`, …), generated secrets,
 *   settings with the store's default, or a refusal naming the variable;
 * - every published port is published as itself (host port = container port: each app has its own
 *   container), the main port is primary; store-only keys (`container_name`, networks, labels) are dropped;
 * - the result goes through the same schema and compose security policy as a built-in entry
 *   (`catalogEntrySchema`), so an app that needs `privileged`, devices or host namespaces is refused with the
 *   policy's own words, never imported weakened.
 */
import { stringify as stringifyYaml } from "yaml";
import {
  type CatalogEntry,
  type CatalogEnv,
  type CategoryId,
  DEPLOY_VARIABLES,
  type DeployVariable,
  type Generator,
} from "../catalog.schemas.ts";
import { catalogEntrySchema, formatIssue } from "../entry-rules.ts";
import { ociService } from "../oci-service.ts";
import { literal, reference, rewriteVars, type VarUse } from "./vars.ts";
import { isRecord, str } from "./yaml.ts";

export const STORE_FORMATS = ["runtipi", "casaos", "umbrel"] as const;
export type StoreFormat = (typeof STORE_FORMATS)[number];

/** A setting the store asks the user for (or generates), before it becomes a catalog env. */
export interface StoreField {
  name: string;
  description: string;
  type?: CatalogEnv["type"];
  secret?: boolean;
  required?: boolean;
  default?: string;
  generate?: Generator;
  pattern?: string;
  pattern_message?: string;
}

/** What a store-provided variable becomes in Proximity. */
export type VarMapping =
  | { kind: "deploy"; name: DeployVariable }
  | { kind: "literal"; value: string }
  | { kind: "field"; field: StoreField }
  | { kind: "refuse"; reason: string };

export interface StoreIcon {
  ext: "png" | "jpg";
  body: Uint8Array;
}

export interface StoreApp {
  format: StoreFormat;
  /** The store's id for the app (its directory name); becomes the entry id's second half. */
  appId: string;
  name: string;
  version: string;
  /** Plain text or Markdown (rendered as plain text). */
  description: string;
  tagline?: string | undefined;
  categories: string[];
  website?: string | undefined;
  icon?: StoreIcon | undefined;
  /** Docker architectures the store says the app runs on; undefined when it does not say. */
  architectures?: string[] | undefined;
  /** Compose services as the store wrote them, format-specific keys already mapped to compose's. */
  services: Record<string, Record<string, unknown>>;
  /** The service that serves the app's web interface, and the port it listens on inside its container. */
  main: string;
  mainPort: number;
  /** The path the store opens (CasaOS `index`, Umbrel `path`); "/" when it names none. */
  path?: string | undefined;
  /** Settings the store declares for the user (Runtipi `form_fields`, CasaOS `envs`). */
  fields: StoreField[];
  /** Store-provided variables (everything not a field); undefined for a name the store does not provide. */
  vars: (name: string) => VarMapping | undefined;
  /** Where the app's own data lives on the store's host (the prefix is replaced by a volume). */
  dataRoot: RegExp;
  /** The store's shared storage (media, downloads): becomes a volume of the app's own. */
  sharedRoot?: RegExp | undefined;
  /**
   * A file the store ships into the app's data directory under `rest` (its path in the archive), which a
   * fresh volume would not have; undefined when it ships none.
   */
  shipped?: ((rest: string) => string | undefined) | undefined;
  /** Memory the manifest asks for, in MB. */
  memoryMb?: number | undefined;
  notes: string[];
  /** Reasons the reader already knows the app cannot be imported. */
  refusals: string[];
}

export interface ImportedEntry {
  /** The namespaced id (`<source>/<app>`). */
  id: string;
  name: string;
  status: "imported" | "refused";
  /** Why it was refused; for an imported entry, what was changed on the way (notes). */
  reasons: string[];
  entry?: CatalogEntry | undefined;
  icon?: StoreIcon | undefined;
}

/** The architecture entries must run on (Proxmox VE runs on amd64). */
export const CLUSTER_ARCHITECTURE = "amd64";

/** Keys of a store's compose service that only mean something to the store: dropped without a note. */
const DROPPED_KEYS = new Set([
  "container_name",
  "networks",
  "labels",
  "logging",
  "hostname",
  "domainname",
  "mac_address",
  "platform",
  "pull_policy",
  "deploy",
  "cpu_shares",
  "mem_limit",
  "mem_reservation",
  "memswap_limit",
  "cpus",
]);

/** Paths a container may still reference, rewritten or dropped. */
const DOCKER_SOCKETS = new Set(["/var/run/docker.sock", "/run/docker.sock"]);
const CLOCK_FILES = new Set(["/etc/localtime", "/etc/timezone"]);
/** A mount whose last segment looks like a file name: a named volume cannot stand in for a file. */
const FILE_LIKE =
  /\.(json|ya?ml|toml|ini|conf|cfg|config|env|db|sqlite3?|txt|xml|js|mjs|cjs|ts|py|sh|php|lua|pem|key|crt|properties|htpasswd|lock)$/i;

export const DATABASE_IMAGE =
  /(^|\/)(postgres|postgis|mariadb|mysql|mongo|redis|valkey|elasticsearch|opensearch|clickhouse|influxdb|timescaledb|pgvecto|couchdb|meilisearch|typesense)[^/]*(:|$)/i;

const CATEGORY_WORDS: [RegExp, CategoryId][] = [
  [/media|music|photo|video|book|gaming|game|stream|entertain|download/i, "media"],
  [/network|vpn|dns|proxy/i, "networking"],
  [/develop|code|git/i, "development"],
  [/secur|password|auth|privacy/i, "security"],
  [/automation|home/i, "home-automation"],
  [/monitor|analytic/i, "monitoring"],
  [/data|database/i, "databases"],
  [/productiv|finance|social|file|cloud|document|note|communicat|ai|wallet|crypto|bitcoin/i, "productivity"],
];

export function categoryOf(categories: string[]): CategoryId {
  for (const c of categories) for (const [re, id] of CATEGORY_WORDS) if (re.test(c)) return id;
  return "tools";
}

/** A store id as a catalog id half: lower case, a-z0-9 and '-', 2–40 characters. */
export function slugOf(id: string): string {
  const slug = id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug.length >= 2 ? slug : `${slug}app`.slice(0, 40);
}

/** Markdown or HTML from a store as plain text, at most `max` characters (no markup reaches a page). */
export function plainText(text: string, max = 1000): string {
  const plain = text
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/!\[[^\]]*\]\([^)]*\)/g, " ")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^#{1,6}\s*/gm, "")
    .replace(/[*_`~]{1,3}/g, "")
    .replace(/&(nbsp|amp|lt|gt|quot|#39);/g, (_, e: string) =>
      e === "nbsp" ? " " : e === "amp" ? "&" : e === "lt" ? "<" : e === "gt" ? ">" : e === "quot" ? '"' : "'",
    )
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  if (plain.length <= max) return plain;
  const cut = plain.slice(0, max - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), max / 2))}…`;
}

function volumeName(relative: string, prefix: string): string {
  const slug = relative
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  if (prefix === "data") return slug || "data";
  return slug ? `${prefix}-${slug}` : prefix;
}

interface Mount {
  source?: string | undefined;
  target: string;
  readOnly: boolean;
  type?: string | undefined;
}

function mountOf(item: unknown): Mount | undefined {
  if (typeof item === "string") {
    const parts = item.split(":");
    if (parts.length === 1) return { target: parts[0]!, readOnly: false };
    const [source, target, mode = ""] = parts;
    if (!target) return undefined;
    return { source, target, readOnly: mode.split(",").includes("ro") };
  }
  if (isRecord(item) && typeof item.target === "string") {
    return {
      source: typeof item.source === "string" ? item.source : undefined,
      target: item.target,
      readOnly: item.read_only === true,
      type: typeof item.type === "string" ? item.type : undefined,
    };
  }
  return undefined;
}

interface PortSpec {
  port: number;
  protocol: "tcp" | "udp";
}

/** The container ports a service publishes (ranges and unparsable items are reported, not published). */
function publishedPorts(svc: Record<string, unknown>, notes: Set<string>, name: string): PortSpec[] {
  const out: PortSpec[] = [];
  const items = Array.isArray(svc.ports) ? svc.ports : [];
  for (const item of items) {
    if (isRecord(item)) {
      const target = Number(str(item.target));
      const protocol = str(item.protocol) === "udp" ? "udp" : "tcp";
      if (Number.isInteger(target) && target > 0 && target < 65536) out.push({ port: target, protocol });
      else
        notes.add(`service ${name}: port ${JSON.stringify(item)} is not published (no single target port)`);
      continue;
    }
    const text = str(item);
    if (!text) continue;
    const [spec = "", proto = "tcp"] = text.split("/");
    const container = spec.slice(spec.lastIndexOf(":") + 1);
    const port = Number(container);
    if (/^\d+$/.test(container) && port > 0 && port < 65536) {
      out.push({ port, protocol: proto.toLowerCase() === "udp" ? "udp" : "tcp" });
    } else {
      notes.add(`service ${name}: port "${text}" is not published (a range or a variable port)`);
    }
  }
  return out;
}

function environmentMap(value: unknown): Record<string, string> | string {
  if (value === undefined || value === null) return {};
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = str(item);
      if (!text) continue;
      const i = text.indexOf("=");
      if (i === -1) continue; // `- NAME` passes the host's value through: the host has none for the app
      out[text.slice(0, i).trim()] = text.slice(i + 1);
    }
    return out;
  }
  if (!isRecord(value)) return "environment must be a mapping or a list";
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (typeof v === "object") return `environment ${k} must be a scalar`;
    out[k] = String(v);
  }
  return out;
}

/** Deep-map every string of a value (keys stay). */
function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  return value;
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

const HOME: Record<StoreFormat, string> = {
  runtipi: "https://runtipi.io",
  casaos: "https://casaos.zimaspace.com",
  umbrel: "https://apps.umbrel.com",
};

const DEPLOY_SET = new Set<string>(DEPLOY_VARIABLES);

/**
 * Translate one store app. `source` is the source's name (the id's namespace and the entry's `source`).
 * Never throws for anything in the app: every problem becomes a reason.
 */
export function translate(app: StoreApp, source: string): ImportedEntry {
  const slug = slugOf(app.appId);
  const id = `${source}/${slug}`;
  const name = app.name.slice(0, 80) || slug;
  const refused = (reasons: string[]): ImportedEntry => ({
    id,
    name,
    status: "refused",
    reasons: [...new Set(reasons)],
  });
  if (app.refusals.length > 0) return refused(app.refusals);
  if (
    app.architectures &&
    app.architectures.length > 0 &&
    !app.architectures.includes(CLUSTER_ARCHITECTURE)
  ) {
    return refused([`does not run on ${CLUSTER_ARCHITECTURE} (only ${app.architectures.join(", ")})`]);
  }
  if (!app.services[app.main]) return refused([`the main service "${app.main}" is not in the compose file`]);

  const reasons: string[] = [];
  const notes = new Set<string>(app.notes);
  const volumes = new Set<string>();

  // 1. Volumes, while the store's variables are still in the paths.
  const services: Record<string, Record<string, unknown>> = {};
  for (const [svcName, original] of Object.entries(app.services)) {
    const svc: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(original)) {
      if (DROPPED_KEYS.has(key) || key.startsWith("x-")) continue;
      svc[key] = value;
    }
    if (svc.network_mode === "bridge" || svc.network_mode === "default") delete svc.network_mode;
    if (Array.isArray(original.volumes)) {
      const kept: unknown[] = [];
      for (const item of original.volumes) {
        const mount = mountOf(item);
        if (!mount) {
          reasons.push(`service ${svcName}: volume ${JSON.stringify(item)} is not understood`);
          continue;
        }
        if (mount.source === undefined || mount.type === "tmpfs" || mount.type === "volume") {
          kept.push(item);
          if (mount.type === "volume" && mount.source) volumes.add(mount.source);
          continue;
        }
        const src = mount.source === "/" ? "/" : mount.source.replace(/\/+$/, "");
        const ro = mount.readOnly ? ":ro" : "";
        const data = app.dataRoot.exec(src);
        const shared = data ? null : app.sharedRoot?.exec(src);
        if (data || shared) {
          const rest = src.slice((data ?? shared)![0].length).replace(/^\/+/, "");
          if (FILE_LIKE.test(rest)) {
            reasons.push(
              `service ${svcName}: mounts the single file ${src}, which the store creates on its host (a volume cannot stand in for a file)`,
            );
            continue;
          }
          const seed = data && rest ? app.shipped?.(rest) : undefined;
          if (seed) {
            reasons.push(
              `service ${svcName}: its volume ${src} starts with files the store ships (${seed}), which a fresh volume would not have`,
            );
            continue;
          }
          const volume = volumeName(rest, data ? "data" : "shared");
          if (shared) notes.add(`the store's shared folder ${src} becomes the app's own volume ${volume}`);
          volumes.add(volume);
          kept.push(`${volume}:${mount.target}${ro}`);
        } else if (DOCKER_SOCKETS.has(src)) {
          kept.push(`/var/run/docker.sock:${mount.target}${ro}`);
          notes.add(`service ${svcName}: the Docker socket is the app container's own Docker daemon`);
        } else if (CLOCK_FILES.has(src)) {
          notes.add(`service ${svcName}: ${src} is not mounted (the container keeps the host's clock)`);
        } else if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(src)) {
          volumes.add(src); // a named volume of the store's compose file
          kept.push(`${src}:${mount.target}${ro}`);
        } else {
          reasons.push(
            `service ${svcName}: bind-mounts the host path ${src}, which has no place in an app's container`,
          );
        }
      }
      svc.volumes = kept;
      if (kept.length === 0) delete svc.volumes;
    }
    const env = environmentMap(original.environment);
    if (typeof env === "string") reasons.push(`service ${svcName}: ${env}`);
    else if (Object.keys(env).length > 0) svc.environment = env;
    else delete svc.environment;
    services[svcName] = svc;
  }

  // 2. Variables.
  const fields = new Map<string, StoreField>();
  for (const f of app.fields) fields.set(f.name, f);
  const used = new Map<string, StoreField>();
  const renamed = (n: string) => (DEPLOY_SET.has(n) ? `STORE_${n}` : n);
  /** A setting used as `${X:-fallback}` takes the literal fallback as its default when it has none. */
  const withFallback = (f: StoreField, use: VarUse): StoreField =>
    f.default === undefined &&
    f.generate === undefined &&
    (use.op === ":-" || use.op === "-") &&
    use.rest &&
    !/[$\r\n\0]/.test(use.rest)
      ? { ...f, default: use.rest }
      : f;
  const rewrite = (use: VarUse): string => {
    const field = fields.get(use.name);
    if (field) {
      const n = renamed(field.name);
      used.set(n, withFallback({ ...(used.get(n) ?? field), name: n }, use));
      return reference(n, use.op, use.rest);
    }
    const mapping = app.vars(use.name);
    if (mapping) {
      switch (mapping.kind) {
        case "deploy":
          return reference(mapping.name);
        case "literal":
          return literal(mapping.value);
        case "refuse":
          reasons.push(mapping.reason);
          return "";
        case "field": {
          const n = renamed(mapping.field.name);
          used.set(n, withFallback({ ...(used.get(n) ?? mapping.field), name: n }, use));
          return reference(n, use.op, use.rest);
        }
      }
    }
    if ((use.op === ":-" || use.op === "-") && use.rest !== "") {
      const n = renamed(use.name);
      if (!used.has(n)) {
        const fallback = use.rest.includes("$") ? undefined : use.rest;
        used.set(n, {
          name: n,
          description: `${use.name} (the store's default${fallback ? `: ${fallback}` : ""})`,
          ...(fallback !== undefined && !/[\r\n\0]/.test(fallback) ? { default: fallback } : {}),
        });
      }
      return reference(n, use.op === "-" ? ":-" : use.op, use.rest);
    }
    if (use.name === "TZ") {
      used.set("TZ", { name: "TZ", description: "Time zone (tz database name)", default: "Etc/UTC" });
      return reference("TZ", use.op, use.rest);
    }
    reasons.push(`uses \${${use.name}}, which only ${app.format} provides`);
    return "";
  };
  for (const svc of Object.values(services)) {
    for (const [key, value] of Object.entries(svc)) {
      if (key === "volumes" || key === "ports") continue;
      svc[key] = mapStrings(value, (s) => rewriteVars(s, rewrite));
    }
    if (Array.isArray(svc.volumes))
      svc.volumes = svc.volumes.map((v) => mapStrings(v, (s) => rewriteVars(s, rewrite)));
  }

  // An optional setting without a default must never reach the container empty: a line that is nothing but
  // that setting is left out (unset, as the app expects), any other use makes the setting required.
  const optional = (f: StoreField) => !f.required && f.default === undefined && f.generate === undefined;
  for (const [svcName, svc] of Object.entries(services)) {
    if (!isRecord(svc.environment)) continue;
    for (const [k, v] of Object.entries(svc.environment)) {
      const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(String(v));
      const f = m ? used.get(m[1]!) : undefined;
      if (f && optional(f)) {
        delete svc.environment[k];
        notes.add(`service ${svcName}: ${k} is set only when given (optional, no default)`);
      }
    }
  }
  const stillUsed = new Map<string, boolean>(); // name → used without a fallback
  const scan = (v: unknown) =>
    mapStrings(v, (s) =>
      rewriteVars(s, (u) => {
        const plain = !((u.op === ":-" || u.op === "-") && u.rest !== "");
        stillUsed.set(u.name, (stillUsed.get(u.name) ?? false) || plain);
        return "";
      }),
    );
  scan(services);
  const env: StoreField[] = [];
  for (const [n, f] of used) {
    if (!stillUsed.has(n)) continue;
    if (optional(f) && stillUsed.get(n)) {
      env.push({ ...f, required: true });
      notes.add(`${n} is required here (optional in the store, but an empty value never reaches the app)`);
    } else env.push(f);
  }

  // 3. Ports: the main port first (primary), then every other published port, each as itself.
  const ports: { name: string; container: number; protocol: "tcp" | "udp"; primary: boolean }[] = [];
  const seen = new Set<string>();
  const addPort = (p: PortSpec, primary: boolean) => {
    const key = `${p.port}/${p.protocol}`;
    if (seen.has(key)) return false;
    seen.add(key);
    ports.push({
      name: primary ? "http" : `${p.protocol}-${p.port}`,
      container: p.port,
      protocol: p.protocol,
      primary,
    });
    return true;
  };
  addPort({ port: app.mainPort, protocol: "tcp" }, true);
  const hostNet = (svc: Record<string, unknown>) => svc.network_mode === "host";
  for (const [svcName, svc] of Object.entries(services)) {
    const published = publishedPorts(app.services[svcName] ?? {}, notes, svcName);
    const mine: string[] = [];
    if (svcName === app.main && !hostNet(svc)) mine.push(`${app.mainPort}:${app.mainPort}`);
    for (const p of published) {
      if (p.port === app.mainPort && p.protocol === "tcp") continue;
      if (!addPort(p, false)) {
        notes.add(`service ${svcName}: port ${p.port}/${p.protocol} is published once only`);
        continue;
      }
      mine.push(`${p.port}:${p.port}${p.protocol === "udp" ? "/udp" : ""}`);
    }
    if (hostNet(svc) || mine.length === 0) delete svc.ports;
    else svc.ports = mine;
    if (svc.restart === undefined) svc.restart = "unless-stopped";
    if (Array.isArray(svc.depends_on))
      svc.depends_on = svc.depends_on.filter((d) => typeof d === "string" && d in services);
    else if (isRecord(svc.depends_on))
      svc.depends_on = Object.fromEntries(Object.entries(svc.depends_on).filter(([d]) => d in services));
  }

  if (reasons.length > 0) return refused(reasons);

  const compose: Record<string, unknown> = { services };
  if (volumes.size > 0) compose.volumes = Object.fromEntries([...volumes].sort().map((v) => [v, null]));
  const composeText = stringifyYaml(compose, { lineWidth: 0, nullStr: "" });

  // 4. The entry itself, validated like a built-in.
  const images = Object.values(services).map((s) => (typeof s.image === "string" ? s.image : ""));
  const mainImage =
    typeof services[app.main]?.image === "string" ? (services[app.main]!.image as string) : "";
  const mainTag =
    mainImage
      .split("@")[0]!
      .slice(mainImage.split("@")[0]!.lastIndexOf("/") + 1)
      .split(":")[1] ?? "";
  const wanted = app.version.replace(/^v/, "");
  const tagged = images.some((i) =>
    (i.split("@")[0]!.split("/").pop() ?? "").split(":")[1]?.includes(wanted),
  );
  const version = (tagged && wanted ? app.version : mainTag || app.version).slice(0, 60);
  const sidecars = images.filter((i) => DATABASE_IMAGE.test(i)).length;
  const serviceCount = Object.keys(services).length;
  const memory = Math.max(
    app.memoryMb ?? 0,
    512 + 256 * Math.max(0, serviceCount - 1 - sidecars) + 512 * sidecars,
  );
  const website =
    [app.website].find((w) => w && /^https?:\/\/[^\s]+$/.test(w) && URL.canParse(w)) ?? HOME[app.format];
  const description = plainText(app.description || app.tagline || name) || name;
  const raw = {
    id: slug,
    name,
    version,
    description,
    category: categoryOf(app.categories),
    tags: [...new Set(app.categories.map((c) => slugOf(c)))].slice(0, 20),
    icon: `${slug}.${app.icon?.ext === "png" ? "png" : "svg"}`,
    website,
    os_template: "debian-13",
    min: { cores: serviceCount > 2 ? 2 : 1, memory_mb: Math.min(memory, 262144), disk_gb: 4 + 2 * sidecars },
    ports,
    env: env.map((f) => ({
      name: f.name,
      description: (f.description || f.name).slice(0, 500),
      ...(f.default !== undefined ? { default: f.default } : {}),
      required: f.required ?? false,
      secret: f.secret ?? false,
      ...(f.generate ? { generate: f.generate } : {}),
      type: f.type ?? "text",
      ...(f.pattern
        ? {
            pattern: f.pattern,
            pattern_message: (f.pattern_message ?? `must match ${f.pattern}`).slice(0, 300),
          }
        : {}),
    })),
    compose: composeText,
    healthcheck: {
      port: app.mainPort,
      // The store does not say what its app answers: any answer below 500 is healthy (a login redirect too).
      first_boot: { path: app.path?.startsWith("/") ? app.path.slice(0, 500) : "/", expect: 0 },
      later: { path: app.path?.startsWith("/") ? app.path.slice(0, 500) : "/", expect: 0 },
    },
    pin: { verified: today(), source: website },
    update_policy: "any",
    upgrade: `Imported from the ${app.format} store "${source}"; its maintainers choose the versions. Read the app's release notes and take a backup before updating.`,
    runtimes: Array.isArray(ociService(composeText)) ? ["docker"] : ["docker", "oci"],
  };
  const parsed = catalogEntrySchema.safeParse(raw);
  if (!parsed.success) return refused(parsed.error.issues.map(formatIssue));
  return {
    id,
    name,
    status: "imported",
    reasons: [...notes],
    entry: { ...parsed.data, id },
    icon: app.icon,
  };
}
