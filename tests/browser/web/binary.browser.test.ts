/**
 * The page works from the compiled binary started in another directory: styles, scripts and icons come
 * from the executable's embedded files (not from the working directory), in demo mode with no other setup.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { proximityBinary } from "../../helpers/binary.ts";
import { PASSWORD } from "../../helpers/harness.ts";
import { type ProximityProcess, spawnProximity } from "../../helpers/process.ts";
import { launchBrowser, loadLazyImages, seriousViolations } from "../../helpers/web-world.ts";

// About 3× what the file took alone on the 2-core machine: the binary's start and the browser ~29 s, the
// test 15 s.
setDefaultTimeout(90_000);

const elsewhere = mkdtempSync(join(tmpdir(), "proximity-web-bin-"));
let proc: ProximityProcess | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  // A .env in the working directory is not read by the binary (its configuration is the environment): this
  // one would stop it at start ("Invalid configuration: LOG_LEVEL …") if it were.
  writeFileSync(join(elsewhere, ".env"), "LOG_LEVEL=not-a-level\nPROXIMITY_SIMULATOR=maybe\n");
  proc = await spawnProximity(
    { DATA_DIR: join(elsewhere, "data"), PROXIMITY_SIMULATOR: "on", DATABASE_URL: "memory://" },
    [await proximityBinary()],
    90_000,
    elsewhere,
  );
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await proc?.stop();
  rmSync(elsewhere, { recursive: true, force: true });
});

test("first run, styled catalog with icons and live search, from the binary", async () => {
  const context = await browser!.newContext({ baseURL: proc!.url });
  const page = await context.newPage();
  const failed: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  await page.goto("/");
  await page.getByLabel("Username").fill("admin");
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.getByLabel("Repeat the password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create the administrator" }).click();
  // Demo mode: the simulated cluster is the host, so the administrator lands in the catalog.
  await page.waitForURL(/\/catalog$/);
  // Pico's stylesheet applied (its container width), htmx running, every icon decoded.
  const maxWidth = await page.locator("main.container").evaluate((el) => getComputedStyle(el).maxWidth);
  expect(maxWidth).toMatch(/px$/);
  expect(await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx)).toBe("object");
  // Icons past the first screenful load as they scroll into sight: scroll to the end, then every icon
  // must have decoded.
  await loadLazyImages(page);
  const widths = await page
    .locator(".grid-cards img")
    .evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
  expect(widths.length).toBeGreaterThan(30);
  expect(widths.every((w) => w > 0)).toBe(true);
  await page.getByLabel("Search").pressSequentially("vault", { delay: 30 });
  await page.locator(".count", { hasText: /^1 of \d+ apps/ }).waitFor();
  expect(await page.locator("#catalog-grid article h3").allTextContents()).toEqual(["Vaultwarden"]);
  expect(await seriousViolations(page)).toEqual([]);
  expect(failed).toEqual([]);
});
