/**
 * Proximity over a real simulated cluster: starts the PVE simulator (REST + SSH over sockets), builds the
 * app with fast job timing, registers the simulator as a host the way an admin would, and starts the worker.
 */

import { afterAll, beforeAll, expect } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { BuildOptions } from "../../src/boot/container.ts";
import { type Application, applications } from "../../src/db/schema.ts";
import { isStable } from "../../src/features/apps/index.ts";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.ts";
import { createTestApp, type Session, setupAdmin, type TestApp } from "./harness.ts";
import { simHostBody } from "./sim-control.ts";

export {
  advanceSimClock,
  clearFaults,
  simControl,
  simFault,
  simHostBody,
  simTaskFails,
} from "./sim-control.ts";

export interface SimWorld {
  sim: RunningSimulator;
  t: TestApp;
  admin: Session;
  hostId: string;
  /** A request to the API as the admin (their token unless `init` names another). */
  api(path: string, init?: Parameters<TestApp["request"]>[1]): Promise<Response>;
  stop(): Promise<void>;
}

export const FAST_TIMING = {
  taskTimeoutMs: 20_000,
  ipTimeoutMs: 10_000,
  healthTimeoutMs: 2_000,
  pollMs: 20,
  commandTimeoutMs: 20_000,
};

export async function startWorld(
  options: SimulatorOptions = {},
  env: Record<string, string> = {},
  build: Pick<BuildOptions, "clock" | "acmeTrustedRoots" | "dnsChallenge"> = {},
  timing: Partial<typeof FAST_TIMING> = {},
): Promise<SimWorld> {
  const sim = await startSimulator({ nodes: 3, speed: 500, authFailDelayMs: 0, ...options });
  const t = await createTestApp(env, {
    timing: { ...FAST_TIMING, ...timing },
    jobs: { pollMs: 20, retryBaseMs: 20, leaseMs: 2_000, concurrency: 8 },
    ...build,
  });
  const admin = await setupAdmin(t);
  const res = await t.request("/api/v1/hosts", {
    method: "POST",
    token: admin.token,
    json: simHostBody(sim),
  });
  if (res.status !== 201) throw new Error(`host registration failed: ${res.status} ${await res.text()}`);
  const hostId = ((await res.json()) as { host: { id: string } }).host.id;
  await t.services.hosts.sync(hostId);
  t.services.jobs.start();
  return {
    sim,
    t,
    admin,
    hostId,
    api: (path, init = {}) => t.request(path, { token: admin.token, ...init }),
    stop: async () => {
      await t.services.jobs.stop(1_000);
      t.services.hosts.close();
      await sim.stop();
    },
  };
}

/**
 * One world for the tests of a file (or of a describe block): started before the first, stopped after the
 * last. What it returns reads through to the started world, so tests use it as the world itself (inside
 * tests and hooks: before the start there is no world to read).
 */
export function sharedWorld(...args: Parameters<typeof startWorld>): SimWorld {
  return shared(() => startWorld(...args));
}

/** A world whose DATA_DIR holds an operator catalog (DATA_DIR/catalog) the tests write entries into. */
export interface CatalogWorld extends SimWorld {
  dataDir: string;
}

/** sharedWorld with DATA_DIR a fresh directory and an empty operator catalog; the directory goes after. */
export function sharedWorldWithCatalog(
  options: SimulatorOptions = {},
  env: Record<string, string> = {},
): CatalogWorld {
  return shared(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "proximity-catalog-world-"));
    mkdirSync(join(dataDir, "catalog"));
    const world = await startWorld(options, { ...env, DATA_DIR: dataDir });
    return {
      ...world,
      dataDir,
      stop: async () => {
        await world.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  });
}

function shared<W extends SimWorld>(start: () => Promise<W>): W {
  let world: W | undefined;
  beforeAll(async () => {
    world = await start();
  });
  afterAll(async () => {
    await world?.stop();
  });
  return new Proxy({} as W, {
    get: (_, key) => {
      if (!world) throw new Error(`the shared world is not started yet (reading ${String(key)})`);
      return world[key as keyof W];
    },
  });
}

/** The operator's catalog moves vaultwarden to `version` (an override of the built-in entry), reloaded. */
export async function pinVaultwarden(w: CatalogWorld, version: string): Promise<void> {
  const builtin = readFileSync(
    join(import.meta.dir, "../../src/features/catalog/entries/vaultwarden.yaml"),
    "utf8",
  );
  writeFileSync(
    join(w.dataDir, "catalog", "vaultwarden.yaml"),
    builtin.replace('version: "1.37.2"', `version: "${version}"`).replace(":1.37.2", `:${version}`),
  );
  expect((await w.api("/api/v1/catalog/reload", { method: "POST" })).status).toBe(200);
}

/** No leak either way: the simulator holds exactly the containers the database knows. */
export async function expectContainersMatch(w: SimWorld): Promise<void> {
  expect(simContainers(w.sim)).toEqual(await dbContainers(w));
}

/** Waits until the app leaves its transitional state (or disappears, for delete). */
export async function settled(
  w: SimWorld,
  appId: string,
  timeoutMs = 30_000,
): Promise<Application | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const [app] = await w.t.services.database.db
      .select()
      .from(applications)
      .where(eq(applications.id, appId));
    if (!app || isStable(app.status)) {
      await w.t.services.jobs.idle();
      const [final] = await w.t.services.database.db
        .select()
        .from(applications)
        .where(eq(applications.id, appId));
      if (!final || isStable(final.status)) return final;
    }
    if (Date.now() > end) throw new Error(`app ${appId} still ${app?.status} after ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

export async function deploy(
  w: SimWorld,
  body: Record<string, unknown>,
  token = w.admin.token,
): Promise<{ status: number; app: Application & { id: string }; job: { id: string }; body: unknown }> {
  const res = await w.t.request("/api/v1/apps/deploy", { method: "POST", token, json: body });
  const json = (await res.json()) as { app: Application & { id: string }; job: { id: string } };
  return { status: res.status, app: json.app, job: json.job, body: json };
}

/**
 * Deploys every body at once and waits for each app: every deploy must be accepted (202) and every app reach
 * running with no reason, a failure named by its catalog id. The apps, in the order of `bodies`.
 */
export async function deployAllRunning(
  w: SimWorld,
  bodies: { catalog_id: string; [key: string]: unknown }[],
  timeoutMs: number,
): Promise<Application[]> {
  const started = await Promise.all(bodies.map((body) => deploy(w, body)));
  for (const [n, s] of started.entries())
    expect(s.status, `${bodies[n]!.catalog_id}: ${JSON.stringify(s.body)}`).toBe(202);
  const apps = await Promise.all(started.map((s) => settled(w, s.app.id, timeoutMs)));
  return apps.map((app, n) => {
    const id = bodies[n]!.catalog_id;
    expect(app?.statusReason ?? null, id).toBeNull();
    expect(app?.status, id).toBe("running");
    return app!;
  });
}

/** One deploy that must be accepted and reach running with no reason (deployAllRunning of one). */
export async function deployRunning(
  w: SimWorld,
  body: { catalog_id: string; [key: string]: unknown },
  timeoutMs = 60_000,
): Promise<Application> {
  const [app] = await deployAllRunning(w, [body], timeoutMs);
  return app!;
}

/**
 * Changes the app's settings as the admin: the change must be accepted (202) and the app settle running with
 * no reason. The app after it.
 */
export async function reconfigureRunning(
  w: SimWorld,
  appId: string,
  environment: Record<string, string>,
): Promise<Application> {
  const res = await w.api(`/api/v1/apps/${appId}`, { method: "PATCH", json: { environment } });
  expect(res.status, await res.clone().text()).toBe(202);
  const app = await settled(w, appId);
  expect(app?.statusReason ?? null).toBeNull();
  expect(app?.status).toBe("running");
  return app!;
}

/** Every container the simulator holds, as "node/vmid". */
export function simContainers(sim: RunningSimulator): string[] {
  const state = sim.state() as unknown as { containers: { node: string; vmid: number }[] };
  return state.containers.map((c) => `${c.node}/${c.vmid}`).sort();
}

/** Every container the database knows, as "node/vmid". */
export async function dbContainers(w: SimWorld): Promise<string[]> {
  const rows = await w.t.services.database.db.select().from(applications);
  return rows
    .filter((a) => a.vmid !== null && a.node !== null)
    .map((a) => `${a.node}/${a.vmid}`)
    .sort();
}
