/** Every response carries x-request-id: the caller's when it is a safe token, otherwise a new UUID. */
import { createMiddleware } from "hono/factory";
import type { AnyHttpEnv } from "./context.ts";

const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

// Not async: no extra frame per request.
export const requestId = createMiddleware<AnyHttpEnv>((c, next) => {
  const incoming = c.req.header("x-request-id");
  const id = incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  c.header("x-request-id", id);
  return next();
});
