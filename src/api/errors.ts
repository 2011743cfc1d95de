/**
 * The one place where error codes become HTTP responses (SPEC §8):
 * `{"error": "<sentence>", "code": "<snake_case>"}` plus detail fields, never
 * a stack trace.
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CanopyError, type ErrorCode } from "../util/errors.ts";
import { CryptoError } from "../crypto/mod.ts";
import type { Logger } from "../util/log.ts";

/** HTTP status of each error code. */
export const STATUS_OF: Readonly<Record<ErrorCode, ContentfulStatusCode>> = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  invalid_invite: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
  storage_full: 507,
};

/** The JSON body of an error response. */
export interface ErrorBody {
  error: string;
  code: ErrorCode;
  field?: string;
  permission?: string;
  retry_after?: number;
}

/** Renders a `CanopyError` as a response. */
export function errorResponse(c: Context, err: CanopyError): Response {
  const body: ErrorBody = { error: err.message, code: err.code };
  if (err.detail.field) body.field = err.detail.field;
  if (err.detail.permission) body.permission = err.detail.permission;
  if (err.detail.retryAfter !== undefined) {
    body.retry_after = err.detail.retryAfter;
    c.header("Retry-After", String(Math.max(1, Math.ceil(err.detail.retryAfter))));
  }
  if (err.code === "unauthorized") c.header("WWW-Authenticate", 'Bearer realm="canopy"');
  c.header("Cache-Control", "no-store");
  return c.json(body, STATUS_OF[err.code]);
}

/** Maps any thrown value to a response; unexpected ones are logged and hidden. */
export function toErrorResponse(c: Context, err: unknown, log: Logger): Response {
  if (err instanceof CanopyError) return errorResponse(c, err);
  if (err instanceof CryptoError) {
    return errorResponse(c, new CanopyError("bad_request", "A cryptographic check failed"));
  }
  log.error("unhandled error in request", {
    method: c.req.method,
    path: c.req.path,
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  return errorResponse(
    c,
    new CanopyError("internal_error", "Something went wrong inside the node; it is logged"),
  );
}
