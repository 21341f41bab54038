/**
 * The web's adoption pages without a browser: Hosts → Unmanaged containers lists what discovery finds, an
 * adopt form's refusal comes back beside its field, and an adopted container is destroyed only once its
 * hostname is typed (release needs no typing and leaves it running).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { applications } from "../../../src/db/schema.ts";
import { configDigest, makeContainer } from "../../helpers/helper-scripts.ts";
import { type SimWorld, settled, simContainers, startWorld } from "../../helpers/sim.ts";
import { ORIGIN, Tab } from "../../helpers/web-tab.ts";

setDefaultTimeout(120_000);

let w: SimWorld;
let tab: Tab;
const htmx = { "hx-request": "true" };

beforeAll(async () => {
  w = await startWorld({}, { PUBLIC_URL: ORIGIN });
  tab = new Tab(w.t);
  await tab.signIn("admin");
  await makeContainer(w, {
    vmid: 601,
    node: "pve1",
    script: { slug: "jellyfin", app: "Jellyfin", port: 8096, tags: ["media"] },
  });
  await makeContainer(w, { vmid: 602, node: "pve1", hostname: "scratch" });
});
afterAll(async () => {
  await w?.stop();
});

const rows = () => w.t.services.database.db.select().from(applications);

function fieldMessage(html: string, field: string): string | undefined {
  const id = `${field.replace(/[^A-Za-z0-9_-]/g, "-")}-error`;
  return new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1];
}

describe("Hosts → Unmanaged containers", () => {
  test("the hosts page links to it, and it lists each container with its suggestion", async () => {
    expect(await (await tab.request("/hosts")).text()).toContain(`href="/hosts/${w.hostId}/unmanaged"`);
    const res = await tab.request(`/hosts/${w.hostId}/unmanaged`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Jellyfin");
    expect(html).toContain('id="ct-601"');
    expect(html).toContain('id="ct-602"');
    expect(html).toContain('value="8096"');
  });

  test("a port out of range comes back beside the field; nothing is adopted", async () => {
    const res = await tab.request(`/hosts/${w.hostId}/unmanaged/pve1/601`, {
      form: { name: "Jellyfin", port: "70000" },
      headers: htmx,
    });
    expect(res.status).toBe(422);
    expect(fieldMessage(await res.text(), "port")).toBeTruthy();
    expect(await rows()).toEqual([]);
  });

  test("Adopt redirects to the app's page", async () => {
    const res = await tab.request(`/hosts/${w.hostId}/unmanaged/pve1/601`, {
      form: { name: "Films", port: "8096" },
      headers: htmx,
    });
    expect(res.status).toBe(204);
    const [app] = await rows();
    expect(res.headers.get("hx-redirect")).toContain(`/apps/${app!.id}`);
    expect(app).toMatchObject({ name: "Films", port: 8096, runtime: "lxc", scriptSlug: "jellyfin" });
  });
});

describe("release and delete of an adopted app", () => {
  test("destroying the container needs its hostname typed; a wrong one changes nothing", async () => {
    const res = await tab.request(`/hosts/${w.hostId}/unmanaged/pve1/602`, { form: {}, headers: htmx });
    expect(res.status).toBe(204);
    const [app] = (await rows()).filter((r) => r.vmid === 602);
    const wrong = await tab.request(`/apps/${app!.id}/delete`, {
      form: { keep_container: "false", confirm_hostname: "scrach" },
      headers: htmx,
    });
    expect(wrong.status).toBe(422);
    expect(fieldMessage(await wrong.text(), "confirm_hostname")).toContain("type scratch");
    expect((await rows()).some((r) => r.id === app!.id && r.status === "running")).toBe(true);
    const right = await tab.request(`/apps/${app!.id}/delete`, {
      form: { keep_container: "false", confirm_hostname: "scratch" },
      headers: htmx,
    });
    expect(right.status).toBe(204);
    expect(await settled(w, app!.id)).toBeUndefined();
    expect(simContainers(w.sim)).not.toContain("pve1/602");
  });

  test("release needs no typing and leaves the container as it was", async () => {
    const [app] = (await rows()).filter((r) => r.vmid === 601);
    const page = await (await tab.request(`/apps/${app!.id}`)).text();
    expect(page).toContain('id="release-app"');
    // What does not apply to an adopted container is not offered: container log, credentials.
    expect(page).not.toContain("Reveal credentials");
    expect(page).not.toContain(`/apps/${app!.id}/container-log`);
    const before = await configDigest(w, "pve1", 601);
    const res = await tab.request(`/apps/${app!.id}/delete`, {
      form: { keep_container: "true", keep_backups: "true" },
      headers: htmx,
    });
    expect(res.status).toBe(204);
    expect(await settled(w, app!.id)).toBeUndefined();
    expect(await configDigest(w, "pve1", 601)).toBe(before);
    const [row] = await w.t.services.database.db
      .select()
      .from(applications)
      .where(eq(applications.vmid, 601));
    expect(row).toBeUndefined();
    expect(simContainers(w.sim)).toContain("pve1/601");
  });
});
