/** The one place an app's URL is made: its entry's primary port (else its first) on the container's address. */
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";

export function appUrl(entry: CatalogEntry | undefined, ip: string | null): string | null {
  if (!entry || !ip) return null;
  const port = entry.ports.find((p) => p.primary) ?? entry.ports[0];
  return port ? `http://${ip}:${port.container}` : null;
}
