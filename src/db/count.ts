/**
 * Totals for paged lists without counting a large table on every page. Rows are counted exactly up to
 * COUNT_CAP (a bounded index scan); past that, the planner's row estimate for the same filter stands in,
 * and the caller says so in the response (`total_is_estimate`).
 */
import { count, type SQL, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./connect.ts";
import { rowsOf } from "./migrate.ts";

export const COUNT_CAP = 10_000;

export interface ListTotal {
  total: number;
  estimated: boolean;
}

export async function cappedCount(db: Db, table: PgTable, where: SQL | undefined): Promise<ListTotal> {
  const capped = db
    .select({ one: sql`1`.as("one") })
    .from(table)
    .where(where)
    .limit(COUNT_CAP + 1)
    .as("capped");
  const [row] = await db.select({ n: count() }).from(capped);
  const n = row?.n ?? 0;
  if (n <= COUNT_CAP) return { total: n, estimated: false };
  const plan = rowsOf<{ "QUERY PLAN": unknown }>(
    await db.execute(sql`explain (format json) ${db.select({ one: sql`1` }).from(table).where(where)}`),
  )[0]?.["QUERY PLAN"];
  const parsed = (typeof plan === "string" ? JSON.parse(plan) : plan) as [{ Plan: { "Plan Rows": number } }];
  const estimate = Math.round(parsed?.[0]?.Plan?.["Plan Rows"] ?? 0);
  // The estimate can lag behind reality; it is never reported below what was just counted.
  return { total: Math.max(estimate, n), estimated: true };
}
