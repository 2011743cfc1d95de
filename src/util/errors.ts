/**
 * One error class with stable codes. The API maps codes to HTTP statuses in
 * one place (`src/api/errors.ts`); the CLI maps them to exit codes.
 * @module
 */

/** Every code a `CanopyError` may carry. Codes are stable: clients match on them. */
export type ErrorCode =
  | "bad_request"
  | "invalid_json"
  | "validation_failed"
  | "invalid_invite"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "rate_limited"
  | "unsupported_media_type"
  | "storage_full"
  | "unavailable"
  | "internal_error";

/** Extra, machine-readable detail attached to an error. */
export interface ErrorDetail {
  /** The request field (or CLI flag) at fault. */
  field?: string;
  /** The permission the caller lacks. */
  permission?: string;
  /** Seconds the caller should wait before retrying. */
  retryAfter?: number;
}

/** An expected failure with a stable code and a sentence meant for people. */
export class CanopyError extends Error {
  readonly code: ErrorCode;
  readonly detail: ErrorDetail;

  constructor(code: ErrorCode, message: string, detail: ErrorDetail = {}) {
    super(message);
    this.name = "CanopyError";
    this.code = code;
    this.detail = detail;
  }
}

/** Shorthand for a validation failure that names its field. */
export function invalidField(field: string, message: string): CanopyError {
  return new CanopyError("validation_failed", message, { field });
}

/** Throws when an internal invariant is broken: this is a bug, not bad input. */
export function bug(message: string): never {
  throw new Error(`bug: ${message}`);
}
