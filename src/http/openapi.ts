/**
 * Shared OpenAPI pieces: the router factory, the route definer, the error schema and the standard error
 * responses.
 */
import { createRoute, OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import { ERROR_STATUS, type ErrorCode, type ErrorStatus, ValidationError } from "../core/errors.ts";
import "../core/messages.ts";
import type { HttpEnv } from "./context.ts";

const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** The error body of every failure; its codes are those of ERROR_STATUS in core/errors.ts. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      request_id: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("Error");

/** One description per status a code maps to (a new code with a new status fails to compile here). */
const ERROR_DESCRIPTIONS: Record<Exclude<ErrorStatus, 500>, string> = {
  401: "Missing, invalid or expired credentials",
  403: "Authenticated but not allowed (admin only)",
  404: "Not found (or not yours)",
  409: "Conflicts with the current state",
  413: "The request body is over MAX_BODY_BYTES",
  422: "Validation failed; details name each field",
  429: "Too many attempts, or over a per-user quota of operations in flight; see retry-after",
  502: "Proxmox answered with an error",
  503: "Proxmox unreachable, or the server is busy (see retry-after)",
};

export type ErrorStatusCode = keyof typeof ERROR_DESCRIPTIONS;

export function errorResponses(...codes: ErrorStatusCode[]) {
  const out: Record<
    number,
    { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }
  > = {};
  for (const code of [...codes, 500 as const]) {
    out[code] = {
      description: code === 500 ? "Internal error" : ERROR_DESCRIPTIONS[code],
      content: { "application/json": { schema: ErrorSchema } },
    };
  }
  return out;
}

type Method = "get" | "post" | "put" | "patch" | "delete";

/** A guard spread of http/guards.ts: publicRoute, authed or adminOnly. */
type Guard = { security: { bearer: string[] }[]; "x-proximity-role"?: "admin" };

/** What a route states itself: all createRoute takes but the guard, the tag, the method and the path. */
type RouteSpec = Omit<RouteConfig, "method" | "path" | "security" | "middleware" | "tags">;

/**
 * The routes of one tag behind one guard (`const admin = routesFor(adminOnly, "hosts")`, then
 * `admin.get("/hosts/{host_id}", { operationId, summary, request, responses })`). The error responses that
 * follow from the route itself are added to the ones it names: 401 behind a guard, 403 behind the
 * administrators' one, 404 when the path names a resource, 422 when it validates any input, and 500 always.
 * `errors` lists the others its handler can answer (409, 429, 502, 503, or a 404 of a resource named in the
 * body or query).
 */
export function routesFor<G extends Guard>(guard: G, tag: string) {
  const signedIn = guard.security.length > 0;
  const admin = guard["x-proximity-role"] === "admin";
  const define =
    <M extends Method>(method: M) =>
    <P extends string, S extends RouteSpec>(
      path: P,
      { errors = [], ...spec }: S & { errors?: readonly ErrorStatusCode[] },
    ) => {
      const input = spec.request?.params ?? spec.request?.query ?? spec.request?.body;
      const implied: ErrorStatusCode[] = [
        ...(signedIn ? ([401] as const) : []),
        ...(admin ? ([403] as const) : []),
        ...(path.includes("{") ? ([404] as const) : []),
        ...(input ? ([422] as const) : []),
      ];
      const responses = { ...errorResponses(...implied, ...errors), ...spec.responses };
      return createRoute({ ...guard, tags: [tag], method, path, ...spec, responses } as G & {
        tags: string[];
        method: M;
        path: P;
      } & Omit<S, "errors">);
    };
  return {
    get: define("get"),
    post: define("post"),
    put: define("put"),
    patch: define("patch"),
    delete: define("delete"),
  };
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    content: { "application/json": { schema } },
    ...(description ? { description } : {}),
  };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A success response whose body holds one item under its name: `itemResponse("user", UserSchema, "Created")`. */
export function itemResponse<K extends string, T extends z.ZodType>(key: K, schema: T, description: string) {
  return jsonResponse(z.object({ [key]: schema } as Record<K, T>), description);
}

/** Turns zod issues into the API's `details` list. */
export function zodDetails(error: z.ZodError, prefix?: string) {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || (prefix ?? "body"),
    message: issue.message,
  }));
}

/**
 * A router whose request validation failures become VALIDATION_FAILED with per-field details. `S` names
 * the services its handlers reach through `c.get("services")`.
 */
export function createRouter<S extends object = object>() {
  return new OpenAPIHono<HttpEnv<S>>({
    defaultHook: (result) => {
      if (!result.success) {
        const target = (result as { target?: string }).target;
        const prefix = target === "json" ? undefined : target === "param" ? "path" : target;
        throw new ValidationError("The request is invalid", zodDetails(result.error, prefix));
      }
    },
  });
}

export const UuidParam = (name: string) =>
  z
    .string()
    .uuid(`${name} must be a UUID`)
    .openapi({ param: { name, in: "path" }, format: "uuid" });

/** The path parameters of a route naming resources by UUID: `idParams("app_id", "backup_id")`. */
export function idParams<N extends string>(...names: N[]) {
  return z.object(
    Object.fromEntries(names.map((name) => [name, UuidParam(name)])) as Record<
      N,
      ReturnType<typeof UuidParam>
    >,
  );
}
