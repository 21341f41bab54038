/**
 * Scale of the work: the same operations timed with 1,000 apps (10,000 deployment-log rows) and with
 * 100,000 apps (1,000,000 rows), on one PostgreSQL, through Proximity's HTTP API. Goal: each within 2× of
 * its 1,000-app time. Then EXPLAIN (ANALYZE) of the hot queries at 100,000.
 *
 *   bun bench/scale.ts [requests-per-operation=20]
 *   BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): a database proximity_bench_scale is
 *   created (dropped first) next to it.
 *
 * Apps are seeded with SQL on a host that does not answer, with statuses the reconcile leaves alone
 * (unknown, error): reconcile then reads every app of the host and rewrites none, so what is timed is the
 * read, not 100,000 status changes.
 */
import type postgres from "postgres";
import type { ProximityProcess } from "../tests/helpers/process.ts";
import { freshBenchDatabase, proximityOn, seedApps, unreachableHost } from "./lib/bench-database.ts";

const perOp = Number(process.argv[2] ?? 20);
const LOGS_PER_APP = 10;

/** Apps up to `upTo`, each new one with its deployment log, written out before anything is timed. */
async function seed(sql: postgres.Sql, ownerId: string, hostId: string, upTo: number): Promise<void> {
  const n = await seedApps(sql, ownerId, hostId, upTo);
  if (n >= upTo) return;
  await sql`
    insert into deployment_logs (app_id, level, step, message)
    select a.id, 'info', 'install', 'step ' || s || ' of the deployment of ' || a.hostname
    from applications a cross join generate_series(1, ${LOGS_PER_APP}::int) as s
    where a.vmid > ${1000 + n}`;
  // As autovacuum would leave them, and with the write-out done before anything is timed (otherwise the
  // first 100,000-app timings share the disk with the checkpoint of 1,000,000 new rows).
  await sql`vacuum (analyze) applications`;
  await sql`vacuum (analyze) deployment_logs`;
  await sql`checkpoint`;
}

interface Op {
  name: string;
  method?: string;
  path: (appId: string) => string;
  times?: number;
}

const OPS: Op[] = [
  { name: "list: GET /api/v1/apps?per_page=50", path: () => "/api/v1/apps?per_page=50" },
  { name: "list, page 20", path: () => "/api/v1/apps?per_page=50&page=20" },
  { name: "filter: ?status=error", path: () => "/api/v1/apps?per_page=50&status=error" },
  { name: "search: ?q=app-77", path: () => "/api/v1/apps?per_page=50&q=app-77" },
  { name: "one app", path: (id) => `/api/v1/apps/${id}` },
  { name: "deployment log page of one app", path: (id) => `/api/v1/apps/${id}/logs` },
  { name: "dashboard counts: GET /metrics", path: () => "/metrics" },
  {
    name: "reconcile: POST /api/v1/apps/reconcile",
    method: "POST",
    path: () => "/api/v1/apps/reconcile",
    times: 5,
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeOps(proc: ProximityProcess, token: string, appId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const op of OPS) {
    const n = op.times ?? perOp;
    const once = async () => {
      const started = performance.now();
      const res = await fetch(`${proc.url}${op.path(appId)}`, {
        method: op.method ?? "GET",
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${op.name}: ${res.status}`);
      return performance.now() - started;
    };
    await once(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(await once());
    out.set(op.name, median(times));
  }
  return out;
}

/** The queries behind the operations, as the services send them (parameters inlined). */
function hotQueries(hostId: string, appId: string): { what: string; sql: string }[] {
  return [
    {
      what: "app list page (admin)",
      sql: "select * from applications order by created_at desc, hostname asc limit 50 offset 0",
    },
    { what: "app list total (admin)", sql: "select count(*) from applications" },
    {
      what: "status filter page",
      sql: "select * from applications where status = 'error' order by created_at desc, hostname asc limit 50",
    },
    { what: "status filter total", sql: "select count(*) from applications where status = 'error'" },
    {
      what: "deployment log page",
      sql: `select * from deployment_logs where app_id = '${appId}' order by id asc limit 200`,
    },
    {
      what: "dashboard / /metrics: apps by status",
      sql: "select status, count(*)::int as n from applications group by status order by status",
    },
    {
      what: "reconcile: apps of a host",
      sql: `select * from applications where host_id = '${hostId}' and status in ('running','stopped','missing','unknown') and vmid is not null`,
    },
  ];
}

const db = await freshBenchDatabase("proximity_bench_scale");
const sql = db.sql;
let proximity: ProximityProcess | undefined;
try {
  const running = await proximityOn(db, "/tmp/proximity-bench-scale");
  proximity = running.proximity;
  const login = running.user;
  const hostId = await unreachableHost(sql);
  await seed(sql, login.userId, hostId, 1_000);
  const [one] = await sql`select id from applications where vmid = 1500`;
  const small = await timeOps(proximity, login.token, one!.id);
  let started = performance.now();
  await seed(sql, login.userId, hostId, 100_000);
  console.log(
    `seeded 100,000 apps and ${100_000 * LOGS_PER_APP} log rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  started = performance.now();
  const large = await timeOps(proximity, login.token, one!.id);
  console.log(`timed in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  console.log(`\nmedian of ${perOp} sequential requests (reconcile: 5), ms\n`);
  console.log("| operation | 1,000 apps | 100,000 apps | ratio | goal ≤ 2× |\n|---|---|---|---|---|");
  for (const op of OPS) {
    const a = small.get(op.name)!;
    const b = large.get(op.name)!;
    console.log(
      `| ${op.name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)} | ${b / a <= 2 ? "met" : "NOT met"} |`,
    );
  }

  console.log("\nEXPLAIN (ANALYZE) at 100,000 apps / 1,000,000 log rows:\n");
  for (const q of hotQueries(hostId, one!.id)) {
    const rows = (await sql.unsafe(`explain (analyze, costs off, timing on) ${q.sql}`)) as unknown as {
      "QUERY PLAN": string;
    }[];
    console.log(`-- ${q.what}\n${rows.map((r) => r["QUERY PLAN"]).join("\n")}\n`);
  }
} finally {
  await proximity?.stop();
  await sql.end();
}
