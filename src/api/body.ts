/**
 * Reading request bodies with a size cap checked before buffering
 * (Content-Length first, then a counting reader for chunked bodies).
 * @module
 */
import type { Context } from "hono";
import { CanopyError } from "../util/errors.ts";

/** Largest request body accepted by the JSON API (bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the raw body, refusing more than `limit` bytes with 413. */
export async function readBodyBytes(c: Context, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const tooLarge = () =>
    new CanopyError(
      "payload_too_large",
      `Request body is larger than the limit of ${limit} bytes`,
    );
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > limit) throw tooLarge();
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Reads a JSON object body. Bad UTF-8, bad JSON or a non-object body is a
 * 400 saying what is wrong; an empty body is `{}` when `allowEmpty`.
 */
export async function readJsonObject(
  c: Context,
  { allowEmpty = false, limit = MAX_BODY_BYTES } = {},
): Promise<Record<string, unknown>> {
  const bytes = await readBodyBytes(c, limit);
  if (bytes.length === 0) {
    if (allowEmpty) return {};
    throw new CanopyError("invalid_json", "Request body is empty; expected a JSON object");
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CanopyError("invalid_json", "Request body is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CanopyError(
      "invalid_json",
      `Request body is not valid JSON: ${(e as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CanopyError("invalid_json", "Request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}
