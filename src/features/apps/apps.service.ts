/**
 * Apps as users see them: validation, authorisation (a user only ever sees their own apps; an admin sees
 * all), and turning each request into a guarded state change plus a durable job in one transaction.
 */

import { and, asc, count, desc, eq, ilike, or, type SQL } from "drizzle-orm";
import { AppError, ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import type { AuthUser, UserActor } from "../../core/identity.ts";
import { decryptSecret, encryptSecret } from "../../crypto/secrets.ts";
import type { Db } from "../../db/connect.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import {
  type Application,
  type AppResources,
  applications,
  deploymentLogs,
  type Job,
  users,
} from "../../db/schema.ts";
import type { JobType } from "../../queue/define.ts";
import type { JobQueue } from "../../queue/queue.ts";
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";
import { resolveEnvironment } from "../catalog/index.ts";
import type { DeployInput } from "./apps.schemas.ts";
import { compose } from "./provision.ts";
import { type ReconcileReport, reconcile } from "./reconciler.ts";
import { type AppDeps, randomPassword, splitEnvironment } from "./runtime.ts";
import {
  ACTION_JOBS,
  CloneAppJob,
  DeleteAppJob,
  DeployAppJob,
  ReconfigureAppJob,
  UpdateAppJob,
} from "./sagas/job-types.ts";
import { beginOperation, type Operation } from "./status.ts";

export function toPublicApp(a: Application) {
  return {
    id: a.id,
    name: a.name,
    hostname: a.hostname,
    catalog_id: a.catalogId,
    catalog_version: a.catalogVersion,
    status: a.status,
    status_reason: a.statusReason,
    state_changed_at: a.stateChangedAt.toISOString(),
    owner_id: a.ownerId,
    host_id: a.hostId,
    node: a.node,
    vmid: a.vmid,
    ip: a.ip,
    url: a.url,
    resources: a.resources,
    environment: a.environment,
    adopted: a.adopted,
    created_at: a.createdAt.toISOString(),
  };
}

export class AppsService {
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

  async list(user: AuthUser, q: { status?: string; q?: string; page: number; perPage: number }) {
    const where: SQL[] = [];
    const s = this.scope(user);
    if (s.ownerId) where.push(eq(applications.ownerId, s.ownerId));
    if (q.status) where.push(eq(applications.status, q.status as Application["status"]));
    if (q.q) {
      const like = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(
        or(
          ilike(applications.name, like),
          ilike(applications.hostname, like),
          ilike(applications.catalogId, like),
        )!,
      );
    }
    const cond = where.length ? and(...where) : undefined;
    const [items, [total]] = await Promise.all([
      this.db
        .select()
        .from(applications)
        .where(cond)
        .orderBy(desc(applications.createdAt), asc(applications.hostname))
        .limit(q.perPage)
        .offset((q.page - 1) * q.perPage),
      this.db.select({ n: count() }).from(applications).where(cond),
    ]);
    return { items, total: total?.n ?? 0 };
  }

  async ownedAppIds(userId: string): Promise<string[]> {
    const rows = await this.db
      .select({ id: applications.id })
      .from(applications)
      .where(eq(applications.ownerId, userId));
    return rows.map((r) => r.id);
  }

  /** Compares every host's containers with the database (periodic, and on demand for admins). */
  reconcile(): Promise<ReconcileReport> {
    return reconcile(this.deps);
  }

  private entry(catalogId: string): CatalogEntry {
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
        ["cores", entry.min.cores],
        ["memory_mb", entry.min.memory_mb],
        ["disk_gb", entry.min.disk_gb],
      ] as const
    )
      .filter(([k, min]) => r[k] < min)
      .map(([k, min]) => ({ field: `resources.${k}`, message: `${entry.name} needs at least ${min}` }));
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

  async deploy(req: UserActor, input: DeployInput): Promise<{ app: Application; job: Job }> {
    const entry = this.entry(input.catalog_id);
    const settings = await this.deps.settings.get();
    const resources = this.resources(entry, input.resources, settings.resources);
    const env = resolveEnvironment(entry, input.environment ?? {});
    const host = input.host_id
      ? await this.deps.hosts.get(input.host_id).catch(() => {
          throw new ValidationError("Unknown host", [{ field: "host_id", message: "no such Proxmox host" }]);
        })
      : await this.deps.hosts.defaultHost();
    if (!host)
      throw new ConflictError("No Proxmox host is configured yet; an administrator must add one first");
    if (input.node) {
      // Asked for a node: refuse a name the cluster does not have now, rather than fail later in the job.
      const nodes = (await (await this.deps.hosts.client(host)).listNodes()).map((n) => n.node);
      if (!nodes.includes(input.node)) {
        throw new ValidationError("Unknown node", [
          { field: "node", message: `${host.name} has no node "${input.node}" (it has ${nodes.join(", ")})` },
        ]);
      }
    }
    const { environment, secretEnvEnc } = await splitEnvironment(this.deps.keys, entry, env);
    const rootPasswordEnc = await encryptSecret(this.deps.keys, randomPassword());
    try {
      return await this.db.transaction(async (tx) => {
        const db = tx as unknown as Db;
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
          })
          .returning();
        const job = await this.enqueue(
          db,
          DeployAppJob,
          app!,
          req.user,
          input.node ? { node: input.node } : {},
        );
        await this.deps.audit.record(
          {
            actor: req.user,
            action: "app.deploy",
            target: { type: "app", id: app!.id },
            ip: req.ip,
            details: { catalog_id: entry.id, hostname: input.hostname, host_id: host.id },
          },
          db,
        );
        return { app: app!, job };
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError(`The hostname "${input.hostname}" is already used by another app`);
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
  ): Promise<{ app: Application; job: Job }> {
    return this.db.transaction(async (tx) => {
      const db = tx as unknown as Db;
      const app = await beginOperation(db, id, operation, this.scope(req.user));
      const job = await this.enqueue(db, type, app, req.user, payload);
      await this.deps.audit.record(
        {
          actor: req.user,
          action: `app.${operation}`,
          target: { type: "app", id },
          ip: req.ip,
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
  async redeploy(req: UserActor, id: string) {
    const app = await this.get(req.user, id);
    if (app.vmid !== null || !app.catalogId || app.status !== "error") {
      throw new ConflictError(
        "Only a failed deploy that left no container can be retried; delete the app instead",
      );
    }
    return this.operate(req, id, "redeploy", DeployAppJob, {});
  }

  update(req: UserActor, id: string) {
    return this.operate(req, id, "update", UpdateAppJob, {});
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
    }
    if (patch.environment) {
      if (!app.catalogId)
        details.push({ field: "environment", message: "an adopted app has no catalog environment" });
      else resolveEnvironment(this.entry(app.catalogId), patch.environment, {});
      if (app.status !== "running")
        throw new ConflictError(`The app is ${app.status}; start it to change its environment`);
    }
    if (details.length) throw new ValidationError("The change is invalid", details);
    return this.operate(req, id, "reconfigure", ReconfigureAppJob, patch, {
      resources: patch.resources ?? null,
      environment_keys: Object.keys(patch.environment ?? {}),
    });
  }

  async clone(req: UserActor, id: string, hostname: string) {
    const source = await this.get(req.user, id);
    if (!source.catalogId) throw new ConflictError("Adopted apps without a catalog entry cannot be cloned");
    try {
      return await this.db.transaction(async (tx) => {
        const db = tx as unknown as Db;
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
            rootPasswordEnc: await encryptSecret(this.deps.keys, randomPassword()),
          })
          .returning();
        const job = await this.enqueue(db, CloneAppJob, locked, req.user, { target_app_id: target!.id });
        await this.deps.audit.record(
          {
            actor: req.user,
            action: "app.clone",
            target: { type: "app", id },
            ip: req.ip,
            details: { clone_id: target!.id, hostname },
          },
          db,
        );
        return { app: target!, job };
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError(`The hostname "${hostname}" is already used by another app`);
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
    );
  }

  async logs(user: AuthUser, id: string, page: number, perPage: number) {
    await this.get(user, id);
    const [items, [total]] = await Promise.all([
      this.db
        .select()
        .from(deploymentLogs)
        .where(eq(deploymentLogs.appId, id))
        .orderBy(asc(deploymentLogs.id))
        .limit(perPage)
        .offset((page - 1) * perPage),
      this.db.select({ n: count() }).from(deploymentLogs).where(eq(deploymentLogs.appId, id)),
    ]);
    return { items, total: total?.n ?? 0 };
  }

  async containerLogs(user: AuthUser, id: string, tail: number): Promise<string> {
    const app = await this.get(user, id);
    if (app.status !== "running" || app.node === null || app.vmid === null) {
      throw new ConflictError(`The app is ${app.status}; container logs are only available while it runs`);
    }
    const ssh = await this.deps.hosts.executor(app.hostId);
    const result = await ssh.pctExec(app.node, app.vmid, [...compose.logs(tail)], { timeoutMs: 30_000 });
    if (result.exitCode !== 0) {
      throw new AppError(
        "PROXMOX_ERROR",
        `docker compose logs failed (exit ${result.exitCode}): ${result.stderr.trim().slice(-500)}`,
      );
    }
    return result.stdout;
  }

  async stats(user: AuthUser, id: string) {
    const app = await this.get(user, id);
    if (app.node === null || app.vmid === null)
      throw new ConflictError(`The app is ${app.status} and has no container`);
    const client = await this.deps.hosts.client(app.hostId);
    const [status, rrd] = await Promise.all([
      client.lxcStatus(app.node, app.vmid),
      client.lxcRrddata(app.node, app.vmid, "hour"),
    ]);
    return {
      status: status.status,
      uptime: status.uptime ?? 0,
      cpu: { usage: status.cpu ?? 0, cores: status.cpus ?? app.resources.cores },
      memory: { used: status.mem ?? 0, total: status.maxmem ?? app.resources.memory_mb * 1024 * 1024 },
      disk: { used: status.disk ?? 0, total: status.maxdisk ?? app.resources.disk_gb * 1024 ** 3 },
      network: { in: status.netin ?? 0, out: status.netout ?? 0 },
      history: rrd.map((p) => ({
        time: p.time,
        cpu: p.cpu ?? null,
        mem: p.mem ?? null,
        netin: p.netin ?? null,
        netout: p.netout ?? null,
      })),
    };
  }

  /** CPU (fraction of the container's cores), memory and network rates over the last hour or day. */
  async usageHistory(user: AuthUser, id: string, timeframe: "hour" | "day") {
    const app = await this.get(user, id);
    if (app.node === null || app.vmid === null)
      throw new ConflictError(`The app is ${app.status} and has no container`);
    const client = await this.deps.hosts.client(app.hostId);
    const rrd = await client.lxcRrddata(app.node, app.vmid, timeframe);
    return rrd.map((p) => ({
      time: p.time,
      cpu: p.cpu ?? null,
      mem: p.mem ?? null,
      netin: p.netin ?? null,
      netout: p.netout ?? null,
    }));
  }

  async credentials(req: UserActor, id: string) {
    const app = await this.get(req.user, id);
    const secrets = app.secretEnvEnc
      ? (JSON.parse(await decryptSecret(this.deps.keys, app.secretEnvEnc)) as Record<string, string>)
      : {};
    await this.deps.audit.record({
      actor: req.user,
      action: "app.credentials",
      target: { type: "app", id },
      ip: req.ip,
    });
    return {
      root_password: app.rootPasswordEnc ? await decryptSecret(this.deps.keys, app.rootPasswordEnc) : null,
      environment: { ...app.environment, ...secrets },
    };
  }

  /** Containers on a host's nodes that no app row knows about. */
  async discover(hostId: string) {
    const client = await this.deps.hosts.client(hostId);
    const known = new Set(
      (
        await this.db
          .select({ vmid: applications.vmid })
          .from(applications)
          .where(eq(applications.hostId, hostId))
      ).map((r) => r.vmid),
    );
    const out: { node: string; vmid: number; name: string | null; status: string }[] = [];
    for (const n of (await client.listNodes()).filter((x) => x.status === "online")) {
      for (const ct of await client.listLxc(n.node)) {
        if (!known.has(Number(ct.vmid)))
          out.push({ node: n.node, vmid: Number(ct.vmid), name: ct.name ?? null, status: ct.status });
      }
    }
    return out.sort((a, b) => a.vmid - b.vmid);
  }

  async adopt(
    req: UserActor,
    input: {
      host_id: string;
      node: string;
      vmid: number;
      owner_id?: string;
      catalog_id?: string;
      name?: string;
    },
  ): Promise<Application> {
    const host = await this.deps.hosts.get(input.host_id);
    const client = await this.deps.hosts.client(host);
    const entry = input.catalog_id ? this.entry(input.catalog_id) : undefined;
    const status = await client.lxcStatus(input.node, input.vmid).catch(() => {
      throw new ValidationError("No such container", [
        { field: "vmid", message: `CT ${input.vmid} does not exist on ${input.node}` },
      ]);
    });
    const config = await client.lxcConfig(input.node, input.vmid);
    const ifaces =
      status.status === "running"
        ? await client.lxcInterfaces(input.node, input.vmid).catch(() => null)
        : null;
    const ip = ifaces?.find((i) => i.name === "eth0")?.inet?.split("/")[0] ?? null;
    const primary = entry?.ports.find((p) => p.primary);
    const ownerId = input.owner_id ?? req.user.id;
    const [owner] = await this.db.select({ id: users.id }).from(users).where(eq(users.id, ownerId));
    if (!owner) {
      throw new ValidationError("Unknown owner", [{ field: "owner_id", message: "no such user" }]);
    }
    try {
      return await this.db.transaction(async (tx) => {
        const db = tx as unknown as Db;
        const [app] = await db
          .insert(applications)
          .values({
            ownerId,
            hostId: host.id,
            node: input.node,
            vmid: input.vmid,
            catalogId: entry?.id ?? null,
            catalogVersion: entry?.version ?? null,
            name: input.name ?? entry?.name ?? (config.hostname as string | undefined) ?? `CT ${input.vmid}`,
            hostname: (config.hostname as string | undefined) ?? `ct${input.vmid}`,
            status: status.status === "running" ? "running" : "stopped",
            ip,
            url: ip && primary ? `http://${ip}:${primary.container}` : null,
            resources: {
              cores: Number(config.cores ?? 1),
              memory_mb: Number(config.memory ?? 512),
              disk_gb: Math.max(1, Math.round((status.maxdisk ?? 0) / 1024 ** 3)),
            },
            adopted: true,
          })
          .returning();
        await this.deps.audit.record(
          {
            actor: req.user,
            action: "app.adopt",
            target: { type: "app", id: app!.id },
            ip: req.ip,
            details: { vmid: input.vmid, node: input.node, owner_id: ownerId },
          },
          db,
        );
        return app!;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError(`CT ${input.vmid} or its hostname is already managed by Proximity`);
      throw err;
    }
  }
}
