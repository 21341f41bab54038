/**
 * The embedded database's memory diet.
 *
 * - PGlite's defaults are sized for a server (shared_buffers 128 MB): EMBEDDED_SETTINGS fits a small LXC.
 *   They are start-up parameters, not stored in the data directory, so older directories open unchanged.
 * - initdb (first start) grows the WASM heap to ~400 MB that a WebAssembly.Memory never gives back, so it
 *   runs in a short-lived child process (`proximity --init-embedded-db DIR`); the server then opens the
 *   ready directory like any other start.
 * - initdb.wasm is compiled only where initdb runs.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { loadPgliteAssets } from "./pglite-assets.ts";

export const EMBEDDED_SETTINGS = [
  "shared_buffers = 8MB",
  "work_mem = 1MB",
  "maintenance_work_mem = 8MB",
  "wal_buffers = 256kB",
  "temp_buffers = 1MB",
];

/** The command-line switch index.ts answers by initialising a data directory and exiting. */
export const INIT_EMBEDDED_DB_FLAG = "--init-embedded-db";

export function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, "PG_VERSION"));
}

/** Runs initdb in this process (the child's side of initInChildProcess). */
export async function initDataDir(dataDir: string): Promise<void> {
  const db = await PGlite.create(dataDir, {
    ...(await loadPgliteAssets({ initdb: true })),
    postgresqlconf: EMBEDDED_SETTINGS,
  });
  await db.query("select 1");
  await db.close();
}

/** How to start this program again: the compiled binary itself, or bun with the entry point. */
function selfCommand(): string[] {
  const compiled = import.meta.url.includes("$bunfs") || Bun.main.includes("$bunfs");
  return compiled ? [process.execPath] : [process.execPath, join(import.meta.dir, "..", "index.ts")];
}

export async function initInChildProcess(dataDir: string, timeoutMs: number): Promise<void> {
  const child = Bun.spawn([...selfCommand(), INIT_EMBEDDED_DB_FLAG, dataDir], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  // PGlite can spin instead of failing on a broken asset: the child is killed at the start-up limit.
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code, out, err] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]).finally(() => clearTimeout(timer));
  if (code !== 0 || !isInitialised(dataDir)) {
    throw new Error(
      `Initialising the embedded database in ${dataDir} failed (exit ${code}): ${(err || out).trim()}`,
    );
  }
}
