/**
 * A CPU profile of one Proximity process with the Sentry layer in a given setting, under wrk load, to see
 * where the per-request overhead goes. Proximity runs under `bun --cpu-prof-md` and reports to the local
 * fake ingest; the profile (markdown, self-time table first) is written to the directory given.
 *
 *   bun bench/sentry-profile.ts [off|production|development] [seconds=10] [path=/api/v1/auth/me] [out-dir=/tmp]
 *   BENCH_DATABASE_URL: the database (default memory://, in-memory PGlite); LOG_LEVEL=warn.
 *   BENCH_SEED_APPS=N (PostgreSQL only): N apps inserted with SQL before the load (for /api/v1/apps).
 */
import postgres from "postgres";
import { startFakeSentry } from "../tests/helpers/fake-sentry.ts";
import { signUpBenchUser } from "./lib/bench-user.ts";
import { spawnQuiet } from "./lib/spawn-quiet.ts";
import { ensureWrk, wrk } from "./lib/wrk.ts";

const setting = process.argv[2] ?? "production";
const seconds = Number(process.argv[3] ?? 10);
const path = process.argv[4] ?? "/api/v1/auth/me";
const outDir = process.argv[5] ?? "/tmp";

ensureWrk();
const ingest = startFakeSentry();
const sentryEnv: Record<string, string> =
  setting === "off"
    ? { SENTRY_DSN: "" }
    : {
        SENTRY_DSN: ingest.dsn,
        SENTRY_ENVIRONMENT: setting === "development" ? "development" : "production",
      };
const proc = await spawnQuiet(
  {
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? "memory://",
    PROXIMITY_SECRET_KEY: "bench-secret-key-0123456789abcdef0123456789",
    NODE_ENV: "production",
    DATA_DIR: `/tmp/proximity-profile-${setting}`,
    ...sentryEnv,
  },
  [
    "bun",
    "--cpu-prof-md",
    `--cpu-prof-dir=${outDir}`,
    `--cpu-prof-name=proximity-sentry-${setting}.md`,
    "src/index.ts",
  ],
);
try {
  const login = await signUpBenchUser(proc.url);
  const headers = { authorization: `Bearer ${login.token}` };
  const seedApps = Number(process.env.BENCH_SEED_APPS ?? 0);
  if (seedApps > 0 && process.env.BENCH_DATABASE_URL) {
    const sql = postgres(process.env.BENCH_DATABASE_URL, { max: 1, onnotice: () => {} });
    const [host] = await sql`
      insert into proxmox_hosts (name, api_url, auth_kind) values ('bench', 'https://127.0.0.1:1', 'token')
      returning id`;
    await sql`
      insert into applications (owner_id, host_id, node, vmid, catalog_id, catalog_version, name, hostname,
                                status, resources, environment, created_at)
      select ${login.userId}, ${host!.id}, 'pve', 1000 + i, 'nginx', '1.0.0', 'app ' || i, 'app-' || i,
             (array['unknown','error'])[1 + i % 2], '{"cores":1,"memory_mb":512,"disk_gb":4}'::jsonb,
             '{}'::jsonb, now() - i * interval '1 second'
      from generate_series(1, ${seedApps}::int) as i`;
    await sql`analyze applications`;
    await sql.end();
  }
  await wrk(`${proc.url}${path}`, { headers, seconds: 2, connections: 16 }); // warm-up
  const r = await wrk(`${proc.url}${path}`, { headers, seconds, connections: 16 });
  console.log(
    `${setting} ${path}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50ms.toFixed(2)} ms, p99 ${r.p99ms.toFixed(2)} ms, errors ${r.errors}`,
  );
} finally {
  await proc.stop();
  await ingest.stop();
}
console.log(`profile: ${outDir}/proximity-sentry-${setting}.md`);
