/**
 * Day two in a real browser (Debian's chromium) on the simulated cluster: an app whose catalog entry moved
 * ahead carries an "Update" badge on its My apps tile and "Update available: a → b" with the entry's notes
 * on its page; the update policy form refuses a bad window beside the field and saves a good one; the
 * Update button runs the snapshot-guarded update and the badge goes; the Notifications page adds a webhook
 * channel (a bad URL explained beside the field) and tests it. Pages checked with axe, photographed light,
 * dark and at 375 px.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { applications } from "../../../src/db/schema.ts";
import { setupAdmin } from "../../helpers/harness.ts";
import { checkPage, signIn, startWebWorld, until, type WebWorld } from "../../helpers/web-world.ts";

setDefaultTimeout(300_000);

let w: WebWorld;
let page: Page;
let appId = "";
let receiver: ReturnType<typeof Bun.serve>;
const hits: string[] = [];
const _LIVE = 60_000;

const appRow = async () =>
  (await w.t.services.database.db.select().from(applications).where(eq(applications.id, appId)))[0]!;

beforeAll(async () => {
  w = await startWebWorld();
  ({ page } = await w.newPage());
  receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => {
      hits.push(await req.text());
      return new Response("ok");
    },
  });
  const admin = await setupAdmin(w.t);
  await w.addSimHost();
  const res = await w.t.request("/api/v1/apps/deploy", {
    method: "POST",
    token: admin.token,
    json: { catalog_id: "vaultwarden", hostname: "vault", runtime: "docker" },
  });
  appId = ((await res.json()) as { app: { id: string } }).app.id;
  await until(async () => (await appRow()).status === "running");
  // Installed a version ago: the catalog's entry has moved ahead of it.
  await w.t.services.database.db
    .update(applications)
    .set({ catalogVersion: "1.37.1" })
    .where(eq(applications.id, appId));
  await signIn(page, "admin");
});
afterAll(async () => {
  receiver?.stop(true);
  await w?.stop();
});

const check = (name: string) => checkPage(page, name);

describe("update available", () => {
  test("My apps: the tile carries the update badge", async () => {
    await page.goto("/apps");
    const badge = page.locator(`#app-${appId} .badge.update`);
    await badge.waitFor();
    expect(await badge.textContent()).toBe("Update 1.37.2");
    await check("day-two-my-apps");
  });

  test("the app page says what moves, with the entry's notes", async () => {
    await page.goto(`/apps/${appId}`);
    const banner = page.locator("#update-banner");
    expect(await banner.getByText("Update available: 1.37.1 → 1.37.2").isVisible()).toBe(true);
    await banner.getByText("Upgrade notes").click();
    expect(await banner.locator("details p").textContent()).toContain("Vaultwarden");
    await check("day-two-app-page");
  });

  test("the update policy: a bad window is explained beside the field; a good one is saved", async () => {
    await page.goto(`/apps/${appId}`);
    await page.getByText("Update, clone or delete").click();
    const form = page.locator("#update-policy");
    await form.locator('select[name="mode"]').selectOption("auto");
    await form.locator('input[name="window"]').fill("every night");
    await form.getByRole("button", { name: "Save update policy" }).click();
    await page.locator("#update-policy #window-error, #update-policy .field-error").first().waitFor();
    expect(await page.locator("#update-policy").textContent()).toContain("cron");
    expect((await appRow()).updateMode).toBe("notify");
    await page.locator('#update-policy input[name="window"]').fill("0 3 * * *");
    await page.locator("#update-policy").getByRole("button", { name: "Save update policy" }).click();
    await until(async () => (await appRow()).updateMode === "auto");
    expect((await appRow()).updateWindow).toBe("0 3 * * *");
  });

  test("Update runs the guarded update; the badge goes once the app runs the new version", async () => {
    await page.goto(`/apps/${appId}`);
    await page.getByText("Update, clone or delete").click();
    await page.getByRole("button", { name: "Update to 1.37.2" }).click();
    await until(
      async () => (await appRow()).catalogVersion === "1.37.2" && (await appRow()).status === "running",
    );
    await page.goto("/apps");
    await page.locator(`#app-${appId}`).waitFor();
    expect(await page.locator(`#app-${appId} .badge.update`).count()).toBe(0);
  });
});

describe("Notifications (administrators)", () => {
  test("a webhook channel: a bad URL beside the field, then added and tested", async () => {
    await page.goto("/notifications");
    await page.getByText("Webhook", { exact: true }).click();
    const form = page.locator("#add-webhook");
    await form.getByLabel("Name").fill("hooks");
    await form.getByLabel("URL").fill("http://169.254.169.254/latest");
    await form.getByLabel("Signing secret").fill("0123456789abcdef0123");
    await form.getByRole("button", { name: "Add Webhook channel" }).click();
    await page.locator("#add-webhook .field-error").first().waitFor();
    expect(await page.locator("#add-webhook").textContent()).toContain("link-local");
    await page.locator("#add-webhook").getByLabel("URL").fill(`http://127.0.0.1:${receiver.port}/hook`);
    await page.locator("#add-webhook").getByLabel("Signing secret").fill("0123456789abcdef0123");
    await page.locator("#add-webhook").getByRole("button", { name: "Add Webhook channel" }).click();
    await page.waitForSelector("#channels-table table");
    await page.getByRole("button", { name: "Test" }).click();
    await until(() => hits.length > 0);
    await page.getByText("Last sent").waitFor();
    expect(JSON.parse(hits[0]!)).toMatchObject({ event: "test" });
    await check("day-two-notifications");
  });
});
