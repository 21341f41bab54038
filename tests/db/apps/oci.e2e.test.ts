/**
 * The OCI runtime (PVE 9.1+) against the simulated cluster: a single-service catalog app deployed as an
 * application container from its image, failures compensated (no container, no pulled template, the app in
 * error naming the step), start/stop/restart, clone and delete (resources, environment, logs and the default
 * runtime: oci-lifecycle.e2e.test.ts; update, rollback, backup and restore: oci-update.e2e.test.ts).
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OCI_DEPLOY_STEPS } from "../../../src/features/apps/sagas/job-types.ts";
import {
  clearFaults,
  deploy,
  expectContainersMatch,
  type SimWorld,
  settled,
  simContainers,
  simTaskFails,
  startWorld,
} from "../../helpers/sim.ts";
import { ORIGIN, Tab } from "../../helpers/web-tab.ts";

setDefaultTimeout(60_000);

const VW_TEMPLATE = "local:vztmpl/docker.io_vaultwarden_server_1.37.2.tar";
const GOTIFY_TEMPLATE = "local:vztmpl/docker.io_gotify_server_2.9.1.tar";

let w: SimWorld;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "proximity-oci-"));
  // An operator's entry that only runs as an OCI container, pinned to a tag the registry does not have.
  const gotify = readFileSync(
    join(import.meta.dir, "../../../src/features/catalog/entries/gotify.yaml"),
    "utf8",
  );
  mkdirSync(join(dataDir, "catalog"));
  writeFileSync(
    join(dataDir, "catalog", "gotify-next.yaml"),
    gotify
      .replace("id: gotify", "id: gotify-next")
      .replace('version: "2.9.1"', 'version: "9.9.9"')
      .replace("gotify/server:2.9.1", "gotify/server:9.9.9")
      .replace("runtimes: [docker, oci]", "runtimes: [oci]"),
  );
  w = await startWorld({}, { DATA_DIR: dataDir, PUBLIC_URL: ORIGIN });
});
afterAll(async () => {
  await w.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const api: SimWorld["api"] = (path, init) => w.api(path, init);

type SimCt = {
  vmid: number;
  status: string;
  hostname: string;
  config: Record<string, string | number>;
  oci: { repository: string; tag: string } | null;
};
const simState = () =>
  w.sim.state() as unknown as { containers: SimCt[]; volumes: { volid: string; node: string }[] };
const templates = () =>
  simState()
    .volumes.map((v) => v.volid)
    .filter((v) => v.includes(":vztmpl/docker.io_"));

let vaultId = "";

describe("deploy with the oci runtime", () => {
  test("vaultwarden runs as an application container from its image, and answers its health check", async () => {
    const started = await deploy(w, { catalog_id: "vaultwarden", hostname: "vault-oci", runtime: "oci" });
    expect(started.status).toBe(202);
    expect(started.app).toMatchObject({ status: "deploying", runtime: "oci" });
    vaultId = started.app.id;
    const app = await settled(w, vaultId);
    expect(app?.statusReason ?? null).toBeNull();
    expect(app!.status).toBe("running");
    expect(app!.runtime).toBe("oci");

    // The app itself answers on its address (no Docker in between).
    const health = await fetch(`${app!.url}/alive`, { signal: AbortSignal.timeout(5_000) });
    expect(health.status).toBe(200);

    const ct = simState().containers.find((c) => c.vmid === app!.vmid)!;
    expect(ct.oci).toEqual({ repository: "docker.io/vaultwarden/server", tag: "1.37.2" });
    expect(String(ct.config.net0)).toContain("host-managed=1");
    expect(String(ct.config.mp0)).toContain("mp=/data");
    // The image's env is kept; the catalog's values are merged in, with the real address in DOMAIN.
    const env = Object.fromEntries(
      String(ct.config.env)
        .split("\0")
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    expect(env.ROCKET_PORT).toBe("80");
    expect(env.DOMAIN).toBe(app!.url!);
    expect(env.SIGNUPS_ALLOWED).toBe("true");
    const creds = (await (await api(`/api/v1/apps/${vaultId}/credentials`)).json()) as {
      root_password: string | null;
      environment: Record<string, string>;
    };
    expect(env.ADMIN_TOKEN).toBe(creds.environment.ADMIN_TOKEN!);
    expect(creds.root_password).toBeNull();
    expect(templates()).toContain(VW_TEMPLATE);
    await expectContainersMatch(w);

    // The log tells every step, and never the secret.
    const logs = (await (await api(`/api/v1/apps/${vaultId}/logs?per_page=100`)).json()) as {
      items: { step: string | null; message: string }[];
    };
    expect([...new Set(logs.items.map((l) => l.step).filter(Boolean))]).toEqual([...OCI_DEPLOY_STEPS]);
    expect(JSON.stringify(logs)).not.toContain(creds.environment.ADMIN_TOKEN!);
  });

  test("the API shows the runtime", async () => {
    const one = (await (await api(`/api/v1/apps/${vaultId}`)).json()) as { app: { runtime: string } };
    expect(one.app.runtime).toBe("oci");
    const list = (await (await api("/api/v1/apps?q=vault-oci")).json()) as { items: { runtime: string }[] };
    expect(list.items.map((a) => a.runtime)).toEqual(["oci"]);
    const entry = (await (await api("/api/v1/catalog/vaultwarden")).json()) as { runtimes: string[] };
    expect(entry.runtimes).toEqual(["docker", "oci"]);
    const gitea = (await (await api("/api/v1/catalog/gitea")).json()) as { runtimes: string[] };
    expect(gitea.runtimes).toEqual(["docker"]);
  });

  test("a runtime the entry does not offer is refused, and nothing is created", async () => {
    const before = simContainers(w.sim);
    const res = await api("/api/v1/apps/deploy", {
      method: "POST",
      json: { catalog_id: "gitea", hostname: "git-oci", runtime: "oci" },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { details: { field: string; message: string }[] } };
    expect(body.error.details[0]).toMatchObject({ field: "runtime" });
    expect(body.error.details[0]!.message).toContain("docker");
    const bad = await api("/api/v1/apps/deploy", {
      method: "POST",
      json: { catalog_id: "it-tools", hostname: "tools-x", runtime: "podman" },
    });
    expect(bad.status).toBe(422);
    const rows = (await (await api("/api/v1/apps?q=git-oci")).json()) as { total: number };
    expect(rows.total).toBe(0);
    expect(simContainers(w.sim)).toEqual(before);
  });

  test("without a runtime (and no preflight of the host yet), an entry that offers docker gets docker", async () => {
    const started = await deploy(w, { catalog_id: "it-tools", hostname: "tools-docker" });
    expect(started.status).toBe(202);
    expect(started.app.runtime).toBe("docker");
    const app = await settled(w, started.app.id);
    expect(app!.status).toBe("running");
  });
});

describe("failures are compensated", () => {
  test("an unknown tag fails the pull: no container, no template, the app in error naming the step", async () => {
    const before = simContainers(w.sim);
    // The operator's entry offers only oci, so that is its default.
    const started = await deploy(w, { catalog_id: "gotify-next", hostname: "gotify-next" });
    expect(started.status).toBe(202);
    expect(started.app.runtime).toBe("oci");
    const app = await settled(w, started.app.id);
    expect(app!.status).toBe("error");
    expect(app!.statusReason).toContain('at step "pull"');
    expect(app!.statusReason).toContain("docker.io/gotify/server:9.9.9");
    expect(app).toMatchObject({ vmid: null, node: null, ip: null });
    expect(simContainers(w.sim)).toEqual(before);
    expect(templates().filter((v) => v.includes("9.9.9"))).toEqual([]);
  });

  test("a create that fails after the pull removes the pulled template and leaves no container", async () => {
    const before = simContainers(w.sim);
    await simTaskFails(w.sim, "/nodes/{node}/lxc", "unable to create CT - disk quota exceeded", 1);
    try {
      const started = await deploy(w, { catalog_id: "gotify", hostname: "gotify-oci", runtime: "oci" });
      const app = await settled(w, started.app.id);
      expect(app!.status).toBe("error");
      expect(app!.statusReason).toContain('at step "create"');
      expect(app!.statusReason).toContain("disk quota exceeded");
      expect(app!.vmid).toBeNull();
      expect(simContainers(w.sim)).toEqual(before);
      expect(templates()).not.toContain(GOTIFY_TEMPLATE);
      // Another app's template is left alone.
      expect(templates()).toContain(VW_TEMPLATE);

      // Once the cause is gone, the image is pulled again and the app deploys.
      await clearFaults(w.sim);
      const next = await deploy(w, { catalog_id: "gotify", hostname: "gotify-oci2", runtime: "oci" });
      const again = await settled(w, next.app.id);
      expect(again?.statusReason ?? null).toBeNull();
      expect(again!.status).toBe("running");
      expect(templates()).toContain(GOTIFY_TEMPLATE);
      const health = await fetch(`${again!.url}/health`, { signal: AbortSignal.timeout(5_000) });
      expect(health.status).toBe(200);
    } finally {
      await clearFaults(w.sim);
    }
  });
});

describe("start, stop and restart", () => {
  const action = async (name: string) => {
    const res = await api(`/api/v1/apps/${vaultId}/actions`, { method: "POST", json: { action: name } });
    expect(res.status).toBe(202);
    return settled(w, vaultId);
  };
  const vaultEnv = (vmid: number) => {
    const ct = simState().containers.find((c) => c.vmid === vmid)!;
    return Object.fromEntries(
      String(ct.config.env)
        .split("\0")
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
  };

  test("stop, start and restart act on the container, and the app answers again", async () => {
    const stopped = await action("stop");
    expect(stopped).toMatchObject({ status: "stopped", statusReason: null });
    expect(simState().containers.find((c) => c.vmid === stopped!.vmid)!.status).toBe("stopped");
    const started = await action("start");
    expect(started).toMatchObject({ status: "running", statusReason: null });
    expect((await fetch(`${started!.url}/alive`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
    const restarted = await action("restart");
    expect(restarted).toMatchObject({ status: "running", statusReason: null });
    expect((await fetch(`${restarted!.url}/alive`)).status).toBe(200);
  });

  test("a start with a new address writes the address into env and restarts, so the app's URL is right", async () => {
    const stopped = await action("stop");
    const before = stopped!.ip;
    // A new MAC (as after a NIC change on the host) gets a new DHCP lease.
    const ct = simState().containers.find((c) => c.vmid === stopped!.vmid)!;
    const net0 = String(ct.config.net0).replace(/hwaddr=[0-9A-Fa-f:]+/, "hwaddr=BC:24:11:0A:0B:0C");
    const res = await fetch(`${w.sim.apiUrl}/api2/json/nodes/${stopped!.node}/lxc/${stopped!.vmid}/config`, {
      method: "PUT",
      headers: {
        authorization: `PVEAPIToken=${w.sim.tokenId}=${w.sim.tokenSecret}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ net0 }).toString(),
    });
    expect(res.status).toBe(200);
    const started = await action("start");
    expect(started).toMatchObject({ status: "running", statusReason: null });
    expect(started!.ip).not.toBe(before);
    expect(started!.url).toBe(`http://${started!.ip}:80`);
    expect(vaultEnv(started!.vmid!).DOMAIN).toBe(started!.url!);
    expect((await fetch(`${started!.url}/alive`)).status).toBe(200);
  });
});

describe("clone and delete", () => {
  test("clone copies the container and its data volume; the copy runs at its own address", async () => {
    const r = await api(`/api/v1/apps/${vaultId}/clone`, {
      method: "POST",
      json: { hostname: "vault-copy" },
    });
    expect(r.status).toBe(202);
    const copyId = ((await r.json()) as { app: { id: string } }).app.id;
    const copy = await settled(w, copyId);
    const source = await settled(w, vaultId);
    expect(copy).toMatchObject({ status: "running", runtime: "oci", rootPasswordEnc: null });
    expect(source?.status).toBe("running");
    expect(copy?.ip).not.toBe(source?.ip);
    const cts = simState().containers;
    const sourceCt = cts.find((c) => c.vmid === source!.vmid)!;
    const copyCt = cts.find((c) => c.vmid === copy!.vmid)!;
    expect(copyCt.oci).toEqual(sourceCt.oci);
    // Its own data volume, holding what the source had written.
    const volOf = (ct: SimCt) => String(ct.config.mp0).split(",")[0]!;
    expect(volOf(copyCt)).toStartWith(`local-lvm:vm-${copy!.vmid}-disk-`);
    const data = (volid: string) =>
      (
        w.sim.state() as unknown as { volumes: { volid: string; files?: Record<string, string> }[] }
      ).volumes.find((v) => v.volid === volid)?.files?.["app-data"];
    expect(data(volOf(copyCt))).toBe(data(volOf(sourceCt)));
    expect((await fetch(`http://${copy!.ip}:80/alive`)).status).toBe(200);
    const del = await api(`/api/v1/apps/${copyId}?keep_backups=false`, { method: "DELETE" });
    expect(del.status).toBe(202);
    expect(await settled(w, copyId)).toBeUndefined();
  });

  test("delete removes the container", async () => {
    const res = await api(`/api/v1/apps/${vaultId}`, { method: "DELETE" });
    expect(res.status).toBe(202);
    expect(await settled(w, vaultId)).toBeUndefined();
    expect(simState().containers.find((c) => c.hostname === "vault-oci")).toBeUndefined();
    await expectContainersMatch(w);
  });
});

describe("the web interface", () => {
  test("the install form offers the runtime, and the app page shows it", async () => {
    const tab = new Tab(w.t);
    await tab.signIn("admin");
    const form = await (await tab.request("/catalog/gotify")).text();
    expect(form).toContain('name="runtime"');
    expect(form).toContain('value="oci"');
    // An entry that offers only docker has no choice to make.
    expect(await (await tab.request("/catalog/gitea")).text()).not.toContain('name="runtime"');

    const installed = await tab.request("/catalog/gotify/install", {
      form: { hostname: "gotify-web", runtime: "oci" },
    });
    expect(installed.status).toBe(303);
    const location = installed.headers.get("location")!;
    const app = await settled(w, location.split("/").at(-1)!);
    expect(app).toMatchObject({ status: "running", runtime: "oci" });
    expect(await (await tab.request(location)).text()).toContain(
      "OCI container (the image run by Proxmox VE)",
    );

    const refused = await tab.request("/catalog/gitea/install", {
      form: { hostname: "gitea-web", runtime: "oci" },
    });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("Gitea runs with docker, not oci");
  });
});

describe("a host that cannot run OCI containers", () => {
  test("after its preflight, an oci deploy gets a 409 with the reason and the fix, and nothing is created", async () => {
    const old = await startWorld({ pve: "8.4" });
    try {
      const tested = await old.t.request(`/api/v1/hosts/${old.hostId}/test`, {
        method: "POST",
        token: old.admin.token,
      });
      expect(tested.status).toBe(200);
      const res = await old.t.request("/api/v1/apps/deploy", {
        method: "POST",
        token: old.admin.token,
        json: { catalog_id: "vaultwarden", hostname: "vault-old", runtime: "oci" },
      });
      expect(res.status).toBe(409);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toContain("cannot run apps with the oci runtime");
      expect(body.error.message).toContain("9.1");
      const apps = (await (await old.t.request("/api/v1/apps", { token: old.admin.token })).json()) as {
        total: number;
      };
      expect(apps.total).toBe(0);
      expect(simContainers(old.sim)).toEqual([]);
    } finally {
      await old.stop();
    }
  });
});
