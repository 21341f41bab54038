/**
 * The web interface's event streams (src/web): a stream whose writer renders each pushed item (HTML
 * fragments), ended by the writer. The API's streams use src/http/sse.ts (re-authorised while open).
 *
 * Server-sent event streams that survive silence. Bun.serve closes a request that has been idle for its
 * `idleTimeout` (10 s by default), and an app's event stream is often silent for minutes; so each stream
 * lifts the idle timeout for its own request (`server.timeout(req, 0)`) and still writes a comment every
 * few seconds, which keeps proxies (and Bun, should the call be unavailable) from closing it.
 */
import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";

/** Below Bun's default 10 s idle timeout and any common proxy timeout. */
export const KEEP_ALIVE_MS = 5_000;

interface BunServerLike {
  timeout?(request: Request, seconds: number): void;
}

/** Lifts the server's idle timeout for this one request (no-op outside Bun.serve, e.g. app.request()). */
export function keepRequestOpen(c: Context): void {
  const server = c.env as BunServerLike | undefined;
  try {
    server?.timeout?.(c.req.raw, 0);
  } catch {
    // Not served by Bun.serve (in-process app.request()): there is no idle timeout to lift.
  }
}

export interface EventPump<T> {
  /** Queue an item to be written by `write`, in order. */
  push(item: T): void;
}

/**
 * An SSE response: `start` writes the initial state and subscribes (returning its unsubscribe), then every
 * pushed item goes through `write` in order; `write` returning "end" closes the stream. Between items a
 * keep-alive comment goes out every KEEP_ALIVE_MS.
 */
export function pumpStream<T>(
  c: Context,
  start: (stream: SSEStreamingApi, pump: EventPump<T>) => Promise<() => void>,
  write: (stream: SSEStreamingApi, item: T) => Promise<"end" | undefined>,
  keepAliveMs = KEEP_ALIVE_MS,
): Response {
  keepRequestOpen(c);
  return streamSSE(c, async (stream) => {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    const pump: EventPump<T> = {
      push(item) {
        queue.push(item);
        wake?.();
      },
    };
    let unsubscribe: (() => void) | undefined;
    stream.onAbort(() => {
      unsubscribe?.();
      wake?.();
    });
    try {
      unsubscribe = await start(stream, pump);
      while (!stream.aborted) {
        const next = queue.shift();
        if (next !== undefined) {
          if ((await write(stream, next)) === "end") break;
          continue;
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const woke = await Promise.race([
          new Promise<boolean>((r) => {
            wake = () => r(true);
          }),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(false), keepAliveMs);
          }),
        ]);
        clearTimeout(timer);
        wake = undefined;
        if (!woke && !stream.aborted) await stream.write(": keep-alive\n\n");
      }
    } finally {
      unsubscribe?.();
    }
  });
}
