/**
 * The maintenance window of automatic updates: a 5-field cron expression in UTC; each slot opens a window
 * of WINDOW_MS in which an update may start. Validation names the problem in words.
 */
import { Cron } from "croner";

/** How long after a slot an automatic update may still start. */
export const WINDOW_MS = 60 * 60_000;

function cron(expression: string): Cron {
  return new Cron(expression, { timezone: "UTC", paused: true, mode: "5-part" });
}

/** Null when the expression is a usable window, else why not. */
export function windowProblem(expression: string): string | null {
  let job: Cron;
  try {
    job = cron(expression);
  } catch (err) {
    return `not a 5-field cron expression (minute hour day-of-month month day-of-week, UTC): ${err instanceof Error ? err.message : String(err)}`;
  }
  return job.nextRun(new Date()) ? null : "the expression never fires";
}

/** The window open at `now` (its slot), unless it is at or before `handled`. */
export function openWindow(expression: string, handled: Date | null, now: Date): Date | null {
  const [last] = cron(expression).previousRuns(1, now);
  if (!last || now.getTime() - last.getTime() > WINDOW_MS) return null;
  if (handled && last.getTime() <= handled.getTime()) return null;
  return last;
}
