/**
 * At-rest encryption of content columns (SPEC §10). The key is derived with
 * HKDF-SHA-256 from the node's Ed25519 seed, so only the holder of
 * peer_identity.json can read the database. Each value is sealed with
 * XChaCha20-Poly1305 under a random nonce, and bound to where it is stored
 * (table, column, row) through the AAD, so a ciphertext moved to another row
 * fails to open.
 *
 *   blob = version(1) ‖ nonce(24) ‖ ciphertext ‖ tag(16)
 * @module
 */
import { CryptoError, hkdfSha256, randomBytes, xchachaOpen, xchachaSeal } from "../crypto/mod.ts";
import { fromUtf8, utf8 } from "../util/bytes.ts";

/** Format version of an at-rest blob. */
export const AT_REST_VERSION = 1;
const NONCE_LENGTH = 24;
const SALT = utf8("canopy/at-rest/v1");
const INFO = utf8("content columns");

/** Seals and opens content columns. */
export class AtRestCipher {
  #key: Uint8Array;

  private constructor(key: Uint8Array) {
    this.#key = key;
  }

  /** Derives the cipher from the node's 32-byte Ed25519 seed. */
  static fromSeed(seed: Uint8Array): AtRestCipher {
    if (seed.length !== 32) {
      throw new RangeError(`AtRestCipher: seed must be 32 bytes, got ${seed.length}`);
    }
    return new AtRestCipher(hkdfSha256(seed, SALT, INFO, 32));
  }

  /** Encrypts `value` for the place named by `context` (e.g. "messages.body:42"). */
  seal(value: Uint8Array | string, context: string): Uint8Array {
    const plaintext = typeof value === "string" ? utf8(value) : value;
    const nonce = randomBytes(NONCE_LENGTH);
    const ct = xchachaSeal(this.#key, nonce, plaintext, utf8(context));
    const out = new Uint8Array(1 + NONCE_LENGTH + ct.length);
    out[0] = AT_REST_VERSION;
    out.set(nonce, 1);
    out.set(ct, 1 + NONCE_LENGTH);
    return out;
  }

  /** Decrypts a blob sealed for `context`; throws `CryptoError` on any mismatch. */
  open(blob: Uint8Array, context: string): Uint8Array {
    if (blob.length < 1 + NONCE_LENGTH + 16 || blob[0] !== AT_REST_VERSION) {
      throw new CryptoError();
    }
    return xchachaOpen(
      this.#key,
      blob.subarray(1, 1 + NONCE_LENGTH),
      blob.subarray(1 + NONCE_LENGTH),
      utf8(context),
    );
  }

  /** `open` for UTF-8 text. */
  openText(blob: Uint8Array, context: string): string {
    return fromUtf8(this.open(blob, context));
  }

  /** Forgets the key. */
  close(): void {
    this.#key.fill(0);
  }
}
