/**
 * The ceilings bench/http.ts compares Proximity with: the least code that does the same work on the same
 * runtime. `bare`: a Hono JSON handler. `pg`: Hono + postgres.js doing the same SQL as Proximity's route
 * (one user row by id; a page of apps plus its count), with nothing else — no auth, validation or logging.
 *
 *   DATABASE_URL=... PORT=0 bun bench/lib/ceiling-server.ts bare|pg
 */
import { Hono } from "hono";
import postgres from "postgres";

const mode = process.argv[2] ?? "bare";
const app = new Hono();

app.get("/health", (c) => c.json({ status: "ok" }));

if (mode === "pg") {
  const sql = postgres(process.env.DATABASE_URL ?? "", { max: 10 });
  const userId = process.env.BENCH_USER_ID ?? "";
  app.get("/me", async (c) => {
    const [u] = await sql`select * from users where id = ${userId}`;
    return c.json({ user: u });
  });
  app.get("/apps", async (c) => {
    const perPage = Number(c.req.query("per_page") ?? 50);
    const [items, [total]] = await Promise.all([
      sql`select * from applications order by created_at desc, hostname asc limit ${perPage} offset 0`,
      sql`select count(*)::int as n from applications`,
    ]);
    return c.json({ items, total: total?.n ?? 0 });
  });
}

const server = Bun.serve({ port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1", fetch: app.fetch });
console.log(`listening on http://127.0.0.1:${server.port}`);
