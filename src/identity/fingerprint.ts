/**
 * Safety numbers: a short, speakable digest of a node's two public keys that
 * two people compare out of band (SPEC §3). Six groups of five digits, each
 * group taken from 5 bytes of SHA-256("canopy/fingerprint/v1" ‖ ed25519 ‖ x25519)
 * modulo 100000, in the manner of Signal's safety numbers.
 * @module
 */
import { sha256 } from "../crypto/hash.ts";
import { concatBytes, utf8 } from "../util/bytes.ts";

/** Number of five-digit groups in a fingerprint. */
export const FINGERPRINT_GROUPS = 6;

const LABEL = utf8("canopy/fingerprint/v1");

/** The fingerprint of an identity, e.g. `"04211 93820 55017 00342 71964 28310"`. */
export function fingerprintOf(ed25519PublicKey: Uint8Array, x25519PublicKey: Uint8Array): string {
  const digest = sha256(concatBytes(LABEL, ed25519PublicKey, x25519PublicKey));
  const groups: string[] = [];
  for (let g = 0; g < FINGERPRINT_GROUPS; g++) {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + digest[g * 5 + i];
    groups.push(String(n % 100000).padStart(5, "0"));
  }
  return groups.join(" ");
}
