/**
 * Ed25519 signatures (RFC 8032). Signing and verification run on WebCrypto,
 * which measured 4–8× faster than @noble/curves here (bench/crypto.ts);
 * key derivation from a seed uses @noble/curves because it is synchronous.
 *
 * Verification is strict. Before WebCrypto sees a signature we reject, by
 * plain byte checks (no point arithmetic: ~0.2 µs, against ~75 µs for the
 * WebCrypto verification itself):
 * - a signature or key of the wrong length;
 * - a non-canonical S, S ≥ L (RFC 8032 §5.1.7, malleability §8.4);
 * - a non-canonical encoding of the point A or R: y ≥ p, or x = 0 with the
 *   sign bit set (RFC 8032 §5.1.3 says decoding fails for both);
 * - a public key A of small order (one of the 8 points of the torsion
 *   subgroup). See `isSmallOrderPublicKey` for why this one is
 *   needed: WebCrypto accepts forged signatures under such keys.
 * All of Wycheproof's invalid vectors are rejected by WebCrypto on its own
 * (src/crypto/ed25519_test.ts); the point checks make the policy ours rather
 * than an accident of whatever library Deno links.
 * @module
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { fromHex } from "../util/bytes.ts";
import { randomBytes } from "./random.ts";
import { CryptoError } from "./crypto_error.ts";
import { CURVE_OID, pkcs8PrivateKey } from "./pkcs8.ts";

/** Length of seeds, public keys (bytes). */
export const ED25519_KEY_LENGTH = 32;
/** Length of a signature (bytes). */
export const ED25519_SIGNATURE_LENGTH = 64;
/** How many imported public keys verification keeps ready. */
export const VERIFY_KEY_CACHE_SIZE = 1024;

// The group order L, little-endian (RFC 8032 §5.1).
const L = fromHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");

/** A private signing key, imported once and reused. */
export interface SigningKey {
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** Signs `message`, returning a 64-byte signature. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A fresh random 32-byte seed. */
export function generateEd25519Seed(): Uint8Array {
  return randomBytes(ED25519_KEY_LENGTH);
}

/** The public key of a seed (RFC 8032 §5.1.5). */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  checkLength("seed", seed, ED25519_KEY_LENGTH);
  return ed25519.getPublicKey(seed);
}

/** Imports a seed for repeated signing. */
export async function importSigningKey(seed: Uint8Array): Promise<SigningKey> {
  const publicKey = ed25519PublicKey(seed);
  const pkcs8 = pkcs8PrivateKey(CURVE_OID.ed25519, seed);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  pkcs8.fill(0);
  return {
    publicKey,
    async sign(message: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(await crypto.subtle.sign("Ed25519", key, message as BufferSource));
    },
  };
}

const verifyKeys = new Map<string, Promise<CryptoKey>>();

function verifyKey(publicKey: Uint8Array): Promise<CryptoKey> {
  const id = String.fromCharCode(...publicKey);
  let key = verifyKeys.get(id);
  if (key) {
    verifyKeys.delete(id); // refresh its place in the LRU order
  } else {
    key = crypto.subtle.importKey(
      "raw",
      publicKey as BufferSource,
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    if (verifyKeys.size >= VERIFY_KEY_CACHE_SIZE) {
      verifyKeys.delete(verifyKeys.keys().next().value!);
    }
  }
  verifyKeys.set(id, key);
  return key;
}

/** True when S < L, i.e. the scalar half of the signature is canonical. */
function canonicalS(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i];
    if (s < L[i]) return true;
    if (s > L[i]) return false;
  }
  return false; // S == L
}

/**
 * True when `point` is a canonical encoding (RFC 8032 §5.1.2–5.1.3): the
 * 255-bit y is below p = 2^255 - 19 (little-endian ed ff … ff 7f), and the
 * sign bit is clear when x = 0, which happens exactly when y = 1 or
 * y = p - 1 (from the curve equation, x² = (y² - 1) / (d y² + 1)). Whether
 * y is on the curve at all is left to WebCrypto.
 */
function canonicalPoint(point: Uint8Array): boolean {
  // Scanning for y ≥ p, y = 1 and y = p - 1 at once; bytes 1..30 decide most.
  let allFF = true;
  let allZero = true;
  for (let i = 1; i < 31; i++) {
    allFF &&= point[i] === 0xff;
    allZero &&= point[i] === 0x00;
  }
  const top = point[31] & 0x7f;
  if (allFF && top === 0x7f && point[0] >= 0xed) return false; // y ≥ p
  if ((point[31] & 0x80) === 0) return true;
  const yIsOne = allZero && top === 0x00 && point[0] === 0x01;
  const yIsMinusOne = allFF && top === 0x7f && point[0] === 0xec;
  return !yIsOne && !yIsMinusOne; // x = 0 must have the sign bit clear
}

// The canonical encodings of the 8 points of order dividing 8 (the torsion
// subgroup E[8]); ed25519_test.ts checks this list against @noble/curves.
const SMALL_ORDER = [
  "0100000000000000000000000000000000000000000000000000000000000000", // order 1
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4
  "0000000000000000000000000000000000000000000000000000000000000080", // order 4
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
].map(fromHex);

/**
 * True when `publicKey` (already known to be canonical) is a point of small
 * order. RFC 8032 §5.1.7 does not forbid such keys, and WebCrypto here
 * accepts signatures under them that anyone can make without a private key:
 * with S = 0 the check [S]B = R + [k]A holds whenever R = -[k]A, and since
 * [k]A is one of at most 8 points a forger finds a matching R within a few
 * tries (for A = identity, R = identity works for every message). A key like
 * that must never stand for a peer. libsodium and @noble/curves' strict mode
 * refuse it too.
 */
function isSmallOrderPublicKey(publicKey: Uint8Array): boolean {
  return SMALL_ORDER.some((point) => point.every((b, i) => b === publicKey[i]));
}

/**
 * Verifies a signature. Never throws on bad input: a malformed key or
 * signature is simply not valid.
 */
export async function ed25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== ED25519_KEY_LENGTH) return false;
  if (signature.length !== ED25519_SIGNATURE_LENGTH || !canonicalS(signature)) return false;
  if (!canonicalPoint(publicKey) || isSmallOrderPublicKey(publicKey)) return false;
  // WebCrypto already fails a non-canonical R (it compares R with the
  // encoding of the R it recomputes; Wycheproof tcId 42–62, 151), but the
  // check is free and keeps the rule in one place.
  if (!canonicalPoint(signature.subarray(0, 32))) return false;
  try {
    const key = await verifyKey(publicKey);
    return await crypto.subtle.verify(
      "Ed25519",
      key,
      signature as BufferSource,
      message as BufferSource,
    );
  } catch {
    verifyKeys.delete(String.fromCharCode(...publicKey));
    return false;
  }
}

function checkLength(name: string, bytes: Uint8Array, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new CryptoError(`ed25519: ${name} must be ${length} bytes`);
  }
}
