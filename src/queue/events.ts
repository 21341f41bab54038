/**
 * Fan-out of job and app events to every SSE client of every instance. On PostgreSQL: LISTEN/NOTIFY, so two
 * Proximity instances sharing one database both see everything. On PGlite (one process by construction):
 * an in-process emitter, plus LISTEN on the database for the events its triggers send (auth.changed).
 */
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { log } from "../core/log.ts";
import type { Database, Db } from "../db/connect.ts";

export type ProximityEvent =
  | {
      type: "job.status";
      job_id: string;
      app_id: string | null;
      kind: string;
      status: string;
      error?: string | null;
    }
  | {
      type: "job.progress";
      job_id: string;
      app_id: string | null;
      kind: string;
      step: string;
      step_index: number;
      total_steps: number;
    }
  | {
      type: "job.log";
      job_id: string;
      app_id: string | null;
      level: "info" | "warn" | "error";
      message: string;
    }
  | { type: "app.status"; app_id: string; status: string; reason?: string | null }
  /**
   * A user row changed or one of the user's sessions ended (sent by the database's triggers at commit,
   * drizzle/0011_session_notify.sql); `user_id: null` when events may have been missed (the LISTEN
   * connection came back): every cached session goes (features/auth/session-cache.ts).
   */
  | { type: "auth.changed"; user_id: string | null };

export interface EventBus {
  /**
   * Every event that matters reaches this process's subscribers: true on the embedded database (one process
   * publishes everything it hears), false on PostgreSQL, where a broken LISTEN connection loses what was sent
   * meanwhile. Polls that only guard against a missed event can sleep much longer on a lossless bus.
   */
  readonly lossless: boolean;
  /**
   * Publishes an event. Given a transaction, on PostgreSQL the NOTIFY goes through it: it is delivered at
   * commit (never for a rolled-back change) and takes no second pooled connection while the first is held.
   */
  publish(event: ProximityEvent, tx?: Db): Promise<void>;
  subscribe(listener: (event: ProximityEvent) => void): () => void;
  /** Resolves once events from other instances are being received (LISTEN is active on PostgreSQL). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = "proximity_events";

/**
 * The channel of the schema the connection works in. NOTIFY channels are per database, not per schema, so
 * two installations (or test runs) sharing a database in different schemas would hear each other's events:
 * `public` keeps the plain name, any other schema gets its own (a hash keeps it under PostgreSQL's 63-byte
 * limit). The database's triggers compute the same name (drizzle/0014_event_channel_per_schema.sql).
 */
export function channelFor(schema: string): string {
  if (schema === "public") return CHANNEL;
  return `${CHANNEL}_${createHash("md5").update(schema).digest("hex").slice(0, 16)}`;
}
/** NOTIFY payloads are limited to 8000 bytes; log lines are cut well below that. */
const MAX_MESSAGE = 2000;

function clip(event: ProximityEvent): ProximityEvent {
  return event.type === "job.log" && event.message.length > MAX_MESSAGE
    ? { ...event, message: `${event.message.slice(0, MAX_MESSAGE)}…` }
    : event;
}

/** One emitter per embedded database: every bus on it (one process) shares it. */
const emitters = new WeakMap<object, EventEmitter>();
/** The embedded database's LISTEN, once per database, feeding its emitter. */
const databaseListens = new WeakMap<object, Promise<unknown>>();

function parseEvent(payload: string): ProximityEvent | undefined {
  try {
    return JSON.parse(payload) as ProximityEvent;
  } catch {
    return undefined; // a malformed payload from some other writer on the channel
  }
}

class LocalEventBus implements EventBus {
  readonly lossless = true;
  private readonly emitter: EventEmitter;
  private readonly listeners = new Set<(event: ProximityEvent) => void>();

  constructor(
    private readonly scope: object = {},
    private readonly pglite?: PGlite,
  ) {
    let emitter = emitters.get(scope);
    if (!emitter) {
      emitter = new EventEmitter().setMaxListeners(0);
      emitters.set(scope, emitter);
    }
    this.emitter = emitter;
  }

  private listenToDatabase(): Promise<unknown> {
    const { pglite } = this;
    if (!pglite || pglite.closed) return Promise.resolve();
    let listening = databaseListens.get(this.scope);
    if (!listening) {
      const emitter = this.emitter;
      listening = pglite
        .listen(CHANNEL, (payload) => {
          const event = parseEvent(payload);
          if (event) emitter.emit("event", event);
        })
        .catch((err: unknown) => log.warn("Event bus: LISTEN on the embedded database failed", { err }));
      databaseListens.set(this.scope, listening);
    }
    return listening;
  }

  async publish(event: ProximityEvent): Promise<void> {
    this.emitter.emit("event", clip(event));
  }

  subscribe(listener: (event: ProximityEvent) => void): () => void {
    void this.listenToDatabase();
    this.emitter.on("event", listener);
    this.listeners.add(listener);
    return () => {
      this.emitter.off("event", listener);
      this.listeners.delete(listener);
    };
  }

  async ready(): Promise<void> {
    await this.listenToDatabase();
  }

  async close(): Promise<void> {
    for (const l of this.listeners) this.emitter.off("event", l);
    this.listeners.clear();
  }
}

class PostgresEventBus implements EventBus {
  readonly lossless = false;
  private readonly local = new LocalEventBus();
  private listening: Promise<{ unlisten(): Promise<void> }> | undefined;
  private channelName: Promise<string> | undefined;
  private listenedBefore = false;

  constructor(private readonly sql: Extract<Database["raw"], { kind: "postgres" }>["sql"]) {}

  async publish(event: ProximityEvent, tx?: Db): Promise<void> {
    const payload = JSON.stringify(clip(event));
    const channel = await this.channel();
    if (tx) await tx.execute(sql`select pg_notify(${channel}, ${payload})`);
    else await this.sql`select pg_notify(${channel}, ${payload})`;
  }

  /** This schema's channel (see channelFor), asked of the server once. */
  private channel(): Promise<string> {
    this.channelName ??= this.sql<{ schema: string }[]>`select current_schema() as schema`.then(([row]) =>
      channelFor(row?.schema ?? "public"),
    );
    return this.channelName;
  }

  subscribe(listener: (event: ProximityEvent) => void): () => void {
    this.listen();
    return this.local.subscribe(listener);
  }

  private listen() {
    this.listening ??= this.channel().then((channel) =>
      this.sql.listen(
        channel,
        (payload) => {
          const event = parseEvent(payload);
          if (event) void this.local.publish(event);
        },
        // Called on every (re)connection of the LISTEN: whatever was sent meanwhile is lost, so caches of
        // what the channel invalidates start over.
        () => {
          // The first call is the LISTEN starting: nothing can have been missed yet.
          if (this.listenedBefore) void this.local.publish({ type: "auth.changed", user_id: null });
          this.listenedBefore = true;
        },
      ),
    );
    return this.listening;
  }

  async ready(): Promise<void> {
    await this.listen();
  }

  async close(): Promise<void> {
    const l = await this.listening?.catch(() => undefined);
    await l?.unlisten().catch((err: unknown) => log.warn("Event bus: UNLISTEN at close failed", { err }));
    await this.local.close();
  }
}

export function createEventBus(database: Database): EventBus {
  return database.raw.kind === "postgres"
    ? new PostgresEventBus(database.raw.sql)
    : new LocalEventBus(database.raw.client, database.raw.client);
}
