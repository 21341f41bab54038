/**
 * The OCI runtime's later life against the simulated cluster: resources and environment changes of an
 * application container (the data mount point grows, `env` is written and the container restarted so the
 * app reads it, no secret in the log), container logs (PVE has no API for an application container's
 * output: a 409 that says where to look), and the default runtime (oci only when the host's last preflight
 * found `oci_containers` ok).
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  deploy,
  reconfigureRunning,
  type SimWorld,
  settled,
  simControl,
  startWorld,
} from "../../helpers/sim.ts";
import { ORIGIN, Tab } from "../../helpers/web-tab.ts";

setDefaultTimeout(90_000);

const GiB = 1024 ** 3;

type SimCt = {
  vmid: number;
  node: string;
  status: string;
  config: Record<string, string | number>;
  pending: Record<string, string | number>;
};
type SimState = {
  containers: SimCt[];
  volumes: { volid: string; size: number; vmid?: number }[];
  tasks: { type: string; id: string; status: string }[];
};
const simState = (w: SimWorld) => w.sim.state() as unknown as SimState;
const ctOf = (w: SimWorld, vmid: number) => simState(w).containers.find((c) => c.vmid === vmid)!;
/**
 * A disk's size in GiB: `size=NG` of an allocated volume, or the `storage:N` a create asked for (the
 * simulator does not allocate a volume behind every mount point yet).
 */
const sizeOf = (disk: string | number | undefined) =>
  /(?:^|,)size=(\d+)G(?:,|$)/.exec(String(disk))?.[1] ?? /^[^:,]+:(\d+)(?:,|$)/.exec(String(disk))?.[1];
const volumeOf = (disk: string | number | undefined) => String(disk).split(",")[0]!;
const envOf = (value: string | number | undefined) =>
  Object.fromEntries(
    String(value ?? "")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
const tasksOf = (w: SimWorld, vmid: number, type: string) =>
  simState(w).tasks.filter((t) => t.type === type && t.id === String(vmid)).length;

/** The documented Proximity role (docs/proxmox.md) without the OCI runtime's two extra privileges. */
const ROLE = [
  ...["VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CPU", "VM.Config.Disk"],
  ...["VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.PowerMgmt", "VM.Snapshot"],
  ...["VM.Snapshot.Rollback", "Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate"],
  ...["Datastore.Audit", "Sys.Audit", "SDN.Use"],
];

/** The runtime the install form preselects (the option marked selected). */
function preselected(html: string): string | undefined {
  const select = html.match(/<select name="runtime"[\s\S]*?<\/select>/)?.[0] ?? "";
  return select.match(/<option value="(\w+)" selected/)?.[1];
}

describe("PVE 9.2: an oci app's resources, environment and logs", () => {
  let w: SimWorld;
  let appId = "";
  const api = (path: string, init: Parameters<SimWorld["t"]["request"]>[1] = {}) =>
    w.t.request(path, { token: w.admin.token, ...init });
  beforeAll(async () => {
    w = await startWorld({}, { PUBLIC_URL: ORIGIN });
    const started = await deploy(w, { catalog_id: "vaultwarden", hostname: "vault", runtime: "oci" });
    expect(started.status).toBe(202);
    appId = started.app.id;
    const app = await settled(w, appId);
    expect(app?.statusReason ?? null).toBeNull();
    expect(app!.status).toBe("running");
  });
  afterAll(async () => {
    await w.stop();
  });

  test("the data mount point has the app's disk size; the rootfs (the image) the entry's minimum", async () => {
    const app = (await settled(w, appId))!;
    expect(app.resources.disk_gb).toBe(8);
    const ct = ctOf(w, app.vmid!);
    expect(String(ct.config.mp0)).toContain("mp=/data");
    expect(sizeOf(ct.config.mp0)).toBe("8");
    expect(sizeOf(ct.config.rootfs)).toBe("2");
  });

  test("a resize grows the data mount point, cores and memory, and the app row", async () => {
    const before = (await settled(w, appId))!;
    const res = await api(`/api/v1/apps/${appId}`, {
      method: "PATCH",
      json: { resources: { cores: 2, memory_mb: 1024, disk_gb: 12 } },
    });
    expect(res.status).toBe(202);
    const app = (await settled(w, appId))!;
    expect(app.statusReason ?? null).toBeNull();
    expect(app.status).toBe("running");
    expect(app.resources).toEqual({ cores: 2, memory_mb: 1024, disk_gb: 12 });
    const ct = ctOf(w, app.vmid!);
    expect(sizeOf(ct.config.mp0)).toBe("12");
    // The volume behind it (when the simulator allocated one) grew on its storage; the rootfs did not.
    const volume = simState(w).volumes.find((v) => v.volid === volumeOf(ct.config.mp0));
    if (volume) expect(volume.size).toBe(12 * GiB);
    expect(sizeOf(ct.config.rootfs)).toBe("2");
    expect(Number(ct.config.cores)).toBe(2);
    expect(Number(ct.config.memory)).toBe(1024);
    expect(app.ip).toBe(before.ip);
    expect((await fetch(`${app.url}/alive`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
  });

  test("a disk already grown outside Proximity: the resize to that size succeeds without a second resize", async () => {
    const app = (await settled(w, appId))!;
    const client = await w.t.services.hosts.client(w.hostId);
    const { waitForTask } = await import("../../../src/proxmox/index.ts");
    await waitForTask(client, app.node!, await client.resizeLxc(app.node!, app.vmid!, "mp0", "14G"));
    const resizes = tasksOf(w, app.vmid!, "resize");
    const res = await api(`/api/v1/apps/${appId}`, { method: "PATCH", json: { resources: { disk_gb: 14 } } });
    expect(res.status).toBe(202);
    const after = (await settled(w, appId))!;
    expect(after.statusReason ?? null).toBeNull();
    expect(after.status).toBe("running");
    expect(after.resources.disk_gb).toBe(14);
    expect(tasksOf(w, app.vmid!, "resize")).toBe(resizes);
  });

  test("an environment change reaches the container's env after a restart; the app is healthy; no secret in the log", async () => {
    const app = (await settled(w, appId))!;
    const vmid = app.vmid!;
    const starts = tasksOf(w, vmid, "vzstart");
    const secret = "Fresh-Admin-Token-0f9e8d7c6b5a";
    const after = await reconfigureRunning(w, appId, { SIGNUPS_ALLOWED: "false", ADMIN_TOKEN: secret });

    // Applied (not waiting in pending): the container was started again with it.
    const ct = ctOf(w, vmid);
    expect(ct.status).toBe("running");
    expect(ct.pending).toEqual({});
    const env = envOf(ct.config.env);
    expect(env.SIGNUPS_ALLOWED).toBe("false");
    expect(env.ADMIN_TOKEN).toBe(secret);
    // The image's own values and the per-deploy ones are kept.
    expect(env.ROCKET_PORT).toBe("80");
    expect(env.DOMAIN).toBe(after.url!);
    expect(tasksOf(w, vmid, "vzshutdown")).toBeGreaterThan(0);
    expect(tasksOf(w, vmid, "vzstart")).toBe(starts + 1);
    expect((await fetch(`${after.url}/alive`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);

    // Stored as for a Docker app: the plain value in the row, the secret encrypted.
    expect(after.environment.SIGNUPS_ALLOWED).toBe("false");
    expect(JSON.stringify(after.environment)).not.toContain(secret);
    const creds = (await (await api(`/api/v1/apps/${appId}/credentials`)).json()) as {
      environment: Record<string, string>;
    };
    expect(creds.environment.ADMIN_TOKEN).toBe(secret);

    // Neither the deployment log, nor the job, nor the audit log carries the secret value.
    const logs = await (await api(`/api/v1/apps/${appId}/logs?per_page=100`)).text();
    expect(logs).toContain("restarting the container");
    expect(logs).not.toContain(secret);
    const jobs = await (await api(`/api/v1/jobs?app_id=${appId}&per_page=100`)).text();
    expect(jobs).toContain("reconfigure_app");
    expect(jobs).not.toContain(secret);
    const audit = await (await api(`/api/v1/audit?action=app.reconfigure&target=${appId}`)).text();
    expect(audit).toContain("app.reconfigure");
    expect(audit).not.toContain(secret);
  });

  test("the same environment again changes nothing and does not restart the app", async () => {
    const app = (await settled(w, appId))!;
    const starts = tasksOf(w, app.vmid!, "vzstart");
    await reconfigureRunning(w, appId, { SIGNUPS_ALLOWED: "false" });
    expect(tasksOf(w, app.vmid!, "vzstart")).toBe(starts);
  });

  test("container logs: a 409 that says PVE offers only the console, and where to open it", async () => {
    const app = (await settled(w, appId))!;
    const res = await api(`/api/v1/apps/${appId}/container-logs`);
    expect(res.status).toBe(409);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toContain("oci runtime");
    expect(error.message).toContain("no API");
    expect(error.message).toContain(`CT ${app.vmid} on node ${app.node}`);
    expect(error.message).toContain(`pct console ${app.vmid}`);

    // The app page offers no "Container log" button for it (it could only fail) and says where to look.
    const tab = new Tab(w.t);
    await tab.signIn("admin");
    const html = await (await tab.request(`/apps/${appId}`)).text();
    expect(html).not.toContain(`/apps/${appId}/container-log`);
    expect(html).toContain('id="container-log-unavailable"');
    expect(html).toContain(`pct console ${app.vmid}`);
  });
});

describe("the default runtime follows the host's last preflight", () => {
  let w: SimWorld;
  const api = (path: string, init: Parameters<SimWorld["t"]["request"]>[1] = {}) =>
    w.t.request(path, { token: w.admin.token, ...init });
  const hostTest = async () => {
    const res = await api(`/api/v1/hosts/${w.hostId}/test`, { method: "POST" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { checks: { name: string; severity: string }[] };
    return body.checks.find((c) => c.name === "oci_containers")!.severity;
  };
  const deployed = async (body: Record<string, unknown>) => {
    const started = await deploy(w, body);
    expect(started.status).toBe(202);
    const app = (await settled(w, started.app.id, 60_000))!;
    expect(app.statusReason ?? null).toBeNull();
    expect(app.status).toBe("running");
    return app;
  };
  beforeAll(async () => {
    w = await startWorld({ nodes: 1 }, { PUBLIC_URL: ORIGIN });
  });
  afterAll(async () => {
    await w.stop();
  });

  test("no preflight yet: docker", async () => {
    const app = await deployed({ catalog_id: "it-tools", hostname: "tools-a" });
    expect(app.runtime).toBe("docker");
    const tab = new Tab(w.t);
    await tab.signIn("admin");
    expect(preselected(await (await tab.request("/catalog/gotify")).text())).toBe("docker");
  });

  test("preflight ok: oci, in the API and preselected in the install form; an explicit docker wins", async () => {
    expect(await hostTest()).toBe("ok");
    const app = await deployed({ catalog_id: "it-tools", hostname: "tools-b" });
    expect(app.runtime).toBe("oci");
    const ct = ctOf(w, app.vmid!);
    expect(String(ct.config.net0)).toContain("host-managed=1");

    const docker = await deployed({ catalog_id: "it-tools", hostname: "tools-c", runtime: "docker" });
    expect(docker.runtime).toBe("docker");

    const tab = new Tab(w.t);
    await tab.signIn("admin");
    const form = await (await tab.request("/catalog/gotify")).text();
    expect(preselected(form)).toBe("oci");
    expect(form).toContain("OCI container (default)");
    expect(form).toContain("alpine-3.22 container with Docker, or the image as an OCI container");
    // An entry that offers only docker is not affected.
    const gitea = await deploy(w, { catalog_id: "gitea", hostname: "gitea-a" });
    expect(gitea.app.runtime).toBe("docker");
    await settled(w, gitea.app.id, 60_000);
  });

  test("preflight finds the token without Sys.AccessNetwork: docker again, and an explicit oci is refused", async () => {
    await simControl(w.sim, "acl", { acl: { "/": ROLE } });
    try {
      expect(await hostTest()).toBe("warning");
      const app = await deployed({ catalog_id: "it-tools", hostname: "tools-d" });
      expect(app.runtime).toBe("docker");
      const refused = await api("/api/v1/apps/deploy", {
        method: "POST",
        json: { catalog_id: "it-tools", hostname: "tools-e", runtime: "oci" },
      });
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
        "Sys.AccessNetwork",
      );
      const tab = new Tab(w.t);
      await tab.signIn("admin");
      expect(preselected(await (await tab.request("/catalog/gotify")).text())).toBe("docker");
    } finally {
      await simControl(w.sim, "acl", { acl: null });
    }
  });
});

describe("PVE 8.4: the preflight says no OCI", () => {
  test("without a runtime an entry that offers both gets docker; oci is refused", async () => {
    const old = await startWorld({ pve: "8.4", nodes: 1 });
    try {
      const tested = await old.t.request(`/api/v1/hosts/${old.hostId}/test`, {
        method: "POST",
        token: old.admin.token,
      });
      expect(tested.status).toBe(200);
      const started = await deploy(old, { catalog_id: "vaultwarden", hostname: "vault-old" });
      expect(started.status).toBe(202);
      expect(started.app.runtime).toBe("docker");
      const app = await settled(old, started.app.id, 60_000);
      expect(app).toMatchObject({ status: "running", runtime: "docker" });
      const refused = await deploy(old, { catalog_id: "vaultwarden", hostname: "vault-oci", runtime: "oci" });
      expect(refused.status).toBe(409);
    } finally {
      await old.stop();
    }
  });
});
