/**
 * `bun scripts/gen-icons.ts` → src/features/catalog/icons/brands.gen.ts: the brand marks (from the CC0 npm package
 * simple-icons) of every built-in catalog entry, plus of apps an operator is likely to add, keyed by catalog
 * id. Only these few dozen paths end up in the binary (the whole package is 5 MB); any id without one gets a
 * generated letter tile (src/features/catalog/icons/icons.ts). Re-run after adding catalog entries (then
 * `bun run format`); `--check` only compares the shipped file with what would be generated and exits 1 when a
 * mark is missing, stale or left over.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(import.meta.dir, "..");
const ENTRIES = join(ROOT, "src/features/catalog/entries");
const SI = join(ROOT, "node_modules/simple-icons");

/** Catalog ids whose simple-icons slug is not the id with its hyphens removed. */
const ALIASES: Record<string, string> = {
  "adguard-home": "adguard",
  alertmanager: "prometheus",
  couchdb: "apachecouchdb",
  wikijs: "wikidotjs",
  pgadmin: "postgresql",
  "code-server": "coder",
  "calibre-web": "calibreweb",
  synapse: "matrix",
  "firefly-iii": "fireflyiii",
  mosquitto: "eclipsemosquitto",
  "rocket-chat": "rocketdotchat",
  rocketchat: "rocketdotchat",
  hedgedoc: "hedgedoc",
  "joplin-server": "joplin",
  "wg-easy": "wireguard",
};

/** Apps an operator (or a later catalog version) is likely to add: their marks cost a few KB. */
const LIKELY = [
  "immich",
  "jellyseerr",
  "seerr",
  "sonarr",
  "radarr",
  "lidarr",
  "prowlarr",
  "qbittorrent",
  "transmission",
  "plex",
  "emby",
  "photoprism",
  "nocodb",
  "appwrite",
  "supabase",
  "minio",
  "mattermost",
  "rocket-chat",
  "matrix",
  "element",
  "outline",
  "bookstack",
  "hedgedoc",
  "joplin",
  "trilium",
  "memos",
  "miniflux",
  "wallabag",
  "calibre-web",
  "kavita",
  "komga",
  "firefly-iii",
  "homarr",
  "authentik",
  "authelia",
  "traefik",
  "caddy",
  "nginx",
  "wireguard",
  "tailscale",
  "netdata",
  "zabbix",
  "grafana",
  "loki",
  "mosquitto",
  "zigbee2mqtt",
  "frigate",
  "mariadb",
  "mysql",
  "postgresql",
  "redis",
  "mongodb",
  "elasticsearch",
  "rabbitmq",
  "drone",
  "woodpecker",
  "jenkins",
  "sonarqube",
  "gitlab",
  "onlyoffice",
  "excalidraw",
  "vikunja",
  "plausible",
  "umami",
  "matomo",
  "ghost",
  "wordpress",
  "strapi",
  "directus",
  "searxng",
  "seafile",
  "duplicati",
  "restic",
  "kopia",
  "jupyter",
  "harbor",
  "vault",
  "bitwarden",
  "keepassxc",
  "openspeedtest",
  "speedtest",
  "pocketbase",
  "docker",
  "redmine",
  "odoo",
  "nodebb",
  "discourse",
  "mastodon",
  "pixelfed",
  "peertube",
  "lemmy",
  "vaultwarden",
  "dokuwiki",
  "mediawiki",
  "tiddlywiki",
  "obsidian",
  "logseq",
  "affine",
  "actualbudget",
  "homebox",
  "grocy",
  "tandoor",
  "heimdall",
  "dashy",
  "uptimekuma",
  "healthchecks",
  "changedetection",
  "navidrome",
  "airsonic",
  "funkwhale",
  "owncast",
  "jitsi",
  "bigbluebutton",
  "coder",
  "opengist",
  "gitea",
  "forgejo",
  "gogs",
  "semaphore",
  "ansible",
  "rundeck",
  "portainer",
  "dozzle",
  "watchtower",
  "cockpit",
  "webmin",
  "proxmox",
  "unifi",
  "ubiquiti",
  "openwrt",
  "pfsense",
  "opnsense",
  "technitium",
  "unbound",
  "bind9",
  "squid",
  "privatebin",
  "hastebin",
  "linkwarden",
  "shiori",
  "readeck",
  "karakeep",
  "hoarder",
];

interface IconData {
  slug?: string;
  title: string;
  hex: string;
}

function slugOf(title: string): string {
  return title
    .toLowerCase()
    .replace(/\+/g, "plus")
    .replace(/\./g, "dot")
    .replace(/&/g, "and")
    .normalize("NFD")
    .replace(/[^a-z0-9]/g, "");
}

const data = JSON.parse(readFileSync(join(SI, "data/simple-icons.json"), "utf8")) as
  | IconData[]
  | {
      icons: IconData[];
    };
const list = Array.isArray(data) ? data : data.icons;
const bySlug = new Map(list.map((i) => [i.slug ?? slugOf(i.title), i]));

function find(id: string, name?: string): { slug: string; icon: IconData } | undefined {
  const candidates = [ALIASES[id], id, id.replace(/-/g, ""), name ? slugOf(name) : undefined];
  for (const slug of candidates) {
    if (!slug) continue;
    const icon = bySlug.get(slug);
    if (icon) return { slug, icon };
  }
  return undefined;
}

function pathOf(slug: string): string {
  const svg = readFileSync(join(SI, "icons", `${slug}.svg`), "utf8");
  const d = svg.match(/<path d="([^"]+)"/)?.[1];
  if (!d) throw new Error(`no path in ${slug}.svg`);
  return d;
}

const out: Record<string, { title: string; hex: string; path: string }> = {};
const missing: string[] = [];
const ids = new Map<string, string | undefined>();
for (const file of readdirSync(ENTRIES).filter((f) => f.endsWith(".yaml"))) {
  const entry = parse(readFileSync(join(ENTRIES, file), "utf8")) as { id: string; name: string };
  ids.set(entry.id, entry.name);
}
for (const id of LIKELY) if (!ids.has(id)) ids.set(id, undefined);
for (const [id, name] of [...ids].sort(([a], [b]) => a.localeCompare(b))) {
  const hit = find(id, name);
  if (!hit) {
    if (name) missing.push(id);
    continue;
  }
  out[id] = { title: hit.icon.title, hex: hit.icon.hex, path: pathOf(hit.slug) };
}

if (process.argv.includes("--check")) {
  const { BRANDS } = (await import("../src/features/catalog/icons/brands.gen.ts")) as {
    BRANDS: Record<string, { title: string; hex: string; path: string }>;
  };
  const ids = new Set([...Object.keys(out), ...Object.keys(BRANDS)]);
  const differ = [...ids].filter((id) => JSON.stringify(out[id]) !== JSON.stringify(BRANDS[id])).sort();
  if (differ.length > 0) {
    console.log(`brands.gen.ts is out of date for: ${differ.join(", ")} (run bun scripts/gen-icons.ts)`);
    process.exit(1);
  }
  console.log(`brands.gen.ts is up to date (${ids.size} marks)`);
  process.exit(0);
}

const body = `// Generated by scripts/gen-icons.ts from simple-icons (CC0-1.0). Do not edit by hand.
export const BRANDS: Readonly<Record<string, { title: string; hex: string; path: string }>> = ${JSON.stringify(out, null, 1)};
`;
writeFileSync(join(ROOT, "src/features/catalog/icons/brands.gen.ts"), body);
console.log(
  `${Object.keys(out).length} brand marks written; catalog entries with a letter tile: ${missing.join(", ") || "none"}`,
);
