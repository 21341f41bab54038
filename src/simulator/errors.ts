/**
 * Errors the simulated API raises, shaped like PVE's own exceptions.
 *
 * PVE turns a plain `die "text\n"` into HTTP 500 whose reason phrase is the first line of the text,
 * and a `PVE::Exception` into its own status code with optional per-field `errors`.
 * Handlers throw these; the HTTP layer renders them.
 */
export class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

/** A domain error: HTTP 500, message as PVE dies with it (we append the trailing newline on output). */
export function fail(message: string): never {
  throw new PveError(500, message);
}

/** A parameter error: HTTP 400 "Parameter verification failed." with per-field messages. */
export function paramFail(errors: Record<string, string>): never {
  throw new PveError(400, "Parameter verification failed.", errors);
}

/** A fault-injected task failure: surfaces verbatim, never wrapped in "unable to create CT ...". */
export class InjectedFailure extends Error {}
