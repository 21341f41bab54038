/**
 * Footprint of one Proximity process tree (children included) per database mode, and of the compiled binary:
 * time from spawn to the first 200 from /health (wall, and the CPU the tree spent until then: on a shared
 * machine the CPU time is the steadier figure), resident memory once idle, and the CPU it burns while idle.
 * A first start unpacks the embedded database's image (src/db/pglite-image.ts) instead of running initdb.
 *
 *   bun bench/footprint.ts [idle-seconds=10] [settle-seconds=3]
 *   BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) for the PostgreSQL row;
 *   the binary is built with `bun run build` when dist/proximity is missing.
 * (a database proximity_bench_footprint is created next to it, dropped first).
 * `bun run start` is measured as package.json's start script runs it (`bun --smol src/index.ts`).
 * Goals (embedded PGlite, both `bun run start` and the binary): RSS ≤ 150 MB on an existing data
 * directory and ≤ 200 MB after a first start; first /health ≤ 1.0 s / ≤ 2.5 s; idle CPU ≤ 0.2 % of a core.
 * The idle window starts `settle-seconds` after the first 200. For its first ~35 s a Bun process still
 * settles whatever it runs: Bun's collector timer makes a collection every second until 30 quiet seconds
 * in a row, and a full one after 10 quiet seconds (docs/performance.md, "Sixth round", "Idle"); with
 * the default 3 s the window measures that; `… 20 40` measures the process at rest.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import postgres from "postgres";
import { startCommand } from "./lib/spawn-quiet.ts";

const idleSeconds = Number(process.argv[2] ?? 10);
const settleSeconds = Number(process.argv[3] ?? 3);
const baseUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const pgUrl = baseUrl.replace(/\/[^/]*$/, "/proximity_bench_footprint");
const CLK_TCK = 100;

function children(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry), ...children(Number(entry)));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

function tree(pid: number): number[] {
  return [pid, ...children(pid)];
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
    } catch {}
  }
  return kb / 1024;
}

function cpuTicks(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]); // utime + stime
    } catch {}
  }
  return ticks;
}

interface Row {
  what: string;
  startMs: number;
  startCpuMs: number;
  rssMb: number;
  idleCpuPct: number;
  goal?: { rss: number; start: number };
}

async function measure(
  what: string,
  command: string[],
  env: Record<string, string>,
  goal?: Row["goal"],
): Promise<Row> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const started = performance.now();
  const base = { ...process.env };
  delete base.DATABASE_URL;
  const proc = Bun.spawn(command, {
    env: {
      ...base,
      PORT: String(port),
      HOST: "127.0.0.1",
      PROXIMITY_SIMULATOR: "off",
      LOG_LEVEL: "warn",
      SENTRY_DSN: "",
      NODE_ENV: "production",
      PROXIMITY_SECRET_KEY: "bench-secret-key-0123456789abcdef0123456789",
      ...env,
    },
    stdout: "ignore",
    stderr: "pipe",
  });
  let startMs = Number.NaN;
  let startCpuMs = Number.NaN;
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(`${what}: exited ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      startMs = performance.now() - started;
      startCpuMs = (cpuTicks(tree(proc.pid)) * 1000) / CLK_TCK;
      break;
    }
    if (performance.now() - started > 300_000) throw new Error(`${what}: no /health within 300 s`);
    await Bun.sleep(10);
  }
  await Bun.sleep(settleSeconds * 1000); // boot work (first reconcile, catalog) settles
  const pids = tree(proc.pid);
  const t0 = cpuTicks(pids);
  await Bun.sleep(idleSeconds * 1000);
  const t1 = cpuTicks(tree(proc.pid));
  const row: Row = {
    what,
    startMs,
    startCpuMs,
    rssMb: rssMb(tree(proc.pid)),
    idleCpuPct: ((t1 - t0) / CLK_TCK / idleSeconds) * 100,
    ...(goal ? { goal } : {}),
  };
  proc.kill("SIGTERM");
  await proc.exited;
  const verdict = row.goal
    ? ` (goal ≤ ${row.goal.rss} MB, ≤ ${row.goal.start} s: ${row.rssMb <= row.goal.rss && row.startMs <= row.goal.start * 1000 ? "met" : "NOT met"})`
    : "";
  console.log(
    `${what.padEnd(44)} start ${(row.startMs / 1000).toFixed(2).padStart(6)} s (CPU ${(row.startCpuMs / 1000).toFixed(2)} s)  RSS ${row.rssMb.toFixed(0).padStart(4)} MB  idle CPU ${row.idleCpuPct.toFixed(2)} %${verdict}`,
  );
  return row;
}

if (!existsSync("dist/proximity")) {
  const build = Bun.spawnSync(["bun", "run", "build"], { stdout: "inherit", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error("bun run build failed");
}

const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
await admin.unsafe("drop database if exists proximity_bench_footprint with (force)");
await admin.unsafe("create database proximity_bench_footprint");
await admin.end();

const dirs = { source: "/tmp/proximity-footprint-source", binary: "/tmp/proximity-footprint-binary" };
for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
const source = startCommand();
const binary = ["dist/proximity"];
console.log(
  `${navigator.hardwareConcurrency} cores; idle CPU over ${idleSeconds} s after a ${settleSeconds} s settle; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
const rows: Row[] = [];
// Each way of running it with the embedded database: a first start (the image unpacked), then a start on
// the data directory that one left.
for (const [how, command, dataDir] of [
  ["bun run start", source, dirs.source],
  ["binary", binary, dirs.binary],
] as const) {
  const env = { DATA_DIR: dataDir };
  rows.push(await measure(`${how}, PGlite, first start (image)`, command, env, { rss: 200, start: 2.5 }));
  rows.push(await measure(`${how}, PGlite, existing data dir`, command, env, { rss: 150, start: 1.0 }));
}
rows.push(
  await measure("bun run start, PGlite in memory", source, {
    DATA_DIR: dirs.source,
    DATABASE_URL: "memory://",
  }),
);
rows.push(await measure("bun run start, PostgreSQL", source, { DATA_DIR: dirs.source, DATABASE_URL: pgUrl }));
console.log(
  "\n| what | start to /health | CPU until then | RSS (tree) | idle CPU (% of a core) |\n|---|---|---|---|---|",
);
for (const r of rows) {
  console.log(
    `| ${r.what} | ${(r.startMs / 1000).toFixed(2)} s | ${(r.startCpuMs / 1000).toFixed(2)} s | ${r.rssMb.toFixed(0)} MB | ${r.idleCpuPct.toFixed(2)} % |`,
  );
}
