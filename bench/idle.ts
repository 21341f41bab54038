/**
 * What an idle Proximity costs: the CPU time its process tree spends over a window after it settled, split
 * by thread (`/proc/<pid>/task/<tid>`: the JavaScript thread, Bun's GC helpers, the allocator's scavenger
 * …), and its resident memory. On a shared machine the CPU time a process spends is the steadier figure;
 * the load average is printed beside it.
 *
 *   bun bench/idle.ts [seconds=120] [settle-seconds=20] [--demo] [--prof DIR] [--data DIR] [--bin PATH]
 *
 * Embedded PGlite on an existing data directory (the first run creates it: `/tmp/proximity-idle`, or
 * `--data DIR`), no apps, Sentry off. `--demo` runs the in-process simulator (demo mode) instead of
 * `PROXIMITY_SIMULATOR=off`. `--prof DIR` runs under `bun --cpu-prof-md --cpu-prof-dir=DIR` (the profile is
 * written when the process exits). `--bin PATH` measures a compiled binary instead of what `bun run start` runs.
 * Goal: ≤ 0.2 % of one core (docs/performance.md).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { spawnQuiet, startCommand } from "./lib/spawn-quiet.ts";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const demo = args.includes("--demo");
if (demo) args.splice(args.indexOf("--demo"), 1);
const profDir = flag("--prof");
const dataDir = flag("--data") ?? `/tmp/proximity-idle${demo ? "-demo" : ""}`;
const bin = flag("--bin");
const seconds = Number(args[0] ?? 120);
const settle = Number(args[1] ?? 20);
const CLK_TCK = 100;

function ticksOf(statPath: string): number {
  try {
    const stat = readFileSync(statPath, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}

/** Per thread of `pid`: "name tid" → ticks. */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let name = "?";
    try {
      name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
    } catch {}
    out.set(`${name} ${tid}`, ticksOf(`/proc/${pid}/task/${tid}/stat`));
  }
  return out;
}

function rssMb(pid: number): number {
  const kb = Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  return kb / 1024;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

const command = bin ? [bin] : startCommand(profDir ? ["--cpu-prof-md", `--cpu-prof-dir=${profDir}`] : []);
const fresh = !existsSync(`${dataDir}/pglite`);
const p = await spawnQuiet(
  {
    DATA_DIR: dataDir,
    PROXIMITY_SIMULATOR: demo ? "on" : "off",
    SENTRY_DSN: "",
    NODE_ENV: "production",
    PROXIMITY_SECRET_KEY: "bench-secret-key-0123456789abcdef0123456789",
  },
  command,
);
const pid = p.proc.pid;
console.log(
  `${command.join(" ")}, PGlite in ${dataDir}${fresh ? " (created by this run)" : ""}${demo ? ", demo mode" : ""}; ${cpus().length} CPUs; load ${load()}`,
);
await Bun.sleep(settle * 1000);
const before = threadTicks(pid);
const process0 = ticksOf(`/proc/${pid}/stat`);
const t0 = performance.now();
// Threads come and go (the collector's helpers): sampled every 250 ms, a thread that ended keeps its last
// reading (what it spent in its last 250 ms is lost to the split, not to the total).
const after = new Map<string, number>();
const born = new Set<string>();
while (performance.now() - t0 < seconds * 1000) {
  for (const [name, ticks] of threadTicks(pid)) {
    if (!before.has(name) && !after.has(name)) born.add(name);
    after.set(name, ticks);
  }
  await Bun.sleep(250);
}
// The process's own counter keeps the time of threads that ended during the window.
const total = ticksOf(`/proc/${pid}/stat`) - process0;
const wall = (performance.now() - t0) / 1000;
const rss = rssMb(pid);
await p.stop();

const rows: [string, number][] = [];
for (const [name, ticks] of after) {
  const d = ticks - (before.get(name) ?? 0);
  if (d > 0) rows.push([name, d]);
}
rows.sort((a, b) => b[1] - a[1]);
const pct = (ticks: number) => ((ticks / CLK_TCK / wall) * 100).toFixed(3);
console.log(
  `idle ${wall.toFixed(0)} s after ${settle} s: ${total} ticks = ${pct(total)} % of one core (goal ≤ 0.2 %); RSS ${rss.toFixed(0)} MB; load ${load()}`,
);
// Threads by name, those born during the window counted apart.
const byName = new Map<string, { ticks: number; threads: number }>();
for (const [key, d] of rows) {
  const name = `${key.slice(0, key.lastIndexOf(" "))}${born.has(key) ? " (new)" : ""}`;
  const e = byName.get(name) ?? { ticks: 0, threads: 0 };
  e.ticks += d;
  e.threads++;
  byName.set(name, e);
}
for (const [name, e] of [...byName].sort((a, b) => b[1].ticks - a[1].ticks))
  console.log(
    `  ${name.padEnd(26)} ${String(e.ticks).padStart(5)} ticks  ${pct(e.ticks)} %  (${e.threads} thread${e.threads > 1 ? "s" : ""})`,
  );
console.log(`  threads born during the window: ${born.size}`);
