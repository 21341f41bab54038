/**
 * The embedded database's memory diet.
 *
 * - PGlite's defaults are sized for a server (shared_buffers 128 MB): EMBEDDED_SETTINGS fits a small LXC.
 *   They are start-up parameters, not stored in the data directory, so older directories open unchanged.
 *   PGlite runs one backend: room for 100 connections, 10 WAL senders and 3 autovacuum workers (PGPROCs,
 *   lock table, per-backend arrays in shared memory) was 3 MB of 15 that the process touched for nothing.
 *   The lock table keeps 64 locks per backend slot, 448 in all; migrating an empty database from scratch
 *   in one transaction needs fewer than 112 (tested with 16 per slot).
 * - initdb (first start) grows the WASM heap to ~400 MB that a WebAssembly.Memory never gives back, so it
 *   runs in a short-lived child process (`proximity --init-embedded-db DIR`); the server then opens the
 *   ready directory like any other start.
 * - initdb.wasm is compiled only where initdb runs.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { runtime } from "../core/runtime/index.ts";
import { loadPgliteAssets } from "./pglite-assets.ts";

export const EMBEDDED_SETTINGS = [
  "shared_buffers = 8MB",
  "work_mem = 1MB",
  "maintenance_work_mem = 8MB",
  "wal_buffers = 256kB",
  "temp_buffers = 1MB",
  "max_connections = 5",
  "max_wal_senders = 0",
  "autovacuum_max_workers = 1",
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

export async function initInChildProcess(dataDir: string, timeoutMs: number): Promise<void> {
  // Where the runtime cannot start itself again (Deno), initdb runs here and its memory stays.
  if (!runtime.runSelf) return initDataDir(dataDir);
  // PGlite can spin instead of failing on a broken asset: the child is killed at the start-up limit.
  const { code, output } = await runtime.runSelf([INIT_EMBEDDED_DB_FLAG, dataDir], timeoutMs);
  if (code !== 0 || !isInitialised(dataDir)) {
    throw new Error(`Initialising the embedded database in ${dataDir} failed (exit ${code}): ${output}`);
  }
}
