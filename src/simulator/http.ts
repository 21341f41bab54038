/**
 * The HTTP front end, following pve-http-server's order of checks: body rules for
 * GET/DELETE, content types, authentication (before routing), routing by the schema, parameter
 * merging (query overrides body; path values must not conflict), verification, then the handler.
 *
 * Built on node:http rather than Bun.serve because PVE puts the error text in the HTTP reason
 * phrase ("500 CT 100 already exists on node 'pve1'") and Bun.serve does not send custom reasons.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { evaluateCheck } from "./acl.ts";
import type { Call, Sim } from "./context.ts";
import { PveError } from "./errors.ts";
import { type RawValue, verifyParams } from "./params.ts";
import { send } from "./reply.ts";
import { accessRoutes } from "./routes/access.ts";
import { clusterRoutes } from "./routes/cluster.ts";
import { lxcRoutes } from "./routes/lxc.ts";
import { handleSimRoute } from "./routes/sim.ts";
import { storageRoutes } from "./routes/storage.ts";
import { taskRoutes } from "./routes/tasks.ts";
import { type RouteTable, WithTotal } from "./routes/types.ts";
import { matchRoute } from "./schema.ts";

const MAX_BODY = 512 * 1024;
const NO_AUTH = new Set(["POST /access/ticket", "GET /access/ticket"]);

export interface HttpOptions {
  authFailDelayMs: number;
  fingerprint: () => string | undefined;
}

export function createRequestHandler(sim: Sim, opts: HttpOptions) {
  const routes: RouteTable = {
    ...accessRoutes,
    ...clusterRoutes(opts.fingerprint),
    ...lxcRoutes,
    ...storageRoutes,
    ...taskRoutes,
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      await handle(sim, opts, routes, req, res);
    } catch (e) {
      if (!res.headersSent)
        send(res, 500, "internal error", { data: null, message: `${(e as Error).message}\n` });
    }
  };
}

function sendError(res: ServerResponse, err: PveError): void {
  const message = err.message.endsWith("\n") ? err.message : `${err.message}\n`;
  const body: Record<string, unknown> = { data: null };
  if (err.errors) body.errors = err.errors;
  body.message = message;
  send(res, err.status, err.message, body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** application/x-www-form-urlencoded: a repeated key becomes an array (AnyEvent.pm extract_params). */
function parseForm(text: string): Record<string, RawValue> {
  const out: Record<string, RawValue> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

async function handle(
  sim: Sim,
  opts: HttpOptions,
  routes: RouteTable,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", "http://pve");
  const body = await readBody(req);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === "string") headers.set(k, v);
    else if (Array.isArray(v)) headers.set(k, v.join(", "));
  }

  if ((method === "GET" || method === "DELETE") && Number(req.headers["content-length"] ?? 0) > 0) {
    return send(res, 501, `Unexpected content for method '${method}'`);
  }
  if (body.length > MAX_BODY) return send(res, 501, "for data too large");

  if (url.pathname.startsWith("/_sim/")) {
    const auth = sim.auth.authenticate(method, headers);
    if (!auth.ok) return unauthorized(res, opts, auth.reason);
    return handleSimRoute(sim, method, url.pathname, body, res);
  }

  const prefix = "/api2/json";
  if (!url.pathname.startsWith(`${prefix}/`)) {
    return send(
      res,
      501,
      url.pathname.startsWith("/api2/") ? `no formatter for uri ${url.pathname}` : "no such uri",
    );
  }
  const path = url.pathname.slice(prefix.length);

  let bodyParams: Record<string, RawValue> = {};
  if (body.length > 0) {
    const ctype = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (ctype === "application/x-www-form-urlencoded" || ctype === "") {
      bodyParams = parseForm(body.toString("utf8"));
    } else if (ctype === "application/json") {
      try {
        const parsed = JSON.parse(body.toString("utf8"));
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) bodyParams = parsed;
      } catch {
        return sendError(res, new PveError(400, "malformed JSON string"));
      }
    } else {
      return send(res, 506, `upload 'Content-Type '${ctype}' not implemented'`);
    }
  }

  const match = matchRoute(method, path, sim.pve.release);
  const key = match ? match.endpoint.key : `${method} ${path}`;
  let authid = "";
  if (!NO_AUTH.has(key)) {
    const auth = sim.auth.authenticate(method, headers);
    if (!auth.ok) return unauthorized(res, opts, auth.reason);
    authid = auth.authid;
  }
  const handler = match ? routes[match.endpoint.key] : undefined;
  if (!match || !handler) {
    return sendError(res, new PveError(501, `Method '${method} ${path}' not implemented`));
  }

  try {
    // Query parameters override body keys; path values must agree with both.
    const raw: Record<string, RawValue> = { ...bodyParams, ...parseForm(url.search.slice(1)) };
    for (const [k, v] of Object.entries(match.pathValues)) {
      if (raw[k] !== undefined && String(raw[k]) !== v) {
        throw new PveError(400, "Parameter verification failed.", {
          [k]: "duplicate parameter (already defined in URI) with conflicting values!",
        });
      }
      raw[k] = v;
    }
    const p = verifyParams(match.endpoint.schema, raw);
    if (typeof p.node === "string" && match.endpoint.template.startsWith("/nodes/{node}")) {
      const node = sim.cluster.node(p.node);
      // pveproxy forwards calls for other nodes (AnyEvent.pm proxy_request); when the node cannot be
      // reached the client gets AnyEvent::HTTP's pseudo status and reason with an empty body.
      if (node.index !== 1 && node.unreachable)
        return send(res, node.unreachable.status, node.unreachable.reason);
      if (node.index !== 1 && !node.online) return send(res, 595, "No route to host");
    }

    const call: Call = { sim, p, authid };
    const nodeParam = typeof p.node === "string" ? p.node : undefined;
    for (const fault of sim.faults.takeForApi(method, match.endpoint.template, nodeParam)) {
      if (fault.action === "http_595" || fault.action === "http_596") {
        return send(res, fault.action === "http_595" ? 595 : 596, fault.message ?? "Connection timed out");
      }
      if (fault.action === "delay") await new Promise((r) => setTimeout(r, fault.delay_ms ?? 1000));
      if (fault.action === "lose_container" && typeof p.vmid === "number") {
        const ct = sim.cluster.containers.get(p.vmid);
        if (ct) sim.cluster.destroy(ct);
      }
      if (fault.action === "task_fail") call.taskFailure = fault.message ?? "simulated task failure";
      if (fault.action === "http_500") throw new PveError(500, fault.message ?? "simulated failure");
    }

    const check = match.endpoint.schema.permissions?.check;
    if (check) evaluateCheck(call, check);
    const result = await handler(call);
    if (result instanceof WithTotal) return send(res, 200, "OK", { data: result.data, total: result.total });
    return send(res, 200, "OK", { data: result ?? null });
  } catch (e) {
    if (e instanceof PveError) {
      if (e.status === 401) return unauthorized(res, opts, e.message);
      return sendError(res, e);
    }
    return sendError(res, new PveError(500, (e as Error).message));
  }
}

/** 401s carry no body and no Content-Type, and PVE delays them (3 s) against brute force. */
async function unauthorized(res: ServerResponse, opts: HttpOptions, reason: string): Promise<void> {
  if (opts.authFailDelayMs > 0) await new Promise((r) => setTimeout(r, opts.authFailDelayMs));
  send(res, 401, reason);
}
