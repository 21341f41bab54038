/**
 * A fake Sentry ingest on 127.0.0.1 over real HTTP: accepts `POST /api/<project>/envelope/`,
 * keeps the raw bytes of every envelope and parses them into items (events, transactions, sessions, client
 * reports). Start it in the test process, which has no Sentry client, and point a Proximity process at
 * `dsn`.
 */

export interface EnvelopeItem {
  header: { type: string; length?: number; content_type?: string; [k: string]: unknown };
  payload: unknown;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
  raw: Uint8Array;
  receivedAt: number;
  query: string;
}

// Event payloads are JSON objects of loosely known shape; tests read fields and assert on them.
// biome-ignore lint/suspicious/noExplicitAny: envelope payloads are arbitrary JSON.
export type SentryEvent = Record<string, any>;

export function parseEnvelope(buf: Uint8Array): { header: Record<string, unknown>; items: EnvelopeItem[] } {
  const dec = new TextDecoder();
  let pos = 0;
  const line = () => {
    let end = buf.indexOf(10, pos);
    if (end < 0) end = buf.length;
    const s = dec.decode(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const header = JSON.parse(line()) as Record<string, unknown>;
  const items: EnvelopeItem[] = [];
  while (pos < buf.length) {
    const l = line();
    if (!l.trim()) continue;
    const ih = JSON.parse(l) as EnvelopeItem["header"];
    let raw: Uint8Array;
    if (typeof ih.length === "number") {
      raw = buf.subarray(pos, pos + ih.length);
      pos += ih.length + 1;
    } else {
      let end = buf.indexOf(10, pos);
      if (end < 0) end = buf.length;
      raw = buf.subarray(pos, end);
      pos = end + 1;
    }
    const text = dec.decode(raw);
    let payload: unknown = text;
    try {
      payload = JSON.parse(text);
    } catch {}
    items.push({ header: ih, payload });
  }
  return { header, items };
}

export interface FakeSentryOptions {
  /** Delay before answering each envelope (a slow ingest keeps events pending in the client). */
  delayMs?: number;
}

export interface FakeSentry {
  dsn: string;
  port: number;
  envelopes: Envelope[];
  /** Items of one type ("event", "transaction", "client_report", "session", …), or all. */
  items(type?: string): EnvelopeItem[];
  events(): SentryEvent[];
  transactions(): SentryEvent[];
  clientReports(): SentryEvent[];
  /** Every byte received, concatenated (for "secret never leaves" checks). */
  rawBytes(): Uint8Array;
  rawText(): string;
  /** Resolves when `predicate` holds, or rejects after `timeoutMs`. */
  waitFor(predicate: (s: FakeSentry) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  reset(): void;
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

export function startFakeSentry(options: FakeSentryOptions = {}): FakeSentry {
  const envelopes: Envelope[] = [];
  let delayMs = options.delayMs ?? 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST" || !/^\/api\/\d+\/envelope\/?$/.test(url.pathname)) {
        return new Response(null, { status: 404 });
      }
      let body = new Uint8Array(await req.arrayBuffer());
      if (req.headers.get("content-encoding") === "gzip") body = Bun.gunzipSync(body);
      const parsed = parseEnvelope(body);
      if (delayMs > 0) await Bun.sleep(delayMs);
      envelopes.push({ ...parsed, raw: body, receivedAt: Date.now(), query: url.search });
      return Response.json({});
    },
  });
  const items = (type?: string) =>
    envelopes.flatMap((e) => e.items).filter((i) => !type || i.header.type === type);
  const fake: FakeSentry = {
    dsn: `http://publickey@127.0.0.1:${server.port}/1`,
    port: server.port as number,
    envelopes,
    items,
    events: () => items("event").map((i) => i.payload as SentryEvent),
    transactions: () => items("transaction").map((i) => i.payload as SentryEvent),
    clientReports: () => items("client_report").map((i) => i.payload as SentryEvent),
    rawBytes: () => {
      const total = envelopes.reduce((n, e) => n + e.raw.length, 0);
      const out = new Uint8Array(total);
      let off = 0;
      for (const e of envelopes) {
        out.set(e.raw, off);
        off += e.raw.length;
      }
      return out;
    },
    rawText: () => new TextDecoder().decode(fake.rawBytes()),
    waitFor: async (predicate, timeoutMs = 10_000, what = "condition") => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(fake)) {
        if (Date.now() > deadline) {
          throw new Error(
            `fake Sentry: timed out waiting for ${what} (${fake.events().length} events, ${fake.transactions().length} transactions)`,
          );
        }
        await Bun.sleep(20);
      }
    },
    reset: () => {
      envelopes.length = 0;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    stop: () => server.stop(true),
  };
  return fake;
}
