/**
 * Retention with the same rules as Proxmox's prune-backups (PVE::Storage::prune_mark_backup_group):
 * backups sorted newest first; `keep_last` keeps the newest N; then `keep_daily`, `keep_weekly` and
 * `keep_monthly` each keep the newest backup of N more periods (day, ISO week, month in the schedule's
 * time zone), skipping periods that already hold a backup kept by an earlier rule (those do not count
 * toward N). A policy with every count at 0 keeps everything (nothing is pruned).
 */

export interface RetentionPolicy {
  keep_last: number;
  keep_daily: number;
  keep_weekly: number;
  keep_monthly: number;
}

export interface DatedBackup {
  id: string;
  time: Date;
}

export function keepsEverything(p: RetentionPolicy): boolean {
  return p.keep_last <= 0 && p.keep_daily <= 0 && p.keep_weekly <= 0 && p.keep_monthly <= 0;
}

/** Calendar parts of an instant in a time zone. */
function parts(time: Date, timeZone: string): { y: number; m: number; d: number } {
  const f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  const [y, m, d] = f.format(time).split("-").map(Number) as [number, number, number];
  return { y, m, d };
}

/** ISO 8601 week of a calendar date ("2026-W09"). */
function isoWeek(y: number, m: number, d: number): string {
  const date = new Date(Date.UTC(y, m - 1, d));
  const day = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

type PeriodKey = (time: Date) => string;

/**
 * The ids to keep. A port of PVE's `prune_mark`: for each rule in order (last, daily, weekly, monthly), walk
 * the backups newest first; skip any already marked, and any in a period that already holds a kept backup;
 * the first backup of a new period is kept (until N new periods were taken), later ones of that period are
 * marked for removal so no later rule keeps them. Ties in time are broken by id so the result is deterministic.
 */
export function selectBackupsToKeep(
  backups: readonly DatedBackup[],
  policy: RetentionPolicy,
  timeZone = "UTC",
): Set<string> {
  const sorted = [...backups].sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? -1 : 1));
  if (keepsEverything(policy)) return new Set(sorted.map((b) => b.id));
  const mark = new Map<string, "keep" | "remove">();

  const day: PeriodKey = (t) => {
    const { y, m, d } = parts(t, timeZone);
    return `${y}-${m}-${d}`;
  };
  const week: PeriodKey = (t) => {
    const { y, m, d } = parts(t, timeZone);
    return isoWeek(y, m, d);
  };
  const month: PeriodKey = (t) => {
    const { y, m } = parts(t, timeZone);
    return `${y}-${m}`;
  };
  const rules: [number, (b: DatedBackup) => string][] = [
    // keep_last: every backup is its own period.
    [policy.keep_last, (b) => b.id],
    [policy.keep_daily, (b) => day(b.time)],
    [policy.keep_weekly, (b) => week(b.time)],
    [policy.keep_monthly, (b) => month(b.time)],
  ];
  for (const [count, periodOfBackup] of rules) {
    if (count <= 0) continue;
    const already = new Set<string>();
    for (const b of sorted) if (mark.get(b.id) === "keep") already.add(periodOfBackup(b));
    const newly = new Set<string>();
    for (const b of sorted) {
      const period = periodOfBackup(b);
      if (mark.has(b.id) || already.has(period)) continue;
      if (!newly.has(period)) {
        if (newly.size >= count) break;
        newly.add(period);
        mark.set(b.id, "keep");
      } else {
        mark.set(b.id, "remove");
      }
    }
  }
  return new Set(sorted.filter((b) => mark.get(b.id) === "keep").map((b) => b.id));
}

/** Everything not kept. */
export function selectBackupsToPrune(
  backups: readonly DatedBackup[],
  policy: RetentionPolicy,
  timeZone = "UTC",
): DatedBackup[] {
  const keep = selectBackupsToKeep(backups, policy, timeZone);
  return backups.filter((b) => !keep.has(b.id));
}
