/**
 * A resource's five standard operations from one description: list the collection, create an item, and get,
 * change (PATCH) or delete one named by a UUID in the path (docs/architecture.md, "How to add … A
 * resource"). The description names what differs from one resource to the next: the paths, the item's
 * schema, and per operation its operationId, summary, body, success status and description, the errors its
 * handler adds, and the service call. What is the same for every resource is written once here: the path
 * parameter, the `{ <item>: … }` answers, the 204 of a delete and the handlers around the service call.
 */
import { type RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { UserActor } from "../core/identity.ts";
import { actorOf, type HttpEnv } from "./context.ts";
import {
  createRouter,
  type ErrorStatusCode,
  idParams,
  itemResponse,
  jsonBody,
  jsonResponse,
  type routesFor,
} from "./openapi.ts";
import { listSchema, PaginationQuery, pageOf } from "./paging.ts";

/** What every operation states in the document. */
interface Operation {
  operationId: string;
  summary: string;
  /** The description of its success response. */
  answer: string;
  /** The errors its handler answers beyond those routesFor adds (409, 502, 503). */
  errors?: readonly ErrorStatusCode[];
}

/** The whole collection at once: `{ items }`, with `total` when asked. */
interface ListAll<Svc, Row> extends Operation {
  paged?: undefined;
  /** Add `total` (the number of items) to the answer. */
  total?: boolean;
  call(service: Svc): Promise<Row[]>;
}

/** One page at a time (PaginationQuery): `{ items, total, page, per_page }`, its schema named `paged`. */
interface ListPaged<Svc, Row> extends Operation {
  paged: string;
  total?: undefined;
  call(service: Svc, page: number, perPage: number): Promise<{ items: Row[]; total: number }>;
}

export interface Resource<
  S,
  Svc,
  Row,
  Item extends z.ZodType,
  Create extends z.ZodType,
  Update extends z.ZodType,
> {
  /** The collection (`/hosts`); one item is `{path}/{id}`. */
  path: string;
  /** The path parameter that names one item (a UUID): `host_id`. */
  id: string;
  /** One item's key in an answer (`{ "host": … }`), its schema, and how a row becomes it. */
  item: string;
  schema: Item;
  toPublic(row: Row): z.input<Item>;
  /** The service every operation calls. */
  service(services: S): Svc;
  list: ListAll<Svc, Row> | ListPaged<Svc, Row>;
  create: Operation & {
    body: Create;
    /** 201 unless given (202: the work goes on after the answer). */
    status?: 201 | 202;
    call(service: Svc, body: z.output<Create>, actor: UserActor): Promise<Row>;
  };
  get: Operation & { call(service: Svc, id: string): Promise<Row> };
  update: Operation & {
    body: Update;
    /** 200 unless given. */
    status?: 200 | 202;
    call(service: Svc, id: string, body: z.output<Update>, actor: UserActor): Promise<Row>;
  };
  delete: Operation & { call(service: Svc, id: string, actor: UserActor): Promise<unknown> };
}

/** The document's part of an operation: what it states, without the service call. */
function described({ operationId, summary, errors }: Operation) {
  return { operationId, summary, ...(errors ? { errors } : {}) };
}

/**
 * The router of a resource's five operations behind `routes`' guard and tag (`routesFor(adminOnly,
 * "hosts")`). Mount it in the feature's router with `.route("/", …)` beside the feature's other routes.
 */
export function resourceRoutes<
  S extends object,
  Svc,
  Row,
  Item extends z.ZodType,
  Create extends z.ZodType,
  Update extends z.ZodType,
>(routes: ReturnType<typeof routesFor>, r: Resource<S, Svc, Row, Item, Create, Update>) {
  const itemPath = `${r.path}/{${r.id}}`;
  const params = idParams(r.id);
  const listed = r.list;
  const created = r.create.status ?? 201;
  const updated = r.update.status ?? 200;
  const list = routes.get(r.path, {
    ...described(listed),
    ...(listed.paged ? { request: { query: PaginationQuery } } : {}),
    responses: {
      200: jsonResponse(
        listed.paged
          ? listSchema(r.schema, listed.paged)
          : z.object({
              items: z.array(r.schema),
              ...(listed.total ? { total: z.number().int() } : {}),
            }),
        listed.answer,
      ),
    },
  });
  const create = routes.post(r.path, {
    ...described(r.create),
    request: { body: jsonBody(r.create.body) },
    responses: { [created]: itemResponse(r.item, r.schema, r.create.answer) },
  });
  const get = routes.get(itemPath, {
    ...described(r.get),
    request: { params },
    responses: { 200: itemResponse(r.item, r.schema, r.get.answer) },
  });
  const update = routes.patch(itemPath, {
    ...described(r.update),
    request: { params, body: jsonBody(r.update.body) },
    responses: { [updated]: itemResponse(r.item, r.schema, r.update.answer) },
  });
  const remove = routes.delete(itemPath, {
    ...described(r.delete),
    request: { params },
    responses: { 204: { description: r.delete.answer } },
  });

  /** What the validators hand a handler: the body, the path's id, the page asked for. */
  type Valid<Body = never> = Context<
    HttpEnv<S>,
    string,
    { out: { json: Body; param: Record<string, string>; query: { page: number; per_page: number } } }
  >;
  const service = (c: Valid<unknown>) => r.service(c.get("services"));
  const idOf = (c: Valid<unknown>) => c.req.valid("param")[r.id]!;
  const one = (row: Row) => ({ [r.item]: r.toPublic(row) });
  const router = createRouter<S>();
  const operation = <Body>(route: RouteConfig, handler: (c: Valid<Body>) => Promise<Response>) => {
    router.openapi(route, handler);
  };
  operation(list, async (c) => {
    if (listed.paged === undefined) {
      const items = (await listed.call(service(c))).map(r.toPublic);
      return c.json(listed.total ? { items, total: items.length } : { items }, 200);
    }
    const q = c.req.valid("query");
    return c.json(pageOf(q, await listed.call(service(c), q.page, q.per_page), r.toPublic), 200);
  });
  operation<z.output<Create>>(create, async (c) =>
    c.json(one(await r.create.call(service(c), c.req.valid("json"), actorOf(c))), created),
  );
  operation(get, async (c) => c.json(one(await r.get.call(service(c), idOf(c))), 200));
  operation<z.output<Update>>(update, async (c) =>
    c.json(one(await r.update.call(service(c), idOf(c), c.req.valid("json"), actorOf(c))), updated),
  );
  operation(remove, async (c) => {
    await r.delete.call(service(c), idOf(c), actorOf(c));
    return c.body(null, 204);
  });
  return router;
}
