/** Whether the catalog offers an app another version, and whether it may be taken in place. */
import type { Application } from "../../db/schema.ts";
import { updateRefusal } from "../../features/catalog/index.ts";
import type { WebServices } from "../context.ts";
import type { UpdateOffer } from "./manage.tsx";

export function updateOffer(services: Pick<WebServices, "catalog">, app: Application): UpdateOffer {
  const entry = app.catalogId ? services.catalog.get(app.catalogId) : undefined;
  if (!entry || entry.version === app.catalogVersion) return {};
  const refusal = updateRefusal(entry, app.catalogVersion);
  return { to: entry.version, ...(refusal ? { refusal } : {}) };
}
