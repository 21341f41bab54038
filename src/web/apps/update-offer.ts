/** Whether the catalog offers an app another version, and whether it may be taken in place. */
import { updateInfo } from "../../features/apps/index.ts";
import type { WebServices } from "../context.ts";
import type { UpdateOffer } from "./day-two.tsx";

export function updateOffer(
  services: Pick<WebServices, "catalog">,
  app: Parameters<typeof updateInfo>[0],
): UpdateOffer {
  const info = updateInfo(app, services.catalog);
  if (!info.available || !info.latest) return {};
  return {
    to: info.latest,
    from: info.current ?? undefined,
    notes: info.notes ?? undefined,
    ...(info.unsafe_reason ? { refusal: info.unsafe_reason } : {}),
  };
}
