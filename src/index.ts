/**
 * Entry point: `proximity [--version]`. Reads the config, starts everything, and shuts down cleanly on
 * SIGTERM/SIGINT (the embedded database must be closed, or its directory is left unclean).
 */
// First: Sentry must be initialised before anything else loads (bunfig preloads it too; in the compiled
// binary there is no bunfig, and a module is evaluated once either way).
import "./instrument.ts";
import pkg from "../package.json" with { type: "json" };
import type { RunningProximity } from "./boot/server.ts";
import { ConfigError, loadConfig } from "./core/config.ts";
import { configureLogging, defaultLogFormat, log } from "./core/log.ts";
import { compilePgliteAhead } from "./db/pglite-assets.ts";
import { INIT_EMBEDDED_DB_FLAG, initDataDir } from "./db/pglite-init.ts";
import { flushObservability } from "./observability/shutdown.ts";

if (process.argv.includes("--version") || process.argv.includes("-v")) {
  process.stdout.write(`proximity ${process.env.APP_VERSION || pkg.version}\n`);
  process.exit(0);
}

// Internal: the short-lived child that runs initdb for a new embedded data directory (db/pglite-init.ts).
const initIndex = process.argv.indexOf(INIT_EMBEDDED_DB_FLAG);
if (initIndex !== -1) {
  const dir = process.argv[initIndex + 1];
  if (!dir) process.exit(2);
  await initDataDir(dir).then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      // Before the logger knows its level and format: one plain line on stderr, as for any CLI mistake.
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  configureLogging({ level: config.LOG_LEVEL, format: config.LOG_FORMAT ?? defaultLogFormat() });
  // The signal handlers come before anything is opened: a stop asked for during start (a service manager's
  // stop while the database opens) waits for the start to finish and then closes everything, instead of
  // the default action ending the process with the embedded database open.
  let starting: Promise<RunningProximity> | undefined;
  let exiting = false;
  const shutdown = async (signal: string) => {
    if (exiting) return;
    exiting = true;
    log.info(`${signal} received, shutting down`);
    const force = setTimeout(() => {
      log.error("Shutdown took longer than 15 s; exiting anyway");
      process.exit(1);
    }, 15_000);
    force.unref();
    // A start that fails is reported by main's catch below, which exits with 1.
    const running = await starting?.catch(() => null);
    if (running === null) return;
    try {
      await running?.stop();
      await flushObservability();
    } finally {
      process.exit(0);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  // pglite.wasm compiles on a helper thread while the rest of the code loads (boot/server.ts and all it
  // imports, ~0.2 s), instead of after it: the database opens that much sooner.
  if (config.database.kind === "pglite") await compilePgliteAhead();
  const { startProximity } = await import("./boot/server.ts");
  if (exiting) return;
  starting = startProximity(config, { releaseStartupCode: true });
  await starting;
}

main().catch((err) => {
  log.error(`Proximity failed to start: ${err instanceof Error ? err.message : String(err)}`, { err });
  process.exit(1);
});
