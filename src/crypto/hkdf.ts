/**
 * HKDF-SHA-256 (RFC 5869) from @noble/hashes.
 * @module
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";

/** Largest output RFC 5869 §2.3 allows for SHA-256: 255 blocks of 32 bytes. */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;

/**
 * Derives `length` bytes. An empty or absent salt means a zero-filled salt,
 * as RFC 5869 §2.2 says. Throws `RangeError` when `length` is out of range.
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new RangeError(`hkdfSha256: length must be 0..${HKDF_SHA256_MAX_LENGTH}, got ${length}`);
  }
  return hkdf(sha256, ikm, salt, info, length);
}
