/**
 * Test support, not shipped behaviour: the frozen envelope vectors
 * (tests/vectors/canopy/envelope_vectors.json), shared by their generator
 * (tests/vectors/canopy/_generate.ts) and their test
 * (src/mesh/wire/envelope_vectors_test.ts). The generator runs once; the
 * test only checks that today's code reproduces the stored bytes.
 * @module
 */
import {
  sealedBoxKey,
  x25519,
  x25519PublicKey,
  XCHACHA_NONCE_LENGTH,
  xchachaSeal,
} from "../../crypto/mod.ts";
import { concatBytes, fromHex } from "../../util/bytes.ts";
import type { EnvelopeDraft, KindCode } from "./envelope.ts";

/** Where the vectors live. */
export const ENVELOPE_VECTORS_URL = new URL(
  "../../../tests/vectors/canopy/envelope_vectors.json",
  import.meta.url,
);

/** How a kind 1 body was sealed (PROTOCOL §6), with its random parts fixed. */
export interface SealedBoxVector {
  recipient_x25519_private_hex: string;
  recipient_x25519_public_hex: string;
  ephemeral_x25519_private_hex: string;
  nonce_hex: string;
  plaintext_utf8: string;
}

/** One envelope: its inputs and the bytes they must give. */
export interface EnvelopeVector {
  name: string;
  ed25519_seed_hex: string;
  origin_public_hex: string;
  origin_peer_id: string;
  kind: number;
  ttl: number;
  id_hex: string;
  timestamp: number;
  seq: number;
  stream: string;
  to: string;
  body_hex: string;
  /** Kinds 2 and 6: the body as text, for people reading the file. */
  body_utf8?: string;
  /** Kind 1: how the body was sealed. */
  sealed_box?: SealedBoxVector;
  /** `"canopy-envelope/1" ‖ 0x00 ‖ envelope[0..2) ‖ envelope[3..len−64)` (PROTOCOL §4.2). */
  signed_hex: string;
  envelope_hex: string;
}

/** The whole file. */
export interface EnvelopeVectorFile {
  about: string;
  vectors: EnvelopeVector[];
}

/** Reads the stored vectors. */
export async function loadEnvelopeVectors(): Promise<EnvelopeVectorFile> {
  return JSON.parse(await Deno.readTextFile(ENVELOPE_VECTORS_URL));
}

/** The draft a vector describes. */
export function draftOf(v: EnvelopeVector): EnvelopeDraft {
  return {
    kind: v.kind as KindCode,
    ttl: v.ttl,
    id: fromHex(v.id_hex),
    timestamp: v.timestamp,
    seq: v.seq,
    stream: v.stream,
    to: v.to,
    body: fromHex(v.body_hex),
  };
}

/**
 * A sealed box (PROTOCOL §6) with a fixed ephemeral key and nonce, built from
 * the layout in the document rather than with `seal()` (which draws both at
 * random): `1 ‖ ephemeral public (32) ‖ nonce (24) ‖ XChaCha20-Poly1305(…)`.
 */
export async function fixedSealedBox(
  recipientPublic: Uint8Array,
  ephemeralSecret: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (nonce.length !== XCHACHA_NONCE_LENGTH) {
    throw new RangeError(`nonce must be ${XCHACHA_NONCE_LENGTH} bytes, got ${nonce.length}`);
  }
  const ephemeralPublic = x25519PublicKey(ephemeralSecret);
  const shared = await x25519(ephemeralSecret, recipientPublic);
  const key = sealedBoxKey(shared, ephemeralPublic, recipientPublic);
  const ct = xchachaSeal(key, nonce, plaintext, aad);
  return concatBytes(new Uint8Array([1]), ephemeralPublic, nonce, ct);
}
