/**
 * Whose app it is, for administrators (who see every user's apps): the one place the web looks owners up.
 * Other users see only their own apps, so they get no owner at all. The viewer's own name is known, so a
 * homelab where the administrator owns every app costs no query.
 */
import type { AuthUser } from "../../core/identity.ts";
import type { Application } from "../../db/schema.ts";
import type { WebServices } from "../context.ts";

export async function ownersOf(
  services: Pick<WebServices, "users">,
  viewer: AuthUser,
  apps: Pick<Application, "ownerId">[],
): Promise<Map<string, string> | undefined> {
  if (viewer.role !== "admin") return undefined;
  const others = [...new Set(apps.map((a) => a.ownerId).filter((id) => id !== viewer.id))];
  const names = others.length ? await services.users.usernames(others) : new Map<string, string>();
  names.set(viewer.id, viewer.username);
  return names;
}

/** One app's owner's name (administrators only). */
export async function ownerOf(
  services: Pick<WebServices, "users">,
  viewer: AuthUser,
  app: Pick<Application, "ownerId">,
): Promise<string | undefined> {
  return (await ownersOf(services, viewer, [app]))?.get(app.ownerId);
}
