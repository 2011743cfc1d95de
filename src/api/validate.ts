/**
 * Field readers for request bodies and query strings. Each failure is a 400
 * that names the field and says what was expected.
 * @module
 */
import { invalidField } from "../util/errors.ts";
import { isHost } from "../util/host.ts";

type Body = Record<string, unknown>;

/** Options of `str`. */
export interface StrOptions {
  min?: number;
  max?: number;
  trim?: boolean;
}

/** A required string field. */
export function str(
  body: Body,
  field: string,
  { min = 1, max = 10_000, trim = true }: StrOptions = {},
): string {
  const v = body[field];
  if (v === undefined || v === null) throw invalidField(field, `${field} is required`);
  if (typeof v !== "string") throw invalidField(field, `${field} must be a string`);
  const s = trim ? v.trim() : v;
  if (s.length < min) throw invalidField(field, `${field} must not be empty`);
  if (s.length > max) throw invalidField(field, `${field} must be at most ${max} characters`);
  return s;
}

/** An optional string field. */
export function optStr(body: Body, field: string, options?: StrOptions): string | undefined {
  return body[field] === undefined || body[field] === null ? undefined : str(body, field, options);
}

/** An optional boolean field. */
export function optBool(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw invalidField(field, `${field} must be true or false`);
  return v;
}

/** An optional integer field within [min, max]. Numeric strings are accepted (query strings). */
export function optInt(body: Body, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw invalidField(field, `${field} must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** A field that must be one of `allowed`. */
export function oneOf<T extends string>(body: Body, field: string, allowed: readonly T[]): T {
  const v = body[field];
  if (typeof v !== "string" || !allowed.includes(v.trim().toLowerCase() as T)) {
    throw invalidField(field, `${field} must be one of ${allowed.join(", ")}`);
  }
  return v.trim().toLowerCase() as T;
}

/** An optional host name or IP address field. */
export function optHost(body: Body, field: string): string | undefined {
  const v = optStr(body, field, { max: 253 });
  if (v !== undefined && !isHost(v)) {
    throw invalidField(field, `${field} must be an IP address or host name`);
  }
  return v?.replace(/^\[|\]$/g, "");
}
