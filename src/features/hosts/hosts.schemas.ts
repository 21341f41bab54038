/** Request/response schemas for /hosts and /nodes. Secrets are write-only: they appear in no response. */
import { z } from "@hono/zod-openapi";
import type { ProxmoxHost, ProxmoxNode } from "../../db/schema.ts";

const fingerprint = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/, "must be a SHA-256 fingerprint AA:BB:… (32 pairs)");
const secret = z.string().min(1).max(16384);
const hostName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/,
    "1–63 letters, digits, space, . _ -; starting with a letter or digit",
  );

const tokenId = z
  .string()
  .regex(/^[^\s@!]+@[^\s@!]+![A-Za-z][A-Za-z0-9._-]*$/, "must look like USER@REALM!TOKENID");
const pveUser = z.string().regex(/^[^\s@!]+@[^\s@!]+$/, "must look like USER@REALM, e.g. root@pam");
const unixUser = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Unix user name");
const sshPort = z.number().int().min(1).max(65535);

export const ApiUrlSchema = z
  .string()
  .max(2048)
  .refine(
    (v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol),
    "must be an http(s) URL such as https://pve:8006",
  )
  .openapi({ example: "https://pve.lan:8006" });

const SshInput = z
  .object({
    host: z.string().min(1).max(255).optional().openapi({ description: "defaults to the API URL's host" }),
    port: sshPort.default(22),
    username: unixUser.default("root"),
    password: secret.optional(),
    private_key: secret.optional().openapi({ description: "OpenSSH or PEM private key" }),
  })
  .strict();

export const CreateHostBody = z
  .object({
    name: hostName,
    api_url: ApiUrlSchema,
    token_id: tokenId.optional(),
    token_secret: secret.optional(),
    username: pveUser.optional(),
    password: secret.optional(),
    verify_tls: z.boolean().default(true),
    fingerprint: fingerprint.optional(),
    ssh: SshInput.default({ port: 22, username: "root" }),
    is_default: z.boolean().default(false),
  })
  .strict()
  .superRefine((b, ctx) => {
    const token = b.token_id !== undefined || b.token_secret !== undefined;
    const ticket = b.username !== undefined || b.password !== undefined;
    if (token && ticket) {
      ctx.addIssue({
        code: "custom",
        path: ["token_id"],
        message: "give either an API token or username+password",
      });
    } else if (token) {
      if (!b.token_id)
        ctx.addIssue({ code: "custom", path: ["token_id"], message: "is required with token_secret" });
      if (!b.token_secret)
        ctx.addIssue({ code: "custom", path: ["token_secret"], message: "is required with token_id" });
    } else if (ticket) {
      if (!b.username)
        ctx.addIssue({ code: "custom", path: ["username"], message: "is required with password" });
      if (!b.password)
        ctx.addIssue({ code: "custom", path: ["password"], message: "is required with username" });
    } else {
      ctx.addIssue({
        code: "custom",
        path: ["token_id"],
        message: "an API token (recommended) or username+password is required",
      });
    }
  })
  .openapi("CreateHostRequest");

export type CreateHostInput = z.infer<typeof CreateHostBody>;

export const UpdateHostBody = z
  .object({
    name: hostName.optional(),
    api_url: ApiUrlSchema.optional(),
    token_id: tokenId.optional(),
    token_secret: secret.optional(),
    username: pveUser.optional(),
    password: secret.optional(),
    verify_tls: z.boolean().optional(),
    fingerprint: fingerprint.nullable().optional(),
    ssh: z
      .object({
        host: z.string().min(1).max(255).nullable().optional(),
        port: sshPort.optional(),
        username: unixUser.optional(),
        password: secret.nullable().optional(),
        private_key: secret.nullable().optional(),
      })
      .strict()
      .optional(),
    is_default: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "give at least one field to change")
  .openapi("UpdateHostRequest");

export type UpdateHostInput = z.infer<typeof UpdateHostBody>;

export const HostSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    api_url: z.string(),
    auth: z.enum(["token", "ticket"]),
    token_id: z.string().nullable(),
    username: z.string().nullable(),
    has_token_secret: z.boolean(),
    has_password: z.boolean(),
    verify_tls: z.boolean(),
    fingerprint: z.string().nullable(),
    ssh: z.object({
      host: z.string().nullable(),
      port: z.number().int(),
      username: z.string(),
      has_password: z.boolean(),
      has_private_key: z.boolean(),
    }),
    is_default: z.boolean(),
    is_simulator: z.boolean(),
    status: z.enum(["unknown", "online", "error"]),
    last_error: z.string().nullable(),
    pve_version: z.string().nullable(),
    last_synced_at: z.string().datetime().nullable(),
    created_at: z.string().datetime(),
  })
  .openapi("Host");

export type PublicHost = z.infer<typeof HostSchema>;

export const HostTestSchema = z
  .object({
    ok: z.boolean(),
    version: z.string().optional(),
    node_count: z.number().int().optional(),
    reason: z.string().optional().openapi({ description: "Why the connection failed, in plain words" }),
    kind: z.string().optional().openapi({ example: "unreachable" }),
    duration_ms: z.number(),
  })
  .openapi("HostTestResult");

export type HostTestResult = z.infer<typeof HostTestSchema>;

export const NodeSchema = z
  .object({
    host_id: z.string().uuid(),
    host_name: z.string(),
    name: z.string(),
    status: z.string(),
    cpu_usage: z.number().nullable().openapi({ description: "fraction 0..1" }),
    cores: z.number().int().nullable(),
    memory_total: z.number().nullable(),
    memory_free: z.number().nullable(),
    storage: z.array(
      z.object({
        storage: z.string(),
        type: z.string(),
        content: z.string(),
        total: z.number(),
        avail: z.number(),
      }),
    ),
    uptime: z.number().int().nullable(),
    synced_at: z.string().datetime(),
  })
  .openapi("Node");

export type PublicNode = z.infer<typeof NodeSchema>;

export function toPublicHost(h: ProxmoxHost): PublicHost {
  return {
    id: h.id,
    name: h.name,
    api_url: h.apiUrl,
    auth: h.authKind,
    token_id: h.tokenId,
    username: h.username,
    has_token_secret: h.tokenSecretEnc !== null,
    has_password: h.passwordEnc !== null,
    verify_tls: h.verifyTls,
    fingerprint: h.fingerprint,
    ssh: {
      host: h.sshHost,
      port: h.sshPort,
      username: h.sshUsername,
      has_password: h.sshPasswordEnc !== null,
      has_private_key: h.sshPrivateKeyEnc !== null,
    },
    is_default: h.isDefault,
    is_simulator: h.isSimulator,
    status: h.status,
    last_error: h.lastError,
    pve_version: h.pveVersion,
    last_synced_at: h.lastSyncedAt ? h.lastSyncedAt.toISOString() : null,
    created_at: h.createdAt.toISOString(),
  };
}

export function toPublicNode(n: ProxmoxNode, hostName: string): PublicNode {
  return {
    host_id: n.hostId,
    host_name: hostName,
    name: n.name,
    status: n.status,
    cpu_usage: n.cpu ?? null,
    cores: n.maxCpu,
    memory_total: n.maxMem,
    memory_free: n.maxMem !== null && n.mem !== null ? Math.max(0, n.maxMem - n.mem) : null,
    storage: Object.entries(n.storage).map(([storage, s]) => ({
      storage,
      type: s.type,
      content: s.content,
      total: s.total,
      avail: s.avail,
    })),
    uptime: n.uptime,
    synced_at: n.syncedAt.toISOString(),
  };
}
