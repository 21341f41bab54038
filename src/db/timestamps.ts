/**
 * A `timestamptz` as the text `Date.prototype.toISOString()` gives (`2026-12-07T11:13:49.804Z`: UTC,
 * milliseconds truncated), made by the database. A list that answers timestamps selects them this way and
 * skips the `Date` each row would otherwise go through (text → Date → text). `to_char`'s `MS` truncates the
 * microseconds as the `Date` parse does: tests/db/api/apps-list.test.ts holds the app list to the answer of
 * one app, which goes through the `Date`.
 */
import { type AnyColumn, type SQL, sql } from "drizzle-orm";

export function isoText<C extends AnyColumn>(
  column: C,
): SQL<C["_"]["notNull"] extends true ? string : string | null> {
  return sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
