/**
 * Web interface budgets, measured in one run on the simulator:
 *  1. catalog page weight (HTML + every asset and icon, as transferred) ≤ 100 KB, and no request to
 *     another origin;
 *  2. server render throughput of the catalog page (all apps) and the dashboard (100 apps) ≥ 50 % of the
 *     JSON endpoint returning the same data;
 *  3. "Install" click → first progress step on screen ≤ 300 ms.
 *
 *   bun bench/web.ts [--seconds 3] [--screenshot docs/screenshot-catalog.png]
 */
import { parseArgs } from "node:util";
import { applications } from "../src/db/schema.ts";
import { startWebWorld } from "../tests/helpers/web-world.ts";
import * as web from "./lib/web-budget.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { seconds: { type: "string", default: "3" }, screenshot: { type: "string" } },
});
const seconds = Number(values.seconds);

const w = await startWebWorld();
const results: web.Budget[] = [];
try {
  const hostId = await w.addSimHost();
  await web.registerAdmin(w);
  const { page, cookie, token } = await web.signInAdmin(w);

  // --- 1. page weight, in the browser -----------------------------------------------------------------
  // A first visit: nothing cached.
  const { transfers, restoreCache } = await web.openCatalogUncached(page);
  if (values.screenshot) await page.screenshot({ path: values.screenshot });
  const onLoad = [...transfers];
  // Icons below the first screenful load as they scroll into sight: scroll to the end, then count again.
  for (let y = 0; y < 40; y++) {
    const more = await page.evaluate(() => {
      window.scrollBy(0, window.innerHeight);
      return window.scrollY + window.innerHeight < document.documentElement.scrollHeight;
    });
    await page.waitForTimeout(150);
    if (!more) break;
  }
  await page.waitForTimeout(500);
  const scrolled = web.totalBytes(transfers);
  results.push(web.weightBudget(onLoad, `${w.t.services.catalog.size} apps`), {
    name: `catalog page weight once scrolled to the end, every icon loaded (${transfers.length} requests)`,
    value: `${(scrolled / 1024).toFixed(1)} KB`,
    budget: "information",
    ok: true,
  });
  results.push(web.sameOriginBudget(w, transfers));
  await restoreCache();

  // --- 2. render throughput vs JSON ----------------------------------------------------------------------
  const [admin] = await w.t.services.users.list(1, 1).then((r) => r.items);
  const rows = Array.from({ length: 100 }, (_, i) => ({
    ownerId: admin!.id,
    hostId,
    catalogId: "gitea",
    catalogVersion: "1",
    name: "Gitea",
    hostname: `bench-${i}`,
    status: "running" as const,
    node: "pve1",
    vmid: 1000 + i,
    ip: `10.0.0.${i + 1}`,
    url: `http://10.0.0.${i + 1}:3000`,
    resources: { cores: 1, memory_mb: 1024, disk_gb: 8 },
    environment: { ROOT_URL: "" },
  }));
  await w.t.services.database.db.insert(applications).values(rows);
  const pairs = [
    ["catalog page (all apps)", "/catalog", "/api/v1/catalog?per_page=100"],
    ["dashboard (100 apps)", "/apps", "/api/v1/apps?per_page=100"],
  ] as const;
  for (const [name, html, json] of pairs) {
    results.push(await web.htmlVsJson(w, name, { html, json }, { cookie, token }, seconds));
  }
  await w.t.services.database.db.delete(applications);

  // --- 3. Install click → first progress step on screen -----------------------------------------------
  // Timed in the page, on the browser's clock: from the click event to the first frame that shows "Step n
  // of N" (the install answers with a redirect to the app page, so the two ends are in different
  // documents; sessionStorage carries the click time across). The time the test driver sees (Playwright's
  // click, with its actionability checks, and its polling) is printed too, for comparison.
  await page.context().addInitScript(() => {
    document.addEventListener(
      "click",
      (e) => {
        const t = e.target instanceof Element ? e.target.closest("button[type=submit]") : null;
        if (t) sessionStorage.setItem("bench-click", String(performance.timeOrigin + e.timeStamp));
      },
      true,
    );
    const w = window as unknown as { benchStepAt?: number };
    const look = () => {
      const el = document.getElementById("progress-step");
      if (el && /Step \d+ of \d+/.test(el.textContent ?? ""))
        w.benchStepAt = performance.timeOrigin + performance.now();
      else requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  });
  const samples: number[] = [];
  const driver: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto("/catalog/it-tools");
    await page.getByLabel("Hostname").fill(`tools-${i}`);
    const t0 = performance.now();
    await page.getByRole("button", { name: /^Install/ }).click();
    await page.waitForURL(/\/apps\/[0-9a-f-]{36}$/);
    await page.waitForFunction(() => (window as unknown as { benchStepAt?: number }).benchStepAt, null, {
      timeout: 30_000,
    });
    driver.push(performance.now() - t0);
    const [clickAt, stepAt] = await page.evaluate(() => [
      Number(sessionStorage.getItem("bench-click")),
      (window as unknown as { benchStepAt: number }).benchStepAt,
    ]);
    samples.push(stepAt - clickAt);
    await page.locator('#app-status[data-status="running"]').waitFor({ timeout: 120_000 });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  results.push({
    name: `Install click → first progress step on screen, in the page (${samples.map((s) => Math.round(s)).join(", ")} ms; as the test driver sees it: median ${Math.round(median(driver))} ms)`,
    value: `${Math.round(median(samples))} ms`,
    budget: "≤ 300 ms",
    ok: median(samples) <= 300,
  });
} finally {
  await w.stop();
}

process.exit(web.printBudgets("Web interface budgets", results) ? 0 : 1);
