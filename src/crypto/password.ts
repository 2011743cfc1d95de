/**
 * Memory-hard password hashing for the web login (SPEC §9) and passphrase
 * keys for the identity file (SPEC §10): scrypt (RFC 7914) from
 * @noble/hashes, in its async form so a login never blocks the node's event
 * loop for more than 10 ms at a time.
 *
 * A stored hash describes itself, so the parameters can be raised later
 * without breaking old accounts:
 *
 *   scrypt$<N>$<r>$<p>$<salt, unpadded base64url>$<hash, unpadded base64url>
 *   e.g. scrypt$32768$8$1$q2Vn…$Xb1k…
 *
 * Cost, measured here (Deno 2.9.6, x86_64 Xeon, 2 vCPUs): one hash or verify
 * with the defaults takes about 155 ms (130 ms for the synchronous scrypt;
 * the difference is the price of yielding) and 32 MiB of memory.
 *
 * Passwords are NFC-normalized before hashing (as RFC 8265 §4.2 does for
 * passwords), so the same password typed on two systems that compose
 * accented letters differently still matches.
 * @module
 */
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { fromBase64Url, toBase64Url } from "../util/base64url.ts";
import { equalBytes, utf8 } from "../util/bytes.ts";
import { randomBytes } from "./random.ts";

/**
 * scrypt CPU/memory cost N (RFC 7914 §2): 2^15, so 128·r·N = 32 MiB per
 * hash. Twice the scrypt paper's "interactive login" choice (N = 2^14,
 * r = 8, p = 1, in 2009) and a quarter of OWASP's current scrypt minimum
 * (N = 2^17): a login costs ~155 ms here, which keeps a burst of logins
 * (each one rate-limited, SPEC §9) from stalling the node.
 */
export const SCRYPT_N = 2 ** 15;
/** scrypt block size r (RFC 7914 §2): 8, the value everyone uses. */
export const SCRYPT_R = 8;
/** scrypt parallelization p (RFC 7914 §2): 1. */
export const SCRYPT_P = 1;
/** Length of the derived hash or key (bytes). */
export const SCRYPT_KEY_LENGTH = 32;
/** Length of the random salt of a new password hash (bytes); also the minimum salt length. */
export const SCRYPT_SALT_LENGTH = 16;
/** Largest N accepted, in a stored hash or as a parameter (2^20: 1 GiB of memory at r = 8). */
export const SCRYPT_MAX_N = 2 ** 20;
/** Largest total work N·r·p accepted (2^24: 64× the default, some 10 s here). */
export const SCRYPT_MAX_COST = 2 ** 24;
/** Largest memory accepted, 128·r·(N + p) bytes: 1 GiB + 2 KiB, @noble's own ceiling. */
export const SCRYPT_MAX_MEMORY = 1024 ** 3 + 2048;

/** scrypt cost parameters (RFC 7914 §2). */
export interface ScryptParams {
  /** CPU/memory cost, a power of two (default {@link SCRYPT_N}). */
  N?: number;
  /** Block size (default {@link SCRYPT_R}). */
  r?: number;
  /** Parallelization (default {@link SCRYPT_P}). */
  p?: number;
}

const PREFIX = "scrypt";
const ENCODED =
  /^scrypt\$([1-9][0-9]{0,9})\$([1-9][0-9]{0,9})\$([1-9][0-9]{0,9})\$([\w-]+)\$([\w-]+)$/;

/** Why (N, r, p) is refused, or null when it is within our bounds. */
function paramsProblem(N: number, r: number, p: number): string | null {
  if (!Number.isSafeInteger(N) || N < 2 || N > SCRYPT_MAX_N || (N & (N - 1)) !== 0) {
    return `N must be a power of two in 2..${SCRYPT_MAX_N}, got ${N}`;
  }
  if (!Number.isSafeInteger(r) || r < 1) return `r must be a positive integer, got ${r}`;
  if (!Number.isSafeInteger(p) || p < 1) return `p must be a positive integer, got ${p}`;
  if (N * r * p > SCRYPT_MAX_COST) {
    return `N·r·p must be at most ${SCRYPT_MAX_COST}, got ${N * r * p}`;
  }
  if (128 * r * (N + p) > SCRYPT_MAX_MEMORY) {
    return `128·r·(N+p) must be at most ${SCRYPT_MAX_MEMORY} bytes, got ${128 * r * (N + p)}`;
  }
  return null;
}

function derive(
  secret: string,
  salt: Uint8Array,
  N: number,
  r: number,
  p: number,
  dkLen: number,
): Promise<Uint8Array> {
  return scryptAsync(utf8(secret.normalize("NFC")), salt, {
    N,
    r,
    p,
    dkLen,
    maxmem: SCRYPT_MAX_MEMORY,
  });
}

/** Hashes a password with a fresh random salt; returns the self-describing string. */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== "string") {
    throw new RangeError(`hashPassword: password must be a string, got ${typeof password}`);
  }
  const salt = randomBytes(SCRYPT_SALT_LENGTH);
  const hash = await derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_KEY_LENGTH);
  return [PREFIX, SCRYPT_N, SCRYPT_R, SCRYPT_P, toBase64Url(salt), toBase64Url(hash)].join("$");
}

/** Strict base64url decoding: only the canonical encoding of some bytes is accepted. */
function decode(text: string): Uint8Array | null {
  try {
    const bytes = fromBase64Url(text);
    return toBase64Url(bytes) === text ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * True when `password` matches `encoded` (compared in constant time).
 * Returns false, without hashing, for anything malformed: a wrong prefix or
 * field count, a non-canonical number or base64url, a salt shorter than
 * {@link SCRYPT_SALT_LENGTH} or longer than 64 bytes, a hash not 16–64
 * bytes, or parameters beyond {@link SCRYPT_MAX_N}, {@link SCRYPT_MAX_COST}
 * or {@link SCRYPT_MAX_MEMORY} (so a corrupted or planted row cannot make a
 * login run for minutes).
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (typeof password !== "string" || typeof encoded !== "string") return false;
  const m = ENCODED.exec(encoded);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = decode(m[4]);
  const expected = decode(m[5]);
  if (paramsProblem(N, r, p) !== null || !salt || !expected) return false;
  if (salt.length < SCRYPT_SALT_LENGTH || salt.length > 64) return false;
  if (expected.length < 16 || expected.length > 64) return false;
  const actual = await derive(password, salt, N, r, p, expected.length);
  return equalBytes(actual, expected);
}

/**
 * Derives a 32-byte key from a passphrase (to encrypt the identity file).
 * The caller stores `salt` (at least {@link SCRYPT_SALT_LENGTH} random
 * bytes) and `params` beside the ciphertext. Throws `RangeError` naming the
 * field for a non-string passphrase, a short salt or parameters out of bounds.
 */
export async function deriveKeyFromPassphrase(
  passphrase: string,
  salt: Uint8Array,
  params: ScryptParams = {},
): Promise<Uint8Array> {
  const fn = "deriveKeyFromPassphrase";
  if (typeof passphrase !== "string") {
    throw new RangeError(`${fn}: passphrase must be a string, got ${typeof passphrase}`);
  }
  if (!(salt instanceof Uint8Array) || salt.length < SCRYPT_SALT_LENGTH) {
    const got = salt instanceof Uint8Array ? `${salt.length} bytes` : typeof salt;
    throw new RangeError(`${fn}: salt must be at least ${SCRYPT_SALT_LENGTH} bytes, got ${got}`);
  }
  const { N = SCRYPT_N, r = SCRYPT_R, p = SCRYPT_P } = params;
  const problem = paramsProblem(N, r, p);
  if (problem) throw new RangeError(`${fn}: params.${problem}`);
  return await derive(passphrase, salt, N, r, p, SCRYPT_KEY_LENGTH);
}
