/**
 * Server-sent event streams that stay open and stay authorised (docs/security.md: "Event streams"):
 *
 * - one keep-alive timer per stream: a comment goes out when nothing else was written for `keepAliveMs`,
 *   and Bun's idle timeout for this request is raised above that interval, so an idle stream is not cut;
 * - `recheck` runs every `recheckMs` and at `expiresAt` (the access token's expiry): when it throws (user
 *   disabled, session ended, token expired, app gone or no longer visible) the stream gets a final
 *   `event: end` naming the reason and closes;
 * - every timer is cleared when the client goes away or the stream ends.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";

export interface SseMessage {
  event: string;
  data: string;
}

export interface EventStreamOptions {
  keepAliveMs: number;
  /** Messages sent first (the current state, for clients that connect late). */
  initial?: SseMessage[];
  /** Starts delivery; returns the unsubscribe function. */
  subscribe(push: (message: SseMessage) => void): () => void;
  /** A message after which the stream ends (e.g. the app was deleted). */
  isLast?(message: SseMessage): boolean;
  /** Throws when the client may no longer see the stream. */
  recheck?: () => Promise<void>;
  recheckMs?: number;
  /** Epoch ms at which to recheck as well (the credential's expiry). */
  expiresAt?: number;
}

interface BunServerLike {
  timeout?(request: Request, seconds: number): void;
}

/** Bun's per-request idle limit is at most 255 s. */
const MAX_IDLE_SECONDS = 255;

export function eventStream(c: Context, options: EventStreamOptions): Response {
  // Raise Bun's idle timeout (10 s by default) for this request only, well above the keep-alive interval.
  const idle = Math.min(MAX_IDLE_SECONDS, Math.ceil((options.keepAliveMs * 2) / 1000) + 5);
  try {
    (c.env as BunServerLike | undefined)?.timeout?.(c.req.raw, idle);
  } catch {
    // Not served by Bun (in-process requests in tests): nothing to raise.
  }
  return streamSSE(c, async (stream) => {
    const queue: SseMessage[] = [];
    let wake: (() => void) | undefined;
    let ended: string | undefined;
    let lastWrite = Date.now();
    const timers: ReturnType<typeof setTimeout>[] = [];
    const nudge = () => {
      wake?.();
      wake = undefined;
    };
    const write = async (message: SseMessage) => {
      lastWrite = Date.now();
      await stream.writeSSE(message);
    };
    const unsubscribe = options.subscribe((message) => {
      queue.push(message);
      nudge();
    });
    const stop = () => {
      unsubscribe();
      for (const t of timers) clearInterval(t);
      nudge();
    };
    stream.onAbort(stop);

    timers.push(
      setInterval(
        () => {
          if (stream.aborted || ended !== undefined || Date.now() - lastWrite < options.keepAliveMs - 50)
            return;
          lastWrite = Date.now();
          void stream.write(": keep-alive\n\n").catch(() => {});
        },
        Math.max(100, Math.floor(options.keepAliveMs / 2)),
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
      for (const message of options.initial ?? []) await write(message);
      while (!stream.aborted) {
        if (ended !== undefined) {
          await write({ event: "end", data: JSON.stringify({ reason: ended }) });
          break;
        }
        const next = queue.shift();
        if (next) {
          await write(next);
          if (options.isLast?.(next)) break;
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
