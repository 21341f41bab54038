/**
 * What health watching costs at 1,000 running apps: the watcher's CPU time and database statements per
 * minute of watching, at the default interval (60 s, jittered) and tick (5 s). The apps answer from a
 * separate process (so its CPU is not counted), each check a real HTTP request to 127.0.0.2:3001.
 *
 *   bun bench/health-watch.ts [apps=1000] [minutes=3]
 *
 * Ticks run back to back on a virtual clock (each tick is given the instant it would run at), so the
 * benchmark takes seconds, not minutes; CPU time does not depend on the wall clock. The first minute (every
 * app checked for the first time, all at once) is reported apart from the steady minutes after it. Printed:
 * checks, statements and CPU per minute, and CPU as a share of one core (the goal: under 1 %). Then the
 * update watcher's tick (update.available, automatic updates) over the same apps.
 */
import { applications, users } from "../src/db/schema.ts";
import { closeTestDatabase, hostRow } from "../tests/helpers/db.ts";
import { createTestApp } from "../tests/helpers/harness.ts";

const count = Number(process.argv[2] ?? 1000);
const minutes = Number(process.argv[3] ?? 3);
const IP = "127.0.0.2";

// The apps' answers, from another process.
const server = Bun.spawn(
  [
    process.execPath,
    "-e",
    `Bun.serve({ hostname: "${IP}", port: 3001, fetch: () => new Response("ok") }); console.log("up");`,
  ],
  { stdout: "pipe" },
);
await new Response(server.stdout).body?.getReader().read();

const t = await createTestApp({}, { watcher: { tickMs: 5_000, concurrency: 16 } });
const db = t.services.database.db;
const [owner] = await db
  .insert(users)
  .values({ username: "bench", passwordHash: "x", role: "admin" })
  .returning();
const host = await hostRow(db, "bench");
const rows = Array.from({ length: count }, (_, i) => ({
  ownerId: owner!.id,
  hostId: host.id,
  node: "pve1",
  vmid: 1000 + i,
  catalogId: "uptime-kuma",
  catalogVersion: t.services.catalog.get("uptime-kuma")!.version,
  name: `kuma ${i}`,
  hostname: `kuma-${i}`,
  status: "running" as const,
  ip: IP,
  resources: { cores: 1, memory_mb: 512, disk_gb: 4 },
}));
for (let i = 0; i < rows.length; i += 500) await db.insert(applications).values(rows.slice(i, i + 500));

const watcher = t.services.watcher;
const start = Date.now();
const perMinute: { checks: number; failed: number; queries: number; cpuMs: number; wallMs: number }[] = [];
for (let m = 0; m < minutes; m++) {
  const minute = { checks: 0, failed: 0, queries: 0, cpuMs: 0, wallMs: 0 };
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let s = 0; s < 60; s += 5) {
    const r = await watcher.tick(new Date(start + (m * 60 + s) * 1000), { hosts: false });
    if (!r.leader) throw new Error("the bench's watcher did not get the lease");
    minute.checks += r.checked;
    minute.failed += r.failed;
    minute.queries += r.queries;
  }
  const used = process.cpuUsage(cpu);
  minute.cpuMs = (used.user + used.system) / 1000;
  minute.wallMs = performance.now() - wall;
  perMinute.push(minute);
}
await watcher.stop();

// The update watcher's tick over the same apps (every 30 s on the worker): none has an update here.
const updates = t.services.updates;
await updates.tick();
const updCpu = process.cpuUsage();
const updWall = performance.now();
const UPDATE_TICKS = 20;
for (let i = 0; i < UPDATE_TICKS; i++) await updates.tick();
const updUsed = process.cpuUsage(updCpu);
const updTick = {
  cpuMs: (updUsed.user + updUsed.system) / 1000 / UPDATE_TICKS,
  wallMs: (performance.now() - updWall) / UPDATE_TICKS,
};
server.kill();
await closeTestDatabase();

const fmt = (n: number) => n.toFixed(0).padStart(7);
console.log(`health watching, ${count} running apps, interval 60 s, tick 5 s (PGlite in process)`);
console.log("minute   checks  failed  statements  cpu ms  share of a core");
for (const [i, m] of perMinute.entries()) {
  console.log(
    `${String(i + 1).padStart(6)} ${fmt(m.checks)} ${fmt(m.failed)} ${fmt(m.queries).padStart(11)} ${fmt(m.cpuMs)}   ${((m.cpuMs / 60_000) * 100).toFixed(2)} %`,
  );
}
console.log(
  `update watcher: ${updTick.wallMs.toFixed(1)} ms and ${updTick.cpuMs.toFixed(1)} ms CPU per tick over ${count} apps ` +
    `(one statement; every 30 s = ${((updTick.cpuMs / 30_000) * 100).toFixed(3)} % of one core)`,
);
const steady = perMinute.slice(1);
if (steady.length) {
  const avg = (f: (m: (typeof steady)[number]) => number) =>
    steady.reduce((a, m) => a + f(m), 0) / steady.length;
  console.log(
    `steady state: ${avg((m) => m.checks).toFixed(0)} checks/min, ${avg((m) => m.queries).toFixed(0)} statements/min, ` +
      `${avg((m) => m.cpuMs).toFixed(0)} ms CPU/min = ${((avg((m) => m.cpuMs) / 60_000) * 100).toFixed(2)} % of one core ` +
      `(${(
        avg((m) => m.cpuMs) /
          Math.max(
            1,
            avg((m) => m.checks),
          )
      ).toFixed(2)} ms per check)`,
  );
}
