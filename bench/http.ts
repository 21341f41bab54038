/**
 * HTTP hot path against its ceilings, all in one run on one PostgreSQL:
 *   - bare Hono JSON handler        vs  Proximity GET /health
 *   - Hono + postgres.js, one row   vs  Proximity GET /api/v1/auth/me (JWT + the user row)
 *   - Hono + postgres.js, 50 + count vs Proximity GET /api/v1/apps?per_page=50, with 1,000 and 100,000 apps
 * Each pair is measured back to back (wrk -t1 -c64), `rounds` times, alternating which goes first; the
 * best round of each is kept (the machine is shared, the best round is the least disturbed one).
 *
 *   bun bench/http.ts [seconds=5] [rounds=2]
 *   BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): a database proximity_bench_http is
 *   created (dropped first) next to it.
 */
import type postgres from "postgres";
import type { ProximityProcess } from "../tests/helpers/process.ts";
import { freshBenchDatabase, proximityOn, seedApps, unreachableHost } from "./lib/bench-database.ts";
import { ensureWrk, type WrkResult, wrk } from "./lib/wrk.ts";

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 2);

ensureWrk();

interface Server {
  url: string;
  stop(): Promise<unknown>;
}

async function spawnCeiling(mode: "bare" | "pg", env: Record<string, string> = {}): Promise<Server> {
  const proc = Bun.spawn(["bun", "bench/lib/ceiling-server.ts", mode], {
    env: { ...process.env, PORT: "0", DATABASE_URL: db.url, ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!/listening on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`ceiling ${mode} exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  return {
    url: out.match(/listening on (\S+)/)![1]!,
    stop: () => {
      proc.kill();
      return proc.exited;
    },
  };
}

/** Apps up to `upTo`, analysed as autovacuum would leave them. */
async function seed(sql: postgres.Sql, ownerId: string, hostId: string, upTo: number): Promise<void> {
  await seedApps(sql, ownerId, hostId, upTo);
  await sql`analyze applications`;
}

type Pair = { what: string; proximity: WrkResult; ceiling: WrkResult; goal: number };

async function pair(
  what: string,
  goal: number,
  prox: { url: string; headers?: Record<string, string> },
  ceil: { url: string },
): Promise<Pair> {
  let bestP: WrkResult | undefined;
  let bestC: WrkResult | undefined;
  // Warm-up: JIT and the database's caches.
  await wrk(prox.url, { ...prox, seconds: 1 });
  await wrk(ceil.url, { seconds: 1 });
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["p", "c"] : ["c", "p"];
    for (const o of order) {
      const res = o === "p" ? await wrk(prox.url, { ...prox, seconds }) : await wrk(ceil.url, { seconds });
      if (o === "p" && (!bestP || res.rps > bestP.rps)) bestP = res;
      if (o === "c" && (!bestC || res.rps > bestC.rps)) bestC = res;
    }
  }
  const p = { what, proximity: bestP!, ceiling: bestC!, goal };
  console.log(line(p));
  return p;
}

const fmt = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
function line(p: Pair): string {
  const ratio = p.proximity.rps / p.ceiling.rps;
  return [
    p.what.padEnd(34),
    `${fmt(p.proximity.rps).padStart(7)}/s p99 ${p.proximity.p99ms.toFixed(1).padStart(6)} ms`,
    `${fmt(p.ceiling.rps).padStart(7)}/s p99 ${p.ceiling.p99ms.toFixed(1).padStart(6)} ms`,
    `${ratio.toFixed(2).padStart(5)} (goal ≥ ${p.goal.toFixed(2)}) ${ratio >= p.goal ? "met" : "NOT met"}`,
    p.proximity.errors || p.ceiling.errors ? ` errors ${p.proximity.errors}/${p.ceiling.errors}` : "",
  ].join(" | ");
}

const db = await freshBenchDatabase("proximity_bench_http");
const sql = db.sql;
let proximity: ProximityProcess | undefined;
const servers: Server[] = [];
try {
  const running = await proximityOn(db, "/tmp/proximity-bench-http");
  proximity = running.proximity;
  const login = running.user;
  const auth = { authorization: `Bearer ${login.token}` };
  const hostId = await unreachableHost(sql);
  await seed(sql, login.userId, hostId, 1_000);

  const bare = await spawnCeiling("bare");
  const pg = await spawnCeiling("pg", { BENCH_USER_ID: login.userId });
  servers.push(bare, pg);

  console.log(
    `wrk -t1 -c64 -d${seconds}s, best of ${rounds} rounds; PostgreSQL ${(await sql`show server_version`)[0]!.server_version}; ${navigator.hardwareConcurrency} cores`,
  );
  console.log(`${"what".padEnd(34)} | ${"Proximity".padEnd(27)} | ${"ceiling".padEnd(27)} | ratio`);
  const results: Pair[] = [];
  results.push(
    await pair("GET /health", 0.8, { url: `${proximity.url}/health` }, { url: `${bare.url}/health` }),
  );
  results.push(
    await pair(
      "GET /api/v1/auth/me",
      0.7,
      { url: `${proximity.url}/api/v1/auth/me`, headers: auth },
      {
        url: `${pg.url}/me`,
      },
    ),
  );
  const list = { url: `${proximity.url}/api/v1/apps?per_page=50`, headers: auth };
  results.push(await pair("GET /api/v1/apps 50 of 1,000", 0.8, list, { url: `${pg.url}/apps?per_page=50` }));
  await seed(sql, login.userId, hostId, 100_000);
  results.push(
    await pair("GET /api/v1/apps 50 of 100,000", 0.8, list, { url: `${pg.url}/apps?per_page=50` }),
  );
  console.log(
    "\n| what | Proximity req/s (p99) | ceiling req/s (p99) | ratio | goal |\n|---|---|---|---|---|",
  );
  for (const p of results) {
    console.log(
      `| ${p.what} | ${fmt(p.proximity.rps)} (${p.proximity.p99ms.toFixed(1)} ms) | ${fmt(p.ceiling.rps)} (${p.ceiling.p99ms.toFixed(1)} ms) | ${(p.proximity.rps / p.ceiling.rps).toFixed(2)} | ≥ ${p.goal.toFixed(2)} |`,
    );
  }
} finally {
  for (const s of servers) await s.stop();
  await proximity?.stop();
  await sql.end();
}
