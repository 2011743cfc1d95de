/**
 * Avatars (SPEC §6): PNG, JPEG or WebP, recognised by their magic bytes,
 * at most 64 KiB, carried as `data:` URLs.
 * @module
 */
import { fromBase64Url } from "../util/base64url.ts";
import { invalidField } from "../util/errors.ts";

/** Largest avatar (bytes). */
export const MAX_AVATAR_BYTES = 64 * 1024;

/** The image type of `bytes` by magic number, or undefined. */
export function imageType(
  bytes: Uint8Array,
): "image/png" | "image/jpeg" | "image/webp" | undefined {
  const at = (i: number, ...sig: number[]) => sig.every((b, j) => bytes[i + j] === b);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  return undefined;
}

/**
 * Parses an avatar given as a `data:` URL (or bare base64). Returns the
 * normalised data URL; throws a validation error naming `field`.
 */
export function parseAvatar(value: unknown, field: string): string {
  if (typeof value !== "string") throw invalidField(field, `${field} must be a data: URL or null`);
  const m = /^data:([\w/+.-]+);base64,([A-Za-z0-9+/=_-]+)$/.exec(value.trim());
  const b64 = m ? m[2] : value.trim();
  if (b64.length > Math.ceil(MAX_AVATAR_BYTES / 3) * 4 + 4) {
    throw invalidField(field, `${field} must be at most ${MAX_AVATAR_BYTES / 1024} KiB`);
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(b64);
  } catch {
    throw invalidField(field, `${field} is not valid base64`);
  }
  if (bytes.length > MAX_AVATAR_BYTES) {
    throw invalidField(field, `${field} must be at most ${MAX_AVATAR_BYTES / 1024} KiB`);
  }
  const type = imageType(bytes);
  if (!type) throw invalidField(field, `${field} must be a PNG, JPEG or WebP image`);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return `data:${type};base64,${btoa(binary)}`;
}
