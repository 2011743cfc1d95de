/**
 * The crypto door: thin wrappers over @noble/* and WebCrypto, no I/O.
 * Which backend serves which primitive was decided by bench/crypto.ts.
 * @module
 */
export { CryptoError } from "./crypto_error.ts";
export { randomBytes } from "./random.ts";
export { hmacSha256, sha256 } from "./hash.ts";
export { HKDF_SHA256_MAX_LENGTH, hkdfSha256 } from "./hkdf.ts";
export {
  ED25519_KEY_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  ed25519PublicKey,
  ed25519Verify,
  generateEd25519Seed,
  importSigningKey,
  type SigningKey,
} from "./ed25519.ts";
export {
  type AgreementKey,
  generateEphemeralKey,
  generateX25519Secret,
  importAgreementKey,
  x25519,
  X25519_KEY_LENGTH,
  x25519PublicKey,
} from "./x25519.ts";
export {
  AEAD_KEY_LENGTH,
  AEAD_TAG_LENGTH,
  CHACHA_NONCE_LENGTH,
  chachaOpen,
  chachaSeal,
  XCHACHA_NONCE_LENGTH,
  xchachaOpen,
  xchachaSeal,
} from "./aead.ts";
export {
  openSealed,
  openWithKey,
  seal,
  SEALED_BOX_OVERHEAD,
  SEALED_BOX_VERSION,
  sealedBoxEphemeral,
  sealedBoxKey,
  sealWithKey,
} from "./sealed_box.ts";
export {
  deriveKeyFromPassphrase,
  hashPassword,
  SCRYPT_KEY_LENGTH,
  SCRYPT_MAX_COST,
  SCRYPT_MAX_MEMORY,
  SCRYPT_MAX_N,
  SCRYPT_N,
  SCRYPT_P,
  SCRYPT_R,
  SCRYPT_SALT_LENGTH,
  type ScryptParams,
  verifyPassword,
} from "./password.ts";
