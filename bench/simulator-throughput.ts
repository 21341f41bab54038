/**
 * Simulator request throughput with token auth over real sockets (keep-alive fetch).
 * `bun bench/simulator-throughput.ts [--seconds 3] [--concurrency 32]` prints requests/s for
 * GET /nodes and GET /nodes/{node}/lxc/{vmid}/status/current. Not a test.
 */
import { parseArgs } from "node:util";
import { startSimulator } from "../src/simulator/index.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { seconds: { type: "string", default: "3" }, concurrency: { type: "string", default: "32" } },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

const sim = await startSimulator({ speed: 1000, seed: 1 });
const headers = { Authorization: `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}` };
const api = `${sim.apiUrl}/api2/json`;

async function waitTask(upid: string): Promise<void> {
  for (;;) {
    const r = await fetch(`${api}/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`, { headers });
    const s = ((await r.json()) as { data: { status: string } }).data;
    if (s.status === "stopped") return;
    await Bun.sleep(2);
  }
}
async function post(path: string, body: Record<string, string>): Promise<string> {
  const r = await fetch(`${api}${path}`, { method: "POST", headers, body: new URLSearchParams(body) });
  return ((await r.json()) as { data: string }).data;
}

await waitTask(
  await post("/nodes/pve1/aplinfo", {
    storage: "local",
    template: "alpine-3.22-default_20250617_amd64.tar.xz",
  }),
);
await waitTask(
  await post("/nodes/pve1/lxc", {
    vmid: "100",
    ostemplate: "local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz",
    rootfs: "local-lvm:2",
  }),
);
await waitTask(await post("/nodes/pve1/lxc/100/status/start", {}));

async function measure(label: string, path: string): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  let errors = 0;
  const latencies: number[] = [];
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const r = await fetch(`${api}${path}`, { headers });
      await r.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (r.status === 200) count++;
      else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(2);
  console.log(
    `${label.padEnd(44)} ${(count / elapsed).toFixed(0).padStart(7)} req/s  p50 ${p(0.5)} ms  p99 ${p(0.99)} ms  errors ${errors}`,
  );
}

console.log(
  `simulator throughput, token auth, ${concurrency} concurrent clients, ${seconds}s each (Bun ${Bun.version})`,
);
await measure("GET /nodes", "/nodes");
await measure("GET /nodes/pve1/lxc/100/status/current", "/nodes/pve1/lxc/100/status/current");
await sim.stop();
