/**
 * What a container most likely runs, from what the Proxmox VE community helper scripts leave on it (read,
 * never written): the `community-script` tag, the description with `<h2 …>{APP} LXC</h2>` and a link to
 * `community-scripts.org/scripts/<slug>`, and the hostname (the script's default is the app's name in lower
 * case without spaces). The facts come from the generated table (table.ts, see
 * scripts/gen-helper-scripts.ts); the method is in docs/adopt.md.
 */
import { brandIdLike, iconPath } from "../../catalog/index.ts";
import { HELPER_SCRIPT_ROWS, type HelperScript, scriptOf } from "./table.ts";

export interface Suggestion {
  name: string;
  slug: string | null;
  /** community-scripts: the container carries the scripts' marks; unknown: made some other way. */
  source: "community-scripts" | "unknown";
  port: number | null;
  scheme: "http" | "https";
  website: string | null;
  icon: string;
  category: string | null;
}

/** The script's default hostname for an app: its name in lower case, spaces removed (build.func NSAPP). */
const nsapp = (name: string) => name.toLowerCase().replace(/\s+/g, "");

const BY_SLUG = new Map<string, HelperScript>();
const BY_NSAPP = new Map<string, HelperScript>();
for (const s of HELPER_SCRIPT_ROWS.map(scriptOf)) {
  BY_SLUG.set(s.slug, s);
  if (!BY_NSAPP.has(nsapp(s.name))) BY_NSAPP.set(nsapp(s.name), s);
}

export function helperScript(slug: string): HelperScript | undefined {
  return BY_SLUG.get(slug);
}

export const HELPER_SCRIPT_COUNT = BY_SLUG.size;

/** A name or hostname as the table knows it: the slug itself, or the app's name as the scripts' hostname. */
function lookup(key: string | undefined): HelperScript | undefined {
  if (!key) return undefined;
  const k = key.trim().toLowerCase();
  return BY_SLUG.get(k) ?? BY_NSAPP.get(nsapp(k)) ?? BY_SLUG.get(k.replace(/\s+/g, "-"));
}

/** The tags PVE stores: `;`-separated (space and comma accepted too, as pct does). */
export function tagList(tags: string | undefined): string[] {
  return (tags ?? "")
    .split(/[;, ]+/)
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

/** Whether the container carries the helper scripts' tag. */
export function hasHelperTag(tags: string | undefined): boolean {
  return tagList(tags).includes("community-script");
}

/** The slug and app name a helper script's description names (the current and the older tteck layout). */
export function parseDescription(description: string | undefined): { slug?: string; app?: string } {
  if (!description) return {};
  const slug = /community-scripts\.org\/scripts\/([a-z0-9][a-z0-9._-]*)/i.exec(description)?.[1];
  const app = /<h2[^>]*>\s*([^<]{1,100}?)\s+LXC\s*<\/h2>/i.exec(description)?.[1];
  return {
    ...(slug ? { slug: slug.toLowerCase() } : {}),
    ...(app ? { app: app.replace(/&amp;/g, "&").trim() } : {}),
  };
}

/**
 * The suggestion for one container. The description's slug wins, then the name in its heading, then the
 * hostname; a container without the scripts' tag or description can still match the table by hostname
 * (named and with its port) but is `source: "unknown"`.
 */
export function suggest(ct: { hostname?: string; tags?: string; description?: string }): Suggestion {
  const desc = parseDescription(ct.description);
  const marked = hasHelperTag(ct.tags) || desc.slug !== undefined || desc.app !== undefined;
  const script = (desc.slug ? BY_SLUG.get(desc.slug) : undefined) ?? lookup(desc.app) ?? lookup(ct.hostname);
  const name = script?.name ?? desc.app ?? ct.hostname ?? "Container";
  const slug = script?.slug ?? desc.slug ?? null;
  return {
    name,
    slug,
    source: marked ? "community-scripts" : "unknown",
    port: script?.port ?? null,
    scheme: script?.https ? "https" : "http",
    website: script?.website ?? null,
    icon: iconPath(iconId(slug ?? ct.hostname ?? name)),
    category:
      script?.category ?? (marked ? (tagList(ct.tags).find((t) => t !== "community-script") ?? null) : null),
  };
}

/**
 * The icon id for a slug or hostname: the catalog's brand mark when one matches it (with or without
 * hyphens), else the key itself (a letter tile). The assets route takes lower-case letters, digits, hyphens.
 */
export function iconId(key: string): string {
  const id =
    key
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "ct";
  return brandIdLike(id) ?? id;
}

/** The icon of an app: its catalog entry's, else (an adopted container) its helper script's or hostname's. */
export function appIconId(app: {
  catalogId: string | null;
  scriptSlug: string | null;
  hostname: string;
}): string {
  return app.catalogId ?? iconId(app.scriptSlug ?? app.hostname);
}
