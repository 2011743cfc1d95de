/**
 * Sealed boxes: encryption to a recipient's X25519 public key with a fresh
 * ephemeral key, HKDF-SHA-256 and XChaCha20-Poly1305 (SPEC §4.4; the byte
 * layout is docs/PROTOCOL.md "Sealed box").
 *
 *   box = version(1) ‖ ephemeral public key(32) ‖ nonce(24) ‖ ciphertext ‖ tag(16)
 *   key = HKDF(ikm = X25519(eph, recipient), salt = eph_pub ‖ recipient_pub,
 *              info = "canopy/seal/v1", 32)
 * @module
 */
import { utf8 } from "../util/bytes.ts";
import { XCHACHA_NONCE_LENGTH, xchachaOpen, xchachaSeal } from "./aead.ts";
import { CryptoError } from "./crypto_error.ts";
import { hkdfSha256 } from "./hkdf.ts";
import { randomBytes } from "./random.ts";
import { type AgreementKey, generateEphemeralKey, X25519_KEY_LENGTH } from "./x25519.ts";

/** The format version written as the first byte. */
export const SEALED_BOX_VERSION = 1;
/** Bytes a sealed box adds to its plaintext. */
export const SEALED_BOX_OVERHEAD = 1 + X25519_KEY_LENGTH + XCHACHA_NONCE_LENGTH + 16;

const INFO = utf8("canopy/seal/v1");

function boxKey(shared: Uint8Array, eph: Uint8Array, recipient: Uint8Array): Uint8Array {
  const salt = new Uint8Array(X25519_KEY_LENGTH * 2);
  salt.set(eph);
  salt.set(recipient, X25519_KEY_LENGTH);
  return hkdfSha256(shared, salt, INFO, 32);
}

/** Seals `plaintext` so only the holder of `recipientPublic`'s private key can open it. */
export async function seal(
  recipientPublic: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  const eph = await generateEphemeralKey();
  const key = boxKey(await eph.agree(recipientPublic), eph.publicKey, recipientPublic);
  const nonce = randomBytes(XCHACHA_NONCE_LENGTH);
  const ct = xchachaSeal(key, nonce, plaintext, aad);
  key.fill(0);
  const out = new Uint8Array(1 + X25519_KEY_LENGTH + XCHACHA_NONCE_LENGTH + ct.length);
  out[0] = SEALED_BOX_VERSION;
  out.set(eph.publicKey, 1);
  out.set(nonce, 1 + X25519_KEY_LENGTH);
  out.set(ct, 1 + X25519_KEY_LENGTH + XCHACHA_NONCE_LENGTH);
  return out;
}

/** Opens a sealed box; throws `CryptoError` on any failure. */
export async function openSealed(
  recipient: AgreementKey,
  box: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  if (box.length < SEALED_BOX_OVERHEAD || box[0] !== SEALED_BOX_VERSION) throw new CryptoError();
  const eph = box.subarray(1, 1 + X25519_KEY_LENGTH);
  const nonce = box.subarray(1 + X25519_KEY_LENGTH, 1 + X25519_KEY_LENGTH + XCHACHA_NONCE_LENGTH);
  const ct = box.subarray(1 + X25519_KEY_LENGTH + XCHACHA_NONCE_LENGTH);
  const key = boxKey(await recipient.agree(eph), eph, recipient.publicKey);
  try {
    return xchachaOpen(key, nonce, ct, aad);
  } finally {
    key.fill(0);
  }
}
