/**
 * An event stream stays open through 30 s of silence under Bun.serve's default 10 s idle timeout (which
 * used to cut /apps/{id}/events after ~10 s), and still delivers the event that ends the silence.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { Hono } from "hono";
import { eventStream } from "../../../src/http/sse.ts";

/** The web pages' and the API's keep-alive comes from SSE_KEEPALIVE_SECONDS; a short one here. */
const KEEP_ALIVE_MS = 5_000;

setDefaultTimeout(90_000);

test("a silent stream survives 30 s and then delivers an event", async () => {
  let push: ((item: string) => void) | undefined;
  const app = new Hono().get("/events", (c) =>
    eventStream<string>(c, {
      keepAliveMs: KEEP_ALIVE_MS,
      subscribe: (p) => {
        push = p;
        return () => {};
      },
      initial: (stream) => stream.writeSSE({ event: "hello", data: "start" }),
      write: async (stream, item) => {
        await stream.writeSSE({ event: "news", data: item });
        return item === "bye" ? "end" : undefined;
      },
    }),
  );
  // Bun.serve's defaults, as in production (idleTimeout 10 s).
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/events`);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    let ended = false;
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      ended = true;
    })();
    await Bun.sleep(30_000);
    expect(ended).toBe(false);
    expect(text).toContain("event: hello");
    const keepAlives = text.split(": keep-alive").length - 1;
    expect(keepAlives).toBeGreaterThanOrEqual(Math.floor(30_000 / KEEP_ALIVE_MS) - 2);
    push!("after the silence");
    push!("bye");
    await reading;
    expect(text).toContain("data: after the silence");
  } finally {
    server.stop(true);
  }
});
