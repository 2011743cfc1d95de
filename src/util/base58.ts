/**
 * Base58 with the Bitcoin alphabet (peer ids, invite keys). Thin wrapper so
 * the rest of the code never imports `bs58` directly.
 * @module
 */
import bs58 from "bs58";

/** Encodes bytes as base58btc. */
export function toBase58(bytes: Uint8Array): string {
  return bs58.encode(bytes);
}

/** Decodes base58btc; throws `RangeError` on characters outside the alphabet. */
export function fromBase58(text: string): Uint8Array {
  try {
    return bs58.decode(text);
  } catch {
    throw new RangeError("base58: invalid character");
  }
}
