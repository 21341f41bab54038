/**
 * Third-party stores in a real browser (Debian's chromium) on the simulated cluster: the admin adds a store
 * on the App stores page, sees its counts fill in and the report of refusals, finds its apps in the catalog
 * by the source filter with a community badge, and installs one to running. The pages are checked with axe
 * and photographed light, dark and at 375 px.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { setupAdmin } from "../../helpers/harness.ts";
import { BIG_STORE_IMPORTED, BIG_STORE_REFUSALS, writeBigStore } from "../../helpers/stores.ts";
import { checkPage, signIn, startWebWorld, type WebWorld } from "../../helpers/web-world.ts";

setDefaultTimeout(300_000);

const FIXTURES = join(import.meta.dir, "../../fixtures/stores");
let w: WebWorld;
let page: Page;
/** A store of 30 apps, 24 of them refused: its report is longer than a page. */
const bigStore = mkdtempSync(join(tmpdir(), "proximity-big-store-"));

beforeAll(async () => {
  await writeBigStore(bigStore);
  w = await startWebWorld();
  ({ page } = await w.newPage());
  await setupAdmin(w.t);
  await w.addSimHost();
});
afterAll(async () => {
  await w?.stop();
  rmSync(bigStore, { recursive: true, force: true });
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

  test("a big store's report: refusals grouped by reason, a filter, and pages", async () => {
    // A tab of its own, signed in: the test runs alone as well as after the one above.
    const { context, page } = await w.newPage();
    await signIn(page, "admin");
    await page.goto("/stores");
    await page.getByLabel("Name").fill("big");
    await page.getByLabel("URL or directory").fill(bigStore);
    await page.getByRole("button", { name: "Add store" }).click();
    await page.locator("#store-big").getByText(`${BIG_STORE_IMPORTED} imported`).waitFor({ timeout: 60_000 });
    await page.locator("#store-big").getByRole("link", { name: "Report" }).click();
    await page.waitForURL(/\/stores\/[0-9a-f-]{36}$/);
    const reportUrl = page.url();

    // The reasons at a glance, the biggest first, each app counted once.
    const groups = page.locator("#refusal-table tbody tr");
    expect(await groups.allInnerTexts()).toEqual(BIG_STORE_REFUSALS.map((r) => `${r.label}\t${r.count}`));
    // It opens on the refusals, a page of them at a time.
    const rows = page.locator("#report-entries tbody tr");
    expect(await page.getByLabel("Show").inputValue()).toBe("refused");
    expect(await page.locator("p.count").textContent()).toBe("24 refused apps · page 1 of 2");
    expect(await rows.count()).toBe(20);
    expect(await rows.first().textContent()).toContain("privileged is not allowed");
    await checkPage(page, "stores-report-big");

    await page.getByRole("link", { name: "Next" }).click();
    await page.getByText("24 refused apps · page 2 of 2").waitFor();
    expect(await rows.count()).toBe(4);
    expect(await rows.last().textContent()).toContain("the store marks it deprecated");
    expect(page.url()).toContain("page=2");

    // A reason lists its apps: the 8 with a host path, nothing else.
    await page.locator("#refusal-table").getByRole("link", { name: "a host path" }).click();
    await page.getByText("8 refused apps: a host path").waitFor();
    expect(await rows.count()).toBe(8);
    for (const text of await rows.allInnerTexts())
      expect(text).toContain("bind-mounts the host path /run/dbus");
    expect(await page.getByLabel("Reason").inputValue()).toBe("a-host-path");
    await page.getByLabel("Reason").selectOption("a-host-device");
    await page.getByText("3 refused apps: a host device").waitFor();
    expect(await rows.count()).toBe(3);

    // The imported apps, then every app (two pages again).
    await page.getByLabel("Show").selectOption("imported");
    await page.getByText(`${BIG_STORE_IMPORTED} imported apps`).waitFor();
    expect(await rows.count()).toBe(BIG_STORE_IMPORTED);
    expect(await page.getByLabel("Reason").count()).toBe(0);
    await page.getByLabel("Show").selectOption("all");
    await page.getByText("30 apps · page 1 of 2").waitFor();
    expect(await rows.count()).toBe(20);
    // The filter is in the address: a reload (or a link sent to another admin) shows the same.
    await page.reload();
    expect(await page.locator("p.count").textContent()).toBe("30 apps · page 1 of 2");

    // Without JavaScript the same filter works with its button, and the pages with their links.
    const noJs = await w.browser.newContext({ baseURL: w.url, javaScriptEnabled: false });
    await noJs.addCookies(await context.cookies());
    const plain = await noJs.newPage();
    await plain.goto(reportUrl);
    expect(await plain.locator("p.count").textContent()).toBe("24 refused apps · page 1 of 2");
    await plain.getByLabel("Reason").selectOption("privileged-not-allowed");
    await plain.getByRole("button", { name: "Show" }).click();
    await plain.getByText("12 refused apps: privileged (not allowed)").waitFor();
    expect(await plain.locator("#report-entries tbody tr").count()).toBe(12);
    await plain.getByLabel("Show").selectOption("all");
    await plain.getByRole("button", { name: "Show" }).click();
    await plain.getByRole("link", { name: "Next" }).click();
    await plain.getByText("30 apps · page 2 of 2").waitFor();
    expect(await plain.locator("#report-entries tbody tr").count()).toBe(10);
    await noJs.close();
    await context.close();
  });
});
