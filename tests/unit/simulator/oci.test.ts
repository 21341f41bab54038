/** OCI images (PVE 9.1+): the pull endpoint's rules, the tag query, the OCI create path and the app it runs. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PRIVILEGES_9 } from "../../../src/simulator/acl.ts";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { httpStatus } from "../../helpers/http-status.ts";
import { Api, boot } from "./helpers.ts";

const VW = "docker.io/vaultwarden/server:1.37.2";
let sim: RunningSimulator;
let api: Api;

beforeAll(async () => {
  // pve2 has a Btrfs install: its guest storage is file based but holds no templates.
  sim = await boot({ nodes: 2, storageLayouts: ["lvm", "btrfs"] });
  api = new Api(sim);
});
afterAll(() => sim.stop());

async function pull(node: string, params: Record<string, string>) {
  const upid = await api.post<string>(`/nodes/${node}/storage/local/oci-registry-pull`, params);
  return { upid, status: await api.waitTask(upid), log: await api.taskLog(upid) };
}

const ipOf = async (vmid: number) =>
  api.until(async () => (await api.simState()).containers.find((c) => c.vmid === vmid)?.ip ?? null);

describe("oci-registry-pull", () => {
  test("a tagged reference is pulled by an ociregistrypull task into <storage>:vztmpl/<name>.tar", async () => {
    const { upid, status, log } = await pull("pve1", { reference: VW });
    expect(upid.split(":")[5]).toBe("ociregistrypull");
    expect(status.exitstatus).toBe("OK");
    expect(log).toContain("Writing manifest to image destination");
    const content = await api.get<{ volid: string; format: string; size: number }[]>(
      "/nodes/pve1/storage/local/content",
      { content: "vztmpl" },
    );
    expect(content.find((v) => v.volid === "local:vztmpl/server_1.37.2.tar")).toMatchObject({
      format: "tar",
    });
  });

  test("filename is normalised and always gets .tar appended", async () => {
    await pull("pve1", { reference: "gotify/server:2.9.1", filename: "web" });
    await pull("pve1", { reference: "gotify/server:2.9.1", filename: "web.tar" });
    await pull("pve1", { reference: "gotify/server:2.9.1", filename: "my app:v2" });
    const volids = (
      await api.get<{ volid: string }[]>("/nodes/pve1/storage/local/content", { content: "vztmpl" })
    ).map((v) => v.volid);
    expect(volids).toContain("local:vztmpl/web.tar");
    expect(volids).toContain("local:vztmpl/web.tar.tar");
    expect(volids).toContain("local:vztmpl/my_app_v2.tar");
  });

  test("a tag is required and a digest is refused by the schema", async () => {
    for (const reference of [
      "docker.io/vaultwarden/server",
      `docker.io/vaultwarden/server@sha256:${"a".repeat(64)}`,
    ]) {
      const r = await api.request("POST", "/nodes/pve1/storage/local/oci-registry-pull", { reference });
      expect(r.status).toBe(400);
      expect(r.body?.errors).toEqual({ reference: "value does not match the regex pattern" });
    }
  });

  test("synchronous errors: existing file, storage not file based, no vztmpl content", async () => {
    const again = await api.request("POST", "/nodes/pve1/storage/local/oci-registry-pull", { reference: VW });
    expect(again.status).toBe(500);
    expect(again.body?.message).toBe(
      "refusing to override existing file '/var/lib/vz/template/cache/server_1.37.2.tar'\n",
    );
    const lvm = await api.request("POST", "/nodes/pve1/storage/local-lvm/oci-registry-pull", {
      reference: VW,
    });
    expect(lvm.body?.message).toBe("can't upload to storage type 'lvmthin', not a file based storage!\n");
    const btrfs = await api.request("POST", "/nodes/pve2/storage/local-btrfs/oci-registry-pull", {
      reference: VW,
    });
    expect(btrfs.body?.message).toBe("storage 'local-btrfs' is not configured for content-type 'vztmpl'\n");
  });

  test("an unknown image or tag fails the task like skopeo, and leaves no file", async () => {
    const missing = await pull("pve1", { reference: "docker.io/nobody/nothing:1.0" });
    expect(missing.status.exitstatus).toStartWith(
      "command 'skopeo copy docker://docker.io/nobody/nothing:1.0",
    );
    expect(missing.log.join("\n")).toContain("requested access to the resource is denied");
    const badTag = await pull("pve1", { reference: "vaultwarden/server:0.0.1" });
    expect(badTag.status.exitstatus).toContain("exit code 1");
    expect(badTag.log.join("\n")).toContain(
      "reading manifest 0.0.1 in docker.io/vaultwarden/server: manifest unknown",
    );
    const volids = (await api.simState()).volumes.map((v) => v.volid);
    expect(volids).not.toContain("local:vztmpl/nothing_1.0.tar");
    expect(volids).not.toContain("local:vztmpl/server_0.0.1.tar");
  });

  test("query-oci-repo-tags lists a repository's tags; an unknown one fails", async () => {
    const tags = await api.get<string[]>("/nodes/pve1/query-oci-repo-tags", {
      reference: "louislam/uptime-kuma",
    });
    expect(tags).toContain("2.2.1");
    const withTag = await api.request("GET", "/nodes/pve1/query-oci-repo-tags", {
      reference: "louislam/uptime-kuma:2",
    });
    expect(withTag.status).toBe(400);
    const unknown = await api.request("GET", "/nodes/pve1/query-oci-repo-tags", {
      reference: "nobody/nothing",
    });
    expect(unknown.status).toBe(500);
    expect(unknown.body?.message).toContain("docker.io/nobody/nothing");
  });
});

describe("creating and running an OCI container", () => {
  test("the image's entrypoint and env overwrite the create parameters; console mode, host-managed net", async () => {
    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 300,
      ostemplate: "local:vztmpl/server_1.37.2.tar",
      hostname: "vw",
      rootfs: "local-lvm:2",
      net0: "name=eth0,bridge=vmbr0,ip=dhcp",
      entrypoint: "/bin/sh -c 'sleep infinity'",
      env: "ROCKET_PORT=9000\0ADMIN_TOKEN=x",
    });
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    const log = await api.taskLog(upid);
    expect(log).toContain("Detected OCI archive");
    expect(log).toContain("Auto-Enabling host-managed network for network device net0.");
    expect(log).toContain("creating base directory for volume at /data");
    expect(log.some((l) => l.startsWith("Creating SSH host key"))).toBe(false);
    const config = await api.get<Record<string, string>>("/nodes/pve1/lxc/300/config");
    expect(config.entrypoint).toBe("/start.sh");
    expect(config.env?.split("\0")).toContain("ROCKET_PORT=80");
    expect(config.env).not.toContain("ADMIN_TOKEN");
    expect(config.cmode).toBe("console");
    expect(config.ostype).toBe("unmanaged");
    expect(config.net0).toContain("host-managed=1");
    const ct = (await api.simState()).containers.find((c) => c.vmid === 300)!;
    expect(ct.dirs).toContain("/data");
    expect(ct.docker.installed).toBe(false);
    expect(ct.oci).toEqual({ repository: "docker.io/vaultwarden/server", tag: "1.37.2" });
  });

  test("after start the app answers on the CT's address; env changes wait for the restart", async () => {
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/300/status/start"));
    const ip = await ipOf(300);
    await api.until(async () => (await httpStatus(`http://${ip}:80/alive`)) === 200);

    const current = await api.get<Record<string, string>>("/nodes/pve1/lxc/300/config");
    const env = current.env!.replace("ROCKET_PORT=80", "ROCKET_PORT=8080");
    await api.put("/nodes/pve1/lxc/300/config", { env });
    expect((await api.get<Record<string, string>>("/nodes/pve1/lxc/300/config")).env).toContain(
      "ROCKET_PORT=8080",
    );
    expect(
      (await api.get<Record<string, string>>("/nodes/pve1/lxc/300/config", { current: 1 })).env,
    ).toContain("ROCKET_PORT=80\0");
    expect(await httpStatus(`http://${ip}:80/alive`)).toBe(200);
    expect((await api.simState()).containers.find((c) => c.vmid === 300)?.pending.env).toContain(
      "ROCKET_PORT=8080",
    );

    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/300/status/reboot"));
    await api.until(async () => (await httpStatus(`http://${ip}:8080/alive`)) === 200);
    expect(await httpStatus(`http://${ip}:80/alive`)).not.toBe(200);

    // An entrypoint that no longer starts the image's program: nothing answers after the next start.
    await api.put("/nodes/pve1/lxc/300/config", { entrypoint: "/bin/sh" });
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/300/status/reboot"));
    await ipOf(300);
    await Bun.sleep(100);
    expect(await httpStatus(`http://${ip}:8080/alive`)).not.toBe(200);
  });

  test("ip6=auto on a host-managed interface fails the start with PVE's text", async () => {
    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 301,
      ostemplate: "local:vztmpl/web.tar",
      rootfs: "local-lvm:1",
      net0: "name=eth0,bridge=vmbr0,ip=dhcp,ip6=auto",
    });
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    const start = await api.waitTask(await api.post<string>("/nodes/pve1/lxc/301/status/start"));
    expect(start.exitstatus).toBe("SLAAC is not supported for host-managed network configuration");
  });
});

describe("permissions and releases", () => {
  test("the pull needs Datastore.AllocateTemplate on the storage and Sys.AccessNetwork on the node", async () => {
    const all = PRIVILEGES_9.filter((p) => p !== "Sys.AccessNetwork");
    const restricted = await boot({
      tokenAcl: { "/": all, "/storage/local": all.filter((p) => p !== "Datastore.AllocateTemplate") },
    });
    try {
      const r = new Api(restricted);
      const noTemplate = await r.request("POST", "/nodes/pve1/storage/local/oci-registry-pull", {
        reference: VW,
      });
      expect(noTemplate.status).toBe(403);
      expect(noTemplate.statusText).toBe(
        "Permission check failed (/storage/local, Datastore.AllocateTemplate)",
      );
    } finally {
      await restricted.stop();
    }
    const noNetwork = await boot({ tokenAcl: { "/": all } });
    try {
      const r = new Api(noNetwork);
      const pullReply = await r.request("POST", "/nodes/pve1/storage/local/oci-registry-pull", {
        reference: VW,
      });
      expect(pullReply.status).toBe(403);
      expect(pullReply.statusText).toBe("Permission check failed (/nodes/pve1, Sys.AccessNetwork)");
      const tags = await r.request("GET", "/nodes/pve1/query-oci-repo-tags", { reference: "gotify/server" });
      expect(tags.status).toBe(403);
    } finally {
      await noNetwork.stop();
    }
  });

  test("env and entrypoint need VM.Config.Options; without it the config hides env", async () => {
    const noOptions = await boot({
      tokenAcl: { "/": PRIVILEGES_9, "/vms": PRIVILEGES_9.filter((p) => p !== "VM.Config.Options") },
    });
    try {
      const r = new Api(noOptions);
      await r.waitTask(
        await r.post<string>("/nodes/pve1/storage/local/oci-registry-pull", { reference: VW }),
      );
      const create = { vmid: 310, ostemplate: "local:vztmpl/server_1.37.2.tar", rootfs: "local-lvm:1" };
      const refused = await r.request("POST", "/nodes/pve1/lxc", { ...create, env: "A=1" });
      expect(refused.status).toBe(403);
      expect(refused.statusText).toBe("Permission check failed (/vms/310, VM.Config.Options)");
      expect((await r.waitTask(await r.post<string>("/nodes/pve1/lxc", create))).exitstatus).toBe("OK");
      const config = await r.get<Record<string, string>>("/nodes/pve1/lxc/310/config");
      expect(config.entrypoint).toBe("/start.sh");
      expect(config).not.toHaveProperty("env");
      const put = await r.request("PUT", "/nodes/pve1/lxc/310/config", { env: "ROCKET_PORT=81" });
      expect(put.status).toBe(403);
    } finally {
      await noOptions.stop();
    }
  });

  test("PVE 8.4 has no OCI support: the route is not implemented and env is not in the schema", async () => {
    const old = await boot({ pve: "8.4" });
    try {
      const r = new Api(old);
      const pullReply = await r.request("POST", "/nodes/pve1/storage/local/oci-registry-pull", {
        reference: VW,
      });
      expect(pullReply.status).toBe(501);
      expect(pullReply.statusText).toBe(
        "Method 'POST /nodes/pve1/storage/local/oci-registry-pull' not implemented",
      );
      const create = await r.request("POST", "/nodes/pve1/lxc", {
        vmid: 100,
        ostemplate: "local:vztmpl/x.tar",
        env: "A=1",
        net0: "name=eth0,bridge=vmbr0,host-managed=1",
      });
      expect(create.status).toBe(400);
      expect(create.body?.errors?.env).toBe(
        "property is not defined in schema and the schema does not allow additional properties",
      );
      expect(create.body?.errors?.net0).toContain(
        "invalid key in comma-separated list property: host-managed",
      );
    } finally {
      await old.stop();
    }
  });
});
