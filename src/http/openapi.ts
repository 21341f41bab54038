/** Shared OpenAPI pieces: the router factory, the error schema and the standard error responses. */
import { OpenAPIHono, z } from "@hono/zod-openapi";
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

type ErrorStatusCode = keyof typeof ERROR_DESCRIPTIONS;

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

export const PaginationQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  per_page: z.coerce.number().int().min(1).max(100).default(25).openapi({ example: 25 }),
});

export function listSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      total: z.number().int(),
      page: z.number().int(),
      per_page: z.number().int(),
    })
    .openapi(name);
}

export const UuidParam = (name: string) =>
  z
    .string()
    .uuid(`${name} must be a UUID`)
    .openapi({ param: { name, in: "path" }, format: "uuid" });
