/**
 * One page of a filtered, ordered table and the total the filter matches: every list endpoint's query
 * (apps, app logs, backups, jobs, users, audit). The two queries run together; the order must be total
 * (end with a unique column) so pages do not overlap.
 */
import { and, count, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./connect.ts";

export interface PageRequest {
  page: number;
  perPage: number;
}

export interface Page<Row> {
  items: Row[];
  total: number;
}

export async function selectPage<T extends PgTable>(
  db: Db,
  table: T,
  filters: SQL[],
  orderBy: (SQL | PgColumn)[],
  { page, perPage }: PageRequest,
): Promise<Page<T["$inferSelect"]>> {
  const where = filters.length ? and(...filters) : undefined;
  const [items, [total]] = await Promise.all([
    db
      .select()
      .from(table as PgTable)
      .where(where)
      .orderBy(...orderBy)
      .limit(perPage)
      .offset((page - 1) * perPage),
    db
      .select({ n: count() })
      .from(table as PgTable)
      .where(where),
  ]);
  return { items: items as T["$inferSelect"][], total: total?.n ?? 0 };
}
