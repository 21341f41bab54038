/**
 * What the web benches (bench/web.ts, bench/stores-web.ts) share: the admin signed in, in a browser page and
 * over the API; the catalog page's weight as a first visit transfers it; the render throughput of a page
 * against the JSON of the same data; and the budget table they print.
 */
import { loadavg } from "node:os";
import type { Page } from "playwright-core";
import { PASSWORD } from "../../tests/helpers/harness.ts";
import type { WebWorld } from "../../tests/helpers/web-world.ts";

export interface Budget {
  name: string;
  value: string;
  budget: string;
  ok: boolean;
}

export interface Transfer {
  url: string;
  bytes: number;
}

/** The first user, as first run makes it: the admin ("admin", PASSWORD). */
export async function registerAdmin(w: WebWorld): Promise<void> {
  await w.t.services.users.register(
    { username: "admin", password: PASSWORD },
    { user: null, ip: "127.0.0.1" },
  );
}

/** The admin signed in: a browser page (on /apps, through the login form), its cookie, and an API token. */
export async function signInAdmin(w: WebWorld): Promise<{ page: Page; cookie: string; token: string }> {
  const login = await w.t.request("/api/v1/auth/login", {
    method: "POST",
    json: { username: "admin", password: PASSWORD },
  });
  const token = ((await login.json()) as { access_token: string }).access_token;
  const { page } = await w.newPage();
  await page.goto("/login");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/apps$/);
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  return { page, cookie, token };
}

/**
 * Opens /catalog as a first visit (the browser cache off) and records every response from then on, with its
 * bytes as transferred (headers and body): the list grows while the page loads more (icons as they scroll
 * into sight). `restoreCache` turns the cache back on.
 */
export async function openCatalogUncached(
  page: Page,
): Promise<{ transfers: Transfer[]; restoreCache: () => Promise<void> }> {
  const transfers: Transfer[] = [];
  page.on("requestfinished", async (req) => {
    const sizes = await req.sizes().catch(() => undefined);
    transfers.push({
      url: req.url(),
      bytes: (sizes?.responseBodySize ?? 0) + (sizes?.responseHeadersSize ?? 0),
    });
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await page.goto("/catalog", { waitUntil: "load" });
  await page.waitForTimeout(500);
  return {
    transfers,
    restoreCache: async () => {
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
    },
  };
}

export const totalBytes = (transfers: Transfer[]) => transfers.reduce((n, t) => n + t.bytes, 0);

/** The catalog page's weight budget (≤ 100 KB) over what it transferred. */
export function weightBudget(transfers: Transfer[], what: string): Budget {
  const weight = totalBytes(transfers);
  return {
    name: `catalog page weight on load (${transfers.length} requests, ${what})`,
    value: `${(weight / 1024).toFixed(1)} KB`,
    budget: "≤ 100 KB",
    ok: weight <= 100 * 1024,
  };
}

/** No request may leave Proximity's own origin (no CDN, no remote icon). */
export function sameOriginBudget(w: WebWorld, transfers: Transfer[]): Budget {
  const foreign = transfers.filter((t) => !t.url.startsWith(w.url));
  return {
    name: "requests to another origin",
    value: String(foreign.length),
    budget: "0",
    ok: foreign.length === 0,
  };
}

/** Requests per second `path` answers in-process over `seconds`, after a 300 ms warm-up. */
async function throughput(
  w: WebWorld,
  path: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<number> {
  const run = async (ms: number) => {
    let n = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const res = await w.t.app.request(`${w.url}${path}`, { headers });
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      await res.arrayBuffer();
      n++;
    }
    return n / (ms / 1000);
  };
  await run(300);
  return run(seconds * 1000);
}

/**
 * The HTML page's render throughput against the JSON endpoint returning the same data (budget: ≥ 50 %).
 * Interleaved, each side measured twice, so that both share the machine's mood fairly.
 */
export async function htmlVsJson(
  w: WebWorld,
  label: string,
  paths: { html: string; json: string },
  auth: { cookie: string; token: string },
  seconds: number,
): Promise<Budget> {
  const json = () => throughput(w, paths.json, { authorization: `Bearer ${auth.token}` }, seconds);
  const html = () => throughput(w, paths.html, { cookie: auth.cookie }, seconds);
  const json1 = await json();
  const html1 = await html();
  const json2 = await json();
  const html2 = await html();
  const ratio = (html1 + html2) / (json1 + json2);
  return {
    name: `${label}: HTML ${((html1 + html2) / 2).toFixed(0)} req/s vs JSON ${((json1 + json2) / 2).toFixed(0)} req/s`,
    value: `${(ratio * 100).toFixed(0)} %`,
    budget: "≥ 50 %",
    ok: ratio >= 0.5,
  };
}

/** Prints the budgets under `title` with the load average (a busy machine reads slower); true when all hold. */
export function printBudgets(title: string, rows: Budget[]): boolean {
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(", ");
  console.log(`\n${title} (load average ${load})`);
  for (const r of rows) console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.name}: ${r.value} (budget ${r.budget})`);
  return rows.every((r) => r.ok);
}
