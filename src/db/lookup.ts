/** Small reads shared by the services. */
import { inArray } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "./connect.ts";

/**
 * The `name` column of the rows whose `id` column is among `ids`, in one query (names shown beside the rows
 * that point at them); ids of deleted rows are absent from the map.
 */
export async function namesById(
  db: Db,
  id: PgColumn,
  name: PgColumn,
  ids: string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id, name })
    .from(id.table)
    .where(inArray(id, [...new Set(ids)]));
  return new Map(rows.map((r) => [String(r.id), String(r.name)]));
}
