/**
 * HTTPS names in a real browser: an administrator turns them on under Settings → Access, the proxy (a real
 * Caddy in the simulator) becomes ready, Vaultwarden is exposed from its page, My apps opens the HTTPS
 * name, and a chromium that resolves `vault.<domain>` to the proxy (`--host-resolver-rules`) and trusts the
 * downloaded CA (in its NSS database) opens Vaultwarden there and creates an account: the Done-when.
 * The simulated Vaultwarden's page creates accounts only in a secure context (src/simulator/vaultwarden.ts),
 * and refuses over plain http.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { execFile } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Page } from "playwright-core";
import { KDF_ITERATIONS } from "../../../src/simulator/vaultwarden.ts";
import { setupAdmin } from "../../helpers/harness.ts";
import { curlName } from "../../helpers/https-name.ts";
import {
  ARTIFACTS,
  CHROMIUM,
  checkPage,
  signIn,
  startWebWorld,
  type WebWorld,
} from "../../helpers/web-world.ts";

setDefaultTimeout(300_000);
const DOMAIN = "home.example.test";
const NAME = `vault.${DOMAIN}`;
const EMAIL = "alice@example.org";
const MASTER_PASSWORD = "correct horse battery staple";
const run = promisify(execFile);

let w: WebWorld;
let page: Page;
let token = "";
let vaultId = "";
let proxyIp = "";
/** HOME of the second browser: its NSS database, where the downloaded CA is trusted. */
const home = mkdtempSync(join(tmpdir(), "access-browser-"));
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
  rmSync(home, { recursive: true, force: true });
});

async function check(name: string) {
  // Not hovering the button just clicked.
  await page.mouse.move(0, 0);
  await checkPage(page, name);
}

/** What a Bitwarden client sends as the master password hash (the stand-in's page derives it in WebCrypto). */
function masterPasswordHash(email: string, password: string): string {
  const masterKey = pbkdf2Sync(password, email, KDF_ITERATIONS, 32, "sha256");
  return pbkdf2Sync(masterKey, password, 1, 32, "sha256").toString("base64");
}

/** A password login at the vault through the proxy, trusting the downloaded CA. */
async function login(caFile: string, hash: string): Promise<string> {
  return curlName({ name: NAME, ip: proxyIp, ca: caFile }, "/identity/connect/token", [
    "--data-urlencode",
    "grant_type=password",
    "--data-urlencode",
    `username=${EMAIL}`,
    "--data-urlencode",
    `password=${hash}`,
  ]);
}

describe("HTTPS names from the web interface", () => {
  test("Settings → Access turns HTTPS names on and shows the DNS record and the CA once ready", async () => {
    await signIn(page, "admin");
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

  test("a browser that trusts the downloaded CA opens https://vault.<domain> from Open and creates an account", async () => {
    // The CA as a person gets it: the Download link on Settings → Access.
    await page.goto("/settings/access");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download the CA certificate" }).click(),
    ]);
    const caFile = join(home, "proximity-ca.pem");
    await download.saveAs(caFile);
    expect(readFileSync(caFile, "utf8")).toContain("BEGIN CERTIFICATE");
    // Trusted the way Linux desktops trust a CA for Chromium: in the user's NSS database (no flag that
    // skips verification). HOME is a directory of this test's own, so the machine's trust is unchanged.
    const nssdb = `sql:${join(home, ".pki", "nssdb")}`;
    mkdirSync(join(home, ".pki", "nssdb"), { recursive: true });
    await run("certutil", ["-N", "-d", nssdb, "--empty-password"]);
    await run("certutil", ["-A", "-d", nssdb, "-t", "C,,", "-n", "Proximity CA", "-i", caFile]);
    const vault = (await (await w.t.request(`/api/v1/apps/${vaultId}`, { token })).json()) as {
      app: { ip: string };
    };
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, HOME: home },
      args: [
        "--no-sandbox",
        "--disable-gpu",
        // The wildcard record, for this browser only; vault.lan stands for the app's LAN address, which
        // browsers do not treat as a secure context (a loopback address would be).
        `--host-resolver-rules=MAP ${NAME} ${proxyIp}, MAP vault.lan ${vault.app.ip}`,
      ],
    });
    try {
      const context = await browser.newContext({ baseURL: w.url });
      const proximity = await context.newPage();
      await signIn(proximity, "admin");
      await proximity.goto(`/apps/${vaultId}`);
      const [vaultTab] = await Promise.all([
        context.waitForEvent("page"),
        proximity.getByRole("link", { name: "Open vault" }).click(),
      ]);
      await vaultTab.waitForLoadState();
      expect(vaultTab.url()).toBe(`https://${NAME}/`);
      expect(await vaultTab.evaluate(() => window.isSecureContext)).toBe(true);
      await vaultTab.getByLabel("Email address").fill(EMAIL);
      await vaultTab.getByLabel("Name", { exact: true }).fill("Alice");
      await vaultTab.getByLabel("Master password", { exact: true }).fill(MASTER_PASSWORD);
      await vaultTab.getByLabel("Re-type master password").fill(MASTER_PASSWORD);
      await vaultTab.getByRole("button", { name: "Create account" }).click();
      await vaultTab.getByText("Your new account has been created! You may now log in.").waitFor();
      await vaultTab.locator("main").screenshot({ path: `${ARTIFACTS}/access-vault-account.png` });

      // The account is Vaultwarden's (the stand-in's): a login with the hash the browser derived passes,
      // so the page really ran PBKDF2 in WebCrypto; a wrong password does not.
      expect(await login(caFile, masterPasswordHash(EMAIL, MASTER_PASSWORD))).toContain("access_token");
      expect(await login(caFile, masterPasswordHash(EMAIL, "not the password"))).toContain("invalid_grant");

      // Over plain http from the LAN the same page refuses, with the real web vault's words.
      const plain = await context.newPage();
      await plain.goto("http://vault.lan/");
      await plain.getByText("This browser requires HTTPS to use the web vault").waitFor();
      expect(await plain.getByRole("button", { name: "Create account" }).isVisible()).toBe(false);
      await plain.locator("main").screenshot({ path: `${ARTIFACTS}/access-vault-http.png` });

      // http:// on the HTTPS name is sent to https:// by the proxy.
      await plain.goto(`http://${NAME}/alive`);
      expect(plain.url()).toBe(`https://${NAME}/alive`);
      expect(await plain.textContent("body")).toContain("ok from vaultwarden");
    } finally {
      await browser.close();
    }
  });
});
