/** A webhook endpoint on 127.0.0.1 that keeps every notification it receives, for a webhook channel to post to. */

export interface Delivery {
  event: string;
  app?: { id: string };
  details: Record<string, unknown>;
}

export interface WebhookReceiver {
  /** Where a webhook channel posts: http://127.0.0.1:<port>/hook. */
  url: string;
  /** What it got so far, each body parsed, in order of arrival. */
  received: Delivery[];
  /** Waits until `count` deliveries of `event` arrived (deliveries are jobs a worker runs); they are returned. */
  delivered(event: string, count?: number, timeoutMs?: number): Promise<Delivery[]>;
  stop(): void;
}

export function startWebhookReceiver(): WebhookReceiver {
  const received: Delivery[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => {
      received.push(JSON.parse(await req.text()));
      return new Response("ok");
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/hook`,
    received,
    delivered: async (event, count = 1, timeoutMs = 20_000) => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hits = received.filter((r) => r.event === event);
        if (hits.length >= count) return hits;
        if (Date.now() > end)
          throw new Error(`expected ${count} ${event}, got ${received.map((r) => r.event)}`);
        await Bun.sleep(20);
      }
    },
    stop: () => server.stop(true),
  };
}
