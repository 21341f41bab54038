/**
 * What a newcomer hit on the web interface, each checked over HTTP against the simulated cluster (one
 * world for the file): clone and resize validated before anything runs, an install that cannot be placed
 * refused with "Edit and retry" for one that failed, delete leading to My apps, errors beside their fields
 * on every form in words for people, only the actions that can run, hosts editable, typed settings,
 * passwords confirmed, and the runtime's preselection explained.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../../../src/core/identity.ts";
import { applications, proxmoxHosts } from "../../../src/db/schema.ts";
import { beginOperation } from "../../../src/features/apps/index.ts";
import { ReconfigureAppJob } from "../../../src/features/apps/sagas/job-types.ts";
import { PASSWORD, registerOfflineHost } from "../../helpers/harness.ts";
import { clearFaults, deploy, type SimWorld, settled, simTaskFails, startWorld } from "../../helpers/sim.ts";
import { ORIGIN, Tab } from "../../helpers/web-tab.ts";

// About 3× what the file took alone on the 2-core machine: the setup (a world and a deployed app) ~40 s,
// the slowest test 25 s.
setDefaultTimeout(120_000);

let w: SimWorld;
let tab: Tab;
let appId = "";
const htmx = { "hx-request": "true" };

async function app(id = appId) {
  const [row] = await w.t.services.database.db.select().from(applications).where(eq(applications.id, id));
  return row!;
}

/** The message shown beside a field, from a re-rendered form. */
function fieldMessage(html: string, field: string): string | undefined {
  const id = `${field.replace(/[^A-Za-z0-9_-]/g, "-")}-error`;
  return new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1];
}

beforeAll(async () => {
  w = await startWorld({}, { PUBLIC_URL: ORIGIN });
  tab = new Tab(w.t);
  await tab.signIn("admin");
  const d = await deploy(w, { catalog_id: "it-tools", hostname: "tools", runtime: "docker" });
  appId = d.app.id;
  expect((await settled(w, appId))?.status).toBe("running");
  await tab.request(`/apps/${appId}`);
});
afterAll(async () => {
  await w?.stop();
});

describe("1. clone takes the install's hostname rule", () => {
  test.each([
    ["", "is required"],
    ["Bad_Name!", "DNS label"],
    ["<script>alert(1)</script>", "DNS label"],
    ["a".repeat(80), "at most 63"],
  ])("%j is refused beside the field, and nothing is cloned", async (hostname, message) => {
    const res = await tab.request(`/apps/${appId}/clone`, { form: { hostname }, headers: htmx });
    expect(res.status).toBe(422);
    expect(fieldMessage(await res.text(), "hostname")).toContain(message);
    const api = await w.t.request(`/api/v1/apps/${appId}/clone`, {
      method: "POST",
      token: w.admin.token,
      json: { hostname },
    });
    expect(api.status).toBe(422);
    expect(await w.t.services.database.db.select().from(applications)).toHaveLength(1);
    expect((await app()).status).toBe("running");
  });
});

describe("2. resize is checked against the node before it is accepted", () => {
  test("more cores than the node has CPUs, or more memory than it has free: 422, the app stays running", async () => {
    const before = await app();
    const node = before.node!;
    const cpus = (w.sim.state() as unknown as { nodes: { name: string; cpus: number }[] }).nodes.find(
      (n) => n.name === node,
    )!.cpus;
    const cores = await tab.request(`/apps/${appId}/resources`, {
      method: "PATCH",
      form: { "resources.cores": "64" },
      headers: htmx,
    });
    expect(cores.status).toBe(422);
    expect(fieldMessage(await cores.text(), "resources.cores")).toBe(`node ${node} has ${cpus} CPUs`);
    const memory = await tab.request(`/apps/${appId}/resources`, {
      method: "PATCH",
      form: { "resources.memory_mb": "900000" },
      headers: htmx,
    });
    expect(memory.status).toBe(422);
    expect(fieldMessage(await memory.text(), "resources.memory_mb")).toMatch(/MiB free: at most \d+ MiB/);
    const text = await tab.request(`/apps/${appId}/resources`, {
      method: "PATCH",
      form: { "resources.cores": "abc" },
      headers: htmx,
    });
    expect(text.status).toBe(422);
    expect(fieldMessage(await text.text(), "resources.cores")).toBe("must be a number");
    const row = await app();
    expect(row.status).toBe("running");
    expect(row.resources).toEqual(before.resources);
  });

  test("a change Proxmox refuses anyway leaves the app as it was, with the reason", async () => {
    const admin = (await w.t.services.users.list(1, 1)).items[0]!;
    const before = await app();
    await w.t.services.database.db.transaction(async (db) => {
      await beginOperation(db, appId, "reconfigure");
      await w.t.services.jobs.enqueue(
        ReconfigureAppJob,
        { appId, userId: admin.id, payload: { app_id: appId, resources: { cores: 9999 } } },
        db,
      );
    });
    const row = await settled(w, appId);
    expect(row?.status).toBe("running");
    expect(row?.statusReason).toContain("refused by Proxmox, nothing changed");
    expect(row?.resources).toEqual(before.resources);
  });
});

describe("3. an install that cannot be placed", () => {
  test("is refused before it is accepted, beside the memory field", async () => {
    await tab.request("/catalog/gotify");
    const res = await tab.request("/catalog/gotify/install", {
      form: { hostname: "huge", runtime: "docker", "resources.memory_mb": "60000" },
      headers: htmx,
    });
    expect(res.status).toBe(422);
    expect(fieldMessage(await res.text(), "resources.memory_mb")).toMatch(
      /does not fit: the most any online node has free is \d+ MiB/,
    );
    const rows = await w.t.services.database.db
      .select()
      .from(applications)
      .where(eq(applications.hostname, "huge"));
    expect(rows).toHaveLength(0);
  });

  test("a failed install offers Edit and retry, which takes other resources", async () => {
    await simTaskFails(w.sim, "/nodes/{node}/lxc/{vmid}/status/start", "startup failed", 1);
    const d = await deploy(w, { catalog_id: "gotify", hostname: "notify", runtime: "docker" });
    expect((await settled(w, d.app.id))?.status).toBe("error");
    await clearFaults(w.sim);
    const page = await (await tab.request(`/apps/${d.app.id}`)).text();
    expect(page).toContain('id="retry-form"');
    expect(page).toContain("Edit before retrying");
    const bad = await tab.request(`/apps/${d.app.id}/retry`, {
      form: { "resources.memory_mb": "60000" },
      headers: htmx,
    });
    expect(bad.status).toBe(422);
    expect(fieldMessage(await bad.text(), "resources.memory_mb")).toContain("does not fit");
    const ok = await tab.request(`/apps/${d.app.id}/retry`, {
      form: { "resources.memory_mb": "768" },
      headers: htmx,
    });
    expect(ok.status).toBe(202);
    const row = await settled(w, d.app.id);
    expect(row?.status).toBe("running");
    expect(row?.resources.memory_mb).toBe(768);
  });
});

describe("4. delete", () => {
  test("goes to My apps, which says what is happening", async () => {
    const d = await deploy(w, { catalog_id: "it-tools", hostname: "gone", runtime: "docker" });
    await settled(w, d.app.id);
    const res = await tab.request(`/apps/${d.app.id}/delete`, {
      form: { keep_backups: "true" },
      headers: htmx,
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("hx-redirect")).toBe(`/apps?deleting=${d.app.id}`);
    const list = await (await tab.request(`/apps?deleting=${d.app.id}`)).text();
    expect(list).toMatch(/Deleting gone|The app was deleted/);
    await settled(w, d.app.id);
    // The deleted app's page stream says so once and closes (no reconnect loop on a 404).
    const live = await tab.request(`/apps/${d.app.id}/live`);
    expect(live.status).toBe(200);
    const text = await live.text();
    expect(text).toContain("This app was deleted");
    expect(text).toContain('hx-target="#live" hx-swap="delete"');
  });
});

describe("5. errors are written for people and shown beside their fields", () => {
  test("users, settings, hosts and the backup schedule", async () => {
    await tab.request("/users");
    const user = await tab.request("/users", {
      form: { username: "x", password: "short", password_confirm: "other", role: "user" },
      headers: htmx,
    });
    expect(user.status).toBe(422);
    const userHtml = await user.text();
    expect(fieldMessage(userHtml, "username")).toBe("must be 3 to 32 characters");
    expect(fieldMessage(userHtml, "password")).toBe("must be at least 10 characters");
    expect(fieldMessage(userHtml, "password_confirm")).toBe("does not match the password above");

    const settings = await tab.request("/settings", {
      method: "PUT",
      form: {
        registration: "closed",
        "resources.cores": "",
        "resources.memory_mb": "64",
        "resources.disk_gb": "8",
        "network.bridge": "vmbr0",
        "storage.rootfs": "local-lvm",
        "storage.backups": "local",
      },
      headers: htmx,
    });
    expect(settings.status).toBe(422);
    const settingsHtml = await settings.text();
    expect(fieldMessage(settingsHtml, "resources.cores")).toBe("must be a number");
    expect(fieldMessage(settingsHtml, "resources.memory_mb")).toBe("must be at least 128");

    const host = await tab.request("/hosts", {
      form: { name: "bad name!", api_url: "ftp://x" },
      headers: htmx,
    });
    expect(host.status).toBe(422);
    const hostHtml = await host.text();
    expect(fieldMessage(hostHtml, "name")).toContain("letters, digits");
    expect(fieldMessage(hostHtml, "api_url")).toContain("http(s) URL");

    const schedule = await tab.request(`/apps/${appId}/backup-schedule`, {
      method: "PUT",
      form: { cron: "* * * * *", timezone: "Mars/Olympus", keep_last: "3" },
      headers: htmx,
    });
    expect(schedule.status).toBe(422);
    expect(fieldMessage(await schedule.text(), "timezone")).toContain("not an IANA time zone");
    const cron = await tab.request(`/apps/${appId}/backup-schedule`, {
      method: "PUT",
      form: { cron: "* * * * *", timezone: "UTC", keep_last: "3" },
      headers: htmx,
    });
    expect(fieldMessage(await cron.text(), "cron")).toContain("at most every 5 minutes");
  });

  test("a refused operation says which states allow it", async () => {
    await w.t.services.database.db
      .update(applications)
      .set({ status: "error" })
      .where(eq(applications.id, appId));
    const res = await tab.request(`/apps/${appId}/resources`, {
      method: "PATCH",
      form: { "resources.cores": "2" },
      headers: htmx,
    });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain(
      "The app is in error; changing its resources or settings is possible when it is running or stopped",
    );
    await w.t.services.database.db
      .update(applications)
      .set({ status: "running" })
      .where(eq(applications.id, appId));
  });
});

describe("6. only what can run is offered", () => {
  test("during an operation: no backup, no restore, no resize; an up-to-date app offers no update", async () => {
    const idle = await (await tab.request(`/apps/${appId}`)).text();
    expect(idle).toContain("Up to date");
    expect(idle).not.toContain(`hx-post="/apps/${appId}/update"`);
    await w.t.services.database.db
      .update(applications)
      .set({ status: "restoring" })
      .where(eq(applications.id, appId));
    const busy = await (await tab.request(`/apps/${appId}`)).text();
    expect(busy).toMatch(/id="create-backup"[^>]*disabled/);
    expect(busy).toContain("A backup can be taken when the app is running or stopped; it is restoring now.");
    expect(busy).toContain("Resizing is possible when the app is running or stopped; it is restoring now.");
    await w.t.services.database.db
      .update(applications)
      .set({ status: "running" })
      .where(eq(applications.id, appId));
  });

  test("an OCI app has no Container log button, only where to look", async () => {
    const d = await deploy(w, { catalog_id: "gotify", hostname: "oci-notify", runtime: "oci" });
    await settled(w, d.app.id);
    const html = await (await tab.request(`/apps/${d.app.id}`)).text();
    expect(html).not.toContain(`/apps/${d.app.id}/container-log`);
    expect(html).toContain('id="container-log-unavailable"');
  });
});

describe("7. hosts", () => {
  test("can be edited and removed; a broken one says why it has no nodes; sync answers", async () => {
    const host = await registerOfflineHost(w.t, { name: "broken", is_default: false });
    await w.t.services.database.db
      .update(proxmoxHosts)
      .set({ status: "error", lastError: "connection refused" })
      .where(eq(proxmoxHosts.id, host.id));
    const page = await (await tab.request("/hosts")).text();
    expect(page).toContain(`id="no-nodes-${host.id}"`);
    expect(page).toContain("could not reach this host");
    expect(page).toContain(`hx-post="/hosts/${host.id}"`);
    const renamed = await tab.request(`/hosts/${host.id}`, {
      form: { name: "still broken", api_url: "https://192.0.2.2:8006" },
      headers: htmx,
    });
    expect(renamed.status).toBe(204);
    expect((await w.t.services.hosts.get(host.id)).name).toBe("still broken");
    const sync = await tab.request(`/hosts/${w.hostId}/sync`, { form: {}, headers: htmx });
    expect(sync.status).toBe(200);
    expect(await sync.text()).toMatch(/Synced sim: 3 nodes/);
    const removed = await tab.request(`/hosts/${host.id}/delete`, { form: {}, headers: htmx });
    expect(removed.status).toBe(204);
    expect((await w.t.services.hosts.list()).map((h) => h.id)).not.toContain(host.id);
  });
});

describe("8. typed settings and confirmed passwords", () => {
  test("a boolean setting takes only true or false; a required one cannot be emptied", async () => {
    const vault = await tab.request("/catalog/vaultwarden/install", {
      form: { hostname: "vault", runtime: "docker", "environment.SIGNUPS_ALLOWED": "maybe" },
      headers: htmx,
    });
    expect(vault.status).toBe(422);
    expect(fieldMessage(await vault.text(), "environment.SIGNUPS_ALLOWED")).toBe("must be true or false");
    const form = await (await tab.request("/catalog/vaultwarden")).text();
    expect(form).toMatch(/type="checkbox" role="switch" name="environment.SIGNUPS_ALLOWED"/);
    const cloud = await tab.request("/catalog/nextcloud/install", {
      form: { hostname: "cloud", "environment.ADMIN_USER": "" },
      headers: htmx,
    });
    expect(cloud.status).toBe(422);
    expect(fieldMessage(await cloud.text(), "environment.ADMIN_USER")).toContain("is required");
    expect(
      await w.t.services.database.db.select().from(applications).where(eq(applications.hostname, "cloud")),
    ).toHaveLength(0);
  });

  test("a new password is typed twice, and ten spaces or a repeated word are refused", async () => {
    await tab.request("/account");
    for (const [next, confirm, field, message] of [
      ["          ", "          ", "new_password", "must not be only spaces"],
      ["hellohello", "hellohello", "new_password", "must not be one word or character repeated"],
      [
        "another-long-password",
        "another-long-passwrod",
        "new_password_confirm",
        "does not match the password above",
      ],
    ] as const) {
      const res = await tab.request("/account/password", {
        form: { current_password: PASSWORD, new_password: next, new_password_confirm: confirm },
        headers: htmx,
      });
      expect(res.status).toBe(422);
      expect(fieldMessage(await res.text(), field)).toBe(message);
    }
  });
});

describe("9. the runtime's preselection is explained", () => {
  test("the install form says why OCI or Docker is preselected", async () => {
    await w.t.services.hosts.test(w.hostId, SYSTEM_ACTOR);
    const html = await (await tab.request("/catalog/gotify")).text();
    expect(html).toContain("OCI is preselected: the host&#39;s last test found it can run OCI containers.");
  });
});
