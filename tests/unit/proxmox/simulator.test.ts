// DRAFT, not run: rename to simulator.test.ts once src/simulator/index.ts exposes startSimulator as announced.

/**
 * The client against the PVE simulator over real sockets (HTTP, HTTPS with a pinned fingerprint, SSH):
 * both auth modes, CSRF, 401/400/500 mapping, tasks, retries with injected faults, pct exec.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ProxmoxClient } from "../../../src/proxmox/client.ts";
import { MemoryHostKeyStore, PctExecutor } from "../../../src/proxmox/ssh.ts";
import { waitForTask } from "../../../src/proxmox/tasks.ts";
import type { ProxmoxCallInfo } from "../../../src/proxmox/types.ts";
import { startSimulator } from "../../../src/simulator/index.ts";
import { clearFaults, simFault } from "../../helpers/sim-control.ts";
import { caught } from "./helpers/caught.ts";

type Sim = Awaited<ReturnType<typeof startSimulator>>;
let sim: Sim;
let tlsSim: Sim;
beforeAll(async () => {
  [sim, tlsSim] = await Promise.all([
    startSimulator({ nodes: 3, speed: 200, authFailDelayMs: 0 }),
    startSimulator({ nodes: 1, speed: 200, tls: true, authFailDelayMs: 0 }),
  ]);
});
afterAll(async () => {
  await Promise.all([sim?.stop(), tlsSim?.stop()]);
});

const tokenClient = (extra: Partial<ConstructorParameters<typeof ProxmoxClient>[0]> = {}) =>
  new ProxmoxClient({
    apiUrl: sim.apiUrl,
    auth: { kind: "token", tokenId: sim.tokenId, tokenSecret: sim.tokenSecret },
    retryBaseMs: 1,
    ...extra,
  });
const ticketClient = (password = sim.password) =>
  new ProxmoxClient({
    apiUrl: sim.apiUrl,
    auth: { kind: "ticket", username: sim.username, password },
    retryBaseMs: 1,
  });

const TEMPLATE_QUERY = "vztmpl";
async function template(c: ProxmoxClient, node: string): Promise<string> {
  const have = await c.storageContent(node, "local", TEMPLATE_QUERY);
  if (have[0]) return have[0].volid;
  const apl = await c.aplinfo(node);
  const t = apl.find((a) => a.template.startsWith("alpine")) ?? apl[0]!;
  await waitForTask(c, node, await c.downloadTemplate(node, "local", t.template), {
    pollMs: 10,
    timeoutMs: 10_000,
  });
  return `local:vztmpl/${t.template}`;
}

describe("client ↔ simulator", () => {
  test("token and ticket auth both work; reads are equal", async () => {
    const a = await tokenClient().listNodes();
    const b = await ticketClient().listNodes();
    expect(a.map((n) => n.node).sort()).toEqual(b.map((n) => n.node).sort());
    expect(a).toHaveLength(3);
    expect((await tokenClient().version()).release).toMatch(/^9\./);
  });

  test("ticket writes carry CSRF (the simulator enforces it): a full lifecycle with tasks", async () => {
    const c = ticketClient();
    const node = "pve1";
    const vmid = await c.nextId();
    const ostemplate = await template(c, node);
    const wait = (upid: string) => waitForTask(c, node, upid, { pollMs: 10, timeoutMs: 15_000 });
    await wait(
      await c.createLxc(node, {
        vmid,
        ostemplate,
        hostname: `ct${vmid}`,
        unprivileged: true,
        features: { nesting: true },
        rootfs: { storage: "local-lvm", sizeGb: 2 },
        net: { 0: { name: "eth0", bridge: "vmbr0", ip: "dhcp" } },
        memory: 512,
        tags: ["proximity"],
      }),
    );
    expect((await c.lxcConfig(node, vmid)).hostname).toBe(`ct${vmid}`);
    await c.updateLxcConfig(node, vmid, { memory: 1024 });
    await wait(await c.startLxc(node, vmid));
    expect((await c.lxcStatus(node, vmid)).status).toBe("running");
    await wait(await c.stopLxc(node, vmid));
    await wait(await c.deleteLxc(node, vmid, { purge: true, destroyUnreferencedDisks: true }));
    const err = await caught(c.lxcStatus(node, vmid));
    expect(err.pveStatus).toBe(500);
    expect(err.pveMessage).toContain("does not exist");
  });

  test("bad credentials → kind auth (401), for tokens and tickets", async () => {
    const t = await caught(
      new ProxmoxClient({
        apiUrl: sim.apiUrl,
        auth: { kind: "token", tokenId: sim.tokenId, tokenSecret: "00000000-0000-0000-0000-000000000000" },
      }).listNodes(),
    );
    expect(t).toMatchObject({ kind: "auth", pveStatus: 401 });
    const k = await caught(ticketClient("wrong-password").listNodes());
    expect(k).toMatchObject({ kind: "auth", pveStatus: 401 });
  });

  test("400 parameter errors and 500 domain errors", async () => {
    const c = tokenClient();
    const taken = (await c.clusterResources("vm")).find((r) => r.vmid)?.vmid;
    const vmid = await c.nextId();
    const err = await caught(c.updateLxcConfig("pve1", vmid, { hostname: "bad_name" }));
    expect(err.pveStatus).toBeGreaterThanOrEqual(400);
    if (taken) {
      const e = await caught(c.nextId(taken));
      expect(e.pveStatus).toBe(400);
      expect(e.errors?.vmid).toContain("already exists");
    }
  });

  test("a GET is retried after an injected 500; a non-idempotent POST is not", async () => {
    const calls: ProxmoxCallInfo[] = [];
    const c = tokenClient({ onCall: (i) => calls.push(i) });
    await simFault(sim, { method: "GET", path: "/nodes", action: "http_500", times: 1 });
    expect(await c.listNodes()).toHaveLength(3);
    expect(calls.map((x) => x.status)).toEqual([500, 200]);
    calls.length = 0;
    await simFault(sim, {
      method: "POST",
      path: "/nodes/{node}/lxc/{vmid}/status/start",
      action: "http_500",
      times: 1,
    });
    await caught(c.startLxc("pve1", 100));
    expect(calls).toHaveLength(1);
    await clearFaults(sim);
  });

  test("task_fail fault → waitForTask raises task_failed with the log", async () => {
    const c = tokenClient();
    const node = "pve2";
    const ostemplate = await template(c, node);
    const vmid = await c.nextId();
    await simFault(sim, {
      method: "POST",
      path: "/nodes/{node}/lxc",
      action: "task_fail",
      message: "injected failure",
      times: 1,
    });
    const err = await caught(
      waitForTask(
        c,
        node,
        await c.createLxc(node, { vmid, ostemplate, rootfs: { storage: "local-lvm", sizeGb: 1 } }),
        { pollMs: 10, timeoutMs: 10_000 },
      ),
    );
    expect(err.kind).toBe("task_failed");
    expect(err.taskLog?.length).toBeGreaterThan(0);
    await clearFaults(sim);
  });

  test("HTTPS: pinned fingerprint works, a wrong pin is refused as tls", async () => {
    const auth = { kind: "token", tokenId: tlsSim.tokenId, tokenSecret: tlsSim.tokenSecret } as const;
    const pin = tlsSim.fingerprint!;
    expect(
      await new ProxmoxClient({ apiUrl: tlsSim.apiUrl, auth, fingerprint: pin }).listNodes(),
    ).toHaveLength(1);
    const wrong = pin.replace(/^../, pin.startsWith("00") ? "11" : "00");
    const err = await caught(
      new ProxmoxClient({ apiUrl: tlsSim.apiUrl, auth, fingerprint: wrong, maxAttempts: 1 }).listNodes(),
    );
    expect(err.kind).toBe("tls");
    const def = await caught(new ProxmoxClient({ apiUrl: tlsSim.apiUrl, auth, maxAttempts: 1 }).listNodes());
    expect(def.kind).toBe("tls");
  });

  test("pct exec on the simulator: stdin byte-exact, hostile values stay file content, exit codes", async () => {
    const c = tokenClient();
    const node = "pve3";
    const ostemplate = await template(c, node);
    const vmid = await c.nextId();
    const wait = (upid: string) => waitForTask(c, node, upid, { pollMs: 10, timeoutMs: 15_000 });
    await wait(await c.createLxc(node, { vmid, ostemplate, rootfs: { storage: "local-lvm", sizeGb: 1 } }));
    await wait(await c.startLxc(node, vmid));
    const ssh = new PctExecutor({
      host: sim.sshHost,
      port: sim.sshPort,
      username: sim.sshUsername,
      password: sim.sshPassword,
      hostKeys: new MemoryHostKeyStore(),
      resolveNode: (n) => sim.nodeAddress(n),
    });
    try {
      const hostile = `A='x"y'$(reboot)\`id\`\nB=2; rm -rf /\n`;
      expect((await ssh.pctExec(node, vmid, ["mkdir", "-p", "/opt/app"])).exitCode).toBe(0);
      expect((await ssh.pctExec(node, vmid, ["tee", "/opt/app/.env"], { stdin: hostile })).exitCode).toBe(0);
      expect((await ssh.pctExec(node, vmid, ["cat", "/opt/app/.env"])).stdout).toBe(hostile);
      expect((await ssh.pctExec(node, vmid, ["frobnicate"])).exitCode).toBe(127);
    } finally {
      await ssh.close();
    }
  });
});
