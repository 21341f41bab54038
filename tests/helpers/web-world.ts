/**
 * The web interface over a simulated cluster, served on a real socket for a real browser: the simulator,
 * the app on the shared test database with fast job timing, Bun.serve on an ephemeral port (PUBLIC_URL is
 * that address, as an operator would set it), and Debian's chromium driven by playwright-core.
 */
import { expect } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { App } from "../../src/boot/app.ts";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.ts";
import { createTestApp, PASSWORD, type TestApp } from "./harness.ts";
import { FAST_TIMING, simHostBody } from "./sim.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = "test-artifacts";

export interface WebWorld {
  sim: RunningSimulator;
  t: TestApp;
  url: string;
  browser: Browser;
  /** Registers the simulator as the default Proxmox host (what an admin does on the Hosts page). */
  addSimHost(): Promise<string>;
  newPage(opts?: {
    width?: number;
    height?: number;
    dark?: boolean;
  }): Promise<{ context: BrowserContext; page: Page }>;
  stop(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install -y chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export async function startWebWorld(): Promise<WebWorld> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const sim = await startSimulator({ nodes: 3, speed: 500, authFailDelayMs: 0 });
  let app: App | undefined;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req, srv) => app!.fetch(req, srv),
  });
  const url = `http://127.0.0.1:${server.port}`;
  const t = await createTestApp(
    { PUBLIC_URL: url },
    { timing: FAST_TIMING, jobs: { pollMs: 20, retryBaseMs: 20, leaseMs: 2_000, concurrency: 8 } },
  );
  app = t.app;
  t.services.jobs.start();
  const browser = await launchBrowser();
  return {
    sim,
    t,
    url,
    browser,
    addSimHost: async () => {
      const host = await t.services.hosts.create(
        { ...simHostBody(sim), verify_tls: true, is_default: true },
        { user: null, ip: "127.0.0.1", claimed: { id: null, username: "test" } },
      );
      await t.services.hosts.sync(host.id);
      return host.id;
    },
    newPage: async (opts = {}) => {
      const context = await browser.newContext({
        baseURL: url,
        viewport: { width: opts.width ?? 1440, height: opts.height ?? 900 },
        colorScheme: opts.dark ? "dark" : "light",
      });
      const page = await context.newPage();
      page.on("dialog", (d) => void d.accept());
      return { context, page };
    },
    stop: async () => {
      await browser.close().catch(() => {});
      await t.services.jobs.stop(1_000);
      t.services.hosts.close();
      server.stop(true);
      await sim.stop();
    },
  };
}

/** Lets style transitions (a theme switch fades colours) finish before a check or a screenshot. */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(async () => {
    // Two frames for the new colour scheme to apply, a style flush, then every running transition.
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    void document.documentElement.offsetHeight;
    // Only finite ones (a busy spinner runs forever), and never longer than 5 s: page.evaluate has no timeout.
    const finite = document
      .getAnimations()
      .filter((a) => a.effect?.getComputedTiming().iterations !== Number.POSITIVE_INFINITY);
    await Promise.race([
      Promise.all(finite.map((a) => a.finished.catch(() => {}))),
      new Promise((r) => setTimeout(r, 5_000)),
    ]);
  });
}

/**
 * axe-core on the current page, in the light and the dark theme (as the system setting): the serious and
 * critical violations (there must be none), each prefixed with its theme.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  const out: string[] = [];
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await settled(page);
    const result = await new AxeBuilder({ page }).analyze();
    out.push(
      ...result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${scheme}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    );
  }
  await page.emulateMedia({ colorScheme: "light" });
  await settled(page);
  return out;
}

/** axe's findings of the given rules (any impact), e.g. heading-order, which is only "moderate". */
export async function moderateViolations(page: Page, rules: string[]): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withRules(rules).analyze();
  return result.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
  );
}

/** Scrolls through the page so lazily loaded images (catalog icons past the first screenful) load. */
export async function loadLazyImages(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    for (let y = 0; y < document.documentElement.scrollHeight; y += window.innerHeight) {
      window.scrollTo(0, y);
      await pause(50);
    }
    // On a busy machine the browser may not have started a lazy image it scrolled past in 50 ms, and
    // decode() of an image that never starts loading never settles (page.evaluate has no timeout): ask for
    // the stragglers now, and bound the wait. A broken icon then fails the caller's assertions, not the clock.
    for (const img of document.images) if (!img.complete) img.loading = "eager";
    const decoded = Promise.all([...document.images].map((i) => i.decode().catch(() => {})));
    await Promise.race([decoded, pause(15_000)]);
    window.scrollTo(0, 0);
  });
}

/** Light, dark and phone-width screenshots of the current page into test-artifacts/. */
export async function screenshots(page: Page, name: string): Promise<void> {
  const size = page.viewportSize() ?? { width: 1440, height: 900 };
  // A full-page picture shows what a person sees after scrolling: every icon loaded.
  await loadLazyImages(page);
  await settled(page);
  await page.screenshot({ path: `${ARTIFACTS}/${name}-light.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await settled(page);
  await page.screenshot({ path: `${ARTIFACTS}/${name}-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });
  await settled(page);
  await page.setViewportSize({ width: 375, height: 800 });
  await page.screenshot({ path: `${ARTIFACTS}/${name}-375.png`, fullPage: true });
  await page.setViewportSize(size);
}

/** What a test checks on every page it shows: no serious or critical axe finding, then its screenshots. */
export async function checkPage(page: Page, name: string): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
  await screenshots(page, name);
}

/** Signs in on the login page, as a person does, and waits for the page the account lands on. */
export async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => u.pathname !== "/login");
}

/** Waits until `ok` holds: checked every 100 ms, for at most `ms`. */
export async function until(ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`still not so after ${ms} ms: ${ok.toString()}`);
    await Bun.sleep(100);
  }
}
