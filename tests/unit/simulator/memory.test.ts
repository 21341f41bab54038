/**
 * The memory a running container reports (`status/current` and `rrddata` `mem`): Docker in LXC pays for the
 * distribution's init, dockerd, containerd and a shim and a proxy per container around the app; an OCI
 * application container (PVE 9.1+) holds the app alone. The figures are the simulator's model (memory.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Client } from "ssh2";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { MEMORY_MODEL_MIB as M } from "../../../src/simulator/memory.ts";
import { ALPINE, Api, boot, DEBIAN, pctCommand, sshConnect, sshExec } from "./helpers.ts";

const MIB = 1024 ** 2;
const COMPOSE = `services:
  app:
    image: vaultwarden/server:1.37.2
    ports:
      - "8080:80"
`;
const BASE = ["docker", "compose", "-f", "/opt/proximity/app/compose.yaml"];

let sim: RunningSimulator;
let api: Api;
let pve1: Client;

beforeAll(async () => {
  sim = await boot({ nodes: 1 });
  api = new Api(sim);
  await api.downloadTemplate("pve1", ALPINE);
  await api.downloadTemplate("pve1", DEBIAN);
  pve1 = await sshConnect(sim, sim.nodeAddress("pve1"));
});
afterAll(async () => {
  pve1?.end();
  await sim.stop();
});

const run = async (vmid: number, argv: string[], stdin?: string) => {
  const r = await sshExec(pve1, pctCommand(vmid, argv), stdin);
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: exit ${r.code} ${r.stderr}`);
};
const memOf = async (vmid: number) =>
  (await api.get<{ mem: number; maxmem: number }>(`/nodes/pve1/lxc/${vmid}/status/current`)).mem;

describe("memory in use by a container", () => {
  test("Docker in LXC: the distribution's init, then dockerd + containerd, then a shim, a proxy and the app per service", async () => {
    await api.createCt("pve1", 100);
    expect(await memOf(100)).toBe(0);
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/100/status/start"));
    expect(await memOf(100)).toBe(M.alpineBase * MIB);

    await run(100, ["apk", "add", "docker", "docker-cli-compose"]);
    await run(100, ["service", "docker", "start"]);
    const daemons = (M.alpineBase + M.dockerd + M.containerd) * MIB;
    expect(await memOf(100)).toBe(daemons);

    await run(100, ["mkdir", "-p", "/opt/proximity/app"]);
    await run(100, ["tee", "/opt/proximity/app/compose.yaml"], COMPOSE);
    await run(100, [...BASE, "up", "-d"]);
    const withApp = daemons + (M.shim + M.proxy + M.app) * MIB;
    expect(await memOf(100)).toBe(withApp);

    // rrddata carries the same figure (with its small per-point variation).
    const rrd = await api.get<{ time: number; mem?: number }[]>("/nodes/pve1/lxc/100/rrddata", {
      timeframe: "hour",
    });
    const last = rrd.at(-1)!;
    expect(last.mem).toBeGreaterThanOrEqual(withApp * 0.8);
    expect(last.mem).toBeLessThanOrEqual(withApp * 1.1);

    await run(100, [...BASE, "stop"]);
    expect(await memOf(100)).toBe(daemons);
  });

  test("a Debian container's systemd and daemons weigh more than Alpine's init", async () => {
    await api.createCt("pve1", 101, { template: `local:vztmpl/${DEBIAN}`, start: true });
    expect(await memOf(101)).toBe(M.systemdBase * MIB);
    expect(M.systemdBase).toBeGreaterThan(M.alpineBase);
  });

  test("an OCI application container holds the app alone: less than the same app under Docker", async () => {
    await api.waitTask(
      await api.post<string>("/nodes/pve1/storage/local/oci-registry-pull", {
        reference: "docker.io/vaultwarden/server:1.37.2",
      }),
    );
    await api.createCt("pve1", 300, { template: "local:vztmpl/server_1.37.2.tar", start: true });
    const oci = await memOf(300);
    expect(oci).toBe(M.app * MIB);
    await run(100, [...BASE, "up", "-d"]);
    const docker = await memOf(100);
    expect(docker - oci).toBe((M.alpineBase + M.dockerd + M.containerd + M.shim + M.proxy) * MIB);
  });

  test("the container's memory limit caps what it reports", async () => {
    await api.createCt("pve1", 102, { extra: { memory: 64 } });
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/102/status/start"));
    await run(102, ["apk", "add", "docker", "docker-cli-compose"]);
    await run(102, ["service", "docker", "start"]);
    expect(await memOf(102)).toBe(64 * MIB);
  });
});
