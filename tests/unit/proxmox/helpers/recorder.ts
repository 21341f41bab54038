/**
 * A tiny HTTP server that records what the client sends and answers like PVE would in shape (the
 * `{data}` envelope, UPIDs for task endpoints). Used where the request itself is under test.
 */
import { type CapturedRequest, matchEndpoint } from "./pve-schema.ts";

export interface Recorded extends CapturedRequest {
  headers: Headers;
}

export type Responder = (req: Recorded) => Response | Promise<Response> | undefined;

export const FAKE_UPID = "UPID:pve1:0019F0A2:0A3C5B11:6650A1B2:vzcreate:100:root@pam!proximity:";

export async function startRecorder(respond?: Responder) {
  const requests: Recorded[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      const rec: Recorded = {
        method: request.method,
        path: url.pathname.replace(/^\/api2\/json/, ""),
        query: url.searchParams,
        body: await request.text(),
        contentType: request.headers.get("content-type"),
        headers: request.headers,
      };
      requests.push(rec);
      return (await respond?.(rec)) ?? defaultAnswer(rec);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    stop: () => server.stop(true),
  };
}

export function json(data: unknown, init: ResponseInit & { extra?: Record<string, unknown> } = {}) {
  return Response.json({ data, ...(init.extra ?? {}) }, init);
}

function defaultAnswer(rec: Recorded): Response {
  const match = matchEndpoint(rec.method, rec.path);
  if (!match) return json(null, { status: 501 });
  const key = `${match.endpoint.method} ${match.endpoint.template}`;
  switch (key) {
    case "POST /access/ticket":
      return json({
        username: "root@pam",
        ticket: "PVE:root@pam:66A1B2C3::c2lnbmF0dXJl",
        CSRFPreventionToken: "66A1B2C3:Y3NyZg",
      });
    case "GET /cluster/nextid":
      return json(100);
    case "GET /nodes/{node}/tasks/{upid}/log":
      return json([{ n: 1, t: "TASK OK" }], { extra: { total: 1 } });
    case "PUT /nodes/{node}/lxc/{vmid}/config":
    case "DELETE /nodes/{node}/tasks/{upid}":
      return json(null);
  }
  if (rec.method !== "GET") return json(FAKE_UPID);
  return json(key.endsWith("/status") || key.endsWith("/config") || key.endsWith("/current") ? {} : []);
}
