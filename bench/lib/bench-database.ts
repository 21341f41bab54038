/**
 * What the PostgreSQL benches (bench/http.ts, bench/scale.ts) share: a database of their own next to
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropped first and made again;
 * Proximity over it in production mode with the bench user signed up; and apps seeded with SQL.
 */
import postgres from "postgres";
import type { ProximityProcess } from "../../tests/helpers/process.ts";
import { type BenchUser, signUpBenchUser } from "./bench-user.ts";
import { spawnQuiet } from "./spawn-quiet.ts";

export interface BenchDatabase {
  url: string;
  sql: postgres.Sql;
}

export async function freshBenchDatabase(name: string): Promise<BenchDatabase> {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = baseUrl.replace(/\/[^/]*$/, `/${name}`);
  return { url, sql: postgres(url, { max: 2, onnotice: () => {} }) };
}

/** Proximity on the bench database, as in production (no Sentry), and the bench user. */
export async function proximityOn(
  db: BenchDatabase,
  dataDir: string,
): Promise<{ proximity: ProximityProcess; user: BenchUser }> {
  const proximity = await spawnQuiet({
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    PROXIMITY_SECRET_KEY: "bench-secret-key-0123456789abcdef0123456789",
    NODE_ENV: "production",
    SENTRY_DSN: "",
  });
  try {
    return { proximity, user: await signUpBenchUser(proximity.url) };
  } catch (e) {
    await proximity.stop();
    throw e;
  }
}

/** A host that does not answer, for the seeded apps to be on. */
export async function unreachableHost(sql: postgres.Sql): Promise<string> {
  const [host] = await sql`
    insert into proxmox_hosts (name, api_url, auth_kind) values ('bench', 'https://127.0.0.1:1', 'token')
    returning id`;
  return host!.id as string;
}

/**
 * Apps up to `upTo` in all (vmids from 1001 on, one second apart), on `hostId`. Their statuses are ones the
 * periodic reconcile leaves alone (unknown, error), so it does not rewrite them all in the middle of a
 * measurement. How many there were before.
 */
export async function seedApps(
  sql: postgres.Sql,
  ownerId: string,
  hostId: string,
  upTo: number,
): Promise<number> {
  const [{ n }] = (await sql`select count(*)::int as n from applications`) as unknown as [{ n: number }];
  if (n >= upTo) return n;
  await sql`
    insert into applications (owner_id, host_id, node, vmid, catalog_id, catalog_version, name, hostname,
                              status, resources, environment, created_at)
    select ${ownerId}, ${hostId}, 'pve', 1000 + i, 'nginx', '1.0.0', 'app ' || i, 'app-' || i,
           (array['unknown','error'])[1 + i % 2], '{"cores":1,"memory_mb":512,"disk_gb":4}'::jsonb,
           '{}'::jsonb, now() - i * interval '1 second'
    from generate_series(${n + 1}::int, ${upTo}::int) as i`;
  return n;
}
