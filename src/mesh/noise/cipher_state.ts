/**
 * Noise CipherState (Noise spec rev. 34, §5.1) for ChaChaPoly (§12.3).
 *
 * This object sits on the hot path of every transport frame, so it keeps one
 * 12-byte nonce buffer and rewrites its counter in place instead of
 * allocating a nonce per message. The 64-bit counter `n` is kept as two
 * unsigned 32-bit halves: JS numbers are exact only to 2^53, and BigInt
 * arithmetic per frame is slow.
 * @module
 */
import {
  AEAD_KEY_LENGTH,
  CHACHA_NONCE_LENGTH,
  chachaOpen,
  chachaSeal,
  CryptoError,
} from "../../crypto/mod.ts";

/** Largest value of `n` (§5.1): 2^64-1 is reserved, reaching it exhausts the key. */
export const NOISE_MAX_NONCE = 0xffff_ffff_ffff_ffffn;

const EMPTY = new Uint8Array(0);
const ZEROS_32 = new Uint8Array(32);
const U32 = 0x1_0000_0000;

/**
 * A cipher key `k` and a counter nonce `n` (§5.1). Without a key it passes
 * data through unchanged, as the spec requires during the first handshake
 * messages. `close()` wipes the key; a closed state refuses every call.
 */
export class CipherState {
  #k: Uint8Array | undefined;
  #lo = 0; // n mod 2^32
  #hi = 0; // floor(n / 2^32)
  #closed = false;
  readonly #nonce = new Uint8Array(CHACHA_NONCE_LENGTH);
  readonly #nonceView = new DataView(this.#nonce.buffer);

  /** Creates a state; with `key`, the same as calling `initializeKey(key)`. */
  constructor(key?: Uint8Array) {
    if (key !== undefined) this.initializeKey(key);
  }

  /** §5.1 InitializeKey(key): sets `k = key` (copied; `undefined` means empty) and `n = 0`. */
  initializeKey(key: Uint8Array | undefined): void {
    this.#assertOpen();
    if (key !== undefined && key.length !== AEAD_KEY_LENGTH) {
      throw new RangeError(`CipherState: key must be ${AEAD_KEY_LENGTH} bytes, got ${key.length}`);
    }
    this.#k?.fill(0);
    this.#k = key?.slice();
    this.#lo = 0;
    this.#hi = 0;
  }

  /** §5.1 HasKey(): whether `k` is non-empty. */
  hasKey(): boolean {
    return this.#k !== undefined;
  }

  /** The current counter `n` (a BigInt: it runs to 2^64-1). */
  get nonce(): bigint {
    return (BigInt(this.#hi) << 32n) | BigInt(this.#lo);
  }

  /**
   * §5.1 SetNonce(nonce): sets `n`, e.g. for out-of-order transport (§11.4).
   * Throws `RangeError` unless `0 <= nonce <= 2^64-1`.
   */
  setNonce(nonce: bigint | number): void {
    this.#assertOpen();
    const n = BigInt(nonce);
    if (n < 0n || n > NOISE_MAX_NONCE) {
      throw new RangeError(`CipherState: nonce must be 0..2^64-1, got ${nonce}`);
    }
    this.#hi = Number(n >> 32n);
    this.#lo = Number(n & 0xffff_ffffn);
  }

  /**
   * §5.1 EncryptWithAd(ad, plaintext): ciphertext ‖ 16-byte tag under nonce
   * `n`, then `n += 1`. Without a key, returns `plaintext` itself. Throws
   * `CryptoError` once `n` reached 2^64-1: the key is spent, rekey or hang up.
   */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    this.#assertOpen();
    if (this.#k === undefined) return plaintext;
    const out = chachaSeal(this.#k, this.#currentNonce(), plaintext, ad);
    this.#increment();
    return out;
  }

  /**
   * §5.1 DecryptWithAd(ad, ciphertext): the plaintext, then `n += 1`.
   * Without a key, returns `ciphertext` itself. On an authentication failure
   * throws `CryptoError` and leaves `n` unchanged, so one forged frame does not
   * desynchronise the channel (the caller still decides whether to hang up).
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    this.#assertOpen();
    if (this.#k === undefined) return ciphertext;
    const out = chachaOpen(this.#k, this.#currentNonce(), ciphertext, ad);
    this.#increment();
    return out;
  }

  /**
   * §5.1 Rekey(): `k = REKEY(k)`, the default of §4.2 — the first 32 bytes of
   * ENCRYPT(k, 2^64-1, zerolen, zeros[32]). `n` is not reset (§11.3).
   * Throws `CryptoError` without a key.
   */
  rekey(): void {
    this.#assertOpen();
    if (this.#k === undefined) throw new CryptoError("noise: rekey without a key");
    const maxNonce = new Uint8Array(CHACHA_NONCE_LENGTH).fill(0xff, 4);
    const sealed = chachaSeal(this.#k, maxNonce, ZEROS_32, EMPTY);
    this.#k.set(sealed.subarray(0, AEAD_KEY_LENGTH));
    sealed.fill(0);
  }

  /** Wipes the key. Idempotent; afterwards every other method throws. */
  close(): void {
    this.#k?.fill(0);
    this.#k = undefined;
    this.#closed = true;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** §12.3: 32 bits of zeros, then `n` as a 64-bit little-endian integer. */
  #currentNonce(): Uint8Array {
    if (this.#hi === 0xffff_ffff && this.#lo === 0xffff_ffff) {
      throw new CryptoError("noise: nonce exhausted");
    }
    this.#nonceView.setUint32(4, this.#lo, true);
    this.#nonceView.setUint32(8, this.#hi, true);
    return this.#nonce;
  }

  #increment(): void {
    this.#lo += 1;
    if (this.#lo === U32) {
      this.#lo = 0;
      this.#hi += 1;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("noise: CipherState is closed");
  }
}
