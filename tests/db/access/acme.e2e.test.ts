/**
 * ACME certificates against Pebble (Debian's `pebble`, Let's Encrypt's ACME test server) on loopback:
 * Pebble resolves names through pebble-challtestsrv's DNS, which answers the proxy's address, and validates
 * the challenges against the simulator's real Caddy on that address. A directory that does not answer is
 * refused before anything is saved.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { errorOf } from "../../helpers/harness.ts";
import { deploy, type SimWorld, settled, startWorld } from "../../helpers/sim.ts";

setDefaultTimeout(180_000);
const run = promisify(execFile);
const DOMAIN = "acme.example.test";
const dir = mkdtempSync(join(tmpdir(), "access-acme-"));
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: "ignore" });
  children.push(child);
  return child;
}

let w: SimWorld;
let directory = "";
let pebbleManagement = "";
let dnsPort = 0;
beforeAll(async () => {
  // Pebble's own HTTPS: a self-signed certificate for 127.0.0.1, trusted by Proximity and the proxy.
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=pebble",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
  ]);
  const [api, management] = [await freePort(), await freePort()];
  dnsPort = await freePort();
  writeFileSync(
    join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${api}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: join(dir, "cert.pem"),
        privateKey: join(dir, "key.pem"),
        // Validation goes where browsers go: ports 80 and 443 of the name's address (the proxy's).
        httpPort: 80,
        tlsPort: 443,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  start("pebble", ["-config", join(dir, "pebble.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], {
    PEBBLE_VA_NOSLEEP: "1",
    PEBBLE_WFE_NONCEREJECT: "0",
  });
  directory = `https://127.0.0.1:${api}/dir`;
  pebbleManagement = `https://127.0.0.1:${management}`;
  w = await startWorld({ nodes: 2, speed: 2000 }, {}, { acmeTrustedRoots: [join(dir, "cert.pem")] });
  w.t.services.access.start(100);
  await waitFor("pebble", async () =>
    (await curl([`${directory}`])).includes("newNonce") ? true : undefined,
  );
}, 300_000);
afterAll(async () => {
  await w?.t.services.access.stop();
  await w?.stop();
  for (const c of children) c.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run("curl", [
    "-sS",
    "--max-time",
    "10",
    "--cacert",
    join(dir, "cert.pem"),
    ...args,
  ]);
  return stdout;
}

const api = (path: string, init: Parameters<SimWorld["t"]["request"]>[1] = {}) =>
  w.t.request(path, { token: w.admin.token, ...init });

describe("ACME certificates (Pebble)", () => {
  test("a directory that does not answer is refused with the fix; nothing is saved", async () => {
    const res = await api("/api/v1/access", {
      method: "PUT",
      json: {
        domain: DOMAIN,
        certificates: "acme",
        acme_directory: `https://127.0.0.1:${await freePort()}/dir`,
      },
    });
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.details?.[0]?.field).toBe("acme_directory");
    expect(error.details?.[0]?.message).toContain("does not answer as an ACME directory");
    expect(((await (await api("/api/v1/access")).json()) as { status: string }).status).toBe("off");
  });

  test("an exposed app gets a certificate from the directory and answers over https", async () => {
    const res = await api("/api/v1/access", {
      method: "PUT",
      json: {
        domain: DOMAIN,
        certificates: "acme",
        acme_directory: directory,
        acme_email: "admin@example.org",
      },
    });
    expect(res.status).toBe(200);
    const proxyId = ((await res.json()) as { proxy: { app_id: string } }).proxy.app_id;
    const proxy = await settled(w, proxyId, 90_000);
    expect(proxy?.status).toBe("running");
    const proxyIp = proxy!.ip!;
    // Pebble's DNS: every name answers the proxy's address (what the wildcard record does).
    start("pebble-challtestsrv", [
      "-defaultIPv4",
      proxyIp,
      "-defaultIPv6",
      "",
      "-dns01",
      `127.0.0.1:${dnsPort}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-management",
      `127.0.0.1:${await freePort()}`,
    ]);

    const d = await deploy(w, { catalog_id: "vaultwarden", hostname: "vault" });
    const app = await settled(w, d.app.id, 60_000);
    expect(app?.status).toBe("running");
    const exposed = await api(`/api/v1/apps/${app!.id}/exposure`, {
      method: "POST",
      json: { enabled: true },
    });
    expect(exposed.status).toBe(200);

    // Pebble issues from a root it makes at start: the client trusts that root, as it would Let's Encrypt's.
    const root = await waitFor("pebble's root", async () => {
      const pem = await curl([`${pebbleManagement}/roots/0`]);
      return pem.includes("BEGIN CERTIFICATE") ? pem : undefined;
    });
    writeFileSync(join(dir, "pebble-root.pem"), root);
    const name = `vault.${DOMAIN}`;
    const body = await waitFor("https through the proxy with Pebble's certificate", async () => {
      const { stdout } = await run("curl", [
        "-sS",
        "--max-time",
        "5",
        "--resolve",
        `${name}:443:${proxyIp}`,
        "--cacert",
        join(dir, "pebble-root.pem"),
        `https://${name}/alive`,
      ]);
      return stdout.includes("ok from") ? stdout : undefined;
    });
    expect(body).toBe("ok from vaultwarden\n");

    // GET /access shows the certificate served for the name, issued by Pebble, with its expiry.
    const access = (await (await api("/api/v1/access")).json()) as {
      status: string;
      certificates_served: { name: string; issuer: string | null; expires_at: string | null }[];
    };
    expect(access.status).toBe("ready");
    const served = access.certificates_served.find((c) => c.name === name);
    expect(served?.issuer ?? "").toContain("Pebble");
    expect(Date.parse(served!.expires_at!)).toBeGreaterThan(Date.now());
  });
});
