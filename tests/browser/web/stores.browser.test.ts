/**
 * Third-party stores in a real browser (Debian's chromium) on the simulated cluster: the admin adds a store
 * on the App stores page, sees its counts fill in and the report of refusals, finds its apps in the catalog
 * by the source filter with a community badge, and installs one to running. The pages are checked with axe
 * and photographed light, dark and at 375 px.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { setupAdmin } from "../../helpers/harness.ts";
import { checkPage, signIn, startWebWorld, type WebWorld } from "../../helpers/web-world.ts";

setDefaultTimeout(300_000);

const FIXTURES = join(import.meta.dir, "../../fixtures/stores");
let w: WebWorld;
let page: Page;

beforeAll(async () => {
  w = await startWebWorld();
  ({ page } = await w.newPage());
  await setupAdmin(w.t);
  await w.addSimHost();
});
afterAll(async () => {
  await w?.stop();
});

const check = (name: string) => checkPage(page, name);

describe("App stores", () => {
  test("an admin adds a store, reads its report and installs one of its apps", async () => {
    await signIn(page, "admin");

    await page.getByRole("link", { name: "App stores" }).click();
    await page.waitForURL(/\/stores$/);
    await page.getByLabel("Name").fill("tipi");
    await page.getByLabel("URL or directory").fill(join(FIXTURES, "runtipi"));
    await page.getByRole("button", { name: "Add store" }).click();
    // The table polls while the import runs, then shows the counts.
    await page.locator("#store-tipi").getByText("8 imported").waitFor({ timeout: 60_000 });
    expect(await page.locator("#store-tipi .badge").textContent()).toBe("ready");
    await check("stores");

    await page.locator("#store-tipi").getByRole("link", { name: "Report" }).click();
    await page.waitForURL(/\/stores\/[0-9a-f-]{36}$/);
    expect(await page.getByText("does not run on amd64 (only arm64)").isVisible()).toBe(true);
    await check("stores-report");

    await page.goto("/catalog");
    await page.getByLabel("Source").selectOption("tipi");
    await page.getByText("8 of ").waitFor();
    expect(await page.locator(".entry-card .tag.community").count()).toBe(8);
    await page.getByRole("link", { name: "KV Store" }).click();
    await page.waitForURL(/\/catalog\/tipi%2Fkvstore$/);
    expect(await page.getByText("not checked by Proximity").first().isVisible()).toBe(true);
    await check("stores-entry");
    await page.getByLabel("Hostname").fill("kv");
    await page.getByRole("button", { name: /^Install/ }).click();
    await page.waitForURL(/\/apps\/[0-9a-f-]{36}$/);
    await page.locator('#app-status[data-status="running"]').waitFor({ timeout: 120_000 });
  });
});
