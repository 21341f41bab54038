/**
 * Boot sequence: database → migrations → services → HTTP server; and the reverse on stop. Kept apart from
 * index.ts so tests can run a real server in-process.
 */

import { Chore } from "../core/chore.ts";
import type { Config } from "../core/config.ts";
import { log } from "../core/log.ts";
import { runtime } from "../core/runtime/index.ts";
import { deriveKeys, loadOrCreateSecret } from "../crypto/keys.ts";
import { connectDatabase, type Database } from "../db/connect.ts";
import { migrate } from "../db/migrate.ts";
import { DRAIN_BYTES } from "../http/drain.ts";
import { hostsObservers } from "../observability/proxmox.ts";
import { isObservabilityEnabled } from "../observability/state.ts";
import type { RunningSimulator } from "../simulator/index.ts";
import { createApp } from "./app.ts";
import { buildServices, type Services } from "./container.ts";
import { prepareDataDir } from "./data-dir.ts";
import { bootstrapHosts, startDemoCluster, wantsDemoMode } from "./demo.ts";

export interface RunningProximity {
  url: string;
  services: Services;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Use an already open database (tests share one per process). */
  database?: Database;
  /**
   * A second after listening, drop the compiled code of what ran only at start (runtime.releaseStartupMemory:
   * ~9 MB of resident memory, docs/performance.md). For the server process (index.ts); in a test process it
   * would throw away the compiled code of the tests too.
   */
  releaseStartupCode?: boolean;
}

/** Node stats go stale quickly and containers change outside Proximity: sync and reconcile every minute. */
const SYNC_INTERVAL_MS = 60_000;
/** The full collection of start-up garbage runs this long after listening. */
const START_GC_DELAY_MS = 1_000;
/** Without any host there is nothing to sync: look again this seldom (adding a host here wakes it). */
const IDLE_SYNC_INTERVAL_MS = 5 * 60_000;
/**
 * The periodic chores (backups, HTTPS names, updates, health watching, host sync) make their first runs this
 * long after listening: together a dozen cold statements through the embedded database, ~0.1 s of the one
 * JavaScript thread, which the first requests (a supervisor's /health) would otherwise wait behind. Each
 * first run looks at everything, so nothing that happened meanwhile is missed. The job worker starts at
 * once: /ready reports it.
 */
const CHORES_START_DELAY_MS = 250;

function startPeriodicSync(services: Services): () => Promise<void> {
  const sync = new Chore("Host sync", SYNC_INTERVAL_MS, async () => {
    try {
      const hosts = await services.hosts.syncAll();
      await services.apps.reconcile();
      return hosts > 0 ? SYNC_INTERVAL_MS : IDLE_SYNC_INTERVAL_MS;
    } catch (err) {
      log.warn("Host sync failed", { err });
      return SYNC_INTERVAL_MS;
    }
  });
  const stopWaking = services.hosts.onAdded(() => sync.wake());
  sync.start();
  return async () => {
    stopWaking();
    await sync.stop();
  };
}

/**
 * Bun.serve's hard body cap: the app's limit plus what its 413 drains (http/drain.ts), so a client sending
 * a body up to that size reads the app's 413; beyond it Bun cuts the connection.
 */
export function serverBodyCap(config: Config): number {
  return config.MAX_BODY_BYTES + DRAIN_BYTES;
}

export async function startProximity(config: Config, options: StartOptions = {}): Promise<RunningProximity> {
  const started = performance.now();
  prepareDataDir(config.dataDir, (line) => log.warn(line));
  const database = options.database ?? (await connectDatabase(config.database));
  let simulator: RunningSimulator | undefined;
  try {
    if (database.created === "image")
      log.info("New embedded database unpacked from the image shipped with this release (no initdb)");
    const { applied } = await migrate(database.db);
    if (applied.length) log.info(`Applied migrations: ${applied.join(", ")}`);
    const keys = await deriveKeys(loadOrCreateSecret(config.dataDir, config.PROXIMITY_SECRET_KEY));
    // Proxmox REST calls and pct exec become breadcrumbs and counters of the request or job that made them.
    const observers = hostsObservers((hostId) => services.hosts.get(hostId));
    // Everything the container depends on is decided first: it is built whole and never changed after.
    simulator = (await wantsDemoMode(config, database.db)) ? await startDemoCluster() : undefined;
    const services: Services = buildServices(config, database, keys, {
      hosts: { observers },
      jobs: { leaseMs: config.JOB_LEASE_SECONDS * 1000 },
      runsWorker: true,
      demoMode: simulator !== undefined,
    });
    if (isObservabilityEnabled()) observers.register(await services.hosts.list());
    const report = await services.catalog.load();
    log.info(
      `Catalog: ${report.loaded} apps${report.skipped.length ? ` (${report.skipped.length} invalid file(s) skipped)` : ""}`,
    );
    await bootstrapHosts(config, services, simulator);
    // Listen for other instances' events before anything can be published.
    await services.events.ready();
    services.jobs.start();
    // The stores' entries into the catalog, imports a restart cut short, and the refresh schedule.
    await services.sources.startSchedule();
    const app = createApp(services);
    const server = await runtime.serve({
      port: config.PORT,
      hostname: config.HOST,
      fetch: app.fetch,
      // A backstop above the app's own limit (which answers 413 in the standard error shape): Bun's
      // default would accept 128 MB per request.
      maxRequestBodySize: serverBodyCap(config),
    });
    const url = `http://${config.HOST === "0.0.0.0" ? "localhost" : config.HOST}:${server.port}`;
    const where =
      database.raw.kind === "pglite"
        ? config.database.kind === "pglite" && config.database.dataDir
          ? `embedded PostgreSQL (PGlite) in ${config.database.dataDir}`
          : "in-memory PGlite"
        : "PostgreSQL";
    log.info(
      `Proximity ${config.version} listening on ${url} (${where}; ${runtime.label}; ready in ${Math.round(performance.now() - started)} ms)`,
    );
    let stopSync: (() => Promise<void>) | undefined;
    const chores = setTimeout(() => {
      services.backupScheduler.start();
      services.access.start();
      services.updates.start();
      services.watcher.start();
      stopSync = startPeriodicSync(services);
    }, CHORES_START_DELAY_MS);
    // Start-up garbage (catalog YAML, migration SQL, WASM compilation buffers) would otherwise sit in the
    // heap until the next collection under load: one full collection returns it to the system — a moment
    // after listening, so the first requests (a supervisor's /health) do not wait for it.
    const collect = setTimeout(() => {
      if (options.releaseStartupCode) runtime.releaseStartupMemory();
      else runtime.collectGarbage();
      // The embedded database's buffer pool, zero-filled at start and mostly unused (src/db/pglite-memory.ts).
      const given = database.discardZeroPages?.() ?? 0;
      if (given)
        log.debug("The embedded database's zero-filled, unused memory was given back", { bytes: given });
      // The compiled binary's copies of the files the database was opened from (src/core/runtime/embedded-pages.ts).
      const files = runtime.releaseEmbeddedFiles?.() ?? 0;
      if (files) log.debug("The embedded files read at start were given back", { bytes: files });
    }, START_GC_DELAY_MS);
    collect.unref?.();
    let stopping: Promise<void> | undefined;
    return {
      url,
      services,
      stop: () => {
        stopping ??= (async () => {
          clearTimeout(collect);
          clearTimeout(chores);
          await server.stop();
          await stopSync?.();
          await services.backupScheduler.stop();
          await services.access.stop();
          await services.sources.stopSchedule();
          await services.updates.stop();
          await services.watcher.stop();
          await services.jobs.stop();
          services.hosts.close();
          await services.events.close();
          await simulator?.stop();
          if (!options.database) await database.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    // Start-up failed: undo what was started, and throw the start-up error (the one that matters); a failure
    // while undoing is only worth a line beside it.
    await simulator
      ?.stop()
      .catch((e) => log.warn("Stopping the simulator after a failed start failed", { err: e }));
    if (!options.database) {
      await database
        .close()
        .catch((e) => log.warn("Closing the database after a failed start failed", { err: e }));
    }
    throw err;
  }
}
