/**
 * The Drizzle schema. One PostgreSQL dialect for PGlite and PostgreSQL alike; migrations in drizzle/ are
 * generated from this file with `bun run db:generate` and committed.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** Byte counts exceed 2^31; JavaScript numbers hold them exactly up to 2^53. */
const bigintNumber = (name: string) => bigint(name, { mode: "number" });
/** Every point in time is a `timestamptz`. */
const timestamptz = (name: string) => timestamp(name, { withTimezone: true });
const createdAt = () => timestamptz("created_at").notNull().defaultNow();
const updatedAt = () => timestamptz("updated_at").notNull().defaultNow();

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Always stored lower-case; the unique index makes names case-insensitively unique. */
    username: text("username").notNull(),
    email: text("email"),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ["admin", "user"] })
      .notNull()
      .default("user"),
    disabled: boolean("disabled").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastLoginAt: timestamptz("last_login_at"),
  },
  (t) => [uniqueIndex("users_username_lower_idx").on(sql`lower(${t.username})`)],
);

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** All tokens descending from one login share a family; re-use of a rotated token revokes the family. */
    familyId: uuid("family_id").notNull(),
    /** SHA-256 of the opaque token; the token itself is never stored. */
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at").notNull(),
    /** Set when the token was used (rotated) or revoked. */
    revokedAt: timestamptz("revoked_at"),
    revokedReason: text("revoked_reason"),
    replacedBy: uuid("replaced_by"),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_idx").on(t.tokenHash),
    index("refresh_tokens_family_idx").on(t.familyId),
    index("refresh_tokens_user_idx").on(t.userId),
  ],
);

export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: updatedAt(),
  updatedBy: uuid("updated_by"),
});

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamptz("at").notNull().defaultNow(),
    /** Null for anonymous events (failed login of an unknown user, registration). */
    actorId: uuid("actor_id"),
    actorUsername: text("actor_username"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: text("ip"),
    outcome: text("outcome", { enum: ["success", "failure"] })
      .notNull()
      .default("success"),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (t) => [
    index("audit_log_at_idx").on(t.at),
    index("audit_log_action_idx").on(t.action),
    index("audit_log_actor_idx").on(t.actorId),
  ],
);

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind").notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("queued"),
    appId: uuid("app_id"),
    userId: uuid("user_id"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    progress: jsonb("progress").$type<{ step: string; step_index: number; total_steps: number }>(),
    /** Per-step checkpoint data so a reclaimed job resumes where it stopped. */
    checkpoint: jsonb("checkpoint").$type<Record<string, unknown>>().notNull().default({}),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(5),
    runAfter: timestamptz("run_after").notNull().defaultNow(),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: timestamptz("lease_expires_at"),
    /** Deduplicates enqueues (e.g. one scheduled backup per app and slot). */
    dedupeKey: text("dedupe_key"),
    createdAt: createdAt(),
    startedAt: timestamptz("started_at"),
    finishedAt: timestamptz("finished_at"),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("jobs_claim_idx").on(t.status, t.runAfter),
    index("jobs_app_idx").on(t.appId),
    /** GET /jobs pages newest first. */
    index("jobs_created_idx").on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    uniqueIndex("jobs_dedupe_idx").on(t.dedupeKey),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type RefreshToken = typeof refreshTokens.$inferSelect;
export type AuditEntry = typeof auditLog.$inferSelect;
export type Job = typeof jobs.$inferSelect;

/**
 * Proxmox clusters Proximity manages. Secrets (token secret, password, SSH password/key) are AES-256-GCM
 * ciphertexts ("v<key version>:iv:data", see crypto/secrets.ts) and never leave the hosts service.
 */
export const proxmoxHosts = pgTable(
  "proxmox_hosts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    apiUrl: text("api_url").notNull(),
    authKind: text("auth_kind", { enum: ["token", "ticket"] }).notNull(),
    tokenId: text("token_id"),
    tokenSecretEnc: text("token_secret_enc"),
    username: text("username"),
    passwordEnc: text("password_enc"),
    verifyTls: boolean("verify_tls").notNull().default(true),
    fingerprint: text("fingerprint"),
    sshHost: text("ssh_host"),
    sshPort: integer("ssh_port").notNull().default(22),
    sshUsername: text("ssh_username").notNull().default("root"),
    sshPasswordEnc: text("ssh_password_enc"),
    sshPrivateKeyEnc: text("ssh_private_key_enc"),
    isDefault: boolean("is_default").notNull().default(false),
    /** The built-in simulated cluster of demo mode (re-registered with fresh credentials at each start). */
    isSimulator: boolean("is_simulator").notNull().default(false),
    status: text("status", { enum: ["unknown", "online", "error"] })
      .notNull()
      .default("unknown"),
    lastError: text("last_error"),
    pveVersion: text("pve_version"),
    lastSyncedAt: timestamptz("last_synced_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("proxmox_hosts_name_idx").on(sql`lower(${t.name})`)],
);

/** Nodes of each host with their last synced live stats (placement reads these). */
export const proxmoxNodes = pgTable(
  "proxmox_nodes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    hostId: uuid("host_id")
      .notNull()
      .references(() => proxmoxHosts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    status: text("status").notNull(),
    ip: text("ip"),
    cpu: jsonb("cpu").$type<number>(),
    maxCpu: integer("max_cpu"),
    mem: bigintNumber("mem"),
    maxMem: bigintNumber("max_mem"),
    uptime: integer("uptime"),
    /** Per storage: { [storage]: { type, content, total, used, avail, active } }. */
    storage: jsonb("storage").$type<Record<string, NodeStorageStats>>().notNull().default({}),
    syncedAt: timestamptz("synced_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("proxmox_nodes_host_name_idx").on(t.hostId, t.name)],
);

export interface NodeStorageStats {
  type: string;
  content: string;
  total: number;
  used: number;
  avail: number;
  active: boolean;
}

/** SSH host keys pinned on first use, per host and node address. */
export const sshHostKeys = pgTable(
  "ssh_host_keys",
  {
    hostId: uuid("host_id")
      .notNull()
      .references(() => proxmoxHosts.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    fingerprint: text("fingerprint").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("ssh_host_keys_host_address_idx").on(t.hostId, t.address)],
);

export type ProxmoxHost = typeof proxmoxHosts.$inferSelect;
export type ProxmoxNode = typeof proxmoxNodes.$inferSelect;

/** How an app runs: Docker Compose inside an LXC container, or the image itself as a PVE OCI container. */
/**
 * How an app runs: `docker` (Docker Compose in an LXC), `oci` (a PVE 9.1+ application container), or `lxc`
 * (an adopted container Proximity did not build: whatever runs inside is left as it is).
 */
export const APP_RUNTIMES = ["docker", "oci", "lxc"] as const;
/** The runtimes a catalog deploy can choose (lxc is only ever adopted). */
export const DEPLOY_RUNTIMES = ["docker", "oci"] as const;
export type DeployRuntime = (typeof DEPLOY_RUNTIMES)[number];
/** Who may pass the managed proxy to an exposed app (features/access). */
export const APP_GATES = ["none", "proximity"] as const;
/** System apps Proximity deploys for itself. */
export const SYSTEM_ROLES = ["proxy"] as const;
export type AppRuntime = (typeof APP_RUNTIMES)[number];

export const APP_STATUSES = [
  "deploying",
  "running",
  "stopped",
  "starting",
  "stopping",
  "restarting",
  "updating",
  "reconfiguring",
  "cloning",
  "backing_up",
  "restoring",
  "deleting",
  "error",
  "missing",
  "unknown",
] as const;
export type AppStatus = (typeof APP_STATUSES)[number];

export interface AppResources {
  cores: number;
  memory_mb: number;
  disk_gb: number;
}

export const UPDATE_MODES = ["off", "notify", "auto"] as const;
export type UpdateMode = (typeof UPDATE_MODES)[number];
export const APP_HEALTHS = ["unknown", "healthy", "degraded"] as const;
export type AppHealth = (typeof APP_HEALTHS)[number];

/** Deployed applications: one LXC container each. */
export const applications = pgTable(
  "applications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    hostId: uuid("host_id")
      .notNull()
      .references(() => proxmoxHosts.id, { onDelete: "restrict" }),
    node: text("node"),
    /** Recorded before the container is created, so compensation always knows what to remove. */
    vmid: integer("vmid"),
    catalogId: text("catalog_id"),
    catalogVersion: text("catalog_version"),
    name: text("name").notNull(),
    hostname: text("hostname").notNull(),
    status: text("status", { enum: APP_STATUSES }).notNull(),
    statusReason: text("status_reason"),
    /** The stable state a transitional state returns to (running/stopped). */
    previousStatus: text("previous_status", { enum: APP_STATUSES }),
    stateChangedAt: timestamptz("state_changed_at").notNull().defaultNow(),
    ip: text("ip"),
    url: text("url"),
    resources: jsonb("resources").$type<AppResources>().notNull(),
    /** Non-secret environment values. */
    environment: jsonb("environment").$type<Record<string, string>>().notNull().default({}),
    /** Secret environment values: JSON object, AES-GCM encrypted. */
    secretEnvEnc: text("secret_env_enc"),
    rootPasswordEnc: text("root_password_enc"),
    adopted: boolean("adopted").notNull().default(false),
    /** How the app runs: `docker` (Docker Compose in an LXC) or `oci` (a PVE 9.1+ application container). */
    runtime: text("runtime", { enum: APP_RUNTIMES }).notNull().default("docker"),
    /** oci: the image reference the container was created from (what an update replaces). */
    ociImage: text("oci_image"),
    /**
     * oci: the template archive Proximity pulled for this app (null when it was on the storage already). It
     * is removed with the app, or when an update replaces it, unless another app runs the same image.
     */
    ociTemplate: text("oci_template"),
    /** lxc: the TCP port the app serves (its Open link and health check); null when it serves none. */
    port: integer("port"),
    /** lxc: `https` when the app serves TLS on `port` (the helper script's address says so). */
    portScheme: text("port_scheme", { enum: ["http", "https"] }),
    /** lxc: the community helper script that made the container (`ct/<slug>.sh`), when it was one. */
    scriptSlug: text("script_slug"),
    /** off: never offered by itself; notify: `update.available` once per version; auto: updated in the window. */
    updateMode: text("update_mode", { enum: UPDATE_MODES }).notNull().default("notify"),
    /** The maintenance window of automatic updates: a cron expression (UTC) whose slots start one. */
    updateWindow: text("update_window"),
    /** The newest version `update.available` was sent for (once per version, not once per look). */
    updateNotifiedVersion: text("update_notified_version"),
    /** Window slots up to this instant were considered for an automatic update. */
    updateSlotAt: timestamptz("update_slot_at"),
    /** Health watching: `degraded` after N failed checks in a row; never blocks an operation. */
    health: text("health", { enum: APP_HEALTHS }).notNull().default("unknown"),
    healthFailures: integer("health_failures").notNull().default(0),
    healthReason: text("health_reason"),
    healthCheckedAt: timestamptz("health_checked_at"),
    /**
     * The app's HTTPS name through the managed proxy (features/access), `https://<hostname>.<domain>`, or
     * null when it is not exposed. Set and cleared with the exposure; rewritten when the domain changes.
     */
    httpsUrl: text("https_url"),
    /** Who may pass the proxy: anyone (`none`) or a signed-in Proximity user who may see the app. */
    gate: text("gate", { enum: APP_GATES }).notNull().default("none"),
    /** A system app Proximity manages itself (`proxy`: the reverse proxy of features/access), else null. */
    systemRole: text("system_role", { enum: SYSTEM_ROLES }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("applications_hostname_idx").on(sql`lower(${t.hostname})`),
    uniqueIndex("applications_host_vmid_idx").on(t.hostId, t.vmid),
    /** The app list pages in this order (an admin's list, and a user's own apps): no sort of the whole table. */
    index("applications_created_idx").on(t.createdAt.desc().nullsFirst(), t.hostname),
    index("applications_owner_created_idx").on(t.ownerId, t.createdAt.desc().nullsFirst(), t.hostname),
    index("applications_status_idx").on(t.status),
  ],
);

/** The deployment and operation log of each app (what the user reads in GET /apps/{id}/logs). */
export const deploymentLogs = pgTable(
  "deployment_logs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    jobId: uuid("job_id"),
    at: timestamptz("at").notNull().defaultNow(),
    level: text("level", { enum: ["info", "warn", "error"] })
      .notNull()
      .default("info"),
    step: text("step"),
    message: text("message").notNull(),
  },
  (t) => [index("deployment_logs_app_idx").on(t.appId, t.id)],
);

export type Application = typeof applications.$inferSelect;
export type DeploymentLog = typeof deploymentLogs.$inferSelect;

export const BACKUP_STATUSES = ["creating", "completed", "failed"] as const;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];
export const BACKUP_MODES = ["snapshot", "suspend", "stop"] as const;
export type BackupMode = (typeof BACKUP_MODES)[number];
export const BACKUP_COMPRESSIONS = ["zstd", "gzip", "lzo"] as const;
export type BackupCompress = (typeof BACKUP_COMPRESSIONS)[number];

/**
 * vzdump archives of apps. `app_id` becomes null when the app is deleted with keep_backups=true: the row
 * keeps the app's hostname, owner and where the volume lives, for reference and for deleting it later.
 */
export const backups = pgTable(
  "backups",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    appId: uuid("app_id").references(() => applications.id, { onDelete: "set null" }),
    appHostname: text("app_hostname").notNull(),
    ownerId: uuid("owner_id").references(() => users.id, { onDelete: "set null" }),
    hostId: uuid("host_id").references(() => proxmoxHosts.id, { onDelete: "set null" }),
    node: text("node").notNull(),
    vmid: integer("vmid").notNull(),
    storage: text("storage").notNull(),
    status: text("status", { enum: BACKUP_STATUSES }).notNull().default("creating"),
    mode: text("mode", { enum: BACKUP_MODES }).notNull(),
    compress: text("compress", { enum: BACKUP_COMPRESSIONS }).notNull(),
    trigger: text("trigger", { enum: ["manual", "scheduled"] })
      .notNull()
      .default("manual"),
    /** The exact volume the vzdump task created (found by its notes, vmid and time), once completed. */
    volid: text("volid"),
    /** What the app ran when backed up: a restore brings that version back, and the app row says so. */
    catalogVersion: text("catalog_version"),
    /** oci: the image the container was created from. */
    ociImage: text("oci_image"),
    size: bigintNumber("size"),
    /** The archive's time as PVE reports it (ctime). */
    backupTime: timestamptz("backup_time"),
    upid: text("upid"),
    jobId: uuid("job_id"),
    error: text("error"),
    createdBy: uuid("created_by"),
    createdAt: createdAt(),
    completedAt: timestamptz("completed_at"),
  },
  (t) => [
    index("backups_app_idx").on(t.appId, t.createdAt),
    index("backups_owner_idx").on(t.ownerId),
    uniqueIndex("backups_host_volid_idx").on(t.hostId, t.volid),
  ],
);

/** One backup schedule per app: a cron expression in a time zone, retention, and vzdump options. */
export const backupSchedules = pgTable("backup_schedules", {
  appId: uuid("app_id")
    .primaryKey()
    .references(() => applications.id, { onDelete: "cascade" }),
  cron: text("cron").notNull(),
  timezone: text("timezone").notNull().default("UTC"),
  keepLast: integer("keep_last").notNull().default(0),
  keepDaily: integer("keep_daily").notNull().default(0),
  keepWeekly: integer("keep_weekly").notNull().default(0),
  keepMonthly: integer("keep_monthly").notNull().default(0),
  mode: text("mode", { enum: BACKUP_MODES }).notNull().default("snapshot"),
  compress: text("compress", { enum: BACKUP_COMPRESSIONS }).notNull().default("zstd"),
  /** Null: the backup storage from settings at the time of each backup. */
  storage: text("storage"),
  enabled: boolean("enabled").notNull().default(true),
  /** Slots up to this instant are handled (or were before the schedule existed). */
  lastSlotAt: timestamptz("last_slot_at").notNull().defaultNow(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export type Backup = typeof backups.$inferSelect;
export type BackupSchedule = typeof backupSchedules.$inferSelect;

export const CATALOG_SOURCE_FORMATS = ["runtipi", "casaos", "umbrel"] as const;
export const CATALOG_SOURCE_STATUSES = ["importing", "ready", "failed"] as const;

/** A third-party app store the catalog imports (docs/catalog.md "Third-party stores"). */
export const catalogSources = pgTable(
  "catalog_sources",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The namespace of its entries' ids (`<name>/<app>`) and the entries' `source`. */
    name: text("name").notNull(),
    /** An http(s) URL (archive or forge repository) or an absolute directory path. */
    url: text("url").notNull(),
    /** What the admin asked for: a format, or auto (detected at each import). */
    requestedFormat: text("requested_format", { enum: ["auto", ...CATALOG_SOURCE_FORMATS] })
      .notNull()
      .default("auto"),
    /** The format of the last import (detected or given); null before the first. */
    format: text("format", { enum: CATALOG_SOURCE_FORMATS }),
    status: text("status", { enum: CATALOG_SOURCE_STATUSES }).notNull().default("importing"),
    /** Why the last import failed (the entries of the one before stay). */
    error: text("error"),
    imported: integer("imported").notNull().default(0),
    refused: integer("refused").notNull().default(0),
    fetchedAt: timestamptz("fetched_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("catalog_sources_name_idx").on(t.name)],
);

/** One app of a source's last import: the translated entry, or the reasons it was refused. */
export const catalogSourceEntries = pgTable(
  "catalog_source_entries",
  {
    sourceId: uuid("source_id")
      .notNull()
      .references(() => catalogSources.id, { onDelete: "cascade" }),
    /** `<source name>/<app>`, at most 80 characters. */
    catalogId: text("catalog_id").notNull(),
    name: text("name").notNull(),
    status: text("status", { enum: ["imported", "refused"] }).notNull(),
    /** Refusal reasons, or for an imported entry what was changed on the way. */
    reasons: jsonb("reasons").$type<string[]>().notNull().default([]),
    /** The validated catalog entry (null when refused). */
    entry: jsonb("entry"),
    /** The store's logo, base64 (at most 256 KiB before encoding), PNG unless `icon_type` says jpg. */
    iconPng: text("icon_png"),
    iconType: text("icon_type", { enum: ["png", "jpg"] }),
  },
  (t) => [uniqueIndex("catalog_source_entries_pk_idx").on(t.sourceId, t.catalogId)],
);

export type CatalogSourceRow = typeof catalogSources.$inferSelect;
export const UPDATE_RESULTS = ["running", "succeeded", "rolled_back", "failed"] as const;
export type UpdateResult = (typeof UPDATE_RESULTS)[number];

/** The update history of each app: one row per update job (manual or automatic). */
export const appUpdates = pgTable(
  "app_updates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    appId: uuid("app_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    jobId: uuid("job_id").notNull(),
    trigger: text("trigger", { enum: ["manual", "auto"] }).notNull(),
    fromVersion: text("from_version"),
    toVersion: text("to_version"),
    result: text("result", { enum: UPDATE_RESULTS }).notNull().default("running"),
    /** The step that failed, and why (failed or rolled back). */
    step: text("step"),
    reason: text("reason"),
    /** The PVE snapshot taken before the update (null when none was taken). */
    snapshot: text("snapshot"),
    startedAt: timestamptz("started_at").notNull().defaultNow(),
    finishedAt: timestamptz("finished_at"),
  },
  (t) => [
    index("app_updates_app_idx").on(t.appId, t.startedAt),
    uniqueIndex("app_updates_job_idx").on(t.jobId),
  ],
);
export type AppUpdate = typeof appUpdates.$inferSelect;

export const NOTIFICATION_KINDS = ["webhook", "ntfy", "gotify", "email"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Where events go: made by administrators; the secret (HMAC key, token, password) is encrypted. */
export const notificationChannels = pgTable(
  "notification_channels",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    kind: text("kind", { enum: NOTIFICATION_KINDS }).notNull(),
    /** The kind's non-secret settings (URL, topic, SMTP host, addresses, …). */
    config: jsonb("config").$type<Record<string, unknown>>().notNull(),
    secretEnc: text("secret_enc"),
    /** The events sent to this channel for every app (administrators' view). */
    events: jsonb("events").$type<string[]>().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    lastSuccessAt: timestamptz("last_success_at"),
    lastError: text("last_error"),
    lastErrorAt: timestamptz("last_error_at"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("notification_channels_name_idx").on(sql`lower(${t.name})`)],
);
export type NotificationChannel = typeof notificationChannels.$inferSelect;

/** A user's subscription to a channel for events of their own apps. */
export const notificationSubscriptions = pgTable(
  "notification_subscriptions",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => notificationChannels.id, { onDelete: "cascade" }),
    events: jsonb("events").$type<string[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("notification_subscriptions_idx").on(t.userId, t.channelId)],
);

/**
 * Open conditions (an app down, a host unreachable, a storage low): one row per outage, so a flood of
 * failed checks sends one event when it opens and one when it closes.
 */
export const alerts = pgTable(
  "alerts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** e.g. `app.down:<app id>`, `host.unreachable:<host id>`, `host.storage_low:<host>/<node>/<storage>`. */
    key: text("key").notNull(),
    event: text("event").notNull(),
    appId: uuid("app_id").references(() => applications.id, { onDelete: "cascade" }),
    hostId: uuid("host_id").references(() => proxmoxHosts.id, { onDelete: "cascade" }),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    openedAt: timestamptz("opened_at").notNull().defaultNow(),
    closedAt: timestamptz("closed_at"),
  },
  (t) => [uniqueIndex("alerts_open_key_idx").on(t.key).where(sql`${t.closedAt} is null`)],
);

/** Named leases: one instance of a multi-instance deployment does a periodic chore (health watching). */
export const leases = pgTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: timestamptz("expires_at").notNull(),
});
