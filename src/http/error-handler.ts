/**
 * Turns anything thrown by a handler into the API's error JSON. AppErrors keep their code and message;
 * Hono HTTPExceptions (e.g. malformed JSON) map by status; anything else is INTERNAL with a generic message,
 * so stacks and SQL never reach a client. The full error goes to the server log with the request id.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, type ErrorCode } from "../core/errors.ts";
import type { AnyHttpEnv } from "./context.ts";

const STATUS_TO_CODE: Record<number, ErrorCode> = {
  400: "VALIDATION_FAILED",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "VALIDATION_FAILED",
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

export function handleError<E extends AnyHttpEnv>(err: unknown, c: Context<E>): Response {
  const appError = toAppError(err);
  const requestId = c.get("requestId") ?? "unknown";
  if (appError.status >= 500) {
    const cause = appError.code === "INTERNAL" && appError.cause !== undefined ? appError.cause : appError;
    console.error(`[${requestId}] ${c.req.method} ${c.req.path} failed:`, cause);
  }
  for (const [name, value] of Object.entries(appError.headers)) c.header(name, value);
  return c.json(appError.toBody(requestId), appError.status);
}
