/** Cryptographically secure random bytes (WebCrypto `getRandomValues`). */
export function randomBytes(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`randomBytes: length must be a non-negative integer, got ${length}`);
  }
  const out = new Uint8Array(length);
  // getRandomValues is limited to 65536 bytes per call.
  for (let at = 0; at < length; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  }
  return out;
}
