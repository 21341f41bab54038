/**
 * Turns anything thrown by a handler into the API's error JSON. AppErrors keep their code and message;
 * Hono HTTPExceptions (e.g. malformed JSON) map by status; anything else is INTERNAL with a generic message,
 * so stacks and SQL never reach a client. The full error goes to the server log with the request id.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, type ErrorCode } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { routeOf } from "./access-log.ts";
import type { AnyHttpEnv } from "./context.ts";

const STATUS_TO_CODE: Record<number, ErrorCode> = {
  400: "VALIDATION_FAILED",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "VALIDATION_FAILED",
  422: "VALIDATION_FAILED",
  429: "RATE_LIMITED",
};

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    const code = STATUS_TO_CODE[err.status] ?? "INTERNAL";
    // Hono's own messages for 4xx are safe and useful ("Malformed JSON in request body").
    const message = code === "INTERNAL" ? "Internal server error" : err.message || "Bad request";
    return new AppError(code, message, { cause: err });
  }
  return new AppError("INTERNAL", "Internal server error", { cause: err });
}

/**
 * Writes a server error (5xx) to the log with the request id and the user, for the API's error handler and
 * the web interface's alike. 4xx are the client's business and are not logged.
 */
// biome-ignore lint/suspicious/noExplicitAny: the API's and the web pages' contexts; only requestId and user are read.
export function logServerError(c: Context<any>, appError: AppError, userId?: string | null): void {
  // BUSY is load shedding (docs/security.md), answered on purpose: logging each one would flood the log.
  if (appError.status < 500 || appError.code === "BUSY") return;
  const cause = appError.code === "INTERNAL" && appError.cause !== undefined ? appError.cause : appError;
  log.error(`${c.req.method} ${routeOf(c)} failed: ${appError.code}`, {
    request_id: c.get("requestId") ?? "unknown",
    user_id: userId ?? c.get("user")?.id ?? null,
    err: cause,
  });
}

export function handleError<E extends AnyHttpEnv>(err: unknown, c: Context<E>): Response {
  const appError = toAppError(err);
  const requestId = c.get("requestId") ?? "unknown";
  logServerError(c, appError);
  for (const [name, value] of Object.entries(appError.headers)) c.header(name, value);
  return c.json(appError.toBody(requestId), appError.status);
}
