/**
 * What the Sentry layer costs per request, measured inside ONE process so that nothing but the layer differs:
 * the real app (createApp over real services, in-memory PGlite) is driven with `app.request` (no HTTP server
 * or client in the figure), in batches that alternate, in a shuffled order, between
 * - "off": an app built with the layer off (no request layer; the query wrappers see no unit), and
 * - the same app with the layer at traces rate 0 %, 10 % (production) and 100 %,
 * all reporting to the fake ingest in a child process. Each batch ends with a flush of the client, so the
 * transactions it sampled are built and sent inside its own measurement. The figure is the process's CPU
 * time (every thread: the JavaScript thread, the JIT compiler, the collector, the HTTP client that sends the
 * envelopes) per request over all batches of a variant, and the JavaScript thread's alone; a process on a
 * shared machine drifts much less against itself than three processes do against each other
 * (bench/sentry-overhead.ts).
 *
 *   bun bench/sentry-layer.ts [requests-per-batch=1000] [repetitions=12] [concurrency=16] [--only=VARIANT]
 */
import { startIngestProcess } from "./lib/ingest-child.ts";

/** `--only=off|0|0.1|1`: that variant alone, for a CPU profile (`bun --cpu-prof-md bench/sentry-layer.ts`). */
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const perBatch = Number(args[0] ?? 1000);
const repetitions = Number(args[1] ?? 12);
const concurrency = Number(args[2] ?? 16);

const ingest = await startIngestProcess();
Object.assign(process.env, {
  SENTRY_DSN: ingest.dsn,
  SENTRY_ENVIRONMENT: "production",
  // The SDK samples whatever the layer decided to sample: the layer's own rate is set per batch below.
  SENTRY_TRACES_SAMPLE_RATE: "1",
  DATABASE_URL: "memory://",
  DATA_DIR: "/tmp/proximity-bench-sentry-layer",
  PROXIMITY_SECRET_KEY: "bench-secret-key-0123456789abcdef0123456789",
  NODE_ENV: "production",
  PASSWORD_HASH_MEMORY_KIB: "4096",
});
// bunfig preloads src/instrument.ts before this file sets SENTRY_DSN: start the layer now, as it would.
await (await import("../src/observability/init.ts")).initObservabilityFromEnv();
const { createApp } = await import("../src/boot/app.ts");
const { buildServices } = await import("../src/boot/container.ts");
const { loadConfig } = await import("../src/core/config.ts");
const { configureLogging } = await import("../src/core/log.ts");
const { deriveKeys, loadOrCreateSecret } = await import("../src/crypto/keys.ts");
const { connectDatabase } = await import("../src/db/connect.ts");
const { migrate } = await import("../src/db/migrate.ts");
const { hostsObservers } = await import("../src/observability/index.ts");
const { Sentry } = await import("../src/observability/sdk.ts");
const { state } = await import("../src/observability/state.ts");

if (!state.enabled || !state.settings) throw new Error("Sentry did not start");
const settings = state.settings;
const config = loadConfig();
// As the server bench runs it (LOG_LEVEL info would add an access line per request to every variant).
configureLogging({ level: "warn", format: "json" });
const database = await connectDatabase({ kind: "pglite", dataDir: null });
await migrate(database.db);
const keys = await deriveKeys(loadOrCreateSecret(config.dataDir, config.PROXIMITY_SECRET_KEY));
const observers = hostsObservers((id: string) => services.hosts.get(id));
const services = buildServices(config, database, keys, { hosts: { observers } });
const appOn = createApp(services);
state.enabled = false;
const appOff = createApp(services);
state.enabled = true;

const base = "http://127.0.0.1:1";
const postJson = (app: RequestTarget, path: string, body: unknown) =>
  app.request(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const credentials = { username: "bench", password: "bench-password-123" };
await postJson(appOn, "/api/v1/auth/register", credentials);
const login = (await (await postJson(appOn, "/api/v1/auth/login", credentials)).json()) as {
  access_token: string;
  user: { id: string };
};
const auth = { authorization: `Bearer ${login.access_token}` };

/** The mix of bench/sentry-overhead.ts. */
function requestFor(app: RequestTarget, i: number): Response | Promise<Response> {
  switch (i % 4) {
    case 0:
      return app.request(`${base}/api/v1/auth/me`, { headers: auth });
    case 1:
      return app.request(`${base}/api/v1/users/${login.user.id}`, { headers: auth });
    case 2:
      return app.request(`${base}/api/v1/users/00000000-0000-4000-8000-000000000000`, { headers: auth });
    default:
      return app.request(`${base}/health`);
  }
}

/** What the bench needs of an app (the real one is an OpenAPIHono with the app's own environment). */
interface RequestTarget {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

interface Variant {
  name: string;
  app: RequestTarget;
  rate: number | undefined;
}
const allVariants: (Variant & { key: string })[] = [
  { key: "off", name: "off", app: appOff, rate: undefined },
  { key: "0", name: "traces 0 %", app: appOn, rate: 0 },
  { key: "0.1", name: "production (10 %)", app: appOn, rate: 0.1 },
  { key: "1", name: "traces 100 %", app: appOn, rate: 1 },
];
const variants: Variant[] = only ? allVariants.filter((v) => v.key === only) : allVariants;

/** CPU time (user + system) of this process's JavaScript thread so far, in µs (10 ms ticks). */
async function jsThreadMicros(): Promise<number> {
  const stat = await Bun.file(`/proc/${process.pid}/task/${process.pid}/stat`).text();
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function batch(v: Variant): Promise<{ cpu: number; js: number }> {
  state.enabled = v.rate !== undefined;
  settings.tracesSampleRate = v.rate ?? 0;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const js0 = await jsThreadMicros();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < perBatch) {
        const res = await requestFor(v.app, next++);
        await res.arrayBuffer();
      }
    }),
  );
  // The batch's transactions are built and sent before its figure is taken.
  if (state.enabled) await Sentry.flush(5000);
  const cpu = process.cpuUsage(cpu0);
  return { cpu: cpu.user + cpu.system, js: (await jsThreadMicros()) - js0 };
}

const totals = new Map(variants.map((v) => [v.name, { cpu: 0, js: 0, ratios: [] as number[] }]));
for (const v of variants) await batch(v); // warm-up
for (const v of variants) await batch(v);
for (let r = 0; r < repetitions; r++) {
  const order = [...variants].sort(() => Math.random() - 0.5);
  const round = new Map<string, number>();
  for (const v of order) {
    const one = await batch(v);
    const t = totals.get(v.name)!;
    t.cpu += one.cpu;
    t.js += one.js;
    round.set(v.name, one.cpu);
  }
  const offRound = round.get("off") ?? round.get(variants[0]!.name)!;
  for (const v of variants) totals.get(v.name)!.ratios.push(round.get(v.name)! / offRound);
}
const n = perBatch * repetitions;
const off = totals.get("off") ?? totals.get(variants[0]!.name)!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\nSentry layer in one process (${perBatch} requests × ${repetitions} batches per variant, concurrency ${concurrency})`,
);
console.log(
  "variant               CPU µs/req  ratio  (median, range of batch ratios)   JS thread µs/req  ratio",
);
for (const v of variants) {
  const t = totals.get(v.name)!;
  const sorted = [...t.ratios].sort((a, b) => a - b);
  console.log(
    `${v.name.padEnd(20)} ${(t.cpu / n).toFixed(1).padStart(11)}  ${(t.cpu / off.cpu).toFixed(3)}  (${median(t.ratios).toFixed(3)}, ${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)})   ${(t.js / n).toFixed(1).padStart(16)}  ${(t.js / off.js).toFixed(3)}`,
  );
}
const counts = await ingest.counts();
console.log(`(fake ingest received ${counts.events} events, ${counts.transactions} transactions)`);
await ingest.stop();
await database.close();
process.exit(0);
