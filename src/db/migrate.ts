/**
 * Applies the embedded migrations. Everything runs in one transaction that first takes a PostgreSQL
 * advisory lock, so two instances starting together on one database serialise: the second waits, then
 * sees the migrations already applied. DDL is transactional in PostgreSQL, so a failure leaves nothing half-done.
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "./connect.ts";
import { migrations as embedded, type Migration } from "./migrations.ts";
import { rowsOf } from "./rows.ts";

/** Arbitrary constant key for pg_advisory_xact_lock: "prox" + "migr". */
const MIGRATION_LOCK_KEY = 0x70726f78_6d696772n;

export interface MigrationResult {
  applied: string[];
  total: number;
}

export async function migrate(db: Db, migrations: Migration[] = embedded): Promise<MigrationResult> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`);
    await tx.execute(sql`
      create table if not exists proximity_migrations (
        tag text primary key,
        hash text not null,
        applied_at timestamptz not null default now()
      )`);
    const rows = await tx.execute<{ tag: string; hash: string }>(
      sql`select tag, hash from proximity_migrations`,
    );
    const done = new Map(rowsOf<{ tag: string; hash: string }>(rows).map((r) => [r.tag, r.hash]));
    const applied: string[] = [];
    for (const m of migrations) {
      const hash = createHash("sha256").update(m.sql).digest("hex");
      const seen = done.get(m.tag);
      if (seen !== undefined) {
        if (seen !== hash)
          throw new Error(`Migration ${m.tag} was changed after it was applied (hash mismatch)`);
        continue;
      }
      for (const statement of m.sql.split("--> statement-breakpoint")) {
        // drizzle-kit qualifies references with "public"; drop it so the schema on the search_path is used
        // (tests run each process in a schema of its own on the shared PostgreSQL).
        if (statement.trim()) await tx.execute(sql.raw(statement.replaceAll('"public".', "")));
      }
      await tx.execute(sql`insert into proximity_migrations (tag, hash) values (${m.tag}, ${hash})`);
      applied.push(m.tag);
    }
    return { applied, total: migrations.length };
  });
}

/** True when every embedded migration is recorded (used by /ready). */
export async function migrationsApplied(db: Db): Promise<boolean> {
  try {
    const rows = rowsOf<{ tag: string }>(await db.execute(sql`select tag from proximity_migrations`));
    const tags = new Set(rows.map((r) => r.tag));
    return embedded.every((m) => tags.has(m.tag));
  } catch {
    return false;
  }
}
