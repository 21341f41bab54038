/**
 * How long a backup and a restore take through Proximity against the simulator, and how much of that is
 * orchestration: each Proximity job (HTTP request → job → saga → app settled) is compared with the same PVE
 * work done directly with the client (vzdump + wait; stop + restore + start + wait for the address), on the
 * same simulator in the same run, interleaved. Printed: medians and the ratio Proximity / bare.
 *
 *   bun bench/backup-restore.ts [rounds=5] [speed=20]
 *
 * At speed 20 a simulated vzdump (3–5 s on PVE) takes 150–250 ms, so the task time dominates as it would on
 * a real cluster only more so; raise the speed to magnify the fixed overhead.
 */
import { waitForTask } from "../src/proxmox/index.ts";
import { closeTestDatabase } from "../tests/helpers/db.ts";
import { advanceSimClock, deploy, settled, startWorld } from "../tests/helpers/sim.ts";

const rounds = Number(process.argv[2] ?? 5);
const speed = Number(process.argv[3] ?? 20);

const w = await startWorld({ nodes: 1, speed });
const d = await deploy(w, { catalog_id: "uptime-kuma", hostname: "bench" });
const app = (await settled(w, d.app.id, 120_000))!;
if (app.status !== "running") throw new Error(`deploy ended ${app.status}: ${app.statusReason}`);
const client = await w.t.services.hosts.client(w.hostId);
const node = app.node!;
const vmid = app.vmid!;
const fast = { pollMs: 10, maxPollMs: 10, timeoutMs: 120_000 };

// Archives are named by the second: keep every round's name distinct without waiting.
const nextSecond = () => advanceSimClock(w.sim, 2);

async function waitJob(id: string) {
  for (;;) {
    const job = await w.t.services.jobs.get(id);
    if (job?.status === "succeeded") return;
    if (job?.status === "failed") throw new Error(`job failed: ${job.error}`);
    await Bun.sleep(2);
  }
}

async function proximityBackup(): Promise<{ ms: number; volid: string; id: string }> {
  await nextSecond();
  const t = performance.now();
  const res = await w.t.request(`/api/v1/apps/${app.id}/backups`, {
    method: "POST",
    token: w.admin.token,
    json: {},
  });
  const body = (await res.json()) as { backup: { id: string }; job: { id: string } };
  await waitJob(body.job.id);
  await settled(w, app.id);
  const ms = performance.now() - t;
  const row = await w.t.services.backups.get(
    { id: w.admin.id, username: "admin", email: null, role: "admin" },
    app.id,
    body.backup.id,
  );
  return { ms, volid: row.volid!, id: row.id };
}

async function bareBackup(): Promise<number> {
  await nextSecond();
  const t = performance.now();
  const upid = await client.vzdump(node, { vmid, storage: "local", mode: "snapshot", compress: "zstd" });
  await waitForTask(client, node, upid!, fast);
  const ms = performance.now() - t;
  // Remove it so storage never fills.
  const vols = await client.storageContent(node, "local", "backup", vmid);
  const newest = vols.filter((v) => !v.notes).sort((a, b) => (b.ctime ?? 0) - (a.ctime ?? 0))[0];
  if (newest)
    await waitForTask(client, node, (await client.deleteVolume(node, "local", newest.volid))!, fast);
  return ms;
}

async function proximityRestore(backupId: string): Promise<number> {
  const t = performance.now();
  const res = await w.t.request(`/api/v1/apps/${app.id}/backups/${backupId}/restore`, {
    method: "POST",
    token: w.admin.token,
  });
  const body = (await res.json()) as { job: { id: string } };
  await waitJob(body.job.id);
  await settled(w, app.id);
  return performance.now() - t;
}

async function bareRestore(volid: string): Promise<number> {
  const t = performance.now();
  await waitForTask(client, node, await client.stopLxc(node, vmid), fast);
  await waitForTask(
    client,
    node,
    await client.createLxc(node, {
      vmid,
      ostemplate: volid,
      restore: true,
      force: true,
      storage: "local-lvm",
    }),
    fast,
  );
  await waitForTask(client, node, await client.startLxc(node, vmid), fast);
  for (;;) {
    const ifaces = await client.lxcInterfaces(node, vmid).catch(() => null);
    if (ifaces?.find((i) => i.name === "eth0")?.inet) break;
    await Bun.sleep(10);
  }
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = {
  pxBackup: [] as number[],
  bareBackup: [] as number[],
  pxRestore: [] as number[],
  bareRestore: [] as number[],
};

for (let r = 0; r < rounds; r++) {
  const b = await proximityBackup();
  results.pxBackup.push(b.ms);
  results.bareBackup.push(await bareBackup());
  results.pxRestore.push(await proximityRestore(b.id));
  results.bareRestore.push(await bareRestore(b.volid));
  // The bare restore bypassed Proximity; let it catch up with the address the container now has.
  await settled(w, app.id);
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
const row = (name: string, px: number[], bare: number[]) => {
  const p = median(px);
  const b = median(bare);
  console.log(
    `${name.padEnd(8)} proximity ${fmt(p)}   bare PVE work ${fmt(b)}   ratio ${(p / b).toFixed(2)}   overhead ${fmt(p - b)} (${(((p - b) / p) * 100).toFixed(0)} % of the total)`,
  );
};
console.log(`simulator speed ${speed}, ${rounds} rounds, medians`);
row("backup", results.pxBackup, results.bareBackup);
row("restore", results.pxRestore, results.bareRestore);

await w.stop();
await closeTestDatabase();
process.exit(0);
