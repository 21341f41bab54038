/**
 * The test app behind a real Bun.serve on an ephemeral port, configured like src/boot/server.ts does, so
 * concurrency tests send real parallel requests over sockets (and the client address is 127.0.0.1).
 */
import { serverBodyCap } from "../../src/boot/server.ts";
import type { TestApp } from "./harness.ts";

export interface Served {
  url: string;
  fetch(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

export function serve(t: TestApp): Served {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: t.app.fetch,
    maxRequestBodySize: serverBodyCap(t.services.config),
  });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    fetch: (path, init = {}) => {
      const { token, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      if (json !== undefined) headers.set("content-type", "application/json");
      return fetch(`${url}${path}`, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    stop: () => server.stop(true),
  };
}

/** "5×401, 55×429": a status histogram, for assertions and readable failure messages. */
export function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}
