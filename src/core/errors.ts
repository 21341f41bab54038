/**
 * The one error type of the API. Every failure a client can see is an AppError with a code; the code
 * decides the HTTP status. Anything else that escapes a handler is reported as INTERNAL without detail.
 */

export const ERROR_STATUS = {
  VALIDATION_FAILED: 422,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  PROXMOX_ERROR: 502,
  PROXMOX_UNAVAILABLE: 503,
  /** The server is saturated (password hashing queue full); retry after the retry-after header. */
  BUSY: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export interface ErrorDetail {
  field: string;
  message: string;
}

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    request_id: string;
    details?: ErrorDetail[];
  };
}

export interface AppErrorOptions {
  details?: ErrorDetail[];
  cause?: unknown;
  /** Extra response headers, e.g. retry-after for RATE_LIMITED. */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  toBody(requestId: string): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        request_id: requestId,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: ErrorDetail[]) {
    super("VALIDATION_FAILED", message, details ? { details } : {});
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = "Authentication required") {
    super("UNAUTHENTICATED", message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "You are not allowed to do this") {
    super("FORBIDDEN", message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super("NOT_FOUND", `${what} not found`);
  }
}

export class ConflictError extends AppError {
  /** `details` name the field the conflict is about (a taken hostname), so a form can show it there. */
  constructor(message: string, details?: ErrorDetail[]) {
    super("CONFLICT", message, details ? { details } : {});
  }
}

export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super("RATE_LIMITED", message, {
      headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super("PAYLOAD_TOO_LARGE", `The request body is larger than the limit of ${formatBytes(limitBytes)}`);
  }
}

export class BusyError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super("BUSY", message, { headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) } });
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/**
 * A failure inside an application operation (deploy, clone, backup …). Carries the operation context so the
 * Sentry layer can tag it (error_type=app_service) and users get an actionable reason.
 */
export interface AppServiceContext {
  app_id?: string;
  catalog_id?: string;
  step?: string;
  operation?: string;
  vmid?: number;
  node?: string;
}

export class AppServiceError extends AppError {
  readonly context: AppServiceContext;

  constructor(
    message: string,
    context: AppServiceContext,
    options: AppErrorOptions & { code?: ErrorCode } = {},
  ) {
    super(options.code ?? "INTERNAL", message, options);
    this.context = context;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
