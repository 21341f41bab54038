/**
 * One database per test process, shared by every test file (bun runs all files in one process): PGlite in
 * memory by default, or — when DATABASE_URL is a postgres:// URL — a schema of its own on that server, so
 * parallel runs never see each other. resetDatabase() empties every table between tests.
 */
import { sql } from "drizzle-orm";
import { connectDatabase, type Database } from "../../src/db/connect.ts";
import { migrate } from "../../src/db/migrate.ts";
import { rowsOf } from "../../src/db/rows.ts";
import { type ProxmoxHost, proxmoxHosts } from "../../src/db/schema.ts";

let shared: Promise<Database> | undefined;
let schemaName: string | undefined;

export const testDatabaseUrl = process.env.DATABASE_URL?.startsWith("postgres")
  ? process.env.DATABASE_URL
  : undefined;
export const onPostgres = testDatabaseUrl !== undefined;

export function getTestDatabase(): Promise<Database> {
  shared ??= (async () => {
    if (testDatabaseUrl) {
      schemaName = `test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      const admin = await connectDatabase({ kind: "postgres", url: testDatabaseUrl }, { maxConnections: 1 });
      await dropStaleSchemas(admin);
      await admin.db.execute(sql.raw(`create schema "${schemaName}"`));
      await admin.close();
      const db = await connectDatabase(
        { kind: "postgres", url: testDatabaseUrl },
        { searchPath: schemaName },
      );
      await migrate(db.db);
      return db;
    }
    const db = await connectDatabase({ kind: "pglite", dataDir: null });
    await migrate(db.db);
    return db;
  })();
  return shared;
}

export async function resetDatabase(): Promise<void> {
  const { db } = await getTestDatabase();
  const tables = rowsOf<{ tablename: string }>(
    await db.execute(
      sql`select tablename from pg_tables where schemaname = current_schema() and tablename <> 'proximity_migrations'`,
    ),
  );
  if (tables.length) {
    await db.execute(
      sql.raw(`truncate ${tables.map((t) => `"${t.tablename}"`).join(", ")} restart identity cascade`),
    );
  }
}

/** Called once after the whole run (tests/setup.ts): drops the PostgreSQL schema and closes the DB. */
export async function closeTestDatabase(): Promise<void> {
  if (!shared) return;
  const db = await shared;
  shared = undefined;
  if (testDatabaseUrl && schemaName) {
    await db.db.execute(sql.raw(`drop schema if exists "${schemaName}" cascade`)).catch(() => {});
  }
  await db.close().catch(() => {});
}

/** Schemas left by test processes that died before cleaning up (their pid is gone). */
async function dropStaleSchemas(admin: Database): Promise<void> {
  const rows = rowsOf<{ nspname: string }>(
    await admin.db.execute(sql`select nspname from pg_namespace where nspname like 'test\\_%'`),
  );
  for (const { nspname } of rows) {
    const pid = Number(nspname.split("_")[1]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {}
    if (!alive) await admin.db.execute(sql.raw(`drop schema if exists "${nspname}" cascade`));
  }
}

/**
 * The test database as a second instance reaches it: on PostgreSQL a connection pool of its own on the same
 * schema; on PGlite the same database (one process cannot open it twice). Close it when it is not `database`.
 */
export async function secondInstance(database: Database): Promise<Database> {
  if (!testDatabaseUrl) return database;
  const [{ schema }] = rowsOf<{ schema: string }>(
    await database.db.execute(sql`select current_schema() as schema`),
  ) as [{ schema: string }];
  return connectDatabase({ kind: "postgres", url: testDatabaseUrl }, { searchPath: schema });
}

/** A host row for apps to belong to, written directly: nothing talks to its address. */
export async function hostRow(db: Database["db"], name = "pve"): Promise<ProxmoxHost> {
  const [host] = await db
    .insert(proxmoxHosts)
    .values({ name, apiUrl: "https://127.0.0.1:1", authKind: "token" })
    .returning();
  return host!;
}
