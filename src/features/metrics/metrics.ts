/**
 * Proximity's metrics. In-process counters and histograms for what this instance does (HTTP requests,
 * Proxmox calls), and values read from the database at scrape time for shared state (apps by status, jobs
 * by kind and status, job durations, backups): with several instances on one PostgreSQL every instance
 * reports the same database-wide numbers for those, so aggregate them with max(), not sum().
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/connect.ts";
import { rowsOf } from "../../db/rows.ts";
import type { ProxmoxCallInfo } from "../../proxmox/index.ts";
import { gaugeFamily, histogramFamily, Registry } from "./registry.ts";

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const PROXMOX_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const JOB_BUCKETS = [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export class Metrics {
  private readonly registry = new Registry();
  readonly httpRequests = this.registry.counter(
    "proximity_http_requests_total",
    "HTTP requests by method, route template and status",
  );
  readonly httpDuration = this.registry.histogram(
    "proximity_http_request_duration_seconds",
    "HTTP request duration by route template",
    HTTP_BUCKETS,
  );
  readonly proxmoxCalls = this.registry.counter(
    "proximity_proxmox_requests_total",
    "Proxmox API calls by method, path template and HTTP status",
  );
  readonly proxmoxDuration = this.registry.histogram(
    "proximity_proxmox_request_duration_seconds",
    "Proxmox API call latency by method and path template",
    PROXMOX_BUCKETS,
  );
  readonly proxmoxErrors = this.registry.counter(
    "proximity_proxmox_errors_total",
    "Failed Proxmox API calls by error type",
  );

  constructor(
    private readonly db: Db,
    private readonly info: { version: string },
  ) {}

  /** For the hosts service observers: every Proxmox REST call, including retries. */
  observeProxmoxCall(info: ProxmoxCallInfo): void {
    const labels = { method: info.method, path: info.path };
    this.proxmoxCalls.inc({ ...labels, status: String(info.status) });
    this.proxmoxDuration.observe(labels, info.durationMs / 1000);
    if (info.errorKind || info.error) this.proxmoxErrors.inc({ kind: info.errorKind ?? "http" });
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route }, seconds);
  }

  async render(): Promise<string> {
    const [apps, jobs, durations, backups] = await Promise.all([
      this.db.execute(
        sql`select status, count(*)::int as n from applications group by status order by status`,
      ),
      this.db.execute(
        sql`select kind, status, count(*)::int as n from jobs group by kind, status order by kind, status`,
      ),
      this.db.execute(sql`
        select kind, status, count(*)::int as n, coalesce(sum(d), 0)::float8 as s,
          ${sql.raw(JOB_BUCKETS.map((b, i) => `count(*) filter (where d <= ${b})::int as b${i}`).join(", "))}
        from (
          select kind, status, extract(epoch from (finished_at - started_at))::float8 as d
          from jobs where finished_at is not null and started_at is not null
        ) t group by kind, status order by kind, status`),
      this.db.execute(sql`select status, count(*)::int as n from backups group by status order by status`),
    ]);
    const lines = [
      ...gaugeFamily("proximity_build_info", "Proximity version", [
        { labels: { version: this.info.version }, value: 1 },
      ]),
      ...gaugeFamily("proximity_apps", "Apps by status", counts(apps, "status")),
      ...gaugeFamily(
        "proximity_jobs",
        "Jobs in the database by kind and status",
        counts(jobs, "kind", "status"),
      ),
      ...histogramFamily(
        "proximity_job_duration_seconds",
        "Duration of finished jobs (first start to finish) by kind and outcome",
        JOB_BUCKETS,
        rowsOf<Record<string, unknown>>(durations).map((r) => ({
          labels: { kind: String(r.kind), status: String(r.status) },
          counts: JOB_BUCKETS.map((_, i) => Number(r[`b${i}`])),
          sum: Number(r.s),
          count: Number(r.n),
        })),
      ),
      ...gaugeFamily("proximity_backups", "Backups by status", counts(backups, "status")),
      ...this.registry.render(),
    ];
    return `${lines.join("\n")}\n`;
  }
}

/** Gauge samples from `group by` rows: `n` is the value, the grouped columns are the labels. */
function counts(result: unknown, ...columns: string[]): { labels: Record<string, string>; value: number }[] {
  return rowsOf<Record<string, unknown>>(result).map((r) => ({
    labels: Object.fromEntries(columns.map((c) => [c, String(r[c])])),
    value: Number(r.n),
  }));
}
