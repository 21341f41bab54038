/** Request/response schemas of /apps. */
import { z } from "@hono/zod-openapi";
import {
  APP_GATES,
  APP_HEALTHS,
  APP_RUNTIMES,
  APP_STATUSES,
  type Application,
  DEPLOY_RUNTIMES,
  SYSTEM_ROLES,
  UPDATE_MODES,
} from "../../db/schema.ts";
import { idParams } from "../../http/openapi.ts";
import { UPDATE_POLICIES } from "../catalog/catalog.schemas.ts";
import { JobSchema } from "../jobs/jobs.schemas.ts";
import { type CatalogLookup, updateInfo } from "./update-info.ts";

export const HostnameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    "must be a DNS label: lower-case letters, digits and inner hyphens, at most 63 characters",
  )
  .openapi({ example: "gitea" });

export const ResourcesSchema = z
  .object({
    cores: z.number().int().min(1).max(128),
    memory_mb: z.number().int().min(128).max(1048576),
    disk_gb: z.number().int().min(1).max(65536),
  })
  .openapi("Resources");

const NodeName = z
  .string()
  .regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/, "must be a Proxmox node name");

/** Values are validated against the catalog entry (known keys, single-line) by the service. */
const EnvironmentInput = z
  .record(z.string().max(128), z.string().max(4096))
  .openapi({ example: { ROOT_URL: "" } });

export const DeployBody = z
  .object({
    catalog_id: z.string().min(1).max(80),
    hostname: HostnameSchema,
    environment: EnvironmentInput.optional(),
    resources: ResourcesSchema.partial().strict().optional(),
    host_id: z.string().uuid().optional(),
    node: NodeName.optional(),
    runtime: z.enum(DEPLOY_RUNTIMES).optional().openapi({
      description:
        "docker (Docker Compose in an LXC) or oci (the image as a PVE 9.1+ application container); must be one of the entry's runtimes. Default: docker, or oci when the entry offers only oci",
    }),
  })
  .strict()
  .openapi("DeployRequest");

export type DeployInput = z.infer<typeof DeployBody>;

export const PatchAppBody = z
  .object({
    resources: ResourcesSchema.partial().strict().optional(),
    environment: EnvironmentInput.optional(),
  })
  .strict()
  .refine((b) => b.resources !== undefined || b.environment !== undefined, "give resources or environment")
  .openapi("ReconfigureRequest");

export const ActionBody = z
  .object({ action: z.enum(["start", "stop", "restart"]) })
  .strict()
  .openapi("ActionRequest");

export const CloneBody = z.object({ hostname: HostnameSchema }).strict().openapi("CloneRequest");

export const AdoptBody = z
  .object({
    host_id: z.string().uuid(),
    node: NodeName,
    vmid: z.number().int().min(100).max(999999999),
    owner_id: z.string().uuid().optional().openapi({ description: "defaults to the adopting admin" }),
    catalog_id: z.string().min(1).max(80).optional().openapi({
      description:
        "a catalog entry the container runs as Proximity deploys it (docker); without one the app is an lxc app",
    }),
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "default: the suggestion's name" }),
    port: z.number().int().min(1).max(65535).nullable().optional().openapi({
      description:
        "the TCP port the app serves (Open link, health check); default: the suggestion's; null for none",
    }),
  })
  .strict()
  .openapi("AdoptRequest");

export const SuggestionSchema = z
  .object({
    name: z.string(),
    slug: z.string().nullable().openapi({ description: "the community helper script (ct/<slug>.sh)" }),
    source: z.enum(["community-scripts", "unknown"]),
    port: z.number().int().nullable(),
    scheme: z.enum(["http", "https"]),
    website: z.string().nullable(),
    icon: z.string(),
    category: z.string().nullable(),
  })
  .openapi("Suggestion");

export const DiscoveredSchema = z
  .object({
    node: z.string(),
    vmid: z.number().int(),
    name: z.string().nullable(),
    status: z.string(),
    tags: z.array(z.string()),
    lock: z.string().nullable(),
    adoptable: z.boolean(),
    reason: z.string().nullable().openapi({ description: "why it cannot be adopted now" }),
    suggestion: SuggestionSchema,
  })
  .openapi("DiscoveredContainer");
export const UpdatePolicySchema = z
  .object({
    mode: z.enum(UPDATE_MODES).openapi({
      description:
        "off: no update notices; notify: update.available once per version; auto: updated in the window when the entry's update_policy allows it",
    }),
    window: z.string().nullable().openapi({
      description: "A cron expression (UTC, five fields): each slot opens a one-hour maintenance window",
      example: "0 3 * * *",
    }),
  })
  .openapi("UpdatePolicy");

const UpdateInfoSchema = z
  .object({
    available: z.boolean(),
    current: z.string().nullable(),
    latest: z.string().nullable(),
    policy: UpdatePolicySchema.extend({ catalog: z.enum(UPDATE_POLICIES).nullable() }),
    notes: z
      .string()
      .nullable()
      .openapi({ description: "The entry's upgrade notes, when there is an update" }),
    unsafe_reason: z.string().optional(),
    untracked: z.string().optional().openapi({
      description:
        "Why no update is ever offered: a community entry whose store names an image without a version (latest, an architecture or a branch such as master-amd64, or no tag)",
    }),
  })
  .openapi("UpdateInfo");

export const UpdatePolicyBody = z
  .object({
    mode: z.enum(UPDATE_MODES),
    window: z.string().min(1).max(100).nullable().optional().openapi({
      description: "A 5-field cron expression (UTC); each slot opens a one-hour window. Required for auto",
      example: "0 3 * * *",
    }),
  })
  .strict()
  .openapi("UpdatePolicyRequest");

export const AppSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    hostname: z.string(),
    catalog_id: z.string().nullable(),
    catalog_version: z.string().nullable(),
    status: z.enum(APP_STATUSES),
    status_reason: z.string().nullable(),
    state_changed_at: z.string().datetime(),
    owner_id: z.string().uuid(),
    host_id: z.string().uuid(),
    node: z.string().nullable(),
    vmid: z.number().int().nullable(),
    ip: z.string().nullable(),
    url: z.string().nullable(),
    resources: ResourcesSchema,
    environment: z
      .record(z.string(), z.string())
      .openapi({ description: "Non-secret values; secrets via /credentials" }),
    adopted: z.boolean(),
    runtime: z.enum(APP_RUNTIMES),
    https_url: z.string().nullable().openapi({
      description:
        "https://<hostname>.<domain> while the app is exposed through the managed proxy, else null",
    }),
    gate: z.enum(APP_GATES),
    system_role: z
      .enum(SYSTEM_ROLES)
      .nullable()
      .openapi({ description: "proxy: the reverse proxy Proximity manages (Settings → Access)" }),
    port: z.number().int().nullable().openapi({ description: "lxc: the port the app serves" }),
    script_slug: z
      .string()
      .nullable()
      .openapi({ description: "lxc: the community helper script that made the container" }),
    update: UpdateInfoSchema,
    health: z.object({
      state: z.enum(APP_HEALTHS).openapi({
        description: "degraded after the health check failed several times in a row; it blocks nothing",
      }),
      reason: z.string().nullable(),
      checked_at: z.string().datetime().nullable(),
    }),
    created_at: z.string().datetime(),
  })
  .openapi("App");

export const AppJobResponse = z.object({ app: AppSchema, job: JobSchema }).openapi("AppJob");

/** The path parameters of a route on one app (`/apps/{app_id}…`). */
export const AppParams = idParams("app_id");

export const AppListQuery = z.object({
  status: z.enum(APP_STATUSES).optional(),
  q: z.string().max(100).optional(),
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(25),
});

/**
 * What the public shape reads of an app: a whole row, or the API list's narrower row whose timestamps are
 * already the ISO text of the answer (`AppsService.listViews`).
 */
export type AppView = Pick<
  Application,
  | "id"
  | "name"
  | "hostname"
  | "catalogId"
  | "catalogVersion"
  | "status"
  | "statusReason"
  | "ownerId"
  | "hostId"
  | "node"
  | "vmid"
  | "ip"
  | "url"
  | "resources"
  | "environment"
  | "adopted"
  | "runtime"
  | "httpsUrl"
  | "gate"
  | "systemRole"
  | "port"
  | "scriptSlug"
  | "updateMode"
  | "updateWindow"
  | "health"
  | "healthReason"
> & { stateChangedAt: Date | string; healthCheckedAt: Date | string | null; createdAt: Date | string };

const isoOf = (t: Date | string): string => (typeof t === "string" ? t : t.toISOString());

/** The public shape of an app (AppSchema): never secrets. */
export function toPublicApp(a: AppView, catalog: CatalogLookup) {
  return {
    id: a.id,
    name: a.name,
    hostname: a.hostname,
    catalog_id: a.catalogId,
    catalog_version: a.catalogVersion,
    status: a.status,
    status_reason: a.statusReason,
    state_changed_at: isoOf(a.stateChangedAt),
    owner_id: a.ownerId,
    host_id: a.hostId,
    node: a.node,
    vmid: a.vmid,
    ip: a.ip,
    url: a.url,
    resources: a.resources,
    environment: a.environment,
    adopted: a.adopted,
    runtime: a.runtime,
    https_url: a.httpsUrl,
    gate: a.gate,
    system_role: a.systemRole,
    port: a.port,
    script_slug: a.scriptSlug,
    update: updateInfo(a, catalog),
    health: {
      state: a.health,
      reason: a.healthReason,
      checked_at: a.healthCheckedAt ? isoOf(a.healthCheckedAt) : null,
    },
    created_at: isoOf(a.createdAt),
  };
}
