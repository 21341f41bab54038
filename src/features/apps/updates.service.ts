/**
 * Update policies, the update history, and the update watcher's tick: `update.available` once per new
 * version for apps whose policy is `notify` or `auto`, and an automatic update when an `auto` app's window
 * is open and the entry's `update_policy` calls the move safe. The update itself is the guarded update
 * (guarded-update.ts): snapshot, update, health, rollback on failure.
 */
import { and, desc, eq, isNotNull, ne, sql } from "drizzle-orm";
import { Chore } from "../../core/chore.ts";
import { ConflictError, ValidationError } from "../../core/errors.ts";
import { type AuthUser, SYSTEM_ACTOR, type UserActor } from "../../core/identity.ts";
import { log } from "../../core/log.ts";
import type { Db } from "../../db/connect.ts";
import { type Application, applications, appUpdates, type UpdateMode } from "../../db/schema.ts";
import { errorMessage, type JobQueue } from "../../queue/queue.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";
import type { AppsService } from "./apps.service.ts";
import type { Notify } from "./notices.ts";
import { UpdateAppJob } from "./sagas/job-types.ts";
import { beginOperation } from "./status.ts";
import { type CatalogLookup, updateInfo } from "./update-info.ts";
import { openWindow, windowProblem } from "./update-window.ts";

export interface UpdatesDeps {
  db: Db;
  jobs: JobQueue;
  apps: AppsService;
  /** The entries (`list`) and one entry (`get`). */
  catalog: CatalogLookup & { list(): CatalogEntry[] };
  audit: AuditService;
  notify: Notify;
  clock?: () => Date;
}

export interface UpdateTick {
  /** Apps `update.available` was sent for. */
  notified: string[];
  /** Apps an automatic update was enqueued for. */
  started: { app_id: string; job_id: string }[];
  /** Apps with a policy whose entry is at another version (whether or not anything was sent for them). */
  pending: number;
}

/**
 * The tick's pause while no app with a policy has an update: what can give it one is a policy set here (which
 * wakes it) or a new catalog version, which comes from a store refresh hours apart — its notice may wait this
 * long.
 */
export const IDLE_UPDATE_TICK_MS = 5 * 60_000;

export class UpdatesService {
  private readonly clock: () => Date;
  private chore: Chore | undefined;

  constructor(private readonly deps: UpdatesDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async history(user: AuthUser, appId: string) {
    await this.deps.apps.get(user, appId);
    return this.deps.db
      .select()
      .from(appUpdates)
      .where(eq(appUpdates.appId, appId))
      .orderBy(desc(appUpdates.startedAt))
      .limit(100);
  }

  async setPolicy(
    req: UserActor,
    appId: string,
    input: { mode: UpdateMode; window?: string | null | undefined },
  ) {
    const app = await this.deps.apps.get(req.user, appId);
    const window = input.window === undefined ? app.updateWindow : input.window;
    const problem = window === null ? null : windowProblem(window);
    if (problem)
      throw new ValidationError("The update policy is invalid", [{ field: "window", message: problem }]);
    if (input.mode === "auto" && !window) {
      throw new ValidationError("The update policy is invalid", [
        { field: "window", message: "automatic updates need a maintenance window (a cron expression, UTC)" },
      ]);
    }
    const updated = await this.deps.db.transaction(async (db) => {
      const [row] = await db
        .update(applications)
        .set({ updateMode: input.mode, updateWindow: window, updatedAt: new Date() })
        .where(eq(applications.id, app.id))
        .returning();
      await this.deps.audit.record(
        {
          actor: req,
          action: "app.update_policy",
          target: { type: "app", id: app.id },
          details: { mode: input.mode, window },
        },
        db,
      );
      return row!;
    });
    // A policy may make an app's pending update count: the idle tick looks now rather than in minutes.
    this.chore?.wake();
    return updated;
  }

  /** Ticks every `intervalMs` while some app has an update, every IDLE_UPDATE_TICK_MS otherwise. */
  start(intervalMs = 30_000): void {
    this.chore ??= new Chore("Update watcher tick", intervalMs, async () =>
      (await this.tick()).pending > 0 ? intervalMs : Math.max(intervalMs, IDLE_UPDATE_TICK_MS),
    );
    this.chore.start();
  }

  async stop(): Promise<void> {
    await this.chore?.stop();
  }

  /**
   * One look at every app with a policy other than `off`. Several instances may tick: the notice is
   * claimed with a guarded UPDATE (only the instance that moves `update_notified_version` sends it), and an
   * automatic update's job carries the dedupe key `update:<app>:<slot>`, unique in the jobs table.
   */
  async tick(now: Date = this.clock()): Promise<UpdateTick> {
    const result: UpdateTick = { notified: [], started: [], pending: 0 };
    // Only the apps whose entry is at another version, found by the database: at 100,000 apps a tick
    // reads the few that have an update, not every row.
    const versions = this.deps.catalog.list().map((e) => sql`(${e.id}, ${e.version})`);
    if (versions.length === 0) return result;
    const apps = await this.deps.db
      .select()
      .from(applications)
      .where(
        and(
          ne(applications.updateMode, "off"),
          isNotNull(applications.catalogVersion),
          sql`exists (select 1 from (values ${sql.join(versions, sql`, `)}) as c(id, version) where c.id = ${applications.catalogId} and c.version <> ${applications.catalogVersion})`,
        ),
      );
    for (const app of apps) {
      const info = updateInfo(app, this.deps.catalog);
      if (!info.available || !info.latest) continue;
      result.pending++;
      if (app.updateNotifiedVersion !== info.latest && (await this.claimNotice(app, info.latest))) {
        result.notified.push(app.id);
        await this.deps.notify({
          event: "update.available",
          app_id: app.id,
          details: {
            from: info.current,
            to: info.latest,
            notes: info.notes,
            ...(info.unsafe_reason ? { unsafe_reason: info.unsafe_reason } : {}),
          },
        });
      }
      if (app.updateMode !== "auto" || !app.updateWindow || info.unsafe_reason) continue;
      if (app.status !== "running") continue;
      const slot = openWindow(app.updateWindow, app.updateSlotAt, now);
      if (!slot) continue;
      // A version that failed or was rolled back is not tried again by itself (a person may, by hand).
      if (await this.failedBefore(app.id, info.latest)) continue;
      const job = await this.autoUpdate(app, slot).catch((err: unknown) => {
        // Busy (another operation holds the app): the window stays open, the next tick tries again.
        if (err instanceof ConflictError) return undefined;
        log.warn("Automatic update not started", { app_id: app.id, error: errorMessage(err) });
        return undefined;
      });
      if (job) result.started.push({ app_id: app.id, job_id: job.id });
    }
    return result;
  }

  private async failedBefore(appId: string, version: string): Promise<boolean> {
    const [last] = await this.deps.db
      .select({ result: appUpdates.result })
      .from(appUpdates)
      .where(and(eq(appUpdates.appId, appId), eq(appUpdates.toVersion, version)))
      .orderBy(desc(appUpdates.startedAt))
      .limit(1);
    return last?.result === "rolled_back" || last?.result === "failed";
  }

  private async claimNotice(app: Application, version: string): Promise<boolean> {
    const rows = await this.deps.db
      .update(applications)
      .set({ updateNotifiedVersion: version })
      .where(
        and(
          eq(applications.id, app.id),
          sql`${applications.updateNotifiedVersion} is distinct from ${version}`,
        ),
      )
      .returning({ id: applications.id });
    return rows.length > 0;
  }

  private autoUpdate(app: Application, slot: Date) {
    return this.deps.db.transaction(async (db) => {
      const started = await beginOperation(db, app.id, "update");
      const job = await this.deps.jobs.enqueue(
        UpdateAppJob,
        {
          appId: app.id,
          userId: null,
          payload: { app_id: app.id, trigger: "auto" },
          dedupeKey: `update:${app.id}:${slot.toISOString()}`,
        },
        db,
      );
      // Another instance took this slot already: undo our begin (the transaction) and leave it to that one.
      if (!job) throw new ConflictError("This window's update is enqueued already");
      await db.update(applications).set({ updateSlotAt: slot }).where(eq(applications.id, app.id));
      await this.deps.audit.record(
        {
          actor: SYSTEM_ACTOR,
          action: "app.update",
          target: { type: "app", id: started.id },
          details: { trigger: "auto", window: app.updateWindow, slot: slot.toISOString() },
        },
        db,
      );
      return job;
    });
  }
}
