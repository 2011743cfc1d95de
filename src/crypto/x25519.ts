/**
 * X25519 key agreement (RFC 7748) on WebCrypto, which measured ~4× faster than
 * @noble/curves here (bench/crypto.ts). Public keys are derived with
 * @noble/curves because that is synchronous.
 *
 * An all-zero shared secret (a low-order peer key, RFC 7748 §6.1) is refused:
 * no honest peer produces one.
 * @module
 */
import { x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { randomBytes } from "./random.ts";
import { CryptoError } from "./crypto_error.ts";
import { CURVE_OID, pkcs8PrivateKey } from "./pkcs8.ts";

/** Length of X25519 keys and shared secrets (bytes). */
export const X25519_KEY_LENGTH = 32;

/** A private key-agreement key, imported once and reused. */
export interface AgreementKey {
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** X25519(private, peerPublic). Throws `CryptoError` for a bad or low-order peer key. */
  agree(peerPublic: Uint8Array): Promise<Uint8Array>;
}

/** A fresh random private key. */
export function generateX25519Secret(): Uint8Array {
  return randomBytes(X25519_KEY_LENGTH);
}

/** The public key of a private key. */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  if (secret.length !== X25519_KEY_LENGTH) throw new CryptoError("x25519: bad private key");
  return nobleX25519.getPublicKey(secret);
}

/** Imports a private key for repeated agreement. */
export async function importAgreementKey(secret: Uint8Array): Promise<AgreementKey> {
  const publicKey = x25519PublicKey(secret);
  const pkcs8 = pkcs8PrivateKey(CURVE_OID.x25519, secret);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, false, [
    "deriveBits",
  ]);
  pkcs8.fill(0);
  return { publicKey, agree: (peer) => agree(key, peer) };
}

/** A one-time key pair whose private half never leaves WebCrypto. */
export async function generateEphemeralKey(): Promise<AgreementKey> {
  const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { publicKey, agree: (peer) => agree(pair.privateKey, peer) };
}

/** One-shot X25519 with a raw private key. */
export async function x25519(secret: Uint8Array, peerPublic: Uint8Array): Promise<Uint8Array> {
  return await (await importAgreementKey(secret)).agree(peerPublic);
}

async function agree(privateKey: CryptoKey, peerPublic: Uint8Array): Promise<Uint8Array> {
  if (!(peerPublic instanceof Uint8Array) || peerPublic.length !== X25519_KEY_LENGTH) {
    throw new CryptoError();
  }
  let shared: Uint8Array;
  try {
    const pub = await crypto.subtle.importKey(
      "raw",
      peerPublic as BufferSource,
      { name: "X25519" },
      false,
      [],
    );
    shared = new Uint8Array(
      await crypto.subtle.deriveBits({ name: "X25519", public: pub }, privateKey, 256),
    );
  } catch {
    throw new CryptoError();
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) throw new CryptoError();
  return shared;
}
