/**
 * A node's identity (SPEC §3): an Ed25519 key pair for signing and an X25519
 * key pair for key agreement, the peer id derived from the former, and the
 * fingerprint people compare out of band.
 * @module
 */
import {
  type AgreementKey,
  ed25519PublicKey,
  generateEd25519Seed,
  generateX25519Secret,
  importAgreementKey,
  importSigningKey,
  type SigningKey,
  x25519PublicKey,
} from "../crypto/mod.ts";
import { fingerprintOf } from "./fingerprint.ts";
import { peerIdOf } from "./peer_id.ts";

/** The two private keys everything else derives from. */
export interface IdentitySecrets {
  readonly ed25519Seed: Uint8Array;
  readonly x25519Secret: Uint8Array;
}

/** A loaded identity, keys imported and ready. */
export interface NodeIdentity {
  readonly peerId: string;
  readonly ed25519PublicKey: Uint8Array;
  readonly x25519PublicKey: Uint8Array;
  /** Safety number of this identity. */
  readonly fingerprint: string;
  readonly signing: SigningKey;
  readonly agreement: AgreementKey;
  /** The Ed25519 seed; the at-rest key is derived from it. */
  readonly ed25519Seed: Uint8Array;
}

/** Fresh random secrets for a new node. */
export function generateIdentitySecrets(): IdentitySecrets {
  return { ed25519Seed: generateEd25519Seed(), x25519Secret: generateX25519Secret() };
}

/** Public half of a set of secrets. */
export function publicIdentity(secrets: IdentitySecrets): {
  peerId: string;
  ed25519PublicKey: Uint8Array;
  x25519PublicKey: Uint8Array;
} {
  const ed = ed25519PublicKey(secrets.ed25519Seed);
  return {
    peerId: peerIdOf(ed),
    ed25519PublicKey: ed,
    x25519PublicKey: x25519PublicKey(secrets.x25519Secret),
  };
}

/** Imports the secrets into WebCrypto and derives the public parts. */
export async function openIdentity(secrets: IdentitySecrets): Promise<NodeIdentity> {
  const pub = publicIdentity(secrets);
  const [signing, agreement] = await Promise.all([
    importSigningKey(secrets.ed25519Seed),
    importAgreementKey(secrets.x25519Secret),
  ]);
  return {
    ...pub,
    fingerprint: fingerprintOf(pub.ed25519PublicKey, pub.x25519PublicKey),
    signing,
    agreement,
    ed25519Seed: secrets.ed25519Seed,
  };
}
