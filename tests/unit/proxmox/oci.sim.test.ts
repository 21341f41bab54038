/** The client's OCI methods (PVE 9.1+) against the simulator: pull, tags, create, read-merge-write of env. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ProxmoxClient } from "../../../src/proxmox/client.ts";
import { parseEnv } from "../../../src/proxmox/encoding.ts";
import { ociArchiveVolid } from "../../../src/proxmox/oci.ts";
import { waitForTask } from "../../../src/proxmox/tasks.ts";
import { type RunningSimulator, startSimulator } from "../../../src/simulator/index.ts";
import { caught } from "./helpers/caught.ts";

let sim: RunningSimulator;
let old: RunningSimulator;
beforeAll(async () => {
  [sim, old] = await Promise.all([
    startSimulator({ nodes: 1, speed: 200, authFailDelayMs: 0 }),
    startSimulator({ nodes: 1, speed: 200, authFailDelayMs: 0, pve: "8.4" }),
  ]);
});
afterAll(async () => {
  await Promise.all([sim?.stop(), old?.stop()]);
});

const clientFor = (s: RunningSimulator) =>
  new ProxmoxClient({
    apiUrl: s.apiUrl,
    auth: { kind: "token", tokenId: s.tokenId, tokenSecret: s.tokenSecret },
    retryBaseMs: 1,
  });

describe("OCI through the client", () => {
  test("pull → the volid ociArchiveVolid predicts; tags; a failed pull is a task_failed error", async () => {
    const c = clientFor(sim);
    const reference = "docker.io/louislam/uptime-kuma:2.2.1";
    const upid = await c.ociRegistryPull("pve1", "local", { reference });
    expect(upid.split(":")[5]).toBe("ociregistrypull");
    await waitForTask(c, "pve1", upid, { pollMs: 5 });
    const stored = await c.storageContent("pve1", "local", "vztmpl");
    expect(stored.map((v) => v.volid)).toContain(ociArchiveVolid("local", reference));

    expect(await c.queryOciRepoTags("pve1", "louislam/uptime-kuma")).toContain("2.2.1");

    const bad = await c.ociRegistryPull("pve1", "local", { reference: "louislam/uptime-kuma:9.9.9" });
    const err = await caught(waitForTask(c, "pve1", bad, { pollMs: 5 }));
    expect(err.kind).toBe("task_failed");
    expect(err.pveMessage).toContain("skopeo copy");

    const again = await caught(c.ociRegistryPull("pve1", "local", { reference }));
    expect(again.pveMessage).toContain("refusing to override existing file");
    expect(() => c.ociRegistryPull("pve1", "local", { reference: "louislam/uptime-kuma" })).toThrow(
      TypeError,
    );
  });

  test("create from the archive: the image's env wins; an override is read, merged and written back", async () => {
    const c = clientFor(sim);
    const volid = ociArchiveVolid("local", "docker.io/louislam/uptime-kuma:2.2.1");
    const upid = await c.createLxc("pve1", {
      vmid: 120,
      ostemplate: volid,
      rootfs: { storage: "local-lvm", sizeGb: 2 },
      net: { 0: { name: "eth0", bridge: "vmbr0", ip: "dhcp" } },
      env: { TZ: "Europe/Paris" },
    });
    await waitForTask(c, "pve1", upid, { pollMs: 5 });
    const config = await c.lxcConfig("pve1", 120);
    const env = parseEnv(config.env);
    expect(env.TZ).toBeUndefined();
    expect(env.UPTIME_KUMA_IS_CONTAINER).toBe("1");
    expect(config.entrypoint).toBe("/usr/bin/dumb-init -- node server/server.js");
    expect(String(config.net0)).toContain("host-managed=1");

    await c.updateLxcConfig("pve1", 120, { env: { ...env, TZ: "Europe/Paris" } });
    const merged = parseEnv((await c.lxcConfig("pve1", 120)).env);
    expect(merged).toEqual({ ...env, TZ: "Europe/Paris" });
  });

  test("PVE 8.4: the pull endpoint is not implemented (501) and env is refused (400)", async () => {
    const c = clientFor(old);
    const pull = await caught(c.ociRegistryPull("pve1", "local", { reference: "gotify/server:2.9.1" }));
    expect(pull.pveStatus).toBe(501);
    const create = await caught(
      c.createLxc("pve1", { vmid: 130, ostemplate: "local:vztmpl/x.tar", env: { A: "1" } }),
    );
    expect(create.pveStatus).toBe(400);
    expect(create.errors?.env).toContain("not defined in schema");
  });
});
