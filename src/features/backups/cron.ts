/**
 * Backup schedule times: a 5-field cron expression (croner) read in an IANA time zone. Validation names the
 * problem in words; `latestSlot` is the most recent run at or before `now` (what a scheduler tick fires).
 */
import { Cron } from "croner";

/** Backups more often than this are refused: vzdump holds a lock on the container while it runs. */
const MIN_INTERVAL_MS = 5 * 60_000;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function cron(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true, mode: "5-part" });
}

/** Null when valid, else why not. */
/** The problem with a schedule as a validation detail: the field it is about and the message. */
export function scheduleProblem(
  expression: string,
  timezone: string,
): { field: "cron" | "timezone"; message: string } | null {
  if (!isTimeZone(timezone))
    return { field: "timezone", message: `"${timezone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)` };
  const problem = cronProblem(expression, timezone);
  return problem ? { field: "cron", message: problem } : null;
}

export function cronProblem(expression: string, timezone: string): string | null {
  if (!isTimeZone(timezone)) return `"${timezone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`;
  let job: Cron;
  try {
    job = cron(expression, timezone);
  } catch (err) {
    return `not a 5-field cron expression (minute hour day-of-month month day-of-week): ${err instanceof Error ? err.message : String(err)}`;
  }
  const runs = job.nextRuns(3, new Date());
  if (runs.length === 0) return "the expression never fires";
  for (let i = 1; i < runs.length; i++) {
    if (runs[i]!.getTime() - runs[i - 1]!.getTime() < MIN_INTERVAL_MS) {
      return "backups may run at most every 5 minutes";
    }
  }
  return null;
}

/** The latest slot in (after, now], or null when none fell due. */
export function latestSlot(expression: string, timezone: string, after: Date, now: Date): Date | null {
  const [last] = cron(expression, timezone).previousRuns(1, now);
  if (!last || last.getTime() <= after.getTime() || last.getTime() > now.getTime()) return null;
  return last;
}

export function nextSlot(expression: string, timezone: string, from: Date): Date | null {
  return cron(expression, timezone).nextRun(from);
}
