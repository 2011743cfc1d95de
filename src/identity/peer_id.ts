/**
 * Peer ids (SPEC §3): the first 16 characters of base58btc(SHA-256(Ed25519
 * public key)). The same rule as Canopy 0.4, so ids from both look alike.
 * @module
 */
import { sha256 } from "../crypto/hash.ts";
import { toBase58 } from "../util/base58.ts";

/** Length of a peer id in characters. */
export const PEER_ID_LENGTH = 16;

const PEER_ID_RE = /^[1-9A-HJ-NP-Za-km-z]{16}$/;

/** Derives the peer id of an Ed25519 public key. */
export function peerIdOf(ed25519PublicKey: Uint8Array): string {
  return toBase58(sha256(ed25519PublicKey)).slice(0, PEER_ID_LENGTH);
}

/** True when `text` has the shape of a peer id (16 base58 characters). */
export function isPeerId(text: unknown): text is string {
  return typeof text === "string" && PEER_ID_RE.test(text);
}
