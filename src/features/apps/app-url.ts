/** An app's URL once it has an address (catalog's entryUrl); none for an adopted app without an entry. */
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";
import { entryUrl } from "../catalog/index.ts";

export function appUrl(entry: CatalogEntry | undefined, ip: string | null): string | null {
  if (!entry || !ip || entry.ports.length === 0) return null;
  return entryUrl(entry, ip);
}
