/**
 * HTTPS names in a real browser: an administrator turns them on under Settings → Access, the proxy (a real
 * Caddy in the simulator) becomes ready, Vaultwarden is exposed from its page, My apps opens the HTTPS
 * name, and a chromium that resolves `vault.<domain>` to the proxy (`--host-resolver-rules`) and accepts
 * only the chain the downloaded CA verifies opens the app through the proxy.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash, X509Certificate } from "node:crypto";
import { connect, type DetailedPeerCertificate } from "node:tls";
import { chromium, type Page } from "playwright-core";
import { PASSWORD, setupAdmin } from "../../helpers/harness.ts";
import {
  ARTIFACTS,
  CHROMIUM,
  screenshots,
  seriousViolations,
  startWebWorld,
  type WebWorld,
} from "../../helpers/web-world.ts";

setDefaultTimeout(300_000);
const DOMAIN = "home.example.test";
const NAME = `vault.${DOMAIN}`;

let w: WebWorld;
let page: Page;
let token = "";
beforeAll(async () => {
  w = await startWebWorld();
  await w.addSimHost();
  w.t.services.access.start(100);
  token = (await setupAdmin(w.t)).token;
  ({ page } = await w.newPage());
});
afterAll(async () => {
  await w?.t.services.access.stop();
  await w?.stop();
});

async function check(name: string) {
  // Not hovering the button just clicked.
  await page.mouse.move(0, 0);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshots(page, name);
}

/** The SPKI hashes (base64 SHA-256) of the chain `ip` presents for `name`, once it verifies against `ca`. */
function verifiedChainSpkis(ip: string, name: string, ca: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port: 443, servername: name, ca }, () => {
      if (!socket.authorized) return reject(new Error(String(socket.authorizationError)));
      const hashes: string[] = [];
      let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      const seen = new Set<string>();
      while (cert?.raw && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        const spki = new X509Certificate(cert.raw).publicKey.export({ type: "spki", format: "der" });
        hashes.push(createHash("sha256").update(spki).digest("base64"));
        cert = cert.issuerCertificate;
      }
      socket.end();
      resolve(hashes);
    });
    socket.on("error", reject);
  });
}

describe("HTTPS names from the web interface", () => {
  let vaultId = "";
  let proxyIp = "";

  test("Settings → Access turns HTTPS names on and shows the DNS record and the CA once ready", async () => {
    await page.goto("/login");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/(apps|hosts)$/);
    await page.goto("/settings");
    await page.getByRole("link", { name: /Access: HTTPS names/ }).click();
    await page.waitForURL(/\/settings\/access$/);
    await page.getByLabel("Domain").fill("not a domain");
    await page.getByRole("button", { name: "Turn on HTTPS names" }).click();
    await expect(page.locator("#domain-error").textContent()).resolves.toContain("DNS name");
    await page.getByLabel("Domain").fill(DOMAIN);
    await page.getByRole("button", { name: "Turn on HTTPS names" }).click();
    await page.getByText("Access settings saved.").waitFor();
    await page.getByText("Ready: exposed apps answer at their HTTPS names.").waitFor({ timeout: 120_000 });
    expect(await page.getByRole("cell", { name: `*.${DOMAIN}` }).isVisible()).toBe(true);
    expect(await page.getByRole("link", { name: "Download the CA certificate" }).isVisible()).toBe(true);
    await check("access-settings");
    const access = (await (await w.t.request("/api/v1/access", { token })).json()) as {
      proxy: { address: string };
    };
    proxyIp = access.proxy.address;
  });

  test("Vaultwarden's page exposes it; the tile and Open go to its HTTPS name", async () => {
    const res = await w.t.request("/api/v1/apps/deploy", {
      method: "POST",
      token,
      json: { catalog_id: "vaultwarden", hostname: "vault" },
    });
    expect(res.status).toBe(202);
    vaultId = ((await res.json()) as { app: { id: string } }).app.id;
    await page.goto(`/apps/${vaultId}`);
    await page.locator("#app-status", { hasText: "Running" }).waitFor({ timeout: 120_000 });
    await page.reload();
    const section = page.locator("#app-exposure");
    await section.getByRole("switch", { name: `Reachable at https://${NAME}` }).check();
    await section.getByRole("button", { name: "Save" }).click();
    await page.getByText(`vault is reachable at https://${NAME}`).waitFor();
    expect(await page.locator("#app-https-url").getAttribute("href")).toBe(`https://${NAME}`);
    // The name does not resolve on this machine: the page says so and what to do.
    expect(await section.getByText("does not resolve to the proxy").isVisible()).toBe(true);
    // The reconfigure job restarts the app with DOMAIN set; Open then uses the HTTPS name.
    await page.locator("#app-status", { hasText: "Running" }).waitFor({ timeout: 120_000 });
    await page.reload();
    expect(await page.getByRole("link", { name: "Open vault" }).getAttribute("href")).toBe(`https://${NAME}`);
    await check("access-app");
    await page.goto("/apps");
    expect(await page.locator(`#app-${vaultId} a[data-open-link]`).getAttribute("href")).toBe(
      `https://${NAME}`,
    );
  });

  test("a browser that resolves the name to the proxy and trusts the CA's chain opens the app", async () => {
    const ca = await (await w.t.request("/api/v1/access/ca.pem")).text();
    // Node verifies the presented chain against the downloaded CA; chromium is told to accept those keys
    // (its own trust store is the system's, which a test must not change).
    let spkis: string[] = [];
    let why = "";
    for (let i = 0; i < 100 && spkis.length === 0; i++) {
      spkis = await verifiedChainSpkis(proxyIp, NAME, ca).catch((e: unknown) => {
        why = String(e);
        return [];
      });
      if (spkis.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(why).toBe("");
    expect(spkis.length).toBeGreaterThan(0);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        `--host-resolver-rules=MAP ${NAME} ${proxyIp}`,
        `--ignore-certificate-errors-spki-list=${spkis.join(",")}`,
      ],
    });
    try {
      const tab = await (await browser.newContext()).newPage();
      const answer = await tab.goto(`https://${NAME}/alive`);
      expect(answer?.status()).toBe(200);
      expect(await tab.textContent("body")).toContain("ok from vaultwarden");
      await tab.screenshot({ path: `${ARTIFACTS}/access-vault-https.png` });
      // http:// is sent to https:// by the proxy.
      await tab.goto(`http://${NAME}/alive`);
      expect(tab.url()).toBe(`https://${NAME}/alive`);
    } finally {
      await browser.close();
    }
  });
});
