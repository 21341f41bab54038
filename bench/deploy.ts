/**
 * Deploy wall time against the simulator, and Proximity's orchestration overhead as a ratio: the full saga
 * (API → job queue → checkpoints → logs → events) versus the same Proxmox and SSH calls made directly with
 * the client, in the same run on the same simulated cluster.
 *
 *   bun bench/deploy.ts [--speed 1] [--runs 3]
 */
import { parseArgs } from "node:util";
import { compose, dockerInstallCommands, files } from "../src/features/apps/provision.ts";
import { renderAppEnv, resolveEnvironment } from "../src/features/catalog/compose.ts";
import { MemoryHostKeyStore, PctExecutor, ProxmoxClient, waitForTask } from "../src/proxmox/index.ts";
import { deploy, settled, startWorld } from "../tests/helpers/sim.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { speed: { type: "string", default: "1" }, runs: { type: "string", default: "3" } },
});
const speed = Number(values.speed);
const runs = Number(values.runs);
const timing = { pollMs: 100 };

const w = await startWorld({ speed, nodes: 3 }, {});
// Shorter polls than production (1 s) so the comparison measures orchestration, not poll granularity.
Object.assign((w.t.services.apps as unknown as { deps: { timing: object } }).deps.timing, {
  pollMs: timing.pollMs,
  taskTimeoutMs: 600_000,
  ipTimeoutMs: 120_000,
  healthTimeoutMs: 120_000,
});
const entry = w.t.services.catalog.get("it-tools")!;

async function viaProximity(i: number): Promise<number> {
  const t0 = performance.now();
  const started = await deploy(w, { catalog_id: "it-tools", hostname: `bench-${i}` });
  const app = await settled(w, started.app.id, 600_000);
  if (app?.status !== "running") throw new Error(`deploy ended ${app?.status}: ${app?.statusReason}`);
  return performance.now() - t0;
}

async function bare(i: number): Promise<number> {
  const client = new ProxmoxClient({
    apiUrl: w.sim.apiUrl,
    auth: { kind: "token", tokenId: w.sim.tokenId, tokenSecret: w.sim.tokenSecret },
  });
  const ssh = new PctExecutor({
    host: w.sim.sshHost,
    port: w.sim.sshPort,
    username: w.sim.sshUsername,
    password: w.sim.sshPassword,
    hostKeys: new MemoryHostKeyStore(),
    resolveNode: (n) => w.sim.nodeAddress(n),
  });
  const t0 = performance.now();
  const node = "pve2";
  const vmid = await client.nextId();
  const tpl = (await client.storageContent(node, "local", "vztmpl")).find((v) => v.volid.includes("alpine"));
  const ostemplate =
    tpl?.volid ??
    (await (async () => {
      const t = (await client.aplinfo(node)).find((a) => a.template.startsWith("alpine-3.22"))!.template;
      await waitForTask(client, node, await client.downloadTemplate(node, "local", t), {
        pollMs: timing.pollMs,
      });
      return `local:vztmpl/${t}`;
    })());
  const wait = (upid: string) =>
    waitForTask(client, node, upid, { pollMs: timing.pollMs, timeoutMs: 600_000 });
  await wait(
    await client.createLxc(node, {
      vmid,
      hostname: `bare-${i}`,
      ostemplate,
      rootfs: { storage: "local-lvm", sizeGb: 4 },
      memory: 1024,
      net: { 0: { name: "eth0", bridge: "vmbr0", ip: "dhcp" } },
      unprivileged: true,
      features: { nesting: true },
    }),
  );
  await wait(await client.startLxc(node, vmid));
  let ip: string | undefined;
  while (!ip) {
    ip = (await client.lxcInterfaces(node, vmid))?.find((x) => x.name === "eth0")?.inet?.split("/")[0];
    if (!ip) await Bun.sleep(timing.pollMs);
  }
  for (const c of dockerInstallCommands("alpine")) await ssh.pctExec(node, vmid, [...c.argv]);
  await ssh.pctExec(node, vmid, [...files.mkdir]);
  await ssh.pctExec(node, vmid, [...files.writeCompose], { stdin: entry.compose });
  await ssh.pctExec(node, vmid, [...files.writeEnv], {
    stdin: renderAppEnv(entry, resolveEnvironment(entry, {}), { address: ip, hostname: "bench" }),
  });
  await ssh.pctExec(node, vmid, [...compose.pull]);
  await ssh.pctExec(node, vmid, [...compose.up]);
  const check = entry.healthcheck;
  if (!check) throw new Error(`${entry.id} has no web interface to time`);
  const first = check.first_boot;
  const url = `http://${ip}:${check.port}${first.path}`;
  while ((await fetch(url).catch(() => null))?.status !== first.expect) await Bun.sleep(timing.pollMs);
  const ms = performance.now() - t0;
  await ssh.close();
  return ms;
}

// Templates on every node first, so neither side pays a download the other does not.
{
  const client = await w.t.services.hosts.client(w.hostId);
  for (const node of ["pve1", "pve2", "pve3"]) {
    const t = (await client.aplinfo(node)).find((a) => a.template.startsWith("alpine-3.22"))!.template;
    if (!(await client.storageContent(node, "local", "vztmpl")).some((v) => v.volid.endsWith(t))) {
      await waitForTask(client, node, await client.downloadTemplate(node, "local", t), {
        pollMs: timing.pollMs,
      });
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const prox: number[] = [];
const direct: number[] = [];
for (let i = 0; i < runs; i++) {
  direct.push(await bare(i));
  prox.push(await viaProximity(i));
}
await w.stop();
const p = median(prox);
const d = median(direct);
console.log(`simulator speed ${speed}, ${runs} run(s) each, median:`);
console.log(`  deploy through Proximity: ${(p / 1000).toFixed(2)} s`);
console.log(`  same PVE + SSH calls, bare: ${(d / 1000).toFixed(2)} s`);
console.log(
  `  ratio ${(p / d).toFixed(3)}  (orchestration overhead ${((p - d) / 1000).toFixed(2)} s per deploy)`,
);
process.exit(0);
