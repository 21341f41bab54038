/**
 * Boot sequence: database → migrations → services → HTTP server; and the reverse on stop. Kept apart from
 * index.ts so tests can run a real server in-process.
 */

import type { Config } from "../core/config.ts";
import { deriveKeys, loadOrCreateSecret } from "../crypto/keys.ts";
import { connectDatabase, type Database } from "../db/connect.ts";
import { migrate } from "../db/migrate.ts";
import { hostsObservers } from "../observability/proxmox.ts";
import { isObservabilityEnabled } from "../observability/state.ts";
import type { RunningSimulator } from "../simulator/index.ts";
import { createApp } from "./app.ts";
import { buildServices, type Services } from "./container.ts";
import { bootstrapHosts, startDemoCluster, wantsDemoMode } from "./demo.ts";

export interface RunningProximity {
  url: string;
  services: Services;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Use an already open database (tests share one per process). */
  database?: Database;
  log?: (line: string) => void;
}

/** Node stats go stale quickly and containers change outside Proximity: sync and reconcile every minute. */
const SYNC_INTERVAL_MS = 60_000;

function startPeriodicSync(services: Services, log: (line: string) => void): ReturnType<typeof setInterval> {
  const run = () =>
    services.hosts
      .syncAll()
      .then(() => services.apps.reconcile())
      .catch((err) => log(`Host sync failed: ${err instanceof Error ? err.message : err}`));
  void run();
  return setInterval(run, SYNC_INTERVAL_MS);
}

export async function startProximity(config: Config, options: StartOptions = {}): Promise<RunningProximity> {
  const log = options.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  const database = options.database ?? (await connectDatabase(config.database));
  let simulator: RunningSimulator | undefined;
  try {
    const { applied } = await migrate(database.db);
    if (applied.length) log(`Applied migrations: ${applied.join(", ")}`);
    const keys = await deriveKeys(loadOrCreateSecret(config.dataDir, config.PROXIMITY_SECRET_KEY));
    // Proxmox REST calls and pct exec become breadcrumbs and counters of the request or job that made them.
    const observers = hostsObservers((hostId) => services.hosts.get(hostId));
    // Everything the container depends on is decided first: it is built whole and never changed after.
    simulator = (await wantsDemoMode(config, database.db)) ? await startDemoCluster() : undefined;
    const services: Services = buildServices(config, database, keys, {
      hosts: { observers },
      jobs: { leaseMs: config.JOB_LEASE_SECONDS * 1000, log },
      runsWorker: true,
      demoMode: simulator !== undefined,
    });
    if (isObservabilityEnabled()) observers.register(await services.hosts.list());
    const report = await services.catalog.load();
    log(
      `Catalog: ${report.loaded} apps${report.skipped.length ? ` (${report.skipped.length} invalid file(s) skipped)` : ""}`,
    );
    await bootstrapHosts(config, services, simulator, log);
    // Listen for other instances' events before anything can be published.
    await services.events.ready();
    services.jobs.start();
    services.backupScheduler.start();
    const syncTimer = startPeriodicSync(services, log);
    const app = createApp(services);
    const server = Bun.serve({ port: config.PORT, hostname: config.HOST, fetch: app.fetch });
    const url = `http://${config.HOST === "0.0.0.0" ? "localhost" : config.HOST}:${server.port}`;
    const where =
      database.raw.kind === "pglite"
        ? config.database.kind === "pglite" && config.database.dataDir
          ? `embedded PostgreSQL (PGlite) in ${config.database.dataDir}`
          : "in-memory PGlite"
        : "PostgreSQL";
    log(
      `Proximity ${config.version} listening on ${url} (${where}; ready in ${Math.round(performance.now() - started)} ms)`,
    );
    let stopping: Promise<void> | undefined;
    return {
      url,
      services,
      stop: () => {
        stopping ??= (async () => {
          await server.stop();
          clearInterval(syncTimer);
          await services.backupScheduler.stop();
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
    await simulator?.stop().catch(() => {});
    if (!options.database) await database.close().catch(() => {});
    throw err;
  }
}
