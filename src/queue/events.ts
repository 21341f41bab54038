/**
 * Fan-out of job and app events to every SSE client of every instance. On PostgreSQL: LISTEN/NOTIFY, so two
 * Proximity instances sharing one database both see everything. On PGlite (one process by construction):
 * an in-process emitter.
 */
import { EventEmitter } from "node:events";
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
  | { type: "app.status"; app_id: string; status: string; reason?: string | null };

export interface EventBus {
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
/** NOTIFY payloads are limited to 8000 bytes; log lines are cut well below that. */
const MAX_MESSAGE = 2000;

function clip(event: ProximityEvent): ProximityEvent {
  return event.type === "job.log" && event.message.length > MAX_MESSAGE
    ? { ...event, message: `${event.message.slice(0, MAX_MESSAGE)}…` }
    : event;
}

/** One emitter per embedded database: every bus on it (one process) shares it. */
const emitters = new WeakMap<object, EventEmitter>();

class LocalEventBus implements EventBus {
  private readonly emitter: EventEmitter;
  private readonly listeners = new Set<(event: ProximityEvent) => void>();

  constructor(scope: object = {}) {
    let emitter = emitters.get(scope);
    if (!emitter) {
      emitter = new EventEmitter().setMaxListeners(0);
      emitters.set(scope, emitter);
    }
    this.emitter = emitter;
  }

  async publish(event: ProximityEvent): Promise<void> {
    this.emitter.emit("event", clip(event));
  }

  subscribe(listener: (event: ProximityEvent) => void): () => void {
    this.emitter.on("event", listener);
    this.listeners.add(listener);
    return () => {
      this.emitter.off("event", listener);
      this.listeners.delete(listener);
    };
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    for (const l of this.listeners) this.emitter.off("event", l);
    this.listeners.clear();
  }
}

class PostgresEventBus implements EventBus {
  private readonly local = new LocalEventBus();
  private listening: Promise<{ unlisten(): Promise<void> }> | undefined;

  constructor(private readonly sql: Extract<Database["raw"], { kind: "postgres" }>["sql"]) {}

  async publish(event: ProximityEvent, tx?: Db): Promise<void> {
    const payload = JSON.stringify(clip(event));
    if (tx) await tx.execute(sql`select pg_notify(${CHANNEL}, ${payload})`);
    else await this.sql`select pg_notify(${CHANNEL}, ${payload})`;
  }

  subscribe(listener: (event: ProximityEvent) => void): () => void {
    this.listen();
    return this.local.subscribe(listener);
  }

  private listen() {
    this.listening ??= this.sql.listen(CHANNEL, (payload) => {
      try {
        void this.local.publish(JSON.parse(payload) as ProximityEvent);
      } catch {
        // A malformed payload from some other writer on the channel: ignore it.
      }
    });
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
    : new LocalEventBus(database.raw.client);
}
