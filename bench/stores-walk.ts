/**
 * Issue #19's resolve condition, walked in a browser: on a clean start (a fresh data directory, demo mode, as
 * `bun run dev` on a clean clone), an admin creates the administrator, adds each real store on the App stores
 * page by URL (the archives served by a local HTTP server, as a forge serves a branch), waits for each import,
 * then installs one app of each store through the catalog page's install form and waits for `running` on the
 * app's page. Screenshots of the stores page, each report (1280 and 375 px wide, light and dark, with its
 * height) and each running app go into the folder given.
 *
 *   bun bench/stores-walk.ts runtipi=/path/runtipi-appstore.tar.gz casaos=/path/CasaOS-AppStore.tar.gz \
 *     umbrel=/path/umbrel-apps.tar.gz --out /tmp/walk [--install runtipi=sftpgo,casaos=taskingai,umbrel=x]
 *
 * Each store is `name=<.tar.gz file>`; `--install` names the app of each store to install (default: the first
 * imported app in the catalog's order). Required settings without a default are filled with a value of
 * their type (the first option when the store lists some), as a user would type one.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { spawnProximity } from "../tests/helpers/process.ts";
import { launchBrowser, loadLazyImages, settled } from "../tests/helpers/web-world.ts";
import { serveArchives } from "./lib/archive-server.ts";

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  allowPositionals: true,
  options: { out: { type: "string" }, install: { type: "string", default: "" } },
});
const stores = positionals.map((p) => {
  const i = p.indexOf("=");
  if (i < 1 || !p.endsWith(".tar.gz")) throw new Error(`expected name=<store.tar.gz>, got ${p}`);
  return { name: p.slice(0, i), file: p.slice(i + 1) };
});
if (stores.length === 0 || !values.out) {
  console.error(
    "usage: bun bench/stores-walk.ts name=<store.tar.gz> … --out <folder> [--install name=app,…]",
  );
  process.exit(2);
}
const out = values.out;
mkdirSync(out, { recursive: true });
const wanted = new Map(
  values.install
    .split(",")
    .filter(Boolean)
    .map((p) => p.split("=") as [string, string]),
);

// The archives, as a forge serves a branch: one .tar.gz per repository.
const server = await serveArchives(
  Object.fromEntries(stores.map((s) => [`/${s.name}/archive/main.tar.gz`, s.file])),
);
const forge = server.base;

const dataDir = mkdtempSync(join(tmpdir(), "proximity-walk-"));
const proximity = await spawnProximity({
  DATA_DIR: dataDir,
  PROXIMITY_SIMULATOR: "auto",
  PASSWORD_HASH_MEMORY_KIB: "65536",
});
const browser = await launchBrowser();
const figures: string[] = [];
let failed = false;

async function shoot(page: Page, name: string) {
  await loadLazyImages(page);
  await settled(page);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
}

/** What a user would type into a required setting: the first of the store's options, else one of its type. */
async function fillRequired(page: Page) {
  const inputs = page.locator('#install-form input[required][name^="environment."]');
  for (let i = 0; i < (await inputs.count()); i++) {
    const input = inputs.nth(i);
    if ((await input.inputValue()) !== "") continue;
    const type = await input.getAttribute("type");
    const pattern = await input.getAttribute("pattern");
    const first = pattern?.split("|")[0]?.replace(/\\(.)/g, "$1");
    const value =
      first && /^[\w.-]+$/.test(first)
        ? first
        : type === "number"
          ? "8"
          : type === "email"
            ? "admin@example.org"
            : type === "url"
              ? "https://example.org"
              : type === "password"
                ? "walk-Password-2026"
                : "walk-admin";
    await input.fill(value);
  }
}

try {
  const context = await browser.newContext({
    baseURL: proximity.url,
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);

  // First visit: the administrator (a browser on this machine needs no setup code).
  await page.goto("/");
  await page.waitForURL(/\/setup$/);
  await page.getByLabel("Username").fill("admin");
  await page.locator('input[name="password"]').fill("walk-Password-2026");
  await page.locator('input[name="password_confirm"]').fill("walk-Password-2026");
  await page.getByRole("button", { name: "Create the administrator" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/setup"));

  for (const s of stores) {
    await page.getByRole("link", { name: "App stores" }).click();
    await page.waitForURL(/\/stores$/);
    await page.getByLabel("Name").fill(s.name);
    await page.getByLabel("URL or directory").fill(`${forge}/${s.name}/archive/main.tar.gz`);
    const t0 = performance.now();
    await page.getByRole("button", { name: "Add store" }).click();
    const row = page.locator(`#store-${s.name}`);
    await row.locator(".badge", { hasText: /^(ready|failed)$/ }).waitFor({ timeout: 180_000 });
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    const status = await row.locator(".badge").textContent();
    const counts = (await row.locator("td").nth(1).locator("a").allTextContents()).join(", ");
    figures.push(`${s.name}: ${status}, ${counts} (added through the page in ${seconds} s)`);
    if (status !== "ready") failed = true;
  }
  await page.goto("/stores");
  await shoot(page, "stores");
  for (const s of stores) {
    await page.goto("/stores");
    await page.locator(`#store-${s.name}`).getByRole("link", { name: "Report" }).click();
    await page.waitForURL(/\/stores\/[0-9a-f-]{36}$/);
    // The report as it opens (the refusals, grouped, one page), at a desktop's and a phone's width, light
    // and dark; its height is the figure docs/performance.md gives for the report's length.
    const heights: string[] = [];
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await settled(page);
        await page.screenshot({ path: join(out, `report-${s.name}-${width}-${scheme}.png`), fullPage: true });
      }
      heights.push(`${await page.evaluate(() => document.documentElement.scrollHeight)} px at ${width} px`);
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
    figures.push(`${s.name}: report ${heights.join(", ")}`);
  }

  for (const s of stores) {
    let id = wanted.has(s.name) ? `${s.name}/${wanted.get(s.name)}` : undefined;
    if (!id) {
      await page.goto(`/catalog?source=${encodeURIComponent(s.name)}`);
      const href = await page.locator(".entry-card a[href^='/catalog/']").first().getAttribute("href");
      id = decodeURIComponent(href!.slice("/catalog/".length));
    }
    await page.goto(`/catalog/${encodeURIComponent(id)}`);
    await page.getByLabel("Hostname").fill(`walk-${id.split("/")[1]!}`.slice(0, 40).replace(/-+$/, ""));
    await fillRequired(page);
    await shoot(page, `install-${s.name}`);
    const t0 = performance.now();
    await page.getByRole("button", { name: /^Install/ }).click();
    await page.waitForURL(/\/apps\/[0-9a-f-]{36}$/);
    const status = page.locator("#app-status");
    await page
      .locator('#app-status[data-status="running"], #app-status[data-status="error"]')
      .waitFor({ timeout: 600_000 });
    const state = await status.getAttribute("data-status");
    const seconds = ((performance.now() - t0) / 1000).toFixed(0);
    figures.push(`${id}: ${state} (${seconds} s from Install)`);
    if (state !== "running") failed = true;
    await shoot(page, `app-${s.name}`);
  }
  await context.close();
} catch (err) {
  failed = true;
  console.error(err);
  console.error(proximity.output().split("\n").slice(-40).join("\n"));
} finally {
  await browser.close();
  await proximity.stop();
  server.close();
  rmSync(dataDir, { recursive: true, force: true });
}

console.log(`\nStores walk (screenshots in ${out}):`);
for (const f of figures) console.log(`  ${f}`);
process.exit(failed ? 1 : 0);
