/**
 * Apps as users see them: validation, authorisation (a user only ever sees their own apps; an admin sees
 * all), and turning each request into a guarded state change plus a durable job in one transaction.
 */

import { and, asc, count, desc, eq, ilike, or, type Placeholder, type SQL, sql } from "drizzle-orm";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../../core/errors.ts";
import type { AuthUser, UserActor } from "../../core/identity.ts";
import { decryptSecret, encryptSecret } from "../../crypto/secrets.ts";
import type { Db } from "../../db/connect.ts";
import { preparedDriverRows } from "../../db/driver-rows.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { namesById } from "../../db/lookup.ts";
import { type Page, type PageRequest, selectPage } from "../../db/paging.ts";
import {
  type Application,
  type AppResources,
  applications,
  type DeployRuntime,
  deploymentLogs,
  type Job,
} from "../../db/schema.ts";
import { isoText } from "../../db/timestamps.ts";
import { JOB_SECRETS_KEY, type JobType } from "../../queue/define.ts";
import type { JobQueue } from "../../queue/queue.ts";
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";
import { ociService, resolveEnvironment, updateRefusal } from "../catalog/index.ts";
import { type AppView, type DeployInput, HostnameSchema } from "./apps.schemas.ts";
import { assertPlaceable, nodeRoomProblems } from "./capacity.ts";
import { scriptUpdateRefusal } from "./helper-scripts/update.ts";
import { ociReference } from "./oci-image.ts";
import { assertWithinQuota, type QuotaClaim } from "./quotas.ts";
import { type ReconcileReport, reconcile } from "./reconciler.ts";
import { type AppDeps, randomPassword, splitEnvironment } from "./runtime.ts";
import {
  ACTION_JOBS,
  CloneAppJob,
  DeleteAppJob,
  DeployAppJob,
  DeployOciAppJob,
  ReconfigureAppJob,
  UpdateAppJob,
  UpdateOciAppJob,
  UpdateScriptAppJob,
} from "./sagas/job-types.ts";
import { beginOperation, type Operation, refusal as stateRefusal } from "./status.ts";

/**
 * The runtime of a new app: the one asked for, if the entry offers it. Without one, the entry's only
 * runtime; for an entry that offers both, `oci` when the host can run it (`ociReady`: its last preflight
 * found `oci_containers` ok, i.e. PVE ≥ 9.1, a template storage and the privileges to pull), else `docker`.
 * No preflight since start counts as not ready: `docker` works everywhere.
 */
export function chooseRuntime(
  entry: CatalogEntry,
  asked: DeployRuntime | undefined,
  ociReady: boolean,
): DeployRuntime {
  if (asked && !entry.runtimes.includes(asked)) {
    throw new ValidationError("This app cannot use that runtime", [
      { field: "runtime", message: `${entry.name} runs with ${entry.runtimes.join(" or ")}, not ${asked}` },
    ]);
  }
  if (asked) return asked;
  if (!entry.runtimes.includes("docker")) return "oci";
  return ociReady && entry.runtimes.includes("oci") ? "oci" : "docker";
}

/**
 * Hostnames are one namespace for the whole instance (docs/security.md: they name containers on one LAN).
 * A taken name gets the same answer whoever holds it: not whose it is, nor that it is "another app".
 */
function hostnameTaken(hostname: string): ConflictError {
  return new ConflictError(`The hostname "${hostname}" is not available; choose another`, [
    { field: "hostname", message: `"${hostname}" is not available; choose another` },
  ]);
}

/** What the app list can be narrowed to (besides the viewer's own apps). */
export interface AppListFilter {
  status?: Application["status"];
  /** A substring of the name, hostname or catalog id (case-insensitive). */
  q?: string;
}

/** The list's order, as the applications_created_idx / applications_owner_created_idx indexes are: no sort. */
const APP_LIST_ORDER = [desc(applications.createdAt), asc(applications.hostname)];

/** An ILIKE pattern matching `q` anywhere, its own wildcards taken literally. */
function likePattern(q: string | undefined): string | undefined {
  return q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
}

/** The list's filters, on values or on a prepared statement's placeholders. */
function appListFilters(f: {
  owner: string | Placeholder | undefined;
  status: Application["status"] | Placeholder | undefined;
  like: string | Placeholder | undefined;
}): SQL[] {
  const where: SQL[] = [];
  if (f.owner) where.push(eq(applications.ownerId, f.owner));
  if (f.status) where.push(eq(applications.status, f.status));
  if (f.like) {
    where.push(
      or(
        ilike(applications.name, f.like),
        ilike(applications.hostname, f.like),
        ilike(applications.catalogId, f.like),
      )!,
    );
  }
  return where;
}

/** The columns `toPublicApp` reads, timestamps as ISO text (`AppView`), each row the driver's own object. */
const APP_VIEW_COLUMNS = {
  id: applications.id,
  name: applications.name,
  hostname: applications.hostname,
  catalogId: applications.catalogId,
  catalogVersion: applications.catalogVersion,
  status: applications.status,
  statusReason: applications.statusReason,
  stateChangedAt: isoText(applications.stateChangedAt),
  ownerId: applications.ownerId,
  hostId: applications.hostId,
  node: applications.node,
  vmid: applications.vmid,
  ip: applications.ip,
  url: applications.url,
  resources: applications.resources,
  environment: applications.environment,
  adopted: applications.adopted,
  runtime: applications.runtime,
  httpsUrl: applications.httpsUrl,
  gate: applications.gate,
  systemRole: applications.systemRole,
  port: applications.port,
  scriptSlug: applications.scriptSlug,
  updateMode: applications.updateMode,
  updateWindow: applications.updateWindow,
  health: applications.health,
  healthReason: applications.healthReason,
  healthCheckedAt: isoText(applications.healthCheckedAt),
  createdAt: isoText(applications.createdAt),
};

/** The page and count statements of one filter shape (`listViews`). */
function prepareAppList(db: Db, shape: string, placeholders: Parameters<typeof appListFilters>[0]) {
  const where = and(...appListFilters(placeholders));
  const name = `proximity_app_list_${shape || "all"}`;
  return {
    page: preparedDriverRows(
      APP_VIEW_COLUMNS,
      (columns) =>
        db
          .select(columns)
          .from(applications)
          .where(where)
          .orderBy(...APP_LIST_ORDER)
          .limit(sql.placeholder("limit"))
          .offset(sql.placeholder("offset")),
      name,
    ),
    count: db.select({ n: count() }).from(applications).where(where).prepare(`${name}_count`),
  };
}

export class AppsService {
  /** `listViews`' statements by filter shape (at most eight). */
  private readonly listStatements = new Map<string, ReturnType<typeof prepareAppList>>();

  constructor(
    private readonly deps: AppDeps,
    private readonly jobs: JobQueue,
  ) {}

  private get db(): Db {
    return this.deps.db;
  }

  /** Admins see every app; everyone else only their own (others' apps are 404, never 403). */
  private scope(user: AuthUser): { ownerId?: string } {
    return user.role === "admin" ? {} : { ownerId: user.id };
  }

  async get(user: AuthUser, id: string): Promise<Application> {
    const s = this.scope(user);
    const [row] = await this.db
      .select()
      .from(applications)
      .where(and(eq(applications.id, id), s.ownerId ? eq(applications.ownerId, s.ownerId) : undefined));
    if (!row) throw new NotFoundError("App");
    return row;
  }

  /** Whole rows, for the web pages (they read columns the API does not answer). */
  async list(user: AuthUser, q: AppListFilter & PageRequest): Promise<Page<Application>> {
    const s = this.scope(user);
    const where = appListFilters({ owner: s.ownerId, status: q.status, like: likePattern(q.q) });
    return selectPage(this.db, applications, where, APP_LIST_ORDER, q);
  }

  /**
   * The API's app list: the columns of the public shape only, timestamps as the ISO text the answer
   * carries (no `Date` per row), through one prepared statement pair per filter shape (no query building
   * per request; PostgreSQL parses and plans each shape once per connection). The same apps, in the same
   * order, as `list`.
   */
  async listViews(user: AuthUser, q: AppListFilter & PageRequest): Promise<Page<AppView>> {
    const s = this.scope(user);
    const like = likePattern(q.q);
    const shape = `${s.ownerId ? "o" : ""}${q.status ? "s" : ""}${like ? "q" : ""}`;
    let prepared = this.listStatements.get(shape);
    if (!prepared) {
      prepared = prepareAppList(this.db, shape, {
        owner: s.ownerId ? sql.placeholder("owner") : undefined,
        status: q.status ? sql.placeholder("status") : undefined,
        like: like ? sql.placeholder("like") : undefined,
      });
      this.listStatements.set(shape, prepared);
    }
    const values = { owner: s.ownerId, status: q.status, like };
    const [items, [total]] = await Promise.all([
      prepared.page({ ...values, limit: q.perPage, offset: (q.page - 1) * q.perPage }),
      prepared.count.execute(values),
    ]);
    return { items, total: total?.n ?? 0 };
  }

  /** Hostnames by app id (the audit log names its targets); ids of deleted apps are absent. */
  hostnames(ids: string[]): Promise<Map<string, string>> {
    return namesById(this.db, applications.id, applications.hostname, ids);
  }

  async ownedAppIds(userId: string): Promise<string[]> {
    const rows = await this.db
      .select({ id: applications.id })
      .from(applications)
      .where(eq(applications.ownerId, userId));
    return rows.map((r) => r.id);
  }

  /**
   * Compares every host's containers with the database (periodic, and on demand for admins). A reconcile
   * someone asked for is audited (`app.reconcile`); the periodic one is not.
   */
  async reconcile(actor?: UserActor): Promise<ReconcileReport> {
    const report = await reconcile(this.deps);
    if (actor) {
      await this.deps.audit.record({
        actor,
        action: "app.reconcile",
        details: { checked: report.checked, changes: report.changes.length },
      });
    }
    return report;
  }

  entry(catalogId: string): CatalogEntry {
    const entry = this.deps.catalog.get(catalogId);
    if (!entry) {
      throw new ValidationError("Unknown catalog app", [
        { field: "catalog_id", message: `"${catalogId}" is not in the catalog` },
      ]);
    }
    return entry;
  }

  private resources(
    entry: CatalogEntry,
    wanted: Partial<AppResources> | undefined,
    defaults: AppResources,
  ): AppResources {
    const r = {
      cores: wanted?.cores ?? Math.max(defaults.cores, entry.min.cores),
      memory_mb: wanted?.memory_mb ?? Math.max(defaults.memory_mb, entry.min.memory_mb),
      disk_gb: wanted?.disk_gb ?? Math.max(defaults.disk_gb, entry.min.disk_gb),
    };
    const details = (
      [
        ["cores", entry.min.cores, entry.min.cores === 1 ? " core" : " cores"],
        ["memory_mb", entry.min.memory_mb, " MiB"],
        ["disk_gb", entry.min.disk_gb, " GiB"],
      ] as const
    )
      .filter(([k, min]) => r[k] < min)
      .map(([k, min, unit]) => ({
        field: `resources.${k}`,
        message: `${entry.name} needs at least ${min}${unit}`,
      }));
    if (details.length) throw new ValidationError("Resources below the app's minimum", details);
    return r;
  }

  private async enqueue<P extends { app_id: string }, S extends string>(
    db: Db,
    type: JobType<P, S>,
    app: Application,
    user: AuthUser,
    payload: Omit<P, "app_id">,
  ) {
    const job = await this.jobs.enqueue(
      type,
      { appId: app.id, userId: user.id, payload: { ...payload, app_id: app.id } as P },
      db,
    );
    return job!;
  }

  /** The runtime a deploy of `entry` to the host gets (the install form preselects it). */
  runtimeFor(entry: CatalogEntry, hostId: string, asked?: DeployRuntime): DeployRuntime {
    const oci = this.deps.hosts.preflightCheck(hostId, "oci_containers");
    return chooseRuntime(entry, asked, oci?.severity === "ok");
  }

  /**
   * Deploys an app from the catalog. `systemRole` is Proximity's own door (features/access deploys the
   * managed proxy with it): a system entry is refused to everyone else as if it were not in the catalog.
   */
  async deploy(
    req: UserActor,
    input: DeployInput,
    system: { systemRole?: "proxy" } = {},
  ): Promise<{ app: Application; job: Job }> {
    const entry = this.entry(input.catalog_id);
    if (entry.system && !system.systemRole) {
      throw new ValidationError("Unknown catalog app", [
        { field: "catalog_id", message: `"${input.catalog_id}" is not in the catalog` },
      ]);
    }
    const settings = await this.deps.settings.get();
    // A community entry (from a third-party store) was not checked by Proximity: the admin decides who may
    // install one (settings.catalog.community_installs).
    if (
      this.deps.catalog.trust(entry.id) === "community" &&
      settings.catalog.community_installs === "admins" &&
      req.user.role !== "admin"
    ) {
      throw new ForbiddenError(
        `${entry.name} comes from the third-party store ${this.deps.catalog.storeOf(entry.id)}, which only administrators may install from`,
      );
    }
    const resources = this.resources(entry, input.resources, settings.resources);
    const env = resolveEnvironment(entry, input.environment ?? {});
    // A runtime the entry does not offer is a 422 whatever the host.
    chooseRuntime(entry, input.runtime, false);
    const host = input.host_id
      ? await this.deps.hosts.get(input.host_id).catch(() => {
          throw new ValidationError("Unknown host", [{ field: "host_id", message: "no such Proxmox host" }]);
        })
      : await this.deps.hosts.defaultHost();
    if (!host)
      throw new ConflictError("No Proxmox host is configured yet; an administrator must add one first");
    const runtime = this.runtimeFor(entry, host.id, input.runtime);
    // The host's last preflight (POST /hosts/{id}/test) found something that makes deploys fail: say what.
    const blocker = this.deps.hosts.preflightBlocker(host.id);
    if (blocker) throw new ConflictError(blocker);
    // The OCI runtime needs PVE ≥ 9.1 and two more privileges: refuse it up front when the last preflight
    // said the host cannot (without a preflight, PVE's own refusal ends the deploy at its pull step).
    const oci = runtime === "oci" ? this.deps.hosts.preflightCheck(host.id, "oci_containers") : undefined;
    if (oci && oci.severity !== "ok") {
      throw new ConflictError(
        `${host.name} cannot run apps with the oci runtime: ${oci.detail}${oci.fix ? `. Fix: ${oci.fix}` : ""}. Deploy with runtime docker, or run the host test again once fixed.`,
      );
    }
    if (input.node) {
      // Asked for a node: refuse a name the cluster does not have now, rather than fail later in the job.
      const nodes = (await (await this.deps.hosts.client(host)).listNodes()).map((n) => n.node);
      if (!nodes.includes(input.node)) {
        throw new ValidationError("Unknown node", [
          { field: "node", message: `${host.name} has no node "${input.node}" (it has ${nodes.join(", ")})` },
        ]);
      }
    }
    await assertPlaceable(this.deps, host.id, resources, input.node);
    const { environment, secretEnvEnc } = await splitEnvironment(this.deps.keys, entry, env);
    // An OCI application container has no login: it gets no root password (credentials show none).
    const rootPasswordEnc = runtime === "oci" ? null : await encryptSecret(this.deps.keys, randomPassword());
    try {
      return await this.db.transaction(async (db) => {
        await assertWithinQuota(db, settings.quotas, req.user, {
          apps: 1,
          memory_mb: resources.memory_mb,
          disk_gb: resources.disk_gb,
          jobs: 1,
        });
        const [app] = await db
          .insert(applications)
          .values({
            ownerId: req.user.id,
            hostId: host.id,
            catalogId: entry.id,
            catalogVersion: entry.version,
            name: entry.name,
            hostname: input.hostname,
            status: "deploying",
            resources,
            environment,
            secretEnvEnc,
            rootPasswordEnc,
            runtime,
            systemRole: system.systemRole ?? null,
          })
          .returning();
        const job = await this.enqueue(
          db,
          runtime === "oci" ? DeployOciAppJob : DeployAppJob,
          app!,
          req.user,
          input.node ? { node: input.node } : {},
        );
        await this.deps.audit.record(
          {
            actor: req,
            action: "app.deploy",
            target: { type: "app", id: app!.id },
            details: { catalog_id: entry.id, hostname: input.hostname, host_id: host.id, runtime },
          },
          db,
        );
        return { app: app!, job };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw hostnameTaken(input.hostname);
      throw err;
    }
  }

  /** A guarded transition plus its job, atomically: either both happen or neither. */
  private async operate<P extends { app_id: string }, S extends string>(
    req: UserActor,
    id: string,
    operation: Operation,
    type: JobType<P, S>,
    payload: Omit<P, "app_id">,
    auditDetails: Record<string, unknown> = {},
    claim: QuotaClaim = { jobs: 1 },
  ): Promise<{ app: Application; job: Job }> {
    const { quotas } = await this.deps.settings.get();
    return this.db.transaction(async (db) => {
      await assertWithinQuota(db, quotas, req.user, claim);
      const app = await beginOperation(db, id, operation, this.scope(req.user));
      const job = await this.enqueue(db, type, app, req.user, payload);
      await this.deps.audit.record(
        {
          actor: req,
          action: `app.${operation}`,
          target: { type: "app", id },
          details: auditDetails,
        },
        db,
      );
      return { app, job };
    });
  }

  action(req: UserActor, id: string, action: "start" | "stop" | "restart") {
    return this.operate(req, id, action, ACTION_JOBS[action], {});
  }

  /**
   * Retry of a deploy that failed: the app kept its row (hostname, resources, environment) but has no
   * container, so the deploy saga runs again from the start.
   */
  async redeploy(
    req: UserActor,
    id: string,
    edits: { resources?: Partial<AppResources>; node?: string } = {},
  ) {
    const app = await this.get(req.user, id);
    if (app.vmid !== null || !app.catalogId || app.status !== "error") {
      throw new ConflictError(
        "Only a failed deploy that left no container can be retried; delete the app instead",
      );
    }
    // "Edit and retry": other resources (checked against the entry's minimum) or another node.
    const resources = this.resources(
      this.entry(app.catalogId),
      { ...app.resources, ...edits.resources },
      app.resources,
    );
    if (edits.node) {
      const nodes = (await this.deps.hosts.nodesOf(app.hostId)).map((n) => n.name);
      if (!nodes.includes(edits.node))
        throw new ValidationError("Unknown node", [
          { field: "node", message: `the host has no node "${edits.node}" (it has ${nodes.join(", ")})` },
        ]);
    }
    await assertPlaceable(this.deps, app.hostId, resources, edits.node, app.id);
    if (edits.resources) {
      await this.db
        .update(applications)
        .set({ resources, updatedAt: new Date() })
        .where(and(eq(applications.id, id), eq(applications.status, "error")));
    }
    return this.operate(
      req,
      id,
      "redeploy",
      app.runtime === "oci" ? DeployOciAppJob : DeployAppJob,
      edits.node ? { node: edits.node } : {},
    );
  }

  /** Refused (409, nothing queued) when the catalog's current version is not a safe step for this app. */
  async update(req: UserActor, id: string) {
    const app = await this.get(req.user, id);
    if (app.runtime === "lxc") {
      // Its own /usr/bin/update (a community helper script's), when it has one and can reach the internet.
      if (app.status !== "running") throw new ConflictError(stateRefusal("update", app.status));
      const why = await scriptUpdateRefusal(
        app,
        await this.deps.hosts.client(app.hostId),
        await this.deps.hosts.executor(app.hostId),
      );
      if (why) throw new ConflictError(`Update refused: ${why}`);
      return this.operate(req, id, "update", UpdateScriptAppJob, { trigger: "manual" as const });
    }
    const entry = app.catalogId ? this.deps.catalog.get(app.catalogId) : undefined;
    const refusal = entry ? updateRefusal(entry, app.catalogVersion) : undefined;
    if (refusal) throw new ConflictError(`Update refused: ${refusal}`);
    if (app.runtime === "oci") {
      // An OCI update builds a new container from the new image: with the same image it would change nothing.
      const service = entry ? ociService(entry.compose) : undefined;
      if (
        app.ociImage &&
        service &&
        !Array.isArray(service) &&
        ociReference(service.image) === app.ociImage
      ) {
        throw new ConflictError(
          `${app.hostname} already runs ${app.ociImage}, the catalog's current image; there is nothing to update to`,
        );
      }
      return this.operate(req, id, "update", UpdateOciAppJob, {});
    }
    // A Docker update rewrites the compose file from the catalog: with the same version it would change nothing.
    if (entry && app.catalogVersion === entry.version) {
      throw new ConflictError(
        `${app.hostname} already runs ${entry.name} ${entry.version}, the catalog's current version; there is nothing to update to`,
      );
    }
    return this.operate(req, id, "update", UpdateAppJob, { trigger: "manual" as const });
  }

  async reconfigure(
    req: UserActor,
    id: string,
    patch: { resources?: Partial<AppResources>; environment?: Record<string, string> },
  ) {
    const app = await this.get(req.user, id);
    const details: { field: string; message: string }[] = [];
    if (patch.resources) {
      if (app.catalogId)
        this.resources(this.entry(app.catalogId), { ...app.resources, ...patch.resources }, app.resources);
      if (patch.resources.disk_gb !== undefined && patch.resources.disk_gb < app.resources.disk_gb) {
        details.push({
          field: "resources.disk_gb",
          message: `can only grow (now ${app.resources.disk_gb} GiB)`,
        });
      }
      details.push(...(await nodeRoomProblems(this.deps, app, patch.resources)));
    }
    if (patch.environment) {
      if (!app.catalogId)
        details.push({ field: "environment", message: "an adopted app has no catalog environment" });
      else resolveEnvironment(this.entry(app.catalogId), patch.environment, {});
      if (app.status !== "running")
        throw new ConflictError(`The app is ${app.status}; start it to change its environment`);
    }
    if (details.length) throw new ValidationError("The change is invalid", details);
    const grow = (key: "memory_mb" | "disk_gb") =>
      Math.max(0, (patch.resources?.[key] ?? app.resources[key]) - app.resources[key]);
    return this.operate(
      req,
      id,
      "reconfigure",
      ReconfigureAppJob,
      await this.jobPayload(app.catalogId, patch),
      { resources: patch.resources ?? null, environment_keys: Object.keys(patch.environment ?? {}) },
      { jobs: 1, memory_mb: grow("memory_mb"), disk_gb: grow("disk_gb") },
    );
  }

  /**
   * The reconfigure job's payload: secret values travel only as AES-GCM ciphertext under `secrets`, which
   * the queue removes from the row when the job ends (src/queue/store.ts).
   */
  private async jobPayload(
    catalogId: string | null,
    patch: { resources?: Partial<AppResources>; environment?: Record<string, string> },
  ) {
    if (!patch.environment || !catalogId) return patch;
    const { environment, secretEnvEnc } = await splitEnvironment(
      this.deps.keys,
      this.entry(catalogId),
      patch.environment,
    );
    return { ...patch, environment, ...(secretEnvEnc ? { [JOB_SECRETS_KEY]: secretEnvEnc } : {}) };
  }

  async clone(req: UserActor, id: string, hostname: string) {
    const source = await this.get(req.user, id);
    // The install's rule, whichever door the request came through.
    const name = HostnameSchema.safeParse(hostname);
    if (!name.success)
      throw new ValidationError("The clone's hostname is invalid", [
        { field: "hostname", message: name.error.issues[0]?.message ?? "must be a DNS label" },
      ]);
    if (!source.catalogId && source.runtime !== "lxc")
      throw new ConflictError("Adopted apps without a catalog entry cannot be cloned");
    // Proximity keeps one proxy (features/access); a copy would be a second Caddy nobody configures.
    if (source.systemRole) throw new ConflictError("The managed proxy cannot be cloned");
    const { quotas } = await this.deps.settings.get();
    try {
      return await this.db.transaction(async (db) => {
        await assertWithinQuota(db, quotas, req.user, {
          apps: 1,
          memory_mb: source.resources.memory_mb,
          disk_gb: source.resources.disk_gb,
          jobs: 1,
        });
        const locked = await beginOperation(db, id, "clone", this.scope(req.user));
        const [target] = await db
          .insert(applications)
          .values({
            ownerId: source.ownerId,
            hostId: source.hostId,
            catalogId: source.catalogId,
            catalogVersion: source.catalogVersion,
            name: source.name,
            hostname,
            status: "deploying",
            resources: source.resources,
            environment: source.environment,
            secretEnvEnc: source.secretEnvEnc,
            // An application container has no login (see deploy).
            // An adopted container's root password is its owner's, which Proximity never knew: the clone keeps it.
            rootPasswordEnc:
              source.runtime !== "docker" ? null : await encryptSecret(this.deps.keys, randomPassword()),
            runtime: source.runtime,
            ociImage: source.ociImage,
            port: source.port,
            portScheme: source.portScheme,
            scriptSlug: source.scriptSlug,
          })
          .returning();
        const job = await this.enqueue(db, CloneAppJob, locked, req.user, { target_app_id: target!.id });
        await this.deps.audit.record(
          {
            actor: req,
            action: "app.clone",
            target: { type: "app", id },
            details: { clone_id: target!.id, hostname },
          },
          db,
        );
        return { app: target!, job };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw hostnameTaken(hostname);
      throw err;
    }
  }

  async remove(req: UserActor, id: string, opts: { keepContainer?: boolean; keepBackups?: boolean }) {
    const app = await this.get(req.user, id);
    if (app.adopted && opts.keepContainer === undefined) {
      throw new ValidationError("This app was adopted: say whether to keep its container", [
        {
          field: "keep_container",
          message: "required for adopted apps: true keeps the container, false destroys it",
        },
      ]);
    }
    return this.operate(
      req,
      id,
      "delete",
      DeleteAppJob,
      { keep_container: opts.keepContainer === true, keep_backups: opts.keepBackups !== false },
      { keep_container: opts.keepContainer === true, keep_backups: opts.keepBackups !== false },
      // Deleting frees what the quotas count: never refused for having other operations in flight.
      {},
    );
  }

  async logs(user: AuthUser, id: string, page: number, perPage: number) {
    await this.get(user, id);
    return selectPage(this.db, deploymentLogs, [eq(deploymentLogs.appId, id)], [asc(deploymentLogs.id)], {
      page,
      perPage,
    });
  }

  async credentials(req: UserActor, id: string) {
    const app = await this.get(req.user, id);
    const secrets = app.secretEnvEnc
      ? (JSON.parse(await decryptSecret(this.deps.keys, app.secretEnvEnc)) as Record<string, string>)
      : {};
    await this.deps.audit.record({
      actor: req,
      action: "app.credentials",
      target: { type: "app", id },
    });
    return {
      root_password: app.rootPasswordEnc ? await decryptSecret(this.deps.keys, app.rootPasswordEnc) : null,
      environment: { ...app.environment, ...secrets },
    };
  }
}
