/**
 * Adopting a helper-script container in a real browser (Debian's chromium) on the simulated cluster: a
 * container made through the simulator's PVE API the way a helper script makes one shows up under Hosts →
 * Unmanaged containers, named and with its port; the admin adopts it, backs it up, runs Update (and sees a
 * failing one rolled back), releases it, and it still runs. A normal user has no link and no page. The
 * pages are checked with axe and photographed light, dark and at 375 px.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { applications } from "../../../src/db/schema.ts";
import { createUser, setupAdmin } from "../../helpers/harness.ts";
import { makeContainer } from "../../helpers/helper-scripts.ts";
import { simControl } from "../../helpers/sim-control.ts";
import { checkPage, signIn, startWebWorld, until, type WebWorld } from "../../helpers/web-world.ts";

setDefaultTimeout(300_000);

let w: WebWorld;
let page: Page;
let hostId = "";
const LIVE = 60_000;

beforeAll(async () => {
  w = await startWebWorld();
  ({ page } = await w.newPage());
  const admin = await setupAdmin(w.t);
  await createUser(w.t, admin, "bob");
  hostId = await w.addSimHost();
  await makeContainer(
    { t: w.t, sim: w.sim, hostId },
    {
      vmid: 501,
      node: "pve1",
      script: { slug: "uptimekuma", app: "Uptime Kuma", port: 3001, tags: ["analytics", "monitoring"] },
    },
  );
});
afterAll(async () => {
  await w?.stop();
});

const check = (name: string) => checkPage(page, name);

const appRows = () => w.t.services.database.db.select().from(applications);
const simCt = (vmid: number) => w.sim.state().containers.find((c) => c.vmid === vmid);

describe("Hosts → Unmanaged containers", () => {
  let appPath = "";

  test("a helper-script container is listed with its name, port and script", async () => {
    await signIn(page, "admin");
    await page.goto("/hosts");
    await page.getByRole("link", { name: "Unmanaged containers" }).click();
    await page.waitForURL(/\/hosts\/[^/]+\/unmanaged$/);
    const card = page.locator("#ct-501");
    expect(await card.getByRole("heading", { name: "Uptime Kuma" }).isVisible()).toBe(true);
    expect(await card.getByText("port 3001").isVisible()).toBe(true);
    expect(await card.getByRole("link", { name: "uptimekuma" }).getAttribute("href")).toBe(
      "https://community-scripts.org/scripts/uptimekuma",
    );
    await card.getByText("Adopt…").click();
    await check("unmanaged");
  });

  test("Adopt, with the suggestion pre-filled, leads to the app's page with its Open link", async () => {
    const card = page.locator("#ct-501");
    expect(await card.getByLabel("Name").inputValue()).toBe("Uptime Kuma");
    expect(await card.getByLabel("Port").inputValue()).toBe("3001");
    await card.getByRole("button", { name: "Adopt CT 501" }).click();
    await page.waitForURL(/\/apps\/[0-9a-f-]{36}$/);
    appPath = new URL(page.url()).pathname;
    expect(await page.getByRole("heading", { name: "uptimekuma", level: 1 }).isVisible()).toBe(true);
    expect(await page.locator("#app-header").getByText("Uptime Kuma").isVisible()).toBe(true);
    expect(await page.locator("#app-runtime").textContent()).toContain("LXC container");
    const open = page.getByRole("link", { name: /Open/ }).first();
    expect(await open.getAttribute("href")).toMatch(/:3001\/$/);
    // No container log button and no catalog settings: they do not apply, and the page says why.
    expect(await page.getByRole("button", { name: "Container log" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Reveal credentials" }).count()).toBe(0);
    expect(await page.locator("#container-log-unavailable").isVisible()).toBe(true);
    await check("adopted-app");
  });

  test("Back up now completes", async () => {
    await page.getByRole("button", { name: "Back up now" }).click();
    await page.locator("#backups").getByText("completed").first().waitFor({ timeout: LIVE });
  });

  test("Update runs the helper script's update; a failing one is rolled back with the reason", async () => {
    await page.goto(appPath);
    await page.getByText("Update, clone or delete").click();
    await page.getByRole("button", { name: "Run the helper script's update" }).click();
    await until(() => simCt(501)?.files["/opt/uptimekuma_version.txt"]?.content.trim() === "2.0.0");
    await until(async () => (await appRows())[0]?.status === "running");
    await simControl(w.sim, "containers/501", { next_update: "fail" });
    await page.goto(appPath);
    await page.getByText("Update, clone or delete").click();
    await page.getByRole("button", { name: "Run the helper script's update" }).click();
    await page
      .getByText(/rolled back/)
      .first()
      .waitFor({ timeout: LIVE });
    expect(simCt(501)?.files["/opt/uptimekuma_version.txt"]?.content.trim()).toBe("2.0.0");
    await check("adopted-app-rolled-back");
  });

  test("Release ends management; the container keeps running, untouched", async () => {
    const before = simCt(501)!.config;
    await page.goto(appPath);
    await page.getByText("Update, clone or delete").click();
    await page.getByRole("button", { name: "Release" }).click();
    await page.waitForURL(/\/apps(\?|$)/);
    await until(async () => (await appRows()).length === 0);
    expect(simCt(501)!.status).toBe("running");
    expect(simCt(501)!.config.tags).toBe(before.tags);
    expect(simCt(501)!.config.description).toBe(before.description);
  });

  test("a normal user has no Hosts link and no unmanaged page", async () => {
    const { page: bob } = await w.newPage();
    await signIn(bob, "bob");
    expect(await bob.getByRole("link", { name: "Hosts" }).count()).toBe(0);
    const res = await bob.goto(`/hosts/${hostId}/unmanaged`);
    expect(res?.status()).toBe(403);
  });
});
