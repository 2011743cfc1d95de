/**
 * SHA-256 and HMAC-SHA-256 (FIPS 180-4, RFC 2104) from @noble/hashes.
 * Synchronous: for the short inputs we hash, this beats WebCrypto's async
 * round trip (see bench/crypto.ts).
 * @module
 */
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";

/** SHA-256 digest (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** HMAC-SHA-256 (32 bytes). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nobleSha256, key, data);
}
