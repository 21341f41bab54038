/**
 * Health watching. Every running app is checked with its entry's `later` health check (or its first-boot
 * answer; an adopted lxc app on its port, health.ts probePort) every `health.interval_seconds`, jittered
 * per app (±20 %) so checks spread over the interval, a bounded number at a time. After `health.failures`
 * failures in a row the app is `degraded` (shown in the API and the web; it blocks no operation) and
 * `app.down` is sent once per outage (an open row in `alerts`); the first good answer closes it and sends
 * `app.up`. Hosts are watched on the same interval: one `cluster/resources` call each, `host.unreachable`
 * when it fails and `host.storage_low` for a storage fuller than `health.storage_low_percent`.
 *
 * One instance of a multi-instance deployment does it: the one holding the `health-watch` lease (a row in
 * `leases`, taken when expired, renewed every tick by its holder).
 *
 * While no app runs, the watcher sleeps until the hosts are due (once per interval) instead of ticking, and
 * an `app.status: running` event wakes it; its lease may lapse meanwhile, which costs nothing (an app that
 * starts elsewhere is checked by whichever instance ticks first).
 *
 * Cost: a tick reads the apps that are due (one indexed SELECT), writes one batched UPDATE for every app that
 * stayed healthy, and one row per app whose health changed. bench/health-watch.ts measures it.
 */
import { and, eq, inArray, isNotNull, isNull, lt, ne, or, sql } from "drizzle-orm";
import { Chore } from "../../core/chore.ts";
import type { Db } from "../../db/connect.ts";
import { type AppHealth, alerts, applications, leases, proxmoxHosts } from "../../db/schema.ts";
import type { EventBus } from "../../queue/events.ts";
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";
import { portScheme } from "../catalog/index.ts";
import type { HostsService } from "../hosts/hosts.service.ts";
import type { SettingsService } from "../settings/settings.service.ts";
import { answered, fetcherFor, probePort, probeTcp } from "./health.ts";
import type { Notice, Notify } from "./notices.ts";
import type { CatalogLookup } from "./update-info.ts";

export const WATCH_LEASE = "health-watch";
const MIN_TICK_MS = 5_000;
const MAX_TICK_MS = 60_000;
/**
 * The sleep of a watcher with no running app and no host (an app starting or a host added here wakes it; one
 * added on another instance is seen by that instance's watcher).
 */
const IDLE_TICK_MS = 10 * 60_000;

export interface WatcherOptions {
  /**
   * How often the watcher looks for due apps. Default: a sixth of `health.interval_seconds`, between 5 and
   * 60 s (10 s at the default 60 s interval), so an idle Proximity wakes as seldom as the interval allows.
   */
  tickMs?: number;
  /** Lease lifetime; renewed every tick (default 30 s, or 3 ticks when that is longer). */
  leaseMs?: number;
  /** Checks in flight at once (default 16). */
  concurrency?: number;
  /** One check's timeout (default 5 s). */
  checkTimeoutMs?: number;
  /** One host's answer, retries included (default 10 s). */
  hostTimeoutMs?: number;
}

export interface WatcherDeps {
  db: Db;
  /** Hosts' clients; a host being added wakes a watcher that had nothing to watch. */
  hosts: Pick<HostsService, "client"> & Partial<Pick<HostsService, "onAdded">>;
  catalog: CatalogLookup;
  settings: Pick<SettingsService, "get">;
  notify: Notify;
  /**
   * A change of health is announced as the app's status (unchanged), so open pages show the badge; an app
   * starting to run wakes a watcher that had nothing to watch.
   */
  events?: Pick<EventBus, "publish"> & Partial<Pick<EventBus, "subscribe">>;
  /** This instance's name in the lease. */
  instanceId: string;
  clock?: () => Date;
}

export interface WatchTick {
  /** This instance holds the lease (only then does it check anything). */
  leader: boolean;
  checked: number;
  failed: number;
  down: string[];
  up: string[];
  hostsChecked: number;
  /** Statements this tick sent to the database (the bench's figure). */
  queries: number;
  /** No app is running: until one starts (an `app.status` event) only hosts need a look, once per interval. */
  idle: boolean;
}

interface DueApp {
  id: string;
  statusReason: string | null;
  ip: string | null;
  catalogId: string | null;
  /** An adopted (lxc) app: the port it serves, checked instead of an entry's health check. */
  port: number | null;
  portScheme: "http" | "https" | null;
  health: AppHealth;
  healthFailures: number;
  healthCheckedAt: Date | null;
}

/** A stable per-app factor in [0.8, 1.2): each app keeps its own spacing, and apps spread over the interval. */
export function jitter(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return 0.8 + ((h >>> 0) / 2 ** 32) * 0.4;
}

/**
 * One probe of an app: any of its entry's accepted answers is healthy. An app without a web interface is
 * asked for a TCP connection on its first TCP port; one without any port has nothing to ask from outside
 * (null: the reconciler still sees its container stop, and its operations check its services).
 */
export async function probe(ip: string, entry: CatalogEntry, timeoutMs: number): Promise<string | null> {
  if (!entry.healthcheck) {
    const tcp = entry.ports.find((p) => p.protocol === "tcp")?.container;
    return tcp === undefined ? null : probeTcp(ip, tcp, timeoutMs);
  }
  const { port, host, later, first_boot } = entry.healthcheck;
  const answers: string[] = [];
  const scheme = portScheme(entry, port);
  const get = fetcherFor(scheme);
  for (const r of [later, first_boot]) {
    const url = `${scheme}://${ip}:${port}${r.path.startsWith("/") ? r.path : `/${r.path}`}`;
    try {
      const res = await get(url, {
        redirect: "manual",
        headers: host ? { host } : {},
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel();
      if (answered(res.status, r.expect)) return null;
      answers.push(`${url}: HTTP ${res.status} (expected ${r.expect || "below 500"})`);
    } catch (err) {
      answers.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return answers.join("; ");
}

export class HealthWatcher {
  private chore: Chore | undefined;
  private unsubscribe: (() => void) | undefined;
  /** The pause before the next tick, from the last settings read (see WatcherOptions.tickMs). */
  private tickMs = MIN_TICK_MS;
  private hostsCheckedAt = 0;
  private readonly clock: () => Date;

  constructor(
    private readonly deps: WatcherDeps,
    private readonly options: WatcherOptions = {},
  ) {
    this.clock = deps.clock ?? (() => new Date());
  }

  start(): void {
    if (this.chore) return;
    const chore = new Chore("Health watcher tick", MIN_TICK_MS, async () => {
      const tick = await this.tick();
      const every = this.options.tickMs ?? this.tickMs;
      if (!tick.leader || !tick.idle) return every;
      // Nothing runs and there is no host: nothing to look at until an app starts or a host is added.
      if (this.hostCount === 0) return Math.max(every, IDLE_TICK_MS);
      // Nothing runs: the next look is the hosts' (once per interval), unless an app starts meanwhile.
      const hostsDue = this.hostsCheckedAt + this.intervalMs - this.clock().getTime();
      return Math.max(every, hostsDue);
    });
    this.chore = chore;
    const unsubscribe = this.deps.events?.subscribe?.((event) => {
      if (event.type === "app.status" && event.status === "running") chore.wake();
    });
    const stopHosts = this.deps.hosts.onAdded?.(() => chore.wake());
    this.unsubscribe = () => {
      unsubscribe?.();
      stopHosts?.();
    };
    chore.start();
  }

  async stop(): Promise<void> {
    const chore = this.chore;
    this.chore = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await chore?.stop();
    // Hand the chore over at once rather than after the lease runs out.
    await this.deps.db
      .delete(leases)
      .where(and(eq(leases.name, WATCH_LEASE), eq(leases.holder, this.deps.instanceId)))
      .catch(() => undefined);
  }

  /** health.interval_seconds as of the last tick. */
  private intervalMs = 60_000;
  /** Hosts found by the last look at them (undefined: not looked yet). */
  private hostCount: number | undefined;

  async tick(now: Date = this.clock(), options: { hosts?: boolean } = {}): Promise<WatchTick> {
    const result: WatchTick = {
      leader: false,
      checked: 0,
      failed: 0,
      down: [],
      up: [],
      hostsChecked: 0,
      queries: 0,
      idle: false,
    };
    result.leader = await this.holdLease(result);
    if (!result.leader) return result;
    const settings = await this.deps.settings.get();
    result.queries++;
    const intervalMs = settings.health.interval_seconds * 1000;
    this.intervalMs = intervalMs;
    this.tickMs = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.round(intervalMs / 6)));
    await this.forgetStopped(result);
    await this.checkApps(now, intervalMs, settings.health.failures, result);
    if (options.hosts ?? now.getTime() - this.hostsCheckedAt >= intervalMs) {
      this.hostsCheckedAt = now.getTime();
      await this.checkHosts(settings.health.storage_low_percent, result);
    }
    return result;
  }

  private async holdLease(result: WatchTick): Promise<boolean> {
    const leaseMs = this.options.leaseMs ?? Math.max(30_000, 3 * (this.options.tickMs ?? this.tickMs));
    result.queries++;
    const rows = await this.deps.db
      .insert(leases)
      .values({
        name: WATCH_LEASE,
        holder: this.deps.instanceId,
        expiresAt: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
      })
      .onConflictDoUpdate({
        target: leases.name,
        set: {
          holder: this.deps.instanceId,
          expiresAt: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
        },
        setWhere: or(lt(leases.expiresAt, sql`now()`), eq(leases.holder, this.deps.instanceId)),
      })
      .returning({ holder: leases.holder });
    return rows[0]?.holder === this.deps.instanceId;
  }

  /** Apps that stopped running (a person stopped them, an update runs) are not "down": their watch resets. */
  private async forgetStopped(result: WatchTick): Promise<void> {
    result.queries++;
    const reset = await this.deps.db
      .update(applications)
      .set({ health: "unknown", healthFailures: 0, healthReason: null })
      .where(and(ne(applications.status, "running"), ne(applications.health, "unknown")))
      .returning({ id: applications.id });
    if (reset.length === 0) return;
    result.queries++;
    await this.deps.db
      .update(alerts)
      .set({ closedAt: new Date() })
      .where(
        and(
          inArray(
            alerts.appId,
            reset.map((r) => r.id),
          ),
          isNull(alerts.closedAt),
        ),
      );
  }

  private async checkApps(now: Date, intervalMs: number, failuresBeforeDown: number, result: WatchTick) {
    result.queries++;
    const candidates: DueApp[] = await this.deps.db
      .select({
        id: applications.id,
        statusReason: applications.statusReason,
        ip: applications.ip,
        catalogId: applications.catalogId,
        port: applications.port,
        portScheme: applications.portScheme,
        health: applications.health,
        healthFailures: applications.healthFailures,
        healthCheckedAt: applications.healthCheckedAt,
      })
      .from(applications)
      .where(
        and(
          eq(applications.status, "running"),
          or(
            isNull(applications.healthCheckedAt),
            lt(applications.healthCheckedAt, new Date(now.getTime() - intervalMs * 0.8)),
          ),
        ),
      );
    if (candidates.length === 0) {
      result.queries++;
      const anyRunning = await this.deps.db
        .select({ id: applications.id })
        .from(applications)
        .where(eq(applications.status, "running"))
        .limit(1);
      result.idle = anyRunning.length === 0;
      return;
    }
    const due = candidates.filter(
      (a) => !a.healthCheckedAt || a.healthCheckedAt.getTime() + intervalMs * jitter(a.id) <= now.getTime(),
    );
    const stillHealthy: string[] = [];
    const queue = [...due];
    const timeoutMs = this.options.checkTimeoutMs ?? 5_000;
    const worker = async () => {
      for (let app = queue.shift(); app; app = queue.shift()) {
        const entry = app.catalogId ? this.deps.catalog.get(app.catalogId) : undefined;
        // An adopted app is checked on its port; one without a port (or an entry) has no health check, and
        // an app without an address cannot answer yet.
        if ((!entry && app.port === null) || !app.ip) {
          stillHealthy.push(app.id);
          continue;
        }
        result.checked++;
        const problem = entry
          ? await probe(app.ip, entry, timeoutMs)
          : await probePort(app.ip, app.port!, app.portScheme ?? "http", timeoutMs);
        if (problem === null && app.health === "healthy" && app.healthFailures === 0) {
          stillHealthy.push(app.id);
          continue;
        }
        if (problem !== null) result.failed++;
        await this.record(app, problem, now, failuresBeforeDown, result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 16, due.length) }, worker));
    if (stillHealthy.length) {
      result.queries++;
      await this.deps.db
        .update(applications)
        .set({ healthCheckedAt: now })
        .where(inArray(applications.id, stillHealthy));
    }
  }

  /** One app's health changed (or keeps failing): its row, and the alert that opens or closes. */
  private async record(app: DueApp, problem: string | null, now: Date, threshold: number, result: WatchTick) {
    const { db } = this.deps;
    const failures = problem === null ? 0 : app.healthFailures + 1;
    const health: AppHealth = problem === null ? "healthy" : failures >= threshold ? "degraded" : app.health;
    result.queries++;
    await db
      .update(applications)
      .set({
        health,
        healthFailures: failures,
        healthReason: problem?.slice(0, 500) ?? null,
        healthCheckedAt: now,
      })
      // Only while it still runs: an operation that began meanwhile owns the app now.
      .where(and(eq(applications.id, app.id), eq(applications.status, "running")));
    if (health !== app.health) {
      await this.deps.events?.publish({
        type: "app.status",
        app_id: app.id,
        status: "running",
        reason: app.statusReason,
      });
    }
    const key = `app.down:${app.id}`;
    if (health === "degraded") {
      result.queries++;
      const opened = await db
        .insert(alerts)
        .values({ key, event: "app.down", appId: app.id, details: { reason: problem } })
        .onConflictDoNothing()
        .returning({ id: alerts.id });
      if (opened.length) {
        result.down.push(app.id);
        await this.send({
          event: "app.down",
          app_id: app.id,
          details: { reason: problem, failures, since: now.toISOString() },
        });
      }
    } else if (problem === null && app.health === "degraded") {
      result.queries++;
      const closed = await db
        .update(alerts)
        .set({ closedAt: now })
        .where(and(eq(alerts.key, key), isNull(alerts.closedAt)))
        .returning({ openedAt: alerts.openedAt });
      if (closed.length) {
        result.up.push(app.id);
        const downSeconds = Math.round((now.getTime() - closed[0]!.openedAt.getTime()) / 1000);
        await this.send({
          event: "app.up",
          app_id: app.id,
          details: { down_seconds: Math.max(0, downSeconds) },
        });
      }
    }
  }

  private async checkHosts(lowPercent: number, result: WatchTick): Promise<void> {
    result.queries += 2;
    const hosts = await this.deps.db.select().from(proxmoxHosts);
    this.hostCount = hosts.length;
    // The open host alerts, so a tick writes only what changes (not one row per storage every time).
    const open = new Set(
      (
        await this.deps.db
          .select({ key: alerts.key })
          .from(alerts)
          .where(and(isNotNull(alerts.hostId), isNull(alerts.closedAt)))
      ).map((a) => a.key),
    );
    for (const host of hosts) {
      result.hostsChecked++;
      let storages: { node: string; storage: string; used: number }[];
      try {
        const resources = await this.storagesOf(host);
        storages = resources
          .filter((r) => r.type === "storage" && r.node && r.storage && (r.maxdisk ?? 0) > 0)
          .map((r) => ({
            node: r.node!,
            storage: r.storage!,
            used: Math.round(((r.disk ?? 0) / r.maxdisk!) * 100),
          }));
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        const key = `host.unreachable:${host.id}`;
        if (!open.has(key)) await this.open(key, "host.unreachable", host.id, { reason }, result);
        continue;
      }
      const keys = new Set<string>();
      for (const s of storages) {
        const key = `host.storage_low:${host.id}/${s.node}/${s.storage}`;
        if (s.used <= lowPercent) continue;
        keys.add(key);
        if (open.has(key)) continue;
        await this.open(
          key,
          "host.storage_low",
          host.id,
          { node: s.node, storage: s.storage, used_percent: s.used, threshold_percent: lowPercent },
          result,
        );
      }
      const prefix = [`host.unreachable:${host.id}`, `host.storage_low:${host.id}/`];
      for (const key of open) {
        if ((key === prefix[0] || key.startsWith(prefix[1]!)) && !keys.has(key))
          await this.close(key, result);
      }
    }
  }

  /**
   * One host's storages, bounded: a host that does not answer must not hold up the tick (the client keeps
   * retrying a refused connection with backoff), so the call is raced against the timeout.
   */
  private async storagesOf(host: typeof proxmoxHosts.$inferSelect) {
    const limitMs = this.options.hostTimeoutMs ?? 10_000;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`no answer within ${limitMs / 1000} s`));
      }, limitMs);
    });
    try {
      const call = this.deps.hosts
        .client(host)
        .then((client) =>
          client.clusterResources("storage", { timeoutMs: limitMs, signal: controller.signal }),
        );
      call.catch(() => undefined);
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async open(
    key: string,
    event: "host.unreachable" | "host.storage_low",
    hostId: string,
    details: Record<string, unknown>,
    result: WatchTick,
  ): Promise<void> {
    result.queries++;
    const opened = await this.deps.db
      .insert(alerts)
      .values({ key, event, hostId, details })
      .onConflictDoNothing()
      .returning({ id: alerts.id });
    if (opened.length) await this.send({ event, host_id: hostId, details });
  }

  private async close(key: string, result: WatchTick): Promise<void> {
    result.queries++;
    await this.deps.db
      .update(alerts)
      .set({ closedAt: new Date() })
      .where(and(eq(alerts.key, key), isNull(alerts.closedAt)));
  }

  private async send(notice: Notice): Promise<void> {
    await this.deps.notify(notice);
  }
}
