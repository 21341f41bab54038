/**
 * The deploy saga under failure. For every step, a permanent failure ends in `error` with a readable reason
 * and leaves no container the database does not know; a transient failure is retried and the deploy still
 * succeeds.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  clearFaults,
  deploy,
  expectContainersMatch,
  settled,
  sharedWorld,
  simFault,
} from "../../helpers/sim.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

const w = sharedWorld();
let n = 0;
afterEach(async () => {
  await clearFaults(w.sim);
});

async function removeTemplates() {
  const client = await w.t.services.hosts.client(w.hostId);
  for (const node of ["pve1", "pve2", "pve3"]) {
    for (const v of await client.storageContent(node, "local", "vztmpl")) {
      await client.deleteVolume(node, "local", v.volid.split(":")[1]!);
    }
  }
}

interface Case {
  step: string;
  fault: Record<string, unknown>;
  reason: RegExp;
  before?: () => Promise<void>;
}

const permanent: Case[] = [
  {
    step: "placement",
    fault: { method: "GET", path: "/nodes", action: "http_500", message: "cluster not ready" },
    reason: /place.*cluster not ready/,
  },
  {
    step: "template download",
    fault: {
      method: "POST",
      path: "/nodes/{node}/aplinfo",
      action: "task_fail",
      message: "download failed: 404 Not Found",
    },
    reason: /template.*download failed/,
    before: removeTemplates,
  },
  {
    step: "create",
    fault: {
      method: "POST",
      path: "/nodes/{node}/lxc",
      action: "task_fail",
      message: "unable to create CT - disk full",
    },
    reason: /create.*disk full/,
  },
  {
    step: "start",
    fault: {
      method: "POST",
      path: "/nodes/{node}/lxc/{vmid}/status/start",
      action: "task_fail",
      message: "startup for container failed",
    },
    reason: /start.*startup for container failed/,
  },
  {
    step: "wait for IP",
    fault: {
      method: "GET",
      path: "/nodes/{node}/lxc/{vmid}/interfaces",
      action: "http_500",
      message: "no network",
    },
    reason: /network.*no network/,
  },
  {
    step: "install docker",
    fault: { path: "ssh:apk add", action: "http_500", message: "ERROR: unable to select packages" },
    reason: /install_docker.*unable to select packages/,
  },
  {
    step: "write compose file",
    fault: { path: "ssh:tee", action: "http_500", message: "tee: No space left on device" },
    reason: /write_files.*No space left/,
  },
  {
    step: "compose pull",
    fault: { path: "ssh:docker compose pull", action: "http_500", message: "manifest unknown" },
    reason: /pull.*manifest unknown/,
  },
  {
    step: "compose up",
    fault: { path: "ssh:docker compose up", action: "http_500", message: "port is already allocated" },
    reason: /"up".*port is already allocated/,
  },
  {
    step: "health",
    fault: { path: "app:http", action: "http_500", message: "booting" },
    reason: /health.*did not become healthy/,
  },
];

const transient: Case[] = [
  {
    step: "placement",
    fault: { method: "GET", path: "/nodes", action: "http_500", message: "got timeout", times: 1 },
    reason: /./,
  },
  {
    step: "create",
    fault: {
      method: "POST",
      path: "/nodes/{node}/lxc",
      action: "http_500",
      message: "got timeout",
      times: 1,
    },
    reason: /./,
  },
  {
    step: "start",
    fault: {
      method: "POST",
      path: "/nodes/{node}/lxc/{vmid}/status/start",
      action: "http_500",
      message: "CT is locked (create)",
      times: 1,
    },
    reason: /./,
  },
  {
    step: "ssh drop during install",
    fault: { path: "ssh:apk add", action: "ssh_drop", times: 1 },
    reason: /./,
  },
  {
    step: "ssh drop during up",
    fault: { path: "ssh:docker compose up", action: "ssh_drop", times: 1 },
    reason: /./,
  },
  {
    step: "health answers 500 at first",
    fault: { path: "app:http", action: "http_500", times: 3 },
    reason: /./,
  },
];

describe("deploy fault matrix: permanent failures are compensated", () => {
  test.each(permanent.map((c) => [c.step, c] as const))("%s", async (_name, c) => {
    await c.before?.();
    await simFault(w.sim, c.fault);
    const started = await deploy(w, { catalog_id: "it-tools", hostname: `perm-${++n}` });
    expect(started.status).toBe(202);
    const app = (await settled(w, started.app.id))!;
    expect(app.status).toBe("error");
    expect(app.statusReason).toMatch(c.reason);
    expect(app.vmid).toBeNull();
    // Nothing leaked: every container on the simulator is one the database knows.
    await expectContainersMatch(w);
    const job = (await (
      await w.t.request(`/api/v1/jobs/${started.job.id}`, { token: w.admin.token })
    ).json()) as {
      status: string;
      error: string;
    };
    expect(job.status).toBe("failed");
  });
});

describe("deploy fault matrix: transient failures are retried", () => {
  test.each(transient.map((c) => [c.step, c] as const))("%s", async (_name, c) => {
    await simFault(w.sim, c.fault);
    const started = await deploy(w, { catalog_id: "it-tools", hostname: `trans-${++n}` });
    const app = (await settled(w, started.app.id))!;
    expect(app.statusReason).toBeNull();
    expect(app.status).toBe("running");
    await expectContainersMatch(w);
  });
});

describe("other sagas under failure", () => {
  test("a container lost out of band is marked missing by the reconciler; deleting the app then succeeds", async () => {
    const started = await deploy(w, { catalog_id: "it-tools", hostname: `lost-${++n}` });
    const app = (await settled(w, started.app.id))!;
    await simFault(w.sim, { path: "*", action: "lose_container", vmid: app.vmid });
    const report = (await (
      await w.t.request("/api/v1/apps/reconcile", { method: "POST", token: w.admin.token })
    ).json()) as {
      changes: { app_id: string; to: string }[];
    };
    expect(report.changes).toContainEqual(expect.objectContaining({ app_id: app.id, to: "missing" }));
    const after = (await settled(w, app.id))!;
    expect(after.status).toBe("missing");
    // Deleting a missing app succeeds: the container is already gone.
    await w.t.request(`/api/v1/apps/${app.id}`, { method: "DELETE", token: w.admin.token });
    expect(await settled(w, app.id)).toBeUndefined();
  });
});
