/**
 * The same app under Deno 2: `bun run start:deno` (the command is read from package.json) on the embedded
 * database, against the simulator started here over HTTPS with a pinned certificate. A user registers, logs
 * in, lists the catalog and deploys an app; then Bun and Deno take turns on the same data directory, each
 * logging in with a password the other hashed.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../../package.json" with { type: "json" };
import { startSimulator } from "../../../src/simulator/index.ts";
import { denoExecutable } from "../../helpers/deno.ts";
import { PASSWORD } from "../../helpers/harness.ts";
import { type ProximityProcess, spawnProximity } from "../../helpers/process.ts";

// Deno compiles PGlite's WebAssembly on every start (no code cache for it): starts take tens of seconds on
// a loaded 2-core machine. About 3× what the slowest test took alone there (43 s, two starts and a deploy).
setDefaultTimeout(130_000);
const START_TIMEOUT_MS = 90_000;

const sim = await startSimulator({ nodes: 2, speed: 100, tls: true, authFailDelayMs: 0 });
const dataDir = mkdtempSync(join(tmpdir(), "proximity-deno-"));
afterAll(async () => {
  await sim.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startDenoCommand(): Promise<string[]> {
  const [bin, ...args] = pkg.scripts["start:deno"].split(/\s+/);
  expect(bin).toBe("deno");
  return [await denoExecutable(), ...args];
}

const env = {
  DATA_DIR: dataDir,
  PROXMOX_URL: sim.apiUrl,
  PROXMOX_TOKEN_ID: sim.tokenId,
  PROXMOX_TOKEN_SECRET: sim.tokenSecret,
  PROXMOX_FINGERPRINT: sim.fingerprint ?? "",
  PROXMOX_SSH_HOST: sim.sshHost,
  PROXMOX_SSH_PORT: String(sim.sshPort),
  PROXMOX_SSH_USERNAME: sim.sshUsername,
  PROXMOX_SSH_PASSWORD: sim.sshPassword,
};

async function call(
  p: ProximityProcess,
  path: string,
  init: { method?: string; token?: string; json?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${p.url}${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.json === undefined ? null : JSON.stringify(init.json),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function login(p: ProximityProcess, username: string): Promise<string> {
  const res = await call(p, "/api/v1/auth/login", { method: "POST", json: { username, password: PASSWORD } });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

describe("Proximity under Deno 2", () => {
  let appId = "";

  test("register, log in, list the catalog and deploy an app on the simulator", async () => {
    const deno = await spawnProximity(env, await startDenoCommand(), START_TIMEOUT_MS);
    try {
      expect(deno.output()).toMatch(/embedded PostgreSQL \(PGlite\) in .*; Deno 2\.\d+\.\d+;/);
      expect(deno.output()).toContain("Registered the Proxmox host from PROXMOX_URL");

      const registered = await call(deno, "/api/v1/auth/register", {
        method: "POST",
        json: { username: "admin", password: PASSWORD },
      });
      expect(registered.status).toBe(201);
      const token = await login(deno, "admin");

      const catalog = await call(deno, "/api/v1/catalog?per_page=100", { token });
      expect(catalog.status).toBe(200);
      const ids = (catalog.body.items as { id: string }[]).map((e) => e.id);
      expect(ids.length).toBe(catalog.body.total as number);
      expect(ids).toContain("it-tools");

      const deployed = await call(deno, "/api/v1/apps/deploy", {
        method: "POST",
        token,
        json: { catalog_id: "it-tools", hostname: "tools-on-deno" },
      });
      expect(deployed.status).toBe(202);
      appId = (deployed.body.app as { id: string }).id;
      const jobId = (deployed.body.job as { id: string }).id;

      let app = { status: "deploying", vmid: null as number | null, node: null as string | null };
      const deadline = Date.now() + 60_000;
      while (app.status === "deploying" && Date.now() < deadline) {
        await Bun.sleep(200);
        app = (await call(deno, `/api/v1/apps/${appId}`, { token })).body.app as typeof app;
      }
      expect(app.status).toBe("running");
      const job = await call(deno, `/api/v1/jobs/${jobId}`, { token });
      expect(job.body.status).toBe("succeeded");
      // The container is really there: created over the PVE API (HTTPS, pinned) and provisioned over SSH.
      const containers = sim.state().containers;
      expect(containers).toHaveLength(1);
      expect(containers[0]).toMatchObject({ vmid: app.vmid, node: app.node, status: "running" });
    } finally {
      expect(await deno.stop("SIGTERM")).toBe(0);
    }
    expect(deno.output()).toContain("SIGTERM received, shutting down");
  });

  test("with no Proxmox host configured, demo mode runs the built-in simulator under Deno too; Sentry says it is off", async () => {
    const demoDir = mkdtempSync(join(tmpdir(), "proximity-deno-demo-"));
    const demo = await spawnProximity(
      // A DSN nobody listens on: under Deno the Sentry layer must stay off and say so.
      { DATA_DIR: demoDir, PROXIMITY_SIMULATOR: "auto", SENTRY_DSN: "http://public@127.0.0.1:9/1" },
      await startDenoCommand(),
      START_TIMEOUT_MS,
    );
    try {
      expect(demo.output()).toContain("DEMO MODE");
      expect(demo.output()).toContain(
        "Sentry is off: SENTRY_DSN is set, but error monitoring (@sentry/bun) runs only under Bun",
      );
      await call(demo, "/api/v1/auth/register", {
        method: "POST",
        json: { username: "admin", password: PASSWORD },
      });
      const token = await login(demo, "admin");
      const hosts = await call(demo, "/api/v1/hosts", { token });
      const host = (hosts.body.items as { id: string; name: string }[])[0];
      expect(host?.name).toBe("Simulated demo cluster");
      // The first sync at start reads the simulated nodes over the PVE API, from this Deno process.
      let names: string[] = [];
      for (let i = 0; i < 200 && names.length < 3; i++) {
        names = ((await call(demo, "/api/v1/nodes", { token })).body.items as { name: string }[]).map(
          (n) => n.name,
        );
        if (names.length < 3) await Bun.sleep(100);
      }
      expect(names).toEqual(["pve1", "pve2", "pve3"]);
      expect((await call(demo, "/api/v1/system/sentry", { token })).body.enabled).toBe(false);
    } finally {
      expect(await demo.stop("SIGTERM")).toBe(0);
      rmSync(demoDir, { recursive: true, force: true });
    }
  });

  test("Bun and Deno each verify the other's argon2id hashes, on the same data directory", async () => {
    expect(appId).not.toBe("");
    const bun = await spawnProximity(env);
    try {
      expect(bun.output()).toMatch(/; Bun \d+\.\d+\.\d+;/);
      // Hashed by hash-wasm under Deno, verified by Bun.password.
      const token = await login(bun, "admin");
      const app = await call(bun, `/api/v1/apps/${appId}`, { token });
      expect((app.body.app as { status: string }).status).toBe("running");
      const created = await call(bun, "/api/v1/users", {
        method: "POST",
        token,
        json: { username: "hashed-by-bun", password: PASSWORD },
      });
      expect(created.status).toBe(201);
    } finally {
      expect(await bun.stop("SIGTERM")).toBe(0);
    }

    const deno = await spawnProximity(env, await startDenoCommand(), START_TIMEOUT_MS);
    try {
      // Hashed by Bun.password, verified by hash-wasm under Deno.
      await login(deno, "hashed-by-bun");
      const wrong = await call(deno, "/api/v1/auth/login", {
        method: "POST",
        json: { username: "hashed-by-bun", password: `${PASSWORD}x` },
      });
      expect(wrong.status).toBe(401);
    } finally {
      expect(await deno.stop("SIGTERM")).toBe(0);
    }
  });
});
