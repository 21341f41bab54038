/**
 * A prepared select whose rows are the driver's own objects. postgres.js and PGlite build each row as an
 * object keyed by the names in the select list; with every field aliased to its key, that object is the row,
 * and Drizzle's per-row mapping (`mapResultRow`: generic checks on every field of every row) is skipped.
 * For a hot list this is the difference between 50 × 29 mapped fields per request and none
 * (docs/performance.md, fifth round).
 *
 * Values arrive as the driver parses them: text, numbers, booleans, jsonb as objects. Timestamps are left
 * as the database's text under Drizzle (both drivers are told not to parse them), so a row that needs one
 * selects it with `isoText` (src/db/timestamps.ts).
 */
import { type Column, type SQL, sql } from "drizzle-orm";
import type { SelectResultFields } from "drizzle-orm/query-builders/select.types";

type Fields = Record<string, Column | SQL>;
type Aliased<F extends Fields> = { [K in keyof F]: SQL.Aliased<SelectResultFields<F>[K]> };

/**
 * `build` gets the fields aliased to their keys and returns the select to prepare (it must select exactly
 * those); the function returned runs the statement with the placeholders' values.
 */
export function preparedDriverRows<F extends Fields>(
  fields: F,
  build: (aliased: Aliased<F>) => { prepare(name: string): unknown },
  name: string,
): (values: Record<string, unknown>) => Promise<SelectResultFields<F>[]> {
  const aliased = Object.fromEntries(
    Object.entries(fields).map(([key, field]) => [key, sql`${field}`.as(key)]),
  ) as Aliased<F>;
  const prepared = build(aliased).prepare(name) as {
    all?: (values: Record<string, unknown>) => Promise<SelectResultFields<F>[]>;
  };
  // `all()` is the prepared query's unmapped run in both Drizzle drivers used here (postgres-js, pglite),
  // though not in its declared type: without it (a Drizzle upgrade) the list fails, it never guesses.
  const all = prepared.all;
  if (typeof all !== "function") throw new Error(`Drizzle's prepared query ${name} has no all()`);
  return (values) => all.call(prepared, values);
}
