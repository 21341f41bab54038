/**
 * Server-sent event streams, for the API (`GET /apps/{id}/events`) and the web interface's live pages
 * alike: one keep-alive and idle policy, one delivery loop (docs/security.md: "Event streams").
 *
 * - Keep-alive: a comment goes out whenever nothing else was written for `keepAliveMs`, which keeps
 *   proxies from closing a stream that is silent for minutes (an app's often is).
 * - Idle: Bun.serve closes a request idle for its `idleTimeout` (10 s by default); each stream raises that
 *   limit for its own request only, to twice the keep-alive interval plus a margin, so a healthy stream is
 *   never cut and a stalled one still is.
 * - Delivery: `subscribe` runs first (nothing published while the initial state is written is lost), then
 *   `initial` writes the current state, then every pushed item goes through `write` in order; `write`
 *   returning "end" closes the stream.
 * - Re-authorisation (optional): `recheck` runs every `recheckMs` and at `expiresAt` (the access token's
 *   expiry); when it throws (user disabled, session ended, token expired, app gone or no longer visible)
 *   the stream gets a final `event: end` naming the reason and closes.
 * - Every timer and the subscription end when the client goes away or the stream ends.
 */
import type { Context } from "hono";
import type { SSEMessage } from "hono/streaming";
import { streamSSE } from "hono/streaming";

/** The default keep-alive interval (SSE_KEEPALIVE_SECONDS' default): below common proxy timeouts. */
export const KEEP_ALIVE_MS = 15_000;

/** Bun's per-request idle limit is at most 255 s. */
const MAX_IDLE_SECONDS = 255;

/** What a stream's callbacks write with. */
export interface SseWriter {
  writeSSE(message: SSEMessage): Promise<void>;
}

export interface EventStreamOptions<T> {
  /** Default KEEP_ALIVE_MS; the API and the web pages pass SSE_KEEPALIVE_SECONDS. */
  keepAliveMs?: number;
  /** Starts delivery (`push` queues an item for `write`); returns the unsubscribe function. */
  subscribe(push: (item: T) => void): () => void;
  /** Writes the current state first, for clients that connect late; "end" closes the stream after it. */
  // biome-ignore lint/suspicious/noConfusingVoidType: most callbacks just write (void); one ends at once.
  initial?(stream: SseWriter): Promise<void | "end">;
  /** Writes one pushed item; "end" closes the stream after it. */
  write(stream: SseWriter, item: T): Promise<"end" | undefined>;
  /** Throws when the client may no longer see the stream. */
  recheck?: () => Promise<void>;
  recheckMs?: number;
  /** Epoch ms at which to recheck as well (the credential's expiry). */
  expiresAt?: number;
  /** Runs once when the stream ends, whatever ended it (per-user stream counts). */
  onClose?: () => void;
}

interface BunServerLike {
  timeout?(request: Request, seconds: number): void;
}

/** The idle limit a stream with this keep-alive interval asks for (seconds). */
function idleSecondsFor(keepAliveMs: number): number {
  return Math.min(MAX_IDLE_SECONDS, Math.ceil((keepAliveMs * 2) / 1000) + 5);
}

export function eventStream<T>(c: Context, options: EventStreamOptions<T>): Response {
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  try {
    (c.env as BunServerLike | undefined)?.timeout?.(c.req.raw, idleSecondsFor(keepAliveMs));
  } catch {
    // Not served by Bun.serve (in-process app.request()): there is no idle timeout to raise.
  }
  return streamSSE(c, async (stream) => {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    let ended: string | undefined;
    let lastWrite = Date.now();
    const timers: ReturnType<typeof setTimeout>[] = [];
    const nudge = () => {
      wake?.();
      wake = undefined;
    };
    const writer: SseWriter = {
      async writeSSE(message) {
        lastWrite = Date.now();
        await stream.writeSSE(message);
      },
    };
    const unsubscribe = options.subscribe((item) => {
      queue.push(item);
      nudge();
    });
    let closed = false;
    const stop = () => {
      unsubscribe();
      for (const t of timers) clearInterval(t);
      nudge();
      if (!closed) {
        closed = true;
        options.onClose?.();
      }
    };
    stream.onAbort(stop);

    timers.push(
      setInterval(
        () => {
          if (stream.aborted || ended !== undefined || Date.now() - lastWrite < keepAliveMs - 50) return;
          lastWrite = Date.now();
          // A write fails only when the client has gone: the stream's abort handler already ends it.
          void stream.write(": keep-alive\n\n").catch(() => {});
        },
        Math.max(100, Math.floor(keepAliveMs / 2)),
      ),
    );
    if (options.recheck) {
      const check = () => {
        options.recheck!().catch((err: unknown) => {
          ended ??= err instanceof Error ? err.message : "access ended";
          nudge();
        });
      };
      if (options.recheckMs) timers.push(setInterval(check, options.recheckMs));
      if (options.expiresAt !== undefined) {
        // Just after expiry (clock tolerance of the token check included), not before.
        timers.push(setTimeout(check, Math.max(0, options.expiresAt - Date.now()) + 31_000));
      }
    }

    try {
      const first = await options.initial?.(writer);
      while (!stream.aborted && first !== "end") {
        if (ended !== undefined) {
          await writer.writeSSE({ event: "end", data: JSON.stringify({ reason: ended }) });
          break;
        }
        if (queue.length > 0) {
          if ((await options.write(writer, queue.shift()!)) === "end") break;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      stop();
    }
  });
}
