import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { ALPINE, Api, boot, pctCommand, sshConnect, sshExec } from "./helpers.ts";

let sim: RunningSimulator;
let api: Api;

beforeAll(async () => {
  sim = await boot();
  api = new Api(sim);
  await api.downloadTemplate("pve1", ALPINE);
  await api.createCt("pve1", 100, { start: true });
});
afterEach(async () => {
  await api.simDelete("/_sim/faults");
});
afterAll(() => sim.stop());

async function addFault(f: Record<string, unknown>): Promise<string> {
  const r = await api.simPost("/_sim/faults", f);
  expect(r.status).toBe(200);
  const body = (await r.json()) as { data: { id: string } };
  return body.data.id;
}

describe("API faults", () => {
  test("http_500 answers with PVE's 500 shape, `times` limits it", async () => {
    const id = await addFault({
      method: "GET",
      path: "/nodes/{node}/lxc/{vmid}/status/current",
      action: "http_500",
      message: "got timeout",
      times: 1,
    });
    expect(id).toBeString();
    const r = await api.request("GET", "/nodes/pve1/lxc/100/status/current");
    expect(r.status).toBe(500);
    expect(r.statusText).toBe("got timeout");
    expect(r.body).toEqual({ data: null, message: "got timeout\n" });
    expect((await api.request("GET", "/nodes/pve1/lxc/100/status/current")).status).toBe(200);
  });

  test("a fault for another method or path does not fire", async () => {
    await addFault({ method: "POST", path: "/nodes/{node}/lxc/{vmid}/status/current", action: "http_500" });
    expect((await api.request("GET", "/nodes/pve1/lxc/100/status/current")).status).toBe(200);
  });

  test("task_fail returns a UPID whose task ends with the message", async () => {
    await addFault({
      path: "/nodes/{node}/lxc/{vmid}/status/stop",
      action: "task_fail",
      message: "command 'lxc-stop' failed: exit code 1",
    });
    const upid = await api.post<string>("/nodes/pve1/lxc/100/status/stop");
    const s = await api.waitTask(upid);
    expect(s.exitstatus).toBe("command 'lxc-stop' failed: exit code 1");
    expect((await api.taskLog(upid)).at(-1)).toBe("TASK ERROR: command 'lxc-stop' failed: exit code 1");
    // The stop did not happen.
    expect((await api.get<{ status: string }>("/nodes/pve1/lxc/100/status/current")).status).toBe("running");
  });

  test("task_fail on create leaves no CT behind", async () => {
    await addFault({
      method: "POST",
      path: "/nodes/{node}/lxc",
      action: "task_fail",
      message: "unable to create CT 150 - out of inodes",
    });
    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 150,
      ostemplate: `local:vztmpl/${ALPINE}`,
      rootfs: "local-lvm:1",
    });
    expect((await api.waitTask(upid)).exitstatus).toBe("unable to create CT 150 - out of inodes");
    expect((await api.request("GET", "/nodes/pve1/lxc/150/config")).status).toBe(500);
    expect(sim.state().volumes.some((v) => v.vmid === 150)).toBe(false);
  });

  test("delay holds the reply", async () => {
    await addFault({ method: "GET", path: "/version", action: "delay", delay_ms: 150 });
    const t0 = performance.now();
    expect((await api.request("GET", "/version")).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  test("lose_container makes the CT vanish when the call happens", async () => {
    await api.createCt("pve1", 120);
    await addFault({ path: "/nodes/{node}/lxc/{vmid}/status/start", action: "lose_container", times: 1 });
    const r = await api.request("POST", "/nodes/pve1/lxc/120/status/start");
    expect(r.status).toBe(500);
    expect(r.statusText).toBe("Configuration file 'nodes/pve1/lxc/120.conf' does not exist");
    expect(sim.state().containers.map((c) => c.vmid)).not.toContain(120);
  });

  test("lose_container with path '*' removes the CT immediately", async () => {
    await api.createCt("pve1", 121);
    await addFault({ path: "*", action: "lose_container", vmid: 121 });
    expect(sim.state().containers.map((c) => c.vmid)).not.toContain(121);
    expect(await api.get<number>("/cluster/nextid")).toBeLessThanOrEqual(121);
  });

  test("bad fault definitions are 400", async () => {
    const r = await api.simPost("/_sim/faults", { path: "/version", action: "explode" });
    expect(r.status).toBe(400);
  });
});

describe("SSH faults", () => {
  test("ssh_drop closes the connection without an exit status", async () => {
    await addFault({ path: "ssh:docker compose up", action: "ssh_drop", times: 1 });
    const c = await sshConnect(sim, sim.nodeAddress("pve1"));
    const ok = await sshExec(c, pctCommand(100, ["docker", "compose", "ps"]));
    // Not matched (ps, not up): ordinary answer (docker is not installed here).
    expect(ok.code).toBe(127);
    const dropped = await sshExec(c, pctCommand(100, ["docker", "compose", "-f", "/x.yml", "up", "-d"]));
    expect(dropped).toMatchObject({ dropped: true, code: null });
    c.end();
  });

  test("http_500 on 'ssh:pct exec' fails the command with the message; delay delays it", async () => {
    await addFault({
      path: "ssh:pct exec",
      action: "http_500",
      message: "lxc-attach: failed to get init pid",
      times: 1,
    });
    const c = await sshConnect(sim, sim.nodeAddress("pve1"));
    const r = await sshExec(c, pctCommand(100, ["true"]));
    expect(r).toMatchObject({ code: 1, stderr: "lxc-attach: failed to get init pid\n" });
    await addFault({ path: "ssh:pct exec", action: "delay", delay_ms: 120, times: 1 });
    const t0 = performance.now();
    expect((await sshExec(c, pctCommand(100, ["true"]))).code).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    c.end();
  });

  test("lose_container on ssh makes pct fail like a deleted CT", async () => {
    await api.createCt("pve1", 130, { start: true });
    await addFault({ path: "ssh:pct exec", action: "lose_container", times: 1 });
    const c = await sshConnect(sim, sim.nodeAddress("pve1"));
    const r = await sshExec(c, pctCommand(130, ["true"]));
    expect(r).toMatchObject({
      code: 2,
      stderr: "Configuration file 'nodes/pve1/lxc/130.conf' does not exist\n",
    });
    c.end();
  });

  test("/_sim/state lists active faults", async () => {
    await addFault({ path: "/version", action: "delay", delay_ms: 1 });
    expect(sim.state().faults).toHaveLength(1);
    await api.simDelete("/_sim/faults");
    expect(sim.state().faults).toHaveLength(0);
  });
});
