/**
 * An app's URL once it has an address: the catalog entry's (entryUrl; none for an app without a web interface),
 * or an adopted container's port.
 */
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";
import { entryUrl } from "../catalog/index.ts";

export function appUrl(entry: CatalogEntry | undefined, ip: string | null): string | null {
  if (!entry || !ip || entry.ports.length === 0) return null;
  return entryUrl(entry, ip);
}

/** An lxc app's URL: its address and the port it serves (none without both). */
export function lxcUrl(
  scheme: "http" | "https" | null,
  ip: string | null,
  port: number | null,
): string | null {
  if (!ip || port === null) return null;
  const s = scheme ?? "http";
  const defaultPort = s === "https" ? 443 : 80;
  return `${s}://${ip}${port === defaultPort ? "" : `:${port}`}/`;
}
