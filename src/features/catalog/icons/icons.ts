/**
 * App icons, generated in memory: a catalog id's brand mark (simple-icons, white or black on the brand's
 * colour) or, for any other id, a letter tile in a colour derived from the id. Nothing is fetched from
 * another origin; the URL carries a content hash so browsers may cache it for a year.
 */
import { createHash } from "node:crypto";
import { BRANDS } from "./brands.gen.ts";

export interface Icon {
  /** image/svg+xml or image/png */
  type: string;
  ext: IconExt;
  body: Uint8Array;
  hash: string;
}

const cache = new Map<string, Icon>();

/**
 * Icons an operator shipped beside their catalog files, by catalog id. The catalog service replaces the
 * whole set on every (re)load; pages reach icons by id only, so this is the one place that knows them.
 */
let custom = new Map<string, Icon>();

/** JPEG only from stores' logos (Runtipi ships `metadata/logo.jpg`); never SVG from a store. */
const TYPES = { svg: "image/svg+xml", png: "image/png", jpg: "image/jpeg" } as const;
export type IconExt = keyof typeof TYPES;

/** An icon from a file's bytes (the operator's own). */
export function iconFromFile(ext: IconExt, body: Uint8Array): Icon {
  return { type: TYPES[ext], ext, body, hash: hashOf(body) };
}

/** The operator's icons, replacing the previous set (called by the catalog service on each load). */
export function useCustomIcons(icons: ReadonlyMap<string, Icon>): void {
  custom = new Map(icons);
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Relative luminance of a #rrggbb colour (WCAG), to pick a readable glyph colour. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const v = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
}

function hashOf(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 10);
}

/** A stable hue per id, at a saturation and lightness where white letters stay readable. */
function tileColour(id: string): string {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360} 55% 38%)`;
}

function initials(id: string): string {
  // A store entry (`runtipi/vaultwarden`): the app's part.
  const words = id
    .slice(id.indexOf("/") + 1)
    .split(/[\s\-_.]+/)
    .filter(Boolean);
  const letters = words.length > 1 ? words[0]![0]! + words[1]![0]! : (words[0] ?? "?").slice(0, 2);
  return letters.toUpperCase();
}

function render(id: string): string {
  // A store entry without a logo of its own takes the brand mark of the same app's id, when there is one.
  const brand = BRANDS[id] ?? BRANDS[id.slice(id.indexOf("/") + 1)];
  if (brand) {
    const glyph = luminance(brand.hex) > 0.45 ? "#000" : "#fff";
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" role="img"><title>${escapeXml(brand.title)}</title><rect width="32" height="32" rx="7" fill="#${brand.hex}"/><path transform="translate(6 6) scale(0.8333)" fill="${glyph}" d="${brand.path}"/></svg>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" role="img"><title>${escapeXml(id)}</title><rect width="32" height="32" rx="7" fill="${tileColour(id)}"/><text x="16" y="21.5" text-anchor="middle" font-family="system-ui,sans-serif" font-size="14" font-weight="700" fill="#fff">${escapeXml(initials(id))}</text></svg>`;
}

/**
 * The icon of a catalog id: the operator's file when their entry names one, else the brand mark, else a
 * letter tile made from the id (any id).
 */
export function iconFor(id: string): Icon {
  const own = custom.get(id);
  if (own) return own;
  let icon = cache.get(id);
  if (!icon) {
    const svg = render(id);
    icon = { type: TYPES.svg, ext: "svg", body: new TextEncoder().encode(svg), hash: hashOf(svg) };
    if (cache.size < 10_000) cache.set(id, icon);
  }
  return icon;
}

/**
 * The path the page and the API use for an app's icon: /assets/icons/<id>.<hash>.<svg|png>. A store
 * entry's id (`runtipi/notepad`) is written `runtipi--notepad` (ids never hold `--` themselves).
 */
export function iconPath(id: string): string {
  const icon = iconFor(id);
  return `/assets/icons/${id.replace("/", "--")}.${icon.hash}.${icon.ext}`;
}

/** The catalog id of an icon file name written by iconPath. */
export function iconIdOf(fileId: string): string {
  return fileId.replace("--", "/");
}

export function hasBrandMark(id: string): boolean {
  return id in BRANDS;
}

const BRAND_BY_SQUEEZED = new Map(Object.keys(BRANDS).map((id) => [id.replace(/-/g, ""), id]));

/** The brand mark's id for a name written without hyphens ("uptimekuma" → "uptime-kuma"), if there is one. */
export function brandIdLike(key: string): string | undefined {
  return key in BRANDS ? key : BRAND_BY_SQUEEZED.get(key.replace(/-/g, ""));
}
