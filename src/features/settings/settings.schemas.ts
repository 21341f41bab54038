/** The typed instance settings: defaults used by deployments, plus the registration policy. */
import { z } from "@hono/zod-openapi";

const storageId = z
  .string()
  .regex(/^[a-z][a-z0-9\-_.]*$/i, "must be a Proxmox storage id such as local-lvm")
  .max(64);

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
  })
  .strict()
  .openapi("SettingsUpdate");

export type SettingsUpdate = z.infer<typeof SettingsUpdateSchema>;

export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});
