/**
 * Per-request overhead of the Sentry layer: three Proximity processes in the same run — Sentry off, production
 * settings (traces 10 %, debug off) and development settings (traces 100 %, debug on) — both reporting to a
 * local fake ingest. The same authenticated request mix is driven at each from this process, in interleaved
 * rounds, and the medians are printed as ratios to "off": the wall time per request seen by the client, the
 * CPU time the server process itself used per request (from /proc; far less sensitive to other load on a
 * shared machine than the wall time), and that of its JavaScript thread alone (without the JIT compiler's
 * threads, which compile the SDK's code for longer than the one warm-up round).
 *
 * The ingest runs in a child process (bench/lib/ingest-process.ts) unless `--ingest-in-process` is given:
 * in this process it parsed every envelope on the CPU that drives the load, which charged the Sentry
 * variants for the bench's own work (development sends one transaction per request).
 *
 * With `--baseline=DIR` (another checkout of Proximity, dependencies installed) a fourth process runs
 * production settings from that tree, in the same interleaved rounds: a change's before and after side by
 * side in one run, which takes the shared machine's drift out of the comparison.
 *
 *   bun bench/sentry-overhead.ts [requests-per-round=2000] [rounds=5] [concurrency=16] [--baseline=DIR]
 */
import { startFakeSentry } from "../tests/helpers/fake-sentry.ts";
import { type ProximityProcess, spawnProximity } from "../tests/helpers/process.ts";
import { signUpBenchUser } from "./lib/bench-user.ts";
import { type IngestChild, startIngestProcess } from "./lib/ingest-child.ts";

const inProcess = process.argv.includes("--ingest-in-process");
const baseline = process.argv.find((a) => a.startsWith("--baseline="))?.slice("--baseline=".length);
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const perRound = Number(args[0] ?? 2000);
const rounds = Number(args[1] ?? 5);
const concurrency = Number(args[2] ?? 16);

async function startIngest(): Promise<IngestChild> {
  if (!inProcess) return startIngestProcess();
  const fake = startFakeSentry();
  return {
    dsn: fake.dsn,
    counts: async () => ({ events: fake.events().length, transactions: fake.transactions().length }),
    stop: () => fake.stop(),
  };
}

const ingest = await startIngest();
const common = {
  DATABASE_URL: "memory://",
  PROXIMITY_SECRET_KEY: "bench-secret-key-0123456789abcdef0123456789",
  NODE_ENV: "production",
};
const variants: { name: string; env: Record<string, string>; cwd?: string }[] = [
  { name: "off", env: { SENTRY_DSN: "" } },
  { name: "production", env: { SENTRY_DSN: ingest.dsn, SENTRY_ENVIRONMENT: "production" } },
  { name: "development", env: { SENTRY_DSN: ingest.dsn, SENTRY_ENVIRONMENT: "development" } },
];
if (baseline) {
  variants.push({
    name: "prod baseline",
    env: { SENTRY_DSN: ingest.dsn, SENTRY_ENVIRONMENT: "production" },
    cwd: baseline,
  });
}

interface Target {
  name: string;
  proc: ProximityProcess;
  token: string;
  userId: string;
}

async function prepare(name: string, env: Record<string, string>, cwd?: string): Promise<Target> {
  const dataDir = `/tmp/proximity-bench-${name.replace(/\W+/g, "-")}`;
  const proc = await spawnProximity({ ...common, DATA_DIR: dataDir, ...env }, undefined, undefined, cwd);
  const login = await signUpBenchUser(proc.url);
  return { name, proc, token: login.token, userId: login.userId };
}

/** The mix: an authenticated read with a DB lookup, a parameterised route, a 404 and a liveness probe. */
function requestFor(t: Target, i: number): Promise<Response> {
  const auth = { authorization: `Bearer ${t.token}` };
  switch (i % 4) {
    case 0:
      return fetch(`${t.proc.url}/api/v1/auth/me`, { headers: auth });
    case 1:
      return fetch(`${t.proc.url}/api/v1/users/${t.userId}`, { headers: auth });
    case 2:
      return fetch(`${t.proc.url}/api/v1/users/00000000-0000-4000-8000-000000000000`, { headers: auth });
    default:
      return fetch(`${t.proc.url}/health`);
  }
}

/**
 * CPU time (user + system) the process has used so far, in µs (Linux /proc; 10 ms ticks); with `thread`,
 * only its JavaScript thread's (the main thread: no JIT compiler, collector or HTTP client threads).
 */
async function cpuMicros(pid: number, thread = false): Promise<number> {
  const stat = await Bun.file(thread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`).text();
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of the line (utime, stime) are 11 and 12 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
}
const TICKS_PER_SECOND = 100;

/** One round: wall µs per request (seen by the client) and the server's own CPU µs per request. */
async function round(t: Target): Promise<{ wall: number; cpu: number; js: number }> {
  let next = 0;
  const cpuBefore = await cpuMicros(t.proc.proc.pid);
  const jsBefore = await cpuMicros(t.proc.proc.pid, true);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < perRound) {
        const i = next++;
        const res = await requestFor(t, i);
        await res.arrayBuffer();
      }
    }),
  );
  const wall = ((performance.now() - started) * 1000) / perRound;
  const cpu = ((await cpuMicros(t.proc.proc.pid)) - cpuBefore) / perRound;
  const js = ((await cpuMicros(t.proc.proc.pid, true)) - jsBefore) / perRound;
  return { wall, cpu, js };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const targets: Target[] = [];
for (const v of variants) targets.push(await prepare(v.name, v.env, v.cwd));
try {
  for (const t of targets) await round(t); // warm-up (JIT, DB caches)
  const wall = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const cpu = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const js = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    // A new order each round: in the fixed one, the tree in the fourth place (after development) came out
    // ahead of the tree in the second place in wall time whichever tree it was (docs/performance.md).
    const order = [...targets].sort(() => Math.random() - 0.5);
    for (const t of order) {
      const one = await round(t);
      wall.get(t.name)!.push(one.wall);
      cpu.get(t.name)!.push(one.cpu);
      js.get(t.name)!.push(one.js);
    }
  }
  const offWall = median(wall.get("off")!);
  const offCpu = median(cpu.get("off")!);
  const offJs = median(js.get("off")!);
  console.log(
    `\nSentry overhead per request (${perRound} requests × ${rounds} rounds, concurrency ${concurrency})`,
  );
  console.log(
    "settings       median µs/req   ratio to off   server CPU µs/req   ratio to off   JS thread µs/req   ratio to off",
  );
  for (const t of targets) {
    const w = median(wall.get(t.name)!);
    const c = median(cpu.get(t.name)!);
    const j = median(js.get(t.name)!);
    console.log(
      `${t.name.padEnd(14)} ${w.toFixed(1).padStart(13)}   ${(w / offWall).toFixed(2).padStart(12)}   ${c.toFixed(1).padStart(17)}   ${(c / offCpu).toFixed(2).padStart(12)}   ${j.toFixed(1).padStart(16)}   ${(j / offJs).toFixed(2).padStart(12)}`,
    );
  }
  const counts = await ingest.counts();
  console.log(
    `(fake ingest ${inProcess ? "in this process" : "in a child process"} received ${counts.events} events, ${counts.transactions} transactions)`,
  );
  if (baseline) console.log(`(prod baseline: production settings from ${baseline})`);
} finally {
  for (const t of targets) await t.proc.stop();
  await ingest.stop();
}
