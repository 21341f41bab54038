/**
 * The two runtimes side by side: the same single-service catalog entry deployed N times as `docker` (an LXC
 * container with Docker inside) and N times as `oci` (PVE 9.1+ creates the container from the image), on one
 * simulated node at the simulator's normal timing, through a Proximity process with its production job
 * timing, over HTTP like any client. Deploys run one at a time, alternating runtimes (docker first in even
 * rounds, oci first in odd ones) so machine load falls on both alike.
 *
 * Printed per runtime: deploy time from the API's 202 to the app being `running` (round 0 separately: the
 * first deploy on the node downloads the OS template, resp. pulls the image, which later ones reuse), the
 * median and p90 of the N warm rounds, the ratio oci/docker, where the time goes (step starts from the
 * deployment log), and the memory the running container reports (`GET /apps/{id}/stats`, PVE's `mem`).
 *
 * What is measured is Proximity's orchestration against the simulator's modelled durations (template
 * extraction, apk/apt installs, compose pull, OCI pull; src/simulator/lxc.ts, ssh/container-commands.ts,
 * oci.ts) and its modelled memory (src/simulator/memory.ts): the ratios follow from those models, not from
 * a real Proxmox VE. docs/performance.md "Runtimes: oci vs docker" has the latest figures.
 *
 *   bun bench/oci-vs-docker.ts [--app vaultwarden] [--runs 5] [--speed 1]
 *
 * `--speed` divides every simulated duration, for both runtimes alike, but not Proximity's poll intervals:
 * above 1 the polls weigh more and the ratios drift; the documented figures are at speed 1 (about 6 min).
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startSimulator } from "../src/simulator/index.ts";
import { proximityOver } from "./lib/proximity-client.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    app: { type: "string", default: "vaultwarden" },
    runs: { type: "string", default: "5" },
    speed: { type: "string", default: "1" },
  },
});
const catalogId = values.app;
const runs = Number(values.runs);
const speed = Number(values.speed);
const RUNTIMES = ["docker", "oci"] as const;
type Runtime = (typeof RUNTIMES)[number];

interface Deploy {
  runtime: Runtime;
  round: number;
  ms: number;
  memBytes: number;
  /** Step → ms from the 202 to the step's first log line (every saga step logs "<step>…" as it starts). */
  stepStarts: Map<string, number>;
}

const load = () => loadavg()[0]!.toFixed(1);
const loadBefore = load();
const startedAt = new Date();

// One node: the template and image caches are the node's, so round 0 is cold for both and the rest warm.
const sim = await startSimulator({ nodes: 1, speed });
const proximity = await proximityOver(sim, "oci");
const api = proximity.api;

async function testHost(): Promise<void> {
  // The preflight decides whether the host may run oci apps (oci_containers).
  const test = await api<{ ok: boolean }>("POST", `/hosts/${proximity.hostId}/test`);
  if (!test.ok) throw new Error(`host test failed: ${JSON.stringify(test)}`);
}

type AppRow = { id: string; status: string; status_reason: string | null };

async function deployOnce(runtime: Runtime, round: number): Promise<Deploy> {
  const started = await api<{ app: AppRow; job: { id: string } }>("POST", "/apps/deploy", {
    catalog_id: catalogId,
    hostname: `${catalogId}-${runtime}-${round}`,
    runtime,
  });
  const t0 = performance.now();
  const wall0 = Date.now();
  let ms = 0;
  for (;;) {
    const { app } = await api<{ app: AppRow }>("GET", `/apps/${started.app.id}`);
    if (app.status === "running") {
      ms = performance.now() - t0;
      break;
    }
    if (app.status !== "deploying")
      throw new Error(`${runtime} deploy ended ${app.status}: ${app.status_reason}`);
    await Bun.sleep(100);
  }
  // The job settles the app in its last step; let it end before the next deploy starts.
  for (;;) {
    const job = await api<{ status: string }>("GET", `/jobs/${started.job.id}`);
    if (job.status === "succeeded") break;
    if (job.status === "failed") throw new Error(`${runtime} deploy job failed`);
    await Bun.sleep(50);
  }
  const logs = await api<{ items: { at: string; step: string | null }[] }>(
    "GET",
    `/apps/${started.app.id}/logs?per_page=100`,
  );
  const stepStarts = new Map<string, number>();
  for (const line of logs.items) {
    if (!line.step) continue;
    const at = Date.parse(line.at) - wall0;
    stepStarts.set(line.step, Math.min(stepStarts.get(line.step) ?? at, at));
  }
  const stats = await api<{ memory: { used: number } }>("GET", `/apps/${started.app.id}/stats`);
  return { runtime, round, ms, memBytes: stats.memory.used, stepStarts };
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
/** Nearest rank: with 5 samples p90 is the largest. */
const p90 = (xs: number[]) => sorted(xs)[Math.ceil(0.9 * xs.length) - 1]!;
const sec = (ms: number) => (ms / 1000).toFixed(1);
const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(0);

/** Median seconds per step (its start to the next one's; the last to `running`), after the wait in the queue. */
function stepBreakdown(ds: Deploy[]): string {
  const order = [...ds[0]!.stepStarts.entries()].sort((a, b) => a[1] - b[1]).map(([s]) => s);
  const queued = ds.map((d) => d.stepStarts.get(order[0]!)!);
  const parts = order.map((step, i) => {
    const spent = ds.map((d) => {
      const next = i + 1 < order.length ? d.stepStarts.get(order[i + 1]!)! : d.ms;
      return next - d.stepStarts.get(step)!;
    });
    return `${step} ${sec(median(spent))}`;
  });
  return [`queued ${sec(median(queued))}`, ...parts].join(", ");
}

const results: Deploy[] = [];
try {
  await testHost();
  for (let round = 0; round <= runs; round++) {
    const order: Runtime[] = round % 2 === 0 ? ["docker", "oci"] : ["oci", "docker"];
    for (const runtime of order) {
      const d = await deployOnce(runtime, round);
      results.push(d);
      console.error(
        `round ${round} ${runtime}: ${sec(d.ms)} s, ${mib(d.memBytes)} MiB (load ${load()})${round === 0 ? " [cold]" : ""}`,
      );
    }
  }
} finally {
  await proximity.stop();
  await sim.stop();
}

const of = (runtime: Runtime, warm: boolean) =>
  results.filter((d) => d.runtime === runtime && (warm ? d.round > 0 : d.round === 0));
const summary = Object.fromEntries(
  RUNTIMES.map((r) => {
    const warm = of(r, true);
    return [
      r,
      {
        cold: of(r, false)[0]!.ms,
        median: median(warm.map((d) => d.ms)),
        p90: p90(warm.map((d) => d.ms)),
        mem: median(warm.map((d) => d.memBytes)),
        steps: stepBreakdown(warm),
      },
    ];
  }),
) as Record<Runtime, { cold: number; median: number; p90: number; mem: number; steps: string }>;
const { docker, oci } = summary;

console.log(
  `${catalogId}, simulator speed ${speed}, 1 node, ${runs} warm round(s) per runtime after one cold; ` +
    `${cpus().length} CPUs, Bun ${Bun.version}, load ${loadBefore} → ${load()}, ${startedAt.toISOString()}`,
);
console.log("| runtime | cold deploy (s) | warm median (s) | warm p90 (s) | memory (MiB) |");
console.log("|---|---|---|---|---|");
for (const r of RUNTIMES) {
  const s = summary[r];
  console.log(`| ${r} | ${sec(s.cold)} | ${sec(s.median)} | ${sec(s.p90)} | ${mib(s.mem)} |`);
}
console.log(
  `| oci / docker | ${(oci.cold / docker.cold).toFixed(2)} | ${(oci.median / docker.median).toFixed(2)} | ` +
    `${(oci.p90 / docker.p90).toFixed(2)} | ${(oci.mem / docker.mem).toFixed(2)} |`,
);
console.log("\nwhere the warm time goes (median s per step):");
for (const r of RUNTIMES) console.log(`  ${r}: ${summary[r].steps}`);
process.exit(0);
