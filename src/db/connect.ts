/**
 * Opens the database named by the config: the embedded PGlite (on disk or in memory) or PostgreSQL through
 * postgres.js. Both are driven through the same Drizzle pg-core API, so the rest of the code never knows.
 */
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import type postgres from "postgres";
import type { Config } from "../core/config.ts";
import { log } from "../core/log.ts";
import { instrumentPglite, instrumentPostgres } from "../observability/db.ts";
import { loadPgliteAssets } from "./pglite-assets.ts";
import { type TrimmableBundle, trimmableBundle } from "./pglite-bundle.ts";
import { unpackImage } from "./pglite-image.ts";
import { EMBEDDED_SETTINGS, initInChildProcess, isInitialised } from "./pglite-init.ts";
import { wasmMemoryHandle } from "./pglite-memory.ts";
import * as schema from "./schema.ts";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type RawClient = { kind: "pglite"; client: PGlite } | { kind: "postgres"; sql: postgres.Sql };

export interface Database {
  db: Db;
  raw: RawClient;
  /** "pglite" or "postgresql": what the Sentry database context reports; never the URL. */
  scheme: "pglite" | "postgresql";
  /** A PGlite data directory made by this connection: unpacked from the shipped image, or by initdb. */
  created?: "image" | "initdb";
  /**
   * PGlite: gives back the pages of its memory that PostgreSQL zero-filled and has not used (the buffer
   * pool's free part, src/db/pglite-memory.ts); the bytes given back. Absent on PostgreSQL.
   */
  discardZeroPages?(): number;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** PostgreSQL only: schema to use as search_path (tests isolate each run in its own schema). */
  searchPath?: string;
  /** Max pool size for postgres.js. */
  maxConnections?: number;
  /** PGlite start-up limit; PGlite can spin forever on a broken asset instead of failing. */
  startupTimeoutMs?: number;
  /**
   * PGlite on disk: run initdb of a new data directory in a child process (default true), so the memory
   * initdb takes is returned when the child exits. Tests that open directories in-process may turn it off.
   */
  initInChild?: boolean;
  /**
   * PGlite on disk: the image a new data directory is unpacked from (src/db/pglite-image.ts); default the
   * one shipped with the code, `null` for initdb.
   */
  image?: Uint8Array | null;
}

export async function connectDatabase(
  database: Config["database"],
  options: ConnectOptions = {},
): Promise<Database> {
  if (database.kind === "postgres") return await connectPostgres(database.url, options);
  return connectPglite(database.dataDir, {
    startupTimeoutMs: options.startupTimeoutMs ?? 120_000,
    initInChild: options.initInChild ?? true,
    image: options.image,
  });
}

async function connectPostgres(url: string, options: ConnectOptions): Promise<Database> {
  // Loaded only here: a server on the embedded database never needs the network driver (~1 MB of resident
  // code at idle, docs/performance.md, "Ninth round").
  const [{ default: postgres }, { drizzle: drizzlePostgres }] = await Promise.all([
    import("postgres"),
    import("drizzle-orm/postgres-js"),
  ]);
  // Query breadcrumbs and counters for the Sentry layer (the same client when Sentry is off).
  const sql = instrumentPostgres(
    postgres(url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      ...(options.searchPath ? { connection: { search_path: options.searchPath } } : {}),
    }),
  );
  const db: Db = drizzlePostgres({ client: sql, schema });
  return {
    db,
    raw: { kind: "postgres", sql },
    scheme: "postgresql",
    ping: async () => {
      await sql`select 1`;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

async function connectPglite(
  dataDir: string | null,
  options: { startupTimeoutMs: number; initInChild: boolean; image: Uint8Array | null | undefined },
): Promise<Database> {
  const { startupTimeoutMs, initInChild } = options;
  const releaseLock = dataDir ? lockDataDir(dataDir) : () => {};
  try {
    const initdb = async (dir: string) => {
      // initdb has a limit of its own: on a busy machine it alone can take most of the start-up limit.
      if (initInChild) await initInChildProcess(dir, startupTimeoutMs);
    };
    let created: Database["created"];
    if (dataDir && !isInitialised(dataDir)) {
      const unpacked =
        options.image !== null &&
        (await unpackImage(dataDir, options.image).catch((err) => {
          log.warn("The embedded database's image could not be unpacked; running initdb instead", { err });
          return false;
        }));
      created = unpacked ? "image" : "initdb";
      if (!unpacked) await initdb(dataDir);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const memory = wasmMemoryHandle();
    const open = async () => {
      const assets = await loadPgliteAssets({ initdb: !dataDir || !isInitialised(dataDir) });
      const bundle = await trimmableBundle(assets.fsBundle);
      const client = await PGlite.create(dataDir ?? "memory://", {
        ...assets,
        fsBundle: bundle.fsBundle,
        extensions: { bundleTrim: bundle.extension, wasmMemory: memory.extension },
        postgresqlconf: EMBEDDED_SETTINGS,
      });
      trimBundle(bundle);
      return client;
    };
    const openOrInit = async () => {
      if (created !== "image" || !dataDir) return open();
      // An image from another PGlite build may not open: the directory it left goes, initdb makes a new one.
      return open().catch(async (err) => {
        log.warn("The embedded database unpacked from the image did not open; running initdb instead", {
          err,
        });
        rmSync(dataDir, { recursive: true, force: true });
        created = "initdb";
        await initdb(dataDir);
        return open();
      });
    };
    const client = await Promise.race([
      openOrInit(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`The embedded database did not start within ${startupTimeoutMs / 1000}s`)),
          startupTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    if (dataDir) restrictToOwner(dataDir);
    instrumentPglite(client);
    const db: Db = drizzlePglite({ client, schema });
    let closed = false;
    return {
      db,
      raw: { kind: "pglite", client },
      scheme: "pglite",
      ...(created ? { created } : {}),
      discardZeroPages: memory.discardZeroPages,
      ping: async () => {
        await client.query("select 1");
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await client.close();
        // Files PGlite created while running (WAL segments …) are 0666 as well; the 0700 directory kept
        // others out meanwhile.
        if (dataDir) restrictToOwner(dataDir);
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * Frees the bundle's buffer (src/db/pglite-bundle.ts). Should a PGlite release change how it loads the bundle,
 * the database still works as it is, at 6 MB more: the trim only frees the buffer after a complete walk.
 */
function trimBundle(bundle: TrimmableBundle): void {
  try {
    const report = bundle.trim();
    log.debug("The embedded database's file bundle was trimmed", { ...report });
  } catch (err) {
    log.warn("The embedded database's file bundle could not be trimmed; it stays in memory", { err });
  }
}

/**
 * PGlite's file system layer sets 0666 on the files it writes whatever the process umask, so the cluster
 * (password hashes in the heap and the WAL) would be world-readable. Takes group and other bits off every
 * entry below `dir` (docs/security.md: "Data at rest").
 */
export function restrictToOwner(dir: string): void {
  const stack = [dir];
  while (stack.length) {
    const path = stack.pop()!;
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) continue;
    if (st.mode & 0o077) chmodSync(path, st.mode & 0o700);
    if (st.isDirectory()) for (const name of readdirSync(path)) stack.push(join(path, name));
  }
}

/**
 * One PGlite data directory must be opened by one process at a time. A lock file holding our pid guards it;
 * a lock left by a process that no longer exists (kill -9) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = join(dirname(dataDir), `${dataDir.split("/").pop()}.lock`);
  mkdirSync(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new Error(
          `The embedded database in ${dataDir} is in use by another Proximity process (pid ${pid}). Stop it first.`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock the embedded database directory ${dataDir}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
