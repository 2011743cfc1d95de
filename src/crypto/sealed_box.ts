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
const EPH_AT = 1;
const NONCE_AT = EPH_AT + X25519_KEY_LENGTH;
const CT_AT = NONCE_AT + XCHACHA_NONCE_LENGTH;

/** The box key for a shared secret (HKDF, salt = ephemeral ‖ recipient). */
export function sealedBoxKey(
  shared: Uint8Array,
  eph: Uint8Array,
  recipient: Uint8Array,
): Uint8Array {
  const salt = new Uint8Array(X25519_KEY_LENGTH * 2);
  salt.set(eph);
  salt.set(recipient, X25519_KEY_LENGTH);
  return hkdfSha256(shared, salt, INFO, 32);
}

/** Builds a box with an already derived key (lets callers cache the key of an ephemeral). */
export function sealWithKey(
  key: Uint8Array,
  ephemeralPublic: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  const nonce = randomBytes(XCHACHA_NONCE_LENGTH);
  const ct = xchachaSeal(key, nonce, plaintext, aad);
  const out = new Uint8Array(CT_AT + ct.length);
  out[0] = SEALED_BOX_VERSION;
  out.set(ephemeralPublic, EPH_AT);
  out.set(nonce, NONCE_AT);
  out.set(ct, CT_AT);
  return out;
}

/** The ephemeral public key a box was made with; throws `CryptoError` on a malformed box. */
export function sealedBoxEphemeral(box: Uint8Array): Uint8Array {
  if (box.length < SEALED_BOX_OVERHEAD || box[0] !== SEALED_BOX_VERSION) throw new CryptoError();
  return box.subarray(EPH_AT, NONCE_AT);
}

/** Opens a box with an already derived key; throws `CryptoError` on any failure. */
export function openWithKey(key: Uint8Array, box: Uint8Array, aad?: Uint8Array): Uint8Array {
  sealedBoxEphemeral(box);
  return xchachaOpen(key, box.subarray(NONCE_AT, CT_AT), box.subarray(CT_AT), aad);
}

/** Seals `plaintext` so only the holder of `recipientPublic`'s private key can open it. */
export async function seal(
  recipientPublic: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  const eph = await generateEphemeralKey();
  const key = sealedBoxKey(await eph.agree(recipientPublic), eph.publicKey, recipientPublic);
  try {
    return sealWithKey(key, eph.publicKey, plaintext, aad);
  } finally {
    key.fill(0);
  }
}

/** Opens a sealed box; throws `CryptoError` on any failure. */
export async function openSealed(
  recipient: AgreementKey,
  box: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  const eph = sealedBoxEphemeral(box);
  const key = sealedBoxKey(await recipient.agree(eph), eph, recipient.publicKey);
  try {
    return openWithKey(key, box, aad);
  } finally {
    key.fill(0);
  }
}
