/**
 * ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305
 * (draft-irtf-cfrg-xchacha) from @noble/ciphers. WebCrypto has no ChaCha.
 * Output is ciphertext ‖ 16-byte tag.
 * @module
 */
import { chacha20poly1305, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { CryptoError } from "./crypto_error.ts";

/** Key length for both ciphers (bytes). */
export const AEAD_KEY_LENGTH = 32;
/** Tag length appended to every ciphertext (bytes). */
export const AEAD_TAG_LENGTH = 16;
/** ChaCha20-Poly1305 nonce length (bytes). */
export const CHACHA_NONCE_LENGTH = 12;
/** XChaCha20-Poly1305 nonce length (bytes). */
export const XCHACHA_NONCE_LENGTH = 24;

function check(key: Uint8Array, nonce: Uint8Array, nonceLength: number): void {
  if (key.length !== AEAD_KEY_LENGTH || nonce.length !== nonceLength) throw new CryptoError();
}

/** ChaCha20-Poly1305 encryption. */
export function chachaSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  check(key, nonce, CHACHA_NONCE_LENGTH);
  return chacha20poly1305(key, nonce, aad).encrypt(plaintext);
}

/** ChaCha20-Poly1305 decryption; throws `CryptoError` when authentication fails. */
export function chachaOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  check(key, nonce, CHACHA_NONCE_LENGTH);
  if (ciphertext.length < AEAD_TAG_LENGTH) throw new CryptoError();
  try {
    return chacha20poly1305(key, nonce, aad).decrypt(ciphertext);
  } catch {
    throw new CryptoError();
  }
}

/** XChaCha20-Poly1305 encryption (safe with random nonces). */
export function xchachaSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  check(key, nonce, XCHACHA_NONCE_LENGTH);
  return xchacha20poly1305(key, nonce, aad).encrypt(plaintext);
}

/** XChaCha20-Poly1305 decryption; throws `CryptoError` when authentication fails. */
export function xchachaOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  check(key, nonce, XCHACHA_NONCE_LENGTH);
  if (ciphertext.length < AEAD_TAG_LENGTH) throw new CryptoError();
  try {
    return xchacha20poly1305(key, nonce, aad).decrypt(ciphertext);
  } catch {
    throw new CryptoError();
  }
}
