/**
 * The pieces of a store's compose file that translate.ts rewrites: volume items, published ports,
 * environment blocks, store-only keys; and the entry's category, id half and plain-text description.
 */
import type { CategoryId } from "../catalog.schemas.ts";
import { isRecord, str } from "./yaml.ts";

/** Keys of a store's compose service that only mean something to the store: dropped without a note. */
export const DROPPED_KEYS = new Set([
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
export const DOCKER_SOCKETS = new Set(["/var/run/docker.sock", "/run/docker.sock"]);
export const CLOCK_FILES = new Set(["/etc/localtime", "/etc/timezone"]);
/**
 * A host's storage folders (disks and libraries: `/media/<disk>/Media`, `/mnt/…`, `/srv/…`). In the app's own
 * container they hold nothing the app could share, so each becomes a volume of the app's own (noted).
 */
export function isStorageFolder(path: string): boolean {
  return /^\/(media|mnt|srv)(\/|$)/.test(path) && !path.split("/").includes("..");
}
/** A mount whose last segment looks like a file name: a named volume cannot stand in for a file. */
export const FILE_LIKE =
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

export function volumeName(relative: string, prefix: string): string {
  const slug = relative
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  if (prefix === "data") return slug || "data";
  return slug ? `${prefix}-${slug}` : prefix;
}

export interface Mount {
  source?: string | undefined;
  target: string;
  readOnly: boolean;
  type?: string | undefined;
}

export function mountOf(item: unknown): Mount | undefined {
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

export interface PortSpec {
  port: number;
  protocol: "tcp" | "udp";
}

/** The container ports a service publishes (ranges and unparsable items are reported, not published). */
export function publishedPorts(svc: Record<string, unknown>, notes: Set<string>, name: string): PortSpec[] {
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

export function environmentMap(value: unknown): Record<string, string> | string {
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
export function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  return value;
}
