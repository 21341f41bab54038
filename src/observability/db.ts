/**
 * Query breadcrumbs and counters for both drivers. They are recorded in the awaiting (request or job)
 * context: a Drizzle logger runs before the query (no duration, rows or error) and driver socket callbacks
 * run outside the request, so we wrap the calls Drizzle makes. Without SENTRY_DSN the
 * clients are returned untouched.
 */
import type { PGlite, Transaction } from "@electric-sql/pglite";
import type postgres from "postgres";
import { currentStats } from "./perf.ts";
import { state } from "./state.ts";
import { addUnitCrumb, currentUnit } from "./unit.ts";

const MAX_STATEMENT = 300;
/** Statement texts already normalised: Drizzle sends the same few hundred strings over and over. */
const STATEMENT_CACHE_MAX = 1000;
const statementCache = new Map<string, string>();

function statementText(query: string): string {
  const cached = statementCache.get(query);
  if (cached !== undefined) return cached;
  const s = query.replace(/\s+/g, " ").trim();
  const text = s.length > MAX_STATEMENT ? `${s.slice(0, MAX_STATEMENT)}…` : s;
  if (query.length <= 4096) {
    if (statementCache.size >= STATEMENT_CACHE_MAX) statementCache.clear();
    statementCache.set(query, text);
  }
  return text;
}

/** One finished query: counters plus a `db.query` breadcrumb (statement only, never parameters). */
export function recordQuery(query: string, durationMs: number, rows?: number, errorCode?: string): void {
  const unit = currentUnit();
  if (!unit) return;
  unit.stats.db_calls++;
  unit.stats.db_ms += durationMs;
  // Built whole (no undefined fields), so it goes straight to the unit: one or more per request.
  const data: Record<string, number | string> = { duration_ms: Math.round(durationMs * 10) / 10 };
  if (rows !== undefined) data.rows = rows;
  if (errorCode !== undefined) data.code = errorCode;
  addUnitCrumb(unit, {
    category: "db.query",
    message: statementText(query),
    level: errorCode !== undefined ? "error" : "info",
    type: "query",
    data,
  });
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "unknown";
}

type Then = (onOk?: (v: unknown) => unknown, onErr?: (e: unknown) => unknown) => Promise<unknown>;

/** postgres.js: wraps `unsafe` (every Drizzle query) and `begin` (transactions). */
export function instrumentPostgres<T extends postgres.Sql>(sql: T): T {
  if (!state.enabled) return sql;
  return new Proxy(sql, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "begin" && typeof value === "function") {
        return (...args: unknown[]) => {
          const cb = args.pop() as (tx: postgres.Sql) => unknown;
          return value.call(target, ...args, (tx: postgres.Sql) => cb(instrumentPostgres(tx)));
        };
      }
      if (prop !== "unsafe" || typeof value !== "function") return value;
      return (query: string, ...rest: unknown[]) => {
        const q = value.call(target, query, ...rest) as { then: Then };
        const originalThen = q.then;
        let started = 0;
        let done = false;
        // .then may run more than once (await, catch, finally): record once, timed from the first.
        // biome-ignore lint/suspicious/noThenProperty: postgres.js queries are lazy thenables; this is the hook.
        q.then = function (this: unknown, onOk, onErr) {
          started ||= performance.now();
          const finish = (rows?: number, code?: string) => {
            if (done) return;
            done = true;
            recordQuery(query, performance.now() - started, rows, code);
          };
          return originalThen.call(
            this,
            (v: unknown) => {
              const count = (v as { count?: unknown } | null)?.count;
              finish(typeof count === "number" ? count : undefined);
              return onOk ? onOk(v) : v;
            },
            (e: unknown) => {
              finish(undefined, codeOf(e));
              if (onErr) return onErr(e);
              throw e;
            },
          );
        };
        return q;
      };
    },
  });
}

interface QueryResultLike {
  rows?: unknown[];
  affectedRows?: number;
}

function timedQuery<A extends unknown[], R>(
  fn: (query: string, ...rest: A) => Promise<R>,
): (query: string, ...rest: A) => Promise<R> {
  // Callbacks rather than an async wrapper: one promise fewer per query, in every request.
  return (query, ...rest) => {
    if (!currentStats()) return fn(query, ...rest);
    const started = performance.now();
    return fn(query, ...rest).then(
      (result) => {
        const r = result as QueryResultLike;
        recordQuery(query, performance.now() - started, r?.rows?.length ?? r?.affectedRows);
        return result;
      },
      (err: unknown) => {
        recordQuery(query, performance.now() - started, undefined, codeOf(err));
        throw err;
      },
    );
  };
}

/** PGlite: wraps query/exec on the instance and inside transactions (methods stay bound to the client). */
export function instrumentPglite(client: PGlite): PGlite {
  if (!state.enabled) return client;
  const query = client.query.bind(client);
  const exec = client.exec.bind(client);
  const transaction = client.transaction.bind(client);
  Object.assign(client, {
    query: timedQuery(query),
    exec: timedQuery(exec),
    transaction: <T>(cb: (tx: Transaction) => Promise<T>) =>
      transaction((tx) => {
        const txQuery = tx.query.bind(tx);
        const txExec = tx.exec.bind(tx);
        return cb(Object.assign(tx, { query: timedQuery(txQuery), exec: timedQuery(txExec) }));
      }),
  });
  return client;
}
