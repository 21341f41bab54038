/**
 * The typed instance settings: defaults used by deployments, the registration policy, and per-user quotas
 * (docs/security.md). A quota of null means no limit.
 */
import { z } from "@hono/zod-openapi";

const storageId = z
  .string()
  .regex(/^[a-z][a-z0-9\-_.]*$/i, "must be a Proxmox storage id such as local-lvm")
  .max(64);

/** What one household member gets by default: a handful of apps on a small cluster, three operations at once. */
export const DEFAULT_QUOTAS = {
  apps_per_user: 10,
  jobs_in_flight_per_user: 3,
  memory_mb_per_user: 16_384,
  disk_gb_per_user: 256,
  admins_exempt: true,
};

const DEFAULT_UPDATES = { snapshots_keep: 1 };
const DEFAULT_HEALTH = { interval_seconds: 60, failures: 3, storage_low_percent: 90 };

const quota = (max: number) => z.number().int().min(0).max(max).nullable();

export const SettingsSchema = z
  .object({
    resources: z
      .object({
        cores: z.number().int().min(1).max(128).default(2),
        memory_mb: z.number().int().min(128).max(1048576).default(2048),
        disk_gb: z.number().int().min(1).max(65536).default(8),
        swap_mb: z.number().int().min(0).max(1048576).default(512),
      })
      .strict()
      .default({ cores: 2, memory_mb: 2048, disk_gb: 8, swap_mb: 512 }),
    network: z
      .object({
        bridge: z
          .string()
          .regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/, "must be a Linux bridge name such as vmbr0")
          .default("vmbr0"),
        vlan: z.number().int().min(1).max(4094).nullable().default(null),
        dns_servers: z
          // Formats spelled out: the generator would describe both members as `format: ip`.
          .array(z.union([z.ipv4().openapi({ format: "ipv4" }), z.ipv6().openapi({ format: "ipv6" })]))
          .max(3)
          .default([]),
        search_domain: z
          .string()
          .regex(
            /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i,
            "must be a domain name",
          )
          .nullable()
          .default(null),
      })
      .strict()
      .default({ bridge: "vmbr0", vlan: null, dns_servers: [], search_domain: null }),
    storage: z
      .object({
        rootfs: storageId.default("local-lvm"),
        templates: storageId.default("local"),
        backups: storageId.default("local"),
      })
      .strict()
      .default({ rootfs: "local-lvm", templates: "local", backups: "local" }),
    registration: z.enum(["open", "closed"]).default("closed"),
    quotas: z
      .object({
        apps_per_user: quota(100_000).default(DEFAULT_QUOTAS.apps_per_user),
        jobs_in_flight_per_user: quota(10_000).default(DEFAULT_QUOTAS.jobs_in_flight_per_user),
        memory_mb_per_user: quota(1 << 30).default(DEFAULT_QUOTAS.memory_mb_per_user),
        disk_gb_per_user: quota(1 << 30).default(DEFAULT_QUOTAS.disk_gb_per_user),
        admins_exempt: z.boolean().default(DEFAULT_QUOTAS.admins_exempt),
      })
      .strict()
      .default(DEFAULT_QUOTAS)
      .openapi({
        description:
          "Per-user limits on deployments (null: no limit). Over a limit, deploys answer 422 (apps, memory, disk) or 429 (jobs in flight).",
      }),
    catalog: z
      .object({
        community_installs: z.enum(["admins", "everyone"]).default("admins").openapi({
          description:
            "Who may install community entries (imported from a third-party store, not checked by Proximity)",
        }),
        source_refresh_hours: z.number().int().min(0).max(8760).default(24).openapi({
          description: "How often every third-party store is imported again, in hours (0: only on demand)",
        }),
      })
      .strict()
      .default({ community_installs: "admins", source_refresh_hours: 24 }),
    updates: z
      .object({
        /** Snapshots Proximity took before updates that stay after a successful one (per app). */
        snapshots_keep: z.number().int().min(0).max(10).default(1),
      })
      .strict()
      .default(DEFAULT_UPDATES)
      .openapi({
        description:
          "How many snapshots Proximity took before updates stay after a successful one (per app).",
      }),
    health: z
      .object({
        /** Seconds between two checks of one app (jittered by ±20 %). */
        interval_seconds: z.number().int().min(10).max(86_400).default(60),
        /** Failed checks in a row before the app is marked degraded and `app.down` is sent. */
        failures: z.number().int().min(1).max(100).default(3),
        /** A storage fuller than this raises `host.storage_low`. */
        storage_low_percent: z.number().int().min(1).max(100).default(90),
      })
      .strict()
      .default(DEFAULT_HEALTH)
      .openapi({ description: "How running apps and hosts are watched (health.ts in features/apps)." }),
  })
  .strict()
  .openapi("Settings");

export type Settings = z.infer<typeof SettingsSchema>;

/** PUT accepts any subset of sections; each given section is validated and replaces the stored one. */
export const SettingsUpdateSchema = z
  .object({
    resources: SettingsSchema.shape.resources.unwrap().partial().optional(),
    network: SettingsSchema.shape.network.unwrap().partial().optional(),
    storage: SettingsSchema.shape.storage.unwrap().partial().optional(),
    registration: z.enum(["open", "closed"]).optional(),
    quotas: SettingsSchema.shape.quotas.unwrap().partial().optional(),
    catalog: SettingsSchema.shape.catalog.unwrap().partial().optional(),
    updates: SettingsSchema.shape.updates.unwrap().partial().optional(),
    health: SettingsSchema.shape.health.unwrap().partial().optional(),
  })
  .strict()
  .openapi("SettingsUpdate");

export type SettingsUpdate = z.infer<typeof SettingsUpdateSchema>;

export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});

/**
 * A storage from the settings, and whether the admin chose it: the built-in defaults (`local-lvm`,
 * `local`) are only preferences, since storage names depend on how each node was installed.
 */
export function storageSetting(
  settings: Settings,
  role: keyof Settings["storage"],
): { name: string; chosen: boolean } {
  const name = settings.storage[role];
  return { name, chosen: name !== DEFAULT_SETTINGS.storage[role] };
}
