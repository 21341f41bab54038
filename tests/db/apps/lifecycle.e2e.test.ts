/** The whole life of apps against the simulated cluster over real sockets (REST + SSH). */

import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { DEPLOY_STEPS } from "../../../src/features/apps/sagas/deploy.ts";
import { createUser, type Session } from "../../helpers/harness.ts";
import {
  deploy,
  expectContainersMatch,
  reconfigureRunning,
  type SimWorld,
  settled,
  sharedWorld,
  simContainers,
} from "../../helpers/sim.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

const w = sharedWorld();

const api: SimWorld["api"] = (path, init) => w.api(path, init);

describe("deploy", () => {
  test.each([
    ["vaultwarden", "vault"],
    ["uptime-kuma", "kuma"],
    ["gitea", "git"],
  ])(
    "%s deploys to running with a URL, and the container holds its compose project",
    async (catalogId, hostname) => {
      const started = await deploy(w, { catalog_id: catalogId, hostname });
      expect(started.status).toBe(202);
      expect(started.app).toMatchObject({ status: "deploying", hostname, catalog_id: catalogId });
      const app = await settled(w, started.app.id);
      expect(app?.statusReason ?? null).toBeNull();
      expect(app!.status).toBe("running");
      expect(app!.url).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:\d+$/);
      const job = await (await api(`/api/v1/jobs/${started.job.id}`)).json();
      expect(job).toMatchObject({
        status: "succeeded",
        progress: { step: "finish", step_index: DEPLOY_STEPS.length, total_steps: DEPLOY_STEPS.length },
      });
      // The simulator's container got the compose file and a 0600 .env through stdin.
      const state = w.sim.state() as unknown as {
        containers: { vmid: number; files: Record<string, { content: string; mode: string }> }[];
      };
      const ct = state.containers.find((c) => c.vmid === app!.vmid)!;
      expect(ct.files["/opt/proximity/compose.yaml"]!.content).toContain("services:");
      expect(ct.files["/opt/proximity/.env"]!.mode).toBe("0600");
      await expectContainersMatch(w);
    },
  );

  test("a multi-service app gets a generated database password, shown only through /credentials", async () => {
    const list = (await (await api("/api/v1/apps?q=git")).json()) as {
      items: { id: string; environment: Record<string, string> }[];
    };
    const gitea = list.items[0]!;
    expect(gitea.environment).not.toHaveProperty("DB_PASSWORD");
    const creds = (await (await api(`/api/v1/apps/${gitea.id}/credentials`)).json()) as {
      root_password: string;
      environment: Record<string, string>;
    };
    expect(creds.environment.DB_PASSWORD!.length).toBeGreaterThanOrEqual(20);
    expect(creds.root_password.length).toBeGreaterThanOrEqual(20);
    const audit = (await (await api(`/api/v1/audit?action=app.credentials&target=${gitea.id}`)).json()) as {
      total: number;
    };
    expect(audit.total).toBe(1);
  });

  test("the deployment log tells the story step by step", async () => {
    const list = (await (await api("/api/v1/apps?q=vault")).json()) as { items: { id: string }[] };
    const logs = (await (await api(`/api/v1/apps/${list.items[0]!.id}/logs?per_page=100`)).json()) as {
      items: { step: string | null; message: string }[];
    };
    const steps = [...new Set(logs.items.map((l) => l.step).filter(Boolean))];
    expect(steps).toEqual([...DEPLOY_STEPS]);
    expect(logs.items.at(-1)!.message).toContain("is running at http://");
  });
});

describe("reconfiguring the environment", () => {
  test("a new value is written to .env through stdin and compose re-applies it; secrets are kept", async () => {
    const list = (await (await api("/api/v1/apps?q=git")).json()) as { items: { id: string }[] };
    const id = list.items[0]!.id;
    const before = (await (await api(`/api/v1/apps/${id}/credentials`)).json()) as {
      environment: Record<string, string>;
    };
    const app = await reconfigureRunning(w, id, { ROOT_URL: "http://git.lan:3000/" });
    expect(app.environment.ROOT_URL).toBe("http://git.lan:3000/");
    const state = w.sim.state() as unknown as {
      containers: {
        vmid: number;
        files: Record<string, { content: string }>;
        commands: { argv: string[] }[];
      }[];
    };
    const ct = state.containers.find((c) => c.vmid === app.vmid)!;
    expect(ct.files["/opt/proximity/.env"]!.content).toContain("ROOT_URL='http://git.lan:3000/'");
    expect(ct.files["/opt/proximity/.env"]!.content).toContain(before.environment.DB_PASSWORD!);
    expect(ct.commands.at(-1)!.argv.slice(0, 2)).toEqual(["docker", "compose"]);
    expect(ct.commands.at(-1)!.argv).toContain("up");
  });

  test("unknown variables are refused; an environment change on a stopped app is a 409", async () => {
    const list = (await (await api("/api/v1/apps?q=git")).json()) as { items: { id: string }[] };
    const id = list.items[0]!.id;
    const bad = await api(`/api/v1/apps/${id}`, { method: "PATCH", json: { environment: { NOPE: "1" } } });
    expect(bad.status).toBe(422);
    await api(`/api/v1/apps/${id}/actions`, { method: "POST", json: { action: "stop" } });
    expect((await settled(w, id))!.status).toBe("stopped");
    const res = await api(`/api/v1/apps/${id}`, { method: "PATCH", json: { environment: { ROOT_URL: "" } } });
    expect(res.status).toBe(409);
    await api(`/api/v1/apps/${id}/actions`, { method: "POST", json: { action: "start" } });
    expect((await settled(w, id))!.status).toBe("running");
  });
});

describe("operating a running app", () => {
  let id: string;
  beforeAll(async () => {
    const started = await deploy(w, { catalog_id: "it-tools", hostname: "tools" });
    id = (await settled(w, started.app.id))!.id;
  });

  const act = async (action: string) => {
    const res = await api(`/api/v1/apps/${id}/actions`, { method: "POST", json: { action } });
    expect(res.status).toBe(202);
    return settled(w, id);
  };

  test("stop → stopped; start → running; restart → running", async () => {
    expect((await act("stop"))!.status).toBe("stopped");
    const ct = () =>
      (w.sim.state() as unknown as { containers: { vmid: number; status: string }[] }).containers;
    const vmid = (await settled(w, id))!.vmid;
    expect(ct().find((c) => c.vmid === vmid)!.status).toBe("stopped");
    expect((await act("start"))!.status).toBe("running");
    expect(ct().find((c) => c.vmid === vmid)!.status).toBe("running");
    expect((await act("restart"))!.status).toBe("running");
  });

  test("an action that is illegal in the current state is a 409 naming the state", async () => {
    const res = await api(`/api/v1/apps/${id}/actions`, { method: "POST", json: { action: "start" } });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("is running");
  });

  test("one operation at a time: a second one while the first runs is a 409", async () => {
    const first = await api(`/api/v1/apps/${id}/actions`, { method: "POST", json: { action: "restart" } });
    const second = await api(`/api/v1/apps/${id}/actions`, { method: "POST", json: { action: "stop" } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { message: string } }).error.message).toContain("restarting");
    await settled(w, id);
  });

  test("update with the catalog's version installed is refused: nothing to update, the app stays running", async () => {
    const res = await api(`/api/v1/apps/${id}/update`, { method: "POST" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      "nothing to update",
    );
    expect((await settled(w, id))!.status).toBe("running");
  });

  test("reconfigure resources: PVE config changes and the disk grows; shrinking is refused", async () => {
    const res = await api(`/api/v1/apps/${id}`, {
      method: "PATCH",
      json: { resources: { cores: 2, memory_mb: 1536, disk_gb: 12 } },
    });
    expect(res.status).toBe(202);
    const app = (await settled(w, id))!;
    expect(app.status).toBe("running");
    expect(app.resources).toEqual({ cores: 2, memory_mb: 1536, disk_gb: 12 });
    const client = await w.t.services.hosts.client(w.hostId);
    const config = await client.lxcConfig(app.node!, app.vmid!);
    expect(config.cores).toBe(2);
    expect(config.memory).toBe(1536);
    expect(String(config.rootfs)).toContain("size=12G");
    const shrink = await api(`/api/v1/apps/${id}`, { method: "PATCH", json: { resources: { disk_gb: 4 } } });
    expect(shrink.status).toBe(422);
  });

  test("stats come from Proxmox; container logs from docker compose over SSH", async () => {
    const stats = (await (await api(`/api/v1/apps/${id}/stats`)).json()) as {
      status: string;
      memory: { total: number };
    };
    expect(stats.status).toBe("running");
    expect(stats.memory.total).toBe(1536 * 1024 * 1024);
    const logs = await api(`/api/v1/apps/${id}/container-logs?tail=20`);
    expect(logs.status).toBe(200);
    expect(typeof ((await logs.json()) as { logs: string }).logs).toBe("string");
  });

  test("clone: a new app with its own hostname, VMID and root password; the snapshot is cleaned up", async () => {
    const res = await api(`/api/v1/apps/${id}/clone`, { method: "POST", json: { hostname: "tools-copy" } });
    expect(res.status).toBe(202);
    const { app: target } = (await res.json()) as { app: { id: string } };
    const copy = (await settled(w, target.id))!;
    const source = (await settled(w, id))!;
    expect(copy.status).toBe("running");
    expect(source.status).toBe("running");
    expect(copy.vmid).not.toBe(source.vmid);
    expect(copy.hostname).toBe("tools-copy");
    const client = await w.t.services.hosts.client(w.hostId);
    const snaps = await client.listSnapshots(source.node!, source.vmid!);
    expect(snaps.filter((s) => s.name !== "current")).toEqual([]);
    const [a, b] = await Promise.all(
      [id, copy.id].map(
        async (x) =>
          ((await (await api(`/api/v1/apps/${x}/credentials`)).json()) as { root_password: string })
            .root_password,
      ),
    );
    expect(a).not.toBe(b);
    await expectContainersMatch(w);
  });

  test("delete: the container is destroyed, then the row", async () => {
    const app = (await settled(w, id))!;
    const res = await api(`/api/v1/apps/${id}`, { method: "DELETE" });
    expect(res.status).toBe(202);
    expect(await settled(w, id)).toBeUndefined();
    expect(simContainers(w.sim)).not.toContain(`${app.node}/${app.vmid}`);
    expect((await api(`/api/v1/apps/${id}`)).status).toBe(404);
  });
});

describe("usage charts", () => {
  test("a container removed outside Proximity has no usage history instead of a Proxmox error", async () => {
    const started = await deploy(w, { catalog_id: "it-tools", hostname: "charts-gone" });
    const app = (await settled(w, started.app.id))!;
    expect(app.status).toBe("running");
    const admin = { id: w.admin.id, username: w.admin.username, email: null, role: "admin" as const };
    expect((await w.t.services.appContainers.usageHistory(admin, app.id, "hour")).length).toBeGreaterThan(0);
    // The row still names the container (as during a failed install's clean-up) when PVE no longer has it.
    const client = await w.t.services.hosts.client(w.hostId);
    const { waitForTask } = await import("../../../src/proxmox/index.ts");
    await waitForTask(client, app.node!, await client.stopLxc(app.node!, app.vmid!));
    await waitForTask(client, app.node!, await client.deleteLxc(app.node!, app.vmid!));
    expect(await w.t.services.appContainers.usageHistory(admin, app.id, "hour")).toEqual([]);
  });
});

describe("discover and adopt", () => {
  test("a container made outside Proximity is discovered, adopted with an owner, and deleting asks about the container", async () => {
    const client = await w.t.services.hosts.client(w.hostId);
    const tpl = (await client.storageContent("pve1", "local", "vztmpl"))[0]!.volid;
    const upid = await client.createLxc("pve1", {
      vmid: 4242,
      hostname: "legacy",
      ostemplate: tpl,
      rootfs: { storage: "local-lvm", sizeGb: 2 },
    });
    const { waitForTask } = await import("../../../src/proxmox/index.ts");
    await waitForTask(client, "pve1", upid, { timeoutMs: 10_000 });
    const found = (await (await api(`/api/v1/apps/discover?host_id=${w.hostId}`)).json()) as {
      items: { vmid: number }[];
    };
    expect(found.items.map((c) => c.vmid)).toContain(4242);

    const bob: Session = await createUser(w.t, w.admin, "bob");
    const adopted = await api("/api/v1/apps/adopt", {
      method: "POST",
      json: { host_id: w.hostId, node: "pve1", vmid: 4242, owner_id: bob.id },
    });
    expect(adopted.status).toBe(201);
    const { app } = (await adopted.json()) as {
      app: { id: string; owner_id: string; status: string; adopted: boolean };
    };
    expect(app).toMatchObject({ owner_id: bob.id, status: "stopped", adopted: true });
    const again = (await (await api(`/api/v1/apps/discover?host_id=${w.hostId}`)).json()) as {
      items: { vmid: number }[];
    };
    expect(again.items.map((c) => c.vmid)).not.toContain(4242);
    // Bob sees it as his.
    expect((await w.t.request(`/api/v1/apps/${app.id}`, { token: bob.token })).status).toBe(200);

    const ask = await w.t.request(`/api/v1/apps/${app.id}`, { method: "DELETE", token: bob.token });
    expect(ask.status).toBe(422);
    const keep = await w.t.request(`/api/v1/apps/${app.id}?keep_container=true`, {
      method: "DELETE",
      token: bob.token,
    });
    expect(keep.status).toBe(202);
    expect(await settled(w, app.id)).toBeUndefined();
    expect(simContainers(w.sim)).toContain("pve1/4242");
  });
});
