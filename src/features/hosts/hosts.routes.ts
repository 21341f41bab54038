/** /api/v1/hosts (admin) and /api/v1/nodes (any signed-in user; never secrets). */
import { z } from "@hono/zod-openapi";
import { actorOf } from "../../http/context.ts";
import { adminOnly, authed } from "../../http/guards.ts";
import { createRouter, jsonBody, jsonResponse, routesFor, UuidParam } from "../../http/openapi.ts";
import {
  CreateHostBody,
  HostSchema,
  HostTestSchema,
  NodeSchema,
  toPublicHost,
  UpdateHostBody,
} from "./hosts.schemas.ts";
import type { HostsService } from "./hosts.service.ts";

/** The services these routes reach through `c.get("services")`. */
export interface HostsRouteServices {
  hosts: HostsService;
}

const HostParams = z.object({ host_id: UuidParam("host_id") });

const admin = routesFor(adminOnly, "hosts");
const user = routesFor(authed, "hosts");

const list = admin.get("/hosts", {
  operationId: "listHosts",
  summary: "List Proxmox hosts",
  responses: { 200: jsonResponse(z.object({ items: z.array(HostSchema) }), "Hosts") },
});

const create = admin.post("/hosts", {
  operationId: "createHost",
  summary: "Register a Proxmox host (secrets are encrypted at rest and never returned)",
  request: { body: jsonBody(CreateHostBody) },
  responses: { 201: jsonResponse(z.object({ host: HostSchema }), "Registered") },
  errors: [409],
});

const get = admin.get("/hosts/{host_id}", {
  operationId: "getHost",
  summary: "Get a host",
  request: { params: HostParams },
  responses: { 200: jsonResponse(z.object({ host: HostSchema }), "The host") },
});

const update = admin.patch("/hosts/{host_id}", {
  operationId: "updateHost",
  summary: "Change a host; omitted secrets are kept, null clears an optional one",
  request: { params: HostParams, body: jsonBody(UpdateHostBody) },
  responses: { 200: jsonResponse(z.object({ host: HostSchema }), "Updated") },
  errors: [409],
});

const remove = admin.delete("/hosts/{host_id}", {
  operationId: "deleteHost",
  summary: "Remove a host (refused while apps live on it)",
  request: { params: HostParams },
  responses: { 204: { description: "Removed" } },
  errors: [409],
});

const test = admin.post("/hosts/{host_id}/test", {
  operationId: "testHost",
  summary: "Try the connection: version and node count, or why it fails",
  request: { params: HostParams },
  responses: { 200: jsonResponse(HostTestSchema, "Result (ok or not)") },
});

const sync = admin.post("/hosts/{host_id}/sync", {
  operationId: "syncHost",
  summary: "Refresh the host's nodes and their live stats now",
  request: { params: HostParams },
  responses: { 200: jsonResponse(z.object({ nodes: z.number().int(), online: z.number().int() }), "Synced") },
  errors: [502, 503],
});

const nodes = user.get("/nodes", {
  operationId: "listNodes",
  summary: "Nodes of every host with their free resources (as of the last sync)",
  responses: { 200: jsonResponse(z.object({ items: z.array(NodeSchema) }), "Nodes") },
});

export function hostsRoutes() {
  return createRouter<HostsRouteServices>()
    .openapi(list, async (c) =>
      c.json({ items: (await c.get("services").hosts.list()).map(toPublicHost) }, 200),
    )
    .openapi(create, async (c) => {
      const host = await c.get("services").hosts.create(c.req.valid("json"), actorOf(c));
      return c.json({ host: toPublicHost(host) }, 201);
    })
    .openapi(get, async (c) => {
      const host = await c.get("services").hosts.get(c.req.valid("param").host_id);
      return c.json({ host: toPublicHost(host) }, 200);
    })
    .openapi(update, async (c) => {
      const host = await c
        .get("services")
        .hosts.update(c.req.valid("param").host_id, c.req.valid("json"), actorOf(c));
      return c.json({ host: toPublicHost(host) }, 200);
    })
    .openapi(remove, async (c) => {
      await c.get("services").hosts.remove(c.req.valid("param").host_id, actorOf(c));
      return c.body(null, 204);
    })
    .openapi(test, async (c) => {
      const id = c.req.valid("param").host_id;
      return c.json(await c.get("services").hosts.test(id, actorOf(c)), 200);
    })
    .openapi(sync, async (c) => {
      const id = c.req.valid("param").host_id;
      return c.json(await c.get("services").hosts.sync(id, actorOf(c)), 200);
    })
    .openapi(nodes, async (c) => c.json({ items: await c.get("services").hosts.listNodes() }, 200));
}
