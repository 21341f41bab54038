/** List totals: exact up to COUNT_CAP, then the planner's estimate, flagged as such. */
import { beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { COUNT_CAP, cappedCount } from "../../src/db/count.ts";
import { jobs } from "../../src/db/schema.ts";
import { getTestDatabase, resetDatabase } from "../helpers/db.ts";

beforeAll(async () => {
  await resetDatabase();
  const { db } = await getTestDatabase();
  await db.execute(
    sql`insert into jobs (kind) select case when i <= 30 then 'rare' else 'common' end from generate_series(1, ${COUNT_CAP + 500}) as i`,
  );
  await db.execute(sql`analyze jobs`);
});

describe("cappedCount", () => {
  test("a filter matching few rows is counted exactly", async () => {
    const { db } = await getTestDatabase();
    expect(await cappedCount(db, jobs, eq(jobs.kind, "rare"))).toEqual({ total: 30, estimated: false });
  });

  test("past the cap the total is an estimate, said so, and never below what was counted", async () => {
    const { db } = await getTestDatabase();
    const result = await cappedCount(db, jobs, undefined);
    expect(result.estimated).toBe(true);
    expect(result.total).toBeGreaterThan(COUNT_CAP);
  });
});
