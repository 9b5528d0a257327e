// Errors from the homeserver keep what a caller needs to decide what to do next (status and errcode) and what an
// operator needs to find the failing call (method and path). The path never carries the query string, because with an
// application service the query holds `user_id` and, on some homeservers, an `access_token`.

export class MatrixHttpError extends Error {
  readonly status: number;
  /** The Matrix error code, `M_UNKNOWN` when the response did not carry one. */
  readonly errcode: string;
  /** The parsed JSON body, or the start of the text body when it was not JSON. */
  readonly body: unknown;
  readonly method: string;
  /** The request path without its query string. */
  readonly path: string;

  constructor(opts: { status: number; body: unknown; method: string; path: string }) {
    const errcode = errcodeOf(opts.body) ?? "M_UNKNOWN";
    const detail = messageOf(opts.body);
    super(`${opts.method} ${opts.path} failed: ${opts.status} ${errcode}${detail ? `: ${detail}` : ""}`);
    this.name = "MatrixHttpError";
    this.status = opts.status;
    this.errcode = errcode;
    this.body = opts.body;
    this.method = opts.method;
    this.path = opts.path;
  }
}

/** The homeserver could not be reached, or did not answer in time; `cause` holds what fetch threw. */
export class MatrixConnectionError extends Error {
  readonly method: string;
  readonly path: string;
  constructor(opts: { method: string; path: string; cause: unknown }) {
    super(`${opts.method} ${opts.path} failed: ${describeCause(opts.cause)}`, { cause: opts.cause });
    this.name = "MatrixConnectionError";
    this.method = opts.method;
    this.path = opts.path;
  }
}

/** A media download that would exceed the caller's size limit; the transfer is aborted before it is all read. */
export class MediaTooLargeError extends Error {
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`media exceeds the limit of ${maxBytes} bytes`);
    this.name = "MediaTooLargeError";
    this.maxBytes = maxBytes;
  }
}

/** Whether `err` is an error response from the homeserver, optionally with one of the given error codes. */
export function isMatrixError(err: unknown, ...errcodes: string[]): err is MatrixHttpError {
  return err instanceof MatrixHttpError && (errcodes.length === 0 || errcodes.includes(err.errcode));
}

function errcodeOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const errcode = (body as { errcode?: unknown }).errcode;
  return typeof errcode === "string" && errcode !== "" ? errcode : undefined;
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === "string") return body.slice(0, 200);
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  return typeof error === "string" ? error.slice(0, 200) : undefined;
}

// fetch reports every network failure as "fetch failed" and puts the useful part (ECONNREFUSED, a TLS error) one level
// down, so both levels go into the message.
function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

/** Homeservers differ in how they refuse an application service acting as a user it has not registered. */
export function mayMeanUnregistered(err: unknown): boolean {
  if (isMatrixError(err, "M_FORBIDDEN", "M_UNKNOWN_TOKEN")) return true;
  if (!isMatrixError(err, "M_NOT_FOUND")) return false;
  const message = (err.body as { error?: unknown } | undefined)?.error;
  return typeof message === "string" && /user/i.test(message);
}
