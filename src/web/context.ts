/**
 * The Hono environment of the web pages: the services they use (a subset of the container in src/boot),
 * the request's variables, the signed-in viewer and the CSRF token.
 */
import type { Config } from "../core/config.ts";
import type { AuthUser } from "../core/identity.ts";
import type { Keys } from "../crypto/keys.ts";
import type { Database } from "../db/connect.ts";
import type { AccessService } from "../features/access/access.service.ts";
import type { AppsService } from "../features/apps/apps.service.ts";
import type { AppContainersService } from "../features/apps/containers.service.ts";
import type { UpdatesService } from "../features/apps/updates.service.ts";
import type { AuditService } from "../features/audit/audit.service.ts";
import type { AuthService } from "../features/auth/auth.service.ts";
import type { BackupsService } from "../features/backups/backups.service.ts";
import type { CatalogService } from "../features/catalog/catalog.service.ts";
import type { SourcesService } from "../features/catalog/sources/sources.service.ts";
import type { HostsService } from "../features/hosts/hosts.service.ts";
import type { JobsService } from "../features/jobs/jobs.service.ts";
import type { NotificationsService } from "../features/notifications/notifications.service.ts";
import type { SettingsService } from "../features/settings/settings.service.ts";
import type { UsersService } from "../features/users/users.service.ts";
import type { HttpEnv } from "../http/context.ts";
import type { EventBus } from "../queue/events.ts";

export interface WebServices {
  config: Config;
  /** HTTPS names through the managed proxy (Settings → Access, the app page's switch). */
  access: AccessService;
  keys: Keys;
  database: Database;
  auth: AuthService;
  users: UsersService;
  audit: AuditService;
  settings: SettingsService;
  hosts: HostsService;
  catalog: CatalogService;
  sources: SourcesService;
  apps: AppsService;
  appContainers: AppContainersService;
  backups: BackupsService;
  updates: UpdatesService;
  notifications: NotificationsService;
  jobRecords: JobsService;
  events: EventBus;
  /** True when the built-in simulated cluster is in use (first run then skips "add a host"). */
  demoMode: boolean;
}

export interface WebEnv extends HttpEnv<WebServices> {
  Variables: HttpEnv<WebServices>["Variables"] & {
    /** The signed-in user, when the session cookie is valid. */
    viewer: AuthUser | undefined;
    /** The current session's refresh token (from the cookie, or just rotated). */
    sessionToken: string | undefined;
    /** The token every state-changing request must carry (form field `_csrf` or header x-csrf-token). */
    csrfToken: string;
    /** "light" | "dark" from the theme cookie; undefined follows the system setting. */
    theme: "light" | "dark" | undefined;
  };
}
