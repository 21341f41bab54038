/**
 * The web interface in a real browser (Debian's chromium via playwright-core) against the simulated
 * cluster: first run, catalog search, install with a changed field, live progress to Running, Open link,
 * stop/start, backup, delete; a failing install with its reason and Retry; a second user's view. Every page
 * is checked with axe (no serious or critical violation) and photographed light, dark and at 375 px.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import AxeBuilder from "@axe-core/playwright";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { applications } from "../../../src/db/schema.ts";
import { DEPLOY_STEPS } from "../../../src/features/apps/sagas/deploy.ts";
import { CARDS_PER_PAGE } from "../../../src/web/catalog/pages.tsx";
import { PASSWORD } from "../../helpers/harness.ts";
import { clearFaults, simTaskFails } from "../../helpers/sim.ts";
import {
  checkPage,
  moderateViolations,
  signIn,
  startWebWorld,
  type WebWorld,
} from "../../helpers/web-world.ts";

// A browser, the simulator and the app share two cores with other work: about 3× the slowest test measured
// alone on the 2-core machine (75 s, the admin pages).
setDefaultTimeout(225_000);

let w: WebWorld;
let page: Page;
const LIVE = 60_000;

beforeAll(async () => {
  w = await startWebWorld();
  ({ page } = await w.newPage());
});
afterAll(async () => {
  await w?.stop();
});

const check = (name: string) => checkPage(page, name);

async function appRows() {
  return w.t.services.database.db.select().from(applications);
}

describe("first run to a deleted app", () => {
  let appId = "";

  test("with no account, / leads to creating the administrator, who is signed in", async () => {
    await page.goto("/");
    expect(new URL(page.url()).pathname).toBe("/setup");
    await expect(page.getByRole("heading", { name: "Welcome to Proximity" }).isVisible()).resolves.toBe(true);
    await check("setup");
    // From this machine (loopback) no setup code is asked; the password is typed twice.
    expect(await page.getByLabel("Setup code").count()).toBe(0);
    await page.getByLabel("Username").fill("admin");
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create the administrator" }).click();
    await page.waitForURL(/\/hosts$/);
    // No host yet: the page says what to do next.
    expect(await page.getByText("No Proxmox host yet").isVisible()).toBe(true);
    const cookie = (await page.context().cookies()).find((c) => c.name === "proximity_session");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Lax");
  });

  test("hosts page shows each node with memory and disk bars once a host is added", async () => {
    await w.addSimHost();
    await page.goto("/hosts");
    expect(await page.locator("h4", { hasText: "pve1" }).count()).toBe(1);
    expect(await page.getByRole("img", { name: /Memory: \d+% used/ }).count()).toBeGreaterThanOrEqual(3);
    expect(await moderateViolations(page, ["heading-order"])).toEqual([]);
    await page.getByRole("button", { name: "Test connection" }).click();
    await page.getByText(/Connected: Proxmox VE/).waitFor();
    // The preflight, check by check, in words: a healthy simulated cluster is ready.
    expect(await page.locator(".preflight").getByText("Ready", { exact: true }).isVisible()).toBe(true);
    const checks = page.locator(".checks li");
    expect(await checks.count()).toBeGreaterThanOrEqual(3 * 8);
    // All passed: they are one click away, so the nodes stay in sight.
    const ssh = checks.filter({ hasText: "Node pve3: SSH login and pct" });
    expect(await ssh.isVisible()).toBe(false);
    await page.getByText(/Show the \d+ checks that passed/).click();
    expect(await ssh.isVisible()).toBe(true);
    await check("hosts");
  });

  test("catalog: all apps with a count; search as you type narrows it", async () => {
    await page.goto("/catalog");
    const total = w.t.services.catalog.size;
    expect(await page.locator(".count").textContent()).toBe(`${total} apps`);
    // The first page of cards, then the rest one "Show more" away.
    const firstPage = Math.min(total, CARDS_PER_PAGE);
    expect(await page.locator("#catalog-grid article").count()).toBe(firstPage);
    // Featured and recently added first; every card is a link as a whole.
    expect(await page.getByRole("heading", { name: "Featured", level: 2 }).isVisible()).toBe(true);
    expect(await page.getByRole("heading", { name: "Recently added", level: 2 }).isVisible()).toBe(true);
    await page
      .locator("#highlights article", { hasText: "Vaultwarden" })
      .click({ position: { x: 20, y: 90 } });
    await page.waitForURL(/\/catalog\/vaultwarden$/);
    await page.goBack();
    // Icons are served by us, never from another origin.
    const srcs = await page
      .locator(".grid-cards img")
      .evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).src));
    expect(srcs.every((s) => s.startsWith(`${w.url}/assets/icons/`))).toBe(true);
    // The first screenful of icons comes with the page, the rest as the grid scrolls into sight.
    expect(await page.locator('#catalog-grid img[loading="lazy"]').count()).toBe(firstPage - 12);
    if (total > firstPage) {
      await page.getByRole("link", { name: /Show more/ }).click();
      await page.waitForFunction(
        (n) => document.querySelectorAll("#catalog-grid article").length === n,
        Math.min(total, 2 * CARDS_PER_PAGE),
      );
    }
    expect(await moderateViolations(page, ["heading-order"])).toEqual([]);
    await check("catalog");
    // Typo-tolerant, best match first.
    await page.getByLabel("Search").pressSequentially("uptme", { delay: 30 });
    await page.locator(".count", { hasText: `1 of ${total} apps` }).waitFor();
    expect(await page.locator("#catalog-grid article h3").allTextContents()).toEqual(["Uptime Kuma"]);
    // Category filter.
    await page.getByLabel("Search").fill("");
    await page.getByLabel("Category").selectOption("monitoring");
    await page.locator(".count", { hasText: "in this category" }).waitFor();
    const monitoring = w.t.services.catalog.list({ category: "monitoring" }).length;
    expect(await page.locator("#catalog-grid article").count()).toBe(monitoring);
  });

  test("install form: a bad hostname is explained beside the field and nothing is deployed", async () => {
    await page.goto("/catalog/uptime-kuma");
    expect(await page.getByRole("heading", { name: "Uptime Kuma" }).isVisible()).toBe(true);
    await check("install");
    // The host's preflight found it ready for OCI containers, so the form preselects that runtime: this
    // walk-through (backups included) is the Docker one.
    expect(await page.getByLabel("Runtime").inputValue()).toBe("oci");
    await page.getByLabel("Runtime").selectOption("docker");
    await page.getByLabel("Hostname").fill("Not_A_Label");
    await page.getByRole("button", { name: "Install Uptime Kuma" }).click();
    await page.locator("#hostname-error").waitFor();
    expect(await page.locator("#hostname-error").textContent()).toContain("DNS label");
    expect(await page.getByLabel("Hostname").getAttribute("aria-invalid")).toBe("true");
    expect(await appRows()).toHaveLength(0);
    // Below the entry's minimum memory: the API's reason, beside the memory field.
    await page.getByLabel("Hostname").fill("status");
    await page.getByLabel("Memory (MiB)").fill("256");
    await page.getByRole("button", { name: "Install Uptime Kuma" }).click();
    await page.locator("#resources-memory_mb-error").waitFor();
    expect(await page.locator("#resources-memory_mb-error").textContent()).toContain("at least 512 MiB");
    expect(await appRows()).toHaveLength(0);
  });

  test("install with a changed field shows live progress until Running, with an Open link", async () => {
    await page.getByLabel("Memory (MiB)").fill("1024");
    await page.getByLabel("TZ").fill("Europe/Berlin");
    await page.getByRole("button", { name: "Install Uptime Kuma" }).click();
    await page.waitForURL(/\/apps\/[0-9a-f-]{36}$/);
    appId = page.url().split("/").pop()!;
    // The progress panel: a bar, "Step n of N", elapsed time and log lines arriving.
    await page
      .locator("#progress-step", { hasText: new RegExp(`Step \\d+ of ${DEPLOY_STEPS.length}`) })
      .waitFor({ timeout: LIVE });
    await page.locator("#log-lines p").first().waitFor({ timeout: LIVE });
    await page.locator('#app-status[data-status="running"]').waitFor({ timeout: LIVE });
    const [row] = await appRows();
    expect(row!.resources.memory_mb).toBe(1024);
    expect(row!.environment.TZ).toBe("Europe/Berlin");
    const open = page.getByRole("link", { name: "Open status" });
    expect(await open.getAttribute("href")).toBe(row!.url!);
    expect(row!.url).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:3001$/);
    await check("app");
  });

  test("stop and start update the badge live", async () => {
    await page.getByRole("button", { name: "Stop status" }).click();
    await page.locator('#app-status[data-status="stopped"]').waitFor({ timeout: LIVE });
    expect(await page.getByRole("link", { name: "Open status" }).count()).toBe(0);
    await page.getByRole("button", { name: "Start status" }).click();
    await page.locator('#app-status[data-status="running"]').waitFor({ timeout: LIVE });
  });

  test("charts of CPU, memory and network are drawn as inline SVG", async () => {
    await page.locator("#chart-area svg.chart").first().waitFor({ timeout: LIVE });
    expect(await page.locator("#chart-area svg.chart").count()).toBe(3);
    await page.getByRole("button", { name: "Last day" }).click();
    await page.getByText("CPU (day)").waitFor();
  });

  test("dashboard lists the app with its badge, node, address and Open link", async () => {
    await page.goto("/apps");
    const card = page.locator(`#app-${appId}`);
    expect(await card.locator(".badge").textContent()).toBe("running");
    expect(await card.getByRole("link", { name: "Open status" }).getAttribute("href")).toMatch(/:3001$/);
    await check("dashboard");
    expect(await moderateViolations(page, ["heading-order"])).toEqual([]);
    // Quick action from the dashboard, badge updates live.
    await card.getByRole("button", { name: "Restart status" }).click();
    // The badge already said running before the click: wait for the restart itself to be over.
    await appSettled();
    await page.locator(`#app-${appId} .badge[data-status="running"]`).waitFor({ timeout: LIVE });
  });

  /** The app's restart (or any operation) has finished: its job ended and it is running again. */
  async function appSettled(): Promise<void> {
    const end = Date.now() + LIVE;
    while (Date.now() < end) {
      const [row] = await w.t.services.database.db
        .select()
        .from(applications)
        .where(eq(applications.id, appId));
      const busy = await w.t.services.jobRecords.list({ appId, status: "running", page: 1, perPage: 1 });
      const queued = await w.t.services.jobRecords.list({ appId, status: "queued", page: 1, perPage: 1 });
      if (row?.status === "running" && busy.total === 0 && queued.total === 0) return;
      await Bun.sleep(100);
    }
    throw new Error("the app did not settle");
  }

  test("backup now: the backup appears and completes", async () => {
    await page.goto(`/apps/${appId}`);
    // A person clicks once the page is live: htmx has wired the button (it marks what it powers).
    await page.locator("#create-backup[data-htmx-powered]").waitFor({ timeout: LIVE });
    // The live stream's first snapshot may re-render the button just as it is clicked (on PostgreSQL the
    // events arrive a little later): click until the request goes out, as a person would click again.
    for (let attempt = 0; ; attempt++) {
      // The request going out is what counts (its answer may take a while on a loaded machine).
      const posted = page
        .waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/backups"), { timeout: 3_000 })
        .then(
          () => true,
          () => false,
        );
      await page.getByRole("button", { name: "Back up now" }).click();
      if ((await posted) || attempt >= 4) break;
    }
    await page
      .locator("#backup-list tr[data-backup] .badge", { hasText: "completed" })
      .waitFor({ timeout: LIVE });
    expect(await page.locator("#backup-list tr[data-backup]").count()).toBe(1);
  });

  test("credentials are revealed on demand", async () => {
    await page.getByRole("button", { name: "Reveal credentials" }).click();
    await page.locator("#credentials").waitFor();
    expect(await page.locator("#credentials").textContent()).toContain("root password");
  });

  test("delete (confirmed) goes to My apps, which says so, and removes the app and its container", async () => {
    await page.getByText("Update, clone or delete").click();
    await page.getByRole("button", { name: "Delete app" }).click();
    await page.waitForURL(/\/apps\?deleting=/);
    await page.getByText(/Deleting status|The app was deleted/).waitFor();
    await page.locator(`#app-${appId}`).waitFor({ state: "detached", timeout: LIVE });
    expect(await appRows()).toHaveLength(0);
    const state = w.sim.state() as unknown as { containers: unknown[] };
    expect(state.containers).toHaveLength(0);
  });
});

describe("a failing install", () => {
  test("shows the failing step's reason, that the container was removed, and Retry finishes it", async () => {
    await simTaskFails(w.sim, "/nodes/{node}/lxc/{vmid}/status/start", "startup for container failed");
    try {
      await page.goto("/catalog/vaultwarden");
      await page.getByLabel("Hostname").fill("vault");
      await page.getByLabel("Runtime").selectOption("docker");
      await page.getByRole("button", { name: "Install Vaultwarden" }).click();
      await page.waitForURL(/\/apps\/[0-9a-f-]{36}$/);
      await page.locator("#failure-reason").waitFor({ timeout: LIVE });
      expect(await page.locator("#failure-reason").textContent()).toMatch(
        /step "start".*startup for container failed/,
      );
      expect(await page.getByText("The container this install created was removed").isVisible()).toBe(true);
      await check("failed-install");
    } finally {
      await clearFaults(w.sim);
    }
    await page.getByRole("button", { name: "Retry" }).click();
    await page.locator('#app-status[data-status="running"]').waitFor({ timeout: LIVE });
  });
});

describe("a second user", () => {
  test("sees only their own apps and no admin page", async () => {
    await w.t.services.users.create(
      { username: "bob", password: PASSWORD, role: "user" },
      { user: null, ip: "127.0.0.1", claimed: { id: null, username: "test" } },
    );
    const { context, page: bob } = await w.newPage({ width: 375, height: 800 });
    await signIn(bob, "bob");
    expect(new URL(bob.url()).pathname).toBe("/apps");
    expect(await bob.getByText("No apps yet").isVisible()).toBe(true);
    expect(await bob.locator("article[id^=app-]").count()).toBe(0);
    expect(await bob.getByRole("link", { name: "Hosts" }).count()).toBe(0);
    expect(await bob.getByRole("link", { name: "Users" }).count()).toBe(0);
    for (const path of ["/hosts", "/users", "/settings", "/audit"]) {
      const res = await bob.goto(path);
      expect(res?.status()).toBe(403);
    }
    // Said in words, with the way back.
    expect(await bob.getByRole("heading", { name: "This page is for administrators" }).isVisible()).toBe(
      true,
    );
    await bob.screenshot({ path: "test-artifacts/admin-only-375.png", fullPage: true });
    await bob.getByRole("link", { name: "Go to my apps" }).click();
    await bob.waitForURL(/\/apps$/);
    // The admin's app is not there for Bob, not even by its URL.
    const [adminApp] = await appRows();
    expect((await bob.goto(`/apps/${adminApp!.id}`))?.status()).toBe(404);
    await context.close();
  });

  test("admin pages: users, settings, audit log, account", async () => {
    for (const [path, heading] of [
      ["/users", "Users"],
      ["/settings", "Settings"],
      ["/audit", "Audit log"],
      ["/account", "Your account"],
    ] as const) {
      await page.goto(path);
      expect(await page.getByRole("heading", { name: heading, level: 1 }).isVisible()).toBe(true);
      await check(path.slice(1));
    }
    // Audit filter by action.
    await page.goto("/audit?action=app.deploy");
    expect(await page.locator("tbody tr").count()).toBeGreaterThanOrEqual(2);
    expect(new Set(await page.locator("tbody tr td:nth-child(3)").allTextContents())).toEqual(
      new Set(["app.deploy"]),
    );
  }, 400_000);
});

describe("an unknown address", () => {
  test("shows the page-not-found page in the layout, with a way back", async () => {
    const res = await page.goto("/no-such-page");
    expect(res?.status()).toBe(404);
    expect(await page.getByRole("heading", { name: "Page not found", level: 1 }).isVisible()).toBe(true);
    expect(await page.getByRole("navigation", { name: "Main" }).isVisible()).toBe(true);
    await check("not-found");
    await page.getByRole("link", { name: "Go to my apps" }).click();
    await page.waitForURL(/\/apps$/);
  });
});

describe("phone width", () => {
  test("every top navigation link is in sight at 375 px, nothing scrolls sideways, and Tab reaches each link", async () => {
    const { context, page: phone } = await w.newPage({ width: 375, height: 800 });
    try {
      await signIn(phone, "admin");
      expect(new URL(phone.url()).pathname).toBe("/apps");
      const items = phone.locator("body > header nav :is(a, button)");
      for (const path of ["/apps", "/catalog"]) {
        for (const scheme of ["light", "dark"] as const) {
          await phone.emulateMedia({ colorScheme: scheme });
          await phone.goto(path);
          // The brand, the eight admin pages, the account and the two buttons: each whole, inside the width.
          const boxes = await items.evaluateAll((els) =>
            els.map((e) => {
              const r = e.getBoundingClientRect();
              return { text: e.textContent?.trim(), left: r.left, right: r.right };
            }),
          );
          expect(boxes).toHaveLength(12);
          const cut = boxes.filter((b) => b.left < 0 || b.right > 375).map((b) => b.text);
          expect({ path, scheme, cut }).toEqual({ path, scheme, cut: [] });
          const width = await phone.evaluate(() => ({
            scroll: document.documentElement.scrollWidth,
            inner: window.innerWidth,
          }));
          expect(width.scroll).toBeLessThanOrEqual(width.inner);
        }
      }
      await phone.screenshot({ path: "test-artifacts/nav-375-dark.png" });
      await phone.emulateMedia({ colorScheme: "light" });
      // Keyboard: Tab from the top reaches every page link in order, the last one being the Audit log.
      await phone.goto("/apps");
      const reached: string[] = [];
      for (let i = 0; i < 15 && reached.at(-1) !== "Audit log"; i++) {
        await phone.keyboard.press("Tab");
        const focused = await phone.evaluate(() =>
          document.activeElement?.closest("body > header .nav-links")
            ? document.activeElement.textContent
            : null,
        );
        if (focused) reached.push(focused);
      }
      expect(reached).toEqual([
        "My apps",
        "Catalog",
        "Hosts",
        "Users",
        "App stores",
        "Notifications",
        "Settings",
        "Audit log",
      ]);
      await phone.keyboard.press("Enter");
      await phone.waitForURL(/\/audit/);
      await phone.screenshot({ path: "test-artifacts/nav-375.png" });
    } finally {
      await context.close();
    }
  });
});

describe("theme", () => {
  test("the dark mode toggle persists across pages", async () => {
    await page.goto("/catalog");
    await page.getByRole("button", { name: "Dark mode" }).click();
    expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");
    // The button now offers the way back.
    expect(await page.locator("#theme-toggle").textContent()).toBe("Light mode");
    await page.goto("/apps");
    expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");
    // Chosen with the toggle (not the system setting): the dashboard's Open link still reads clearly.
    const open = page.getByRole("link", { name: /^Open / }).first();
    await open.waitFor();
    const contrast = await open.evaluate((el) => {
      const rgb = (c: string) => (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
      const lum = ([r = 0, g = 0, b = 0]: number[]) => {
        const ch = (v: number) => {
          const x = v / 255;
          return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
      };
      const s = getComputedStyle(el);
      const [a, b] = [lum(rgb(s.color)), lum(rgb(s.backgroundColor))].sort((x, y) => y - x) as [
        number,
        number,
      ];
      return (a + 0.05) / (b + 0.05);
    });
    expect(contrast).toBeGreaterThanOrEqual(4.5);
    const axe = await new AxeBuilder({ page }).withRules(["color-contrast"]).analyze();
    expect(axe.violations.map((v) => v.nodes.map((n) => n.target.join(" ")))).toEqual([]);
    await page.screenshot({ path: "test-artifacts/dashboard-toggled-dark.png", fullPage: true });
  });
});
