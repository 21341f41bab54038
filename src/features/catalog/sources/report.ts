/**
 * A store's import report, read by an admin who wants to know what was refused and why: every refusal put
 * in a group of the same reason (a host path, privileged, needs other Umbrel apps …) with its count, and the
 * report filtered by status or group and cut into pages. The App stores page and the API's report both read
 * it this way; bench/stores-web.ts prints the same groups (docs/performance.md quotes them).
 */

export interface ReportEntry {
  id: string;
  name: string;
  status: "imported" | "refused";
  reasons: string[];
}

export const REPORT_STATUSES = ["refused", "imported", "all"] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** Refusals of one reason: `key` names it in a URL (`?reason=host-path`), `label` says it to a person. */
export interface RefusalGroup {
  key: string;
  label: string;
  count: number;
}

/**
 * Reasons that read differently in every app (a path, a service, a variable) but are one cause. The order
 * matters where two could match: the first wins.
 */
const KNOWN: [RegExp, string][] = [
  [/^needs the Umbrel apps? /, "needs other Umbrel apps"],
  [/^the store marks it disabled/, "disabled by the store"],
  [/^the store marks it deprecated/, "deprecated by the store"],
  [/^does not run on /, "not built for this cluster's architecture"],
  [/bind-mounts the host path /, "a host path"],
  [/passes the host devices? .* into its container/, "a host device"],
  [
    /(NVIDIA|GPUs?\b).*which Proximity does not pass into an app's container/,
    "an NVIDIA GPU it cannot run without",
  ],
  [
    /mounts the single file .*a volume at its directory would hide/,
    "a single file in a directory a volume would hide",
  ],
  [/: needs Umbrel's Tor service$/, "Umbrel's Tor service"],
  [
    /, (which only \S+ provides|a value another Umbrel app provides)$/,
    "values only Umbrel or another app provides",
  ],
  [/^uses \$\{APP_DATA_DIR\} outside a volume/, "${APP_DATA_DIR} outside a volume"],
  [/a template the store fills in/, "a template the store fills in at install"],
  [/a public default credential is never imported/, "a fixed credential the store ships"],
  [/cap_add may only name /, "capabilities beyond NET_ADMIN, NET_RAW, SYS_PTRACE"],
  [/APP_HOST .* names no service/, "app_proxy names no service of the app"],
  [/^has no app_proxy|^app_proxy names no web port/, "no web port in app_proxy"],
];

/**
 * What a reason not in KNOWN has in common with its kind: the service, paths, quoted names, variables and
 * numbers left out, so that "service web: privileged is not allowed" and "service app: privileged is not
 * allowed" are one group.
 */
function generalised(reason: string): string {
  return reason
    .replace(/^compose: /, "")
    .replace(/service [^:]+: /, "")
    .replace(/"[^"]*"/g, "“…”")
    .replace(/\$\{[A-Za-z0-9_]+\}/g, "${…}")
    .replace(/(^|\s)\/\S*/g, "$1…")
    .replace(/\d+/g, "N")
    .replace(/ is not allowed$/, " (not allowed)")
    .slice(0, 120);
}

function keyOf(label: string): string {
  return (
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 60) || "other"
  );
}

/** The group of one refusal reason. */
export function refusalGroup(reason: string): { key: string; label: string } {
  const known = KNOWN.find(([pattern]) => pattern.test(reason));
  const label = known ? known[1] : generalised(reason);
  return { key: keyOf(label), label };
}

/** The group an entry is counted in: its first reason's (so each refused app counts once). */
function groupOf(entry: ReportEntry): string | undefined {
  return entry.status === "refused" && entry.reasons[0] ? refusalGroup(entry.reasons[0]).key : undefined;
}

/** The refused entries by the group of their first reason, the biggest first (then by label). */
export function refusalGroups(entries: ReportEntry[]): RefusalGroup[] {
  const groups = new Map<string, RefusalGroup>();
  for (const e of entries) {
    if (e.status !== "refused" || !e.reasons[0]) continue;
    const { key, label } = refusalGroup(e.reasons[0]);
    const g = groups.get(key) ?? { key, label, count: 0 };
    g.count++;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

export interface ReportFilter {
  /** Which entries: refused, imported or all. */
  status: ReportStatus;
  /** A refusal group's key: only the refused entries counted in it (status is then `refused`). */
  reason?: string | undefined;
}

/** The entries a filter keeps, in the report's order. */
export function filterReport(entries: ReportEntry[], filter: ReportFilter): ReportEntry[] {
  if (filter.reason) return entries.filter((e) => groupOf(e) === filter.reason);
  if (filter.status === "all") return entries;
  return entries.filter((e) => e.status === filter.status);
}

/** What a reader of the report asks for: a filter and, optionally, one page of what it keeps. */
export interface ReportQuery extends ReportFilter {
  /** 1-based; a page past the end is the last one. Without it, every entry the filter keeps. */
  page?: number | undefined;
  perPage?: number | undefined;
}

export interface ReportView {
  /** The entries of the page asked for (all the filter keeps without a page). */
  entries: ReportEntry[];
  /** How many entries the filter keeps, over every page. */
  total: number;
  page: number;
  pages: number;
  imported: number;
  refused: number;
  /** Every refusal of the import by reason, whatever the filter. */
  groups: RefusalGroup[];
}

/** The report as a reader asks for it: the counts and groups of the whole import, and the entries asked for. */
export function viewReport(entries: ReportEntry[], query: ReportQuery): ReportView {
  const kept = filterReport(entries, query);
  const perPage = query.perPage ?? Math.max(1, kept.length);
  const pages = Math.max(1, Math.ceil(kept.length / perPage));
  const page = Math.min(Math.max(1, query.page ?? 1), pages);
  const refused = entries.filter((e) => e.status === "refused").length;
  return {
    entries: kept.slice((page - 1) * perPage, page * perPage),
    total: kept.length,
    page,
    pages,
    imported: entries.length - refused,
    refused,
    groups: refusalGroups(entries),
  };
}
