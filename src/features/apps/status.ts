/**
 * The app status machine. Every operation moves an app from a stable state into its transitional state
 * with one guarded UPDATE (… WHERE status IN (allowed)), so two operations can never start on one app:
 * the second finds the transitional state and gets a 409 naming it. Jobs settle the app into a stable state.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import type { Db } from "../../db/connect.ts";
import { APP_STATUSES, type Application, type AppStatus, applications } from "../../db/schema.ts";
import type { EventBus } from "../../queue/events.ts";

/** States an app rests in: no operation is running on it. */
export const STABLE: readonly AppStatus[] = ["running", "stopped", "error", "missing", "unknown"];
/** States an operation holds the app in (an operation's `via`, and a first deploy's `deploying`). */
export const BUSY: readonly AppStatus[] = APP_STATUSES.filter((s) => !STABLE.includes(s));
const STABLE_SET = new Set<string>(STABLE);
const BUSY_SET = new Set<string>(BUSY);
/** The app rests: no operation holds it. */
export const isStable = (status: string): boolean => STABLE_SET.has(status);
/** An operation holds the app (its buttons wait until it is over). */
export const isBusy = (status: string): boolean => BUSY_SET.has(status);
/** Whether `operation` may start from `status` (what the guarded UPDATE of beginOperation would allow). */
export const canRun = (operation: Operation, status: string): boolean =>
  (OPERATIONS[operation].from as readonly string[]).includes(status);

export const OPERATIONS = {
  start: { from: ["stopped", "error"], via: "starting" },
  stop: { from: ["running", "error"], via: "stopping" },
  restart: { from: ["running", "error"], via: "restarting" },
  update: { from: ["running", "error"], via: "updating" },
  reconfigure: { from: ["running", "stopped"], via: "reconfiguring" },
  clone: { from: ["running", "stopped"], via: "cloning" },
  backup: { from: ["running", "stopped"], via: "backing_up" },
  restore: { from: ["running", "stopped", "error"], via: "restoring" },
  /** A deploy that failed (its container was removed) tried again with the same settings. */
  redeploy: { from: ["error"], via: "deploying" },
  delete: { from: ["running", "stopped", "error", "missing", "unknown"], via: "deleting" },
} as const satisfies Record<string, { from: readonly AppStatus[]; via: AppStatus }>;

export type Operation = keyof typeof OPERATIONS;

/**
 * Moves the app into the operation's transitional state, or explains why not (404 when the app does not
 * exist or is not visible through `scope`, 409 with the current state when the operation is not allowed).
 */
export async function beginOperation(
  db: Db,
  appId: string,
  operation: Operation,
  scope: { ownerId?: string } = {},
): Promise<Application> {
  const { from, via } = OPERATIONS[operation];
  const visible = scope.ownerId ? eq(applications.ownerId, scope.ownerId) : undefined;
  const [row] = await db
    .update(applications)
    .set({
      status: via,
      statusReason: null,
      // Remember the stable state to return to; an app in error returns to error unless the job fixes it.
      previousStatus: sql`case when ${applications.status} in ('running', 'stopped') then ${applications.status} else ${applications.previousStatus} end`,
      stateChangedAt: new Date(),
      updatedAt: new Date(),
    })
    .where(and(eq(applications.id, appId), inArray(applications.status, [...from]), visible))
    .returning();
  if (row) return row;
  const [current] = await db
    .select({ status: applications.status })
    .from(applications)
    .where(and(eq(applications.id, appId), visible));
  if (!current) throw new NotFoundError("App");
  throw new ConflictError(refusal(operation, current.status));
}

/** What each operation is called in a sentence. */
const DOING: Record<Operation, string> = {
  start: "starting it",
  stop: "stopping it",
  restart: "restarting it",
  update: "updating it",
  reconfigure: "changing its resources or settings",
  clone: "cloning it",
  backup: "backing it up",
  restore: "restoring a backup",
  redeploy: "installing it again",
  delete: "deleting it",
};

/** Why `operation` cannot start now, in words: the state the app is in and those it would need. */
export function refusal(operation: Operation, status: string): string {
  const state = (s: string) => (s === "error" ? "in error" : s.replace(/_/g, " "));
  const from = OPERATIONS[operation].from.map(state);
  const needed = from.length > 1 ? `${from.slice(0, -1).join(", ")} or ${from.at(-1)}` : from[0];
  return `The app is ${state(status)}; ${DOING[operation]} is possible when it is ${needed}`;
}

/** Puts the app into a (stable) state, with the reason a user can act on, and announces it. */
export async function settle(
  db: Db,
  events: EventBus,
  appId: string,
  status: AppStatus,
  reason: string | null = null,
  extra: Partial<typeof applications.$inferInsert> = {},
): Promise<void> {
  const rows = await db
    .update(applications)
    .set({ status, statusReason: reason, stateChangedAt: new Date(), updatedAt: new Date(), ...extra })
    .where(eq(applications.id, appId))
    .returning({ id: applications.id });
  if (rows.length) await events.publish({ type: "app.status", app_id: appId, status, reason }, db);
}
