/**
 * Per-request overhead of the Sentry layer: three Proximity processes in the same run — Sentry off, production
 * settings (traces 10 %, debug off) and development settings (traces 100 %, debug on) — both reporting to a
 * local fake ingest. The same authenticated request mix is driven at each from this process, in interleaved
 * rounds, and the medians are printed as ratios to "off".
 *
 *   bun bench/sentry-overhead.ts [requests-per-round=2000] [rounds=5] [concurrency=16]
 */
import { startFakeSentry } from "../tests/helpers/fake-sentry.ts";
import { type ProximityProcess, spawnProximity } from "../tests/helpers/process.ts";

const perRound = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 5);
const concurrency = Number(process.argv[4] ?? 16);
const PASSWORD = "bench-password-123";

const ingest = startFakeSentry();
const common = {
  DATABASE_URL: "memory://",
  PROXIMITY_SECRET_KEY: "bench-secret-key-0123456789abcdef0123456789",
  NODE_ENV: "production",
};
const variants: { name: string; env: Record<string, string> }[] = [
  { name: "off", env: { SENTRY_DSN: "" } },
  { name: "production", env: { SENTRY_DSN: ingest.dsn, SENTRY_ENVIRONMENT: "production" } },
  { name: "development", env: { SENTRY_DSN: ingest.dsn, SENTRY_ENVIRONMENT: "development" } },
];

interface Target {
  name: string;
  proc: ProximityProcess;
  token: string;
  userId: string;
}

async function prepare(name: string, env: Record<string, string>): Promise<Target> {
  const proc = await spawnProximity({ ...common, DATA_DIR: `/tmp/proximity-bench-${name}`, ...env });
  const post = (path: string, body: unknown) =>
    fetch(`${proc.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await post("/api/v1/auth/register", { username: "bench", password: PASSWORD });
  const login = (await (
    await post("/api/v1/auth/login", { username: "bench", password: PASSWORD })
  ).json()) as {
    access_token: string;
    user: { id: string };
  };
  return { name, proc, token: login.access_token, userId: login.user.id };
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

async function round(t: Target): Promise<number> {
  let next = 0;
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
  return ((performance.now() - started) * 1000) / perRound; // µs per request
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const targets: Target[] = [];
for (const v of variants) targets.push(await prepare(v.name, v.env));
try {
  for (const t of targets) await round(t); // warm-up (JIT, DB caches)
  const results = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) results.get(t.name)!.push(await round(t));
  }
  const off = median(results.get("off")!);
  console.log(
    `\nSentry overhead per request (${perRound} requests × ${rounds} rounds, concurrency ${concurrency})`,
  );
  console.log("settings       median µs/req   ratio to off");
  for (const t of targets) {
    const m = median(results.get(t.name)!);
    console.log(`${t.name.padEnd(14)} ${m.toFixed(1).padStart(13)}   ${(m / off).toFixed(2).padStart(12)}`);
  }
  console.log(
    `(fake ingest received ${ingest.events().length} events, ${ingest.transactions().length} transactions)`,
  );
} finally {
  for (const t of targets) await t.proc.stop();
  await ingest.stop();
}
