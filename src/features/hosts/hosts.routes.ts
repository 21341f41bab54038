/** /api/v1/hosts (admin) and /api/v1/nodes (any signed-in user; never secrets). */
import { z } from "@hono/zod-openapi";
import { actorOf } from "../../http/context.ts";
import { adminOnly, authed } from "../../http/guards.ts";
import { idParams, jsonResponse, routesFor } from "../../http/openapi.ts";
import { resourceRoutes } from "../../http/resource.ts";
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

const HostParams = idParams("host_id");

const admin = routesFor(adminOnly, "hosts");
const user = routesFor(authed, "hosts");

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
  return resourceRoutes(admin, {
    path: "/hosts",
    id: "host_id",
    item: "host",
    schema: HostSchema,
    toPublic: toPublicHost,
    service: (s: HostsRouteServices) => s.hosts,
    list: {
      operationId: "listHosts",
      summary: "List Proxmox hosts",
      answer: "Hosts",
      call: (hosts) => hosts.list(),
    },
    create: {
      operationId: "createHost",
      summary: "Register a Proxmox host (secrets are encrypted at rest and never returned)",
      body: CreateHostBody,
      answer: "Registered",
      errors: [409],
      call: (hosts, body, actor) => hosts.create(body, actor),
    },
    get: {
      operationId: "getHost",
      summary: "Get a host",
      answer: "The host",
      call: (hosts, id) => hosts.get(id),
    },
    update: {
      operationId: "updateHost",
      summary: "Change a host; omitted secrets are kept, null clears an optional one",
      body: UpdateHostBody,
      answer: "Updated",
      errors: [409],
      call: (hosts, id, body, actor) => hosts.update(id, body, actor),
    },
    delete: {
      operationId: "deleteHost",
      summary: "Remove a host (refused while apps live on it)",
      answer: "Removed",
      errors: [409],
      call: (hosts, id, actor) => hosts.remove(id, actor),
    },
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
