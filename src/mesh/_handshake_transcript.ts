/**
 * Test support, not shipped behaviour: the frozen link handshake transcript
 * (tests/vectors/canopy/handshake_transcript.json), shared by its generator
 * (tests/vectors/canopy/_generate.ts) and its test
 * (src/mesh/handshake_vectors_test.ts).
 *
 * `initiate`/`respond` draw a fresh ephemeral key, so a whole transcript
 * cannot come out of them. Instead each real side runs against a scripted
 * Noise peer whose keys are fixed (`captureHandshakePayloads`): that records
 * the payload bytes our handshake code builds (the scripted responder also
 * sends the welcome PING 0 the real dialer waits for, PROTOCOL §2). The transcript is then the
 * Noise XX run of those payloads between two scripted sides with fixed
 * ephemerals (`runTranscript`).
 * @module
 */
import { x25519PublicKey } from "../crypto/mod.ts";
import { fromHex } from "../util/bytes.ts";
import {
  type HandshakeResult,
  initiate,
  type LocalIdentity,
  localIdentityFrom,
  PROLOGUE,
  respond,
} from "./handshake.ts";
import { type CipherState, HandshakeState } from "./noise/mod.ts";
import { memoryPair } from "./transport.ts";
import { encodePing } from "./wire/frame.ts";
import type { EnvelopeVector } from "./wire/_envelope_vectors.ts";

const EMPTY = new Uint8Array(0);

/** Where the transcript lives. */
export const HANDSHAKE_TRANSCRIPT_URL = new URL(
  "../../tests/vectors/canopy/handshake_transcript.json",
  import.meta.url,
);

/** One side's fixed keys and what derives from them. */
export interface TranscriptSide {
  ed25519_seed_hex: string;
  x25519_static_private_hex: string;
  x25519_ephemeral_private_hex: string;
  ed25519_public_hex: string;
  x25519_static_public_hex: string;
  x25519_ephemeral_public_hex: string;
  peer_id: string;
  /** Ed25519 signature over `"canopy-mesh/static-key" ‖ 0x00 ‖ x25519 static public`. */
  bind_hex: string;
  /** What the side advertises (only the initiator sends them, in message 3). */
  endpoints: string[];
}

/** An envelope carried in a transport frame of the transcript. */
export type TranscriptEnvelope =
  & Pick<
    EnvelopeVector,
    "kind" | "ttl" | "id_hex" | "timestamp" | "seq" | "stream" | "to" | "envelope_hex"
  >
  & { body_utf8: string };

/** One transport frame (PROTOCOL §3) after the handshake. */
export interface TranscriptFrame {
  frame: "ping" | "pong" | "envelope";
  nonce?: number;
  envelope?: TranscriptEnvelope;
  plaintext_hex: string;
  ciphertext_hex: string;
}

/** One handshake message. */
export interface TranscriptMessage {
  from: "initiator" | "responder";
  tokens: string;
  payload_utf8: string;
  message_hex: string;
}

/** The whole file. */
export interface HandshakeTranscript {
  about: string;
  protocol_name: string;
  prologue_hex: string;
  initiator: TranscriptSide;
  responder: TranscriptSide;
  messages: TranscriptMessage[];
  handshake_hash_hex: string;
  transport: {
    initiator_to_responder: TranscriptFrame[];
    responder_to_initiator: TranscriptFrame[];
  };
}

/** Reads the stored transcript. */
export async function loadHandshakeTranscript(): Promise<HandshakeTranscript> {
  return JSON.parse(await Deno.readTextFile(HANDSHAKE_TRANSCRIPT_URL));
}

/** The keys a side needs (the stored hex, or the generator's inputs). */
export interface SideKeys {
  readonly ed25519Seed: Uint8Array;
  readonly x25519Static: Uint8Array;
  readonly x25519Ephemeral: Uint8Array;
  readonly endpoints: readonly string[];
}

/** The keys of a stored side. */
export function keysOf(side: TranscriptSide): SideKeys {
  return {
    ed25519Seed: fromHex(side.ed25519_seed_hex),
    x25519Static: fromHex(side.x25519_static_private_hex),
    x25519Ephemeral: fromHex(side.x25519_ephemeral_private_hex),
    endpoints: side.endpoints,
  };
}

/** A `LocalIdentity` built the way src/node/node.ts builds the node's (no display name). */
export function localIdentityOf(keys: SideKeys): Promise<LocalIdentity> {
  return localIdentityFrom(keys.ed25519Seed, keys.x25519Static, {
    endpoints: () => [...keys.endpoints],
  });
}

/** A Noise XX state for one side with its fixed static and ephemeral keys (PROTOCOL §2). */
export function scriptedState(keys: SideKeys, initiator: boolean): HandshakeState {
  return new HandshakeState({
    pattern: "XX",
    initiator,
    prologue: PROLOGUE,
    s: keys.x25519Static,
    e: keys.x25519Ephemeral,
  });
}

/** The fixed ephemeral public key of a side. */
export function ephemeralPublicOf(keys: SideKeys): Uint8Array {
  return x25519PublicKey(keys.x25519Ephemeral);
}

/** What `captureHandshakePayloads` learns. */
export interface CapturedPayloads {
  /** Payloads of messages 1, 2 and 3 as our handshake code wrote them. */
  readonly payloads: [Uint8Array, Uint8Array, Uint8Array];
  /** The real initiator's result (it talked to a scripted responder). */
  readonly initiatorResult: HandshakeResult;
  /** The real responder's result (it talked to a scripted initiator). */
  readonly responderResult: HandshakeResult;
}

async function next(conn: { receive(): Promise<Uint8Array | null> }): Promise<Uint8Array> {
  const msg = await conn.receive();
  if (msg === null) throw new Error("the real side closed the connection during the handshake");
  return msg;
}

/**
 * Runs the real `initiate` against a scripted responder and the real
 * `respond` against a scripted initiator, relaying payloads between them,
 * and returns the payload bytes the real code produced.
 */
export async function captureHandshakePayloads(
  initiatorKeys: SideKeys,
  responderKeys: SideKeys,
): Promise<CapturedPayloads> {
  const [alice, bob] = await Promise.all([
    localIdentityOf(initiatorKeys),
    localIdentityOf(responderKeys),
  ]);
  const [realI, scriptedR] = memoryPair();
  const [scriptedI, realR] = memoryPair();
  const realInitiator = initiate(realI, alice, { expectedPeerId: bob.peerId });
  const realResponder = respond(realR, bob);
  try {
    const r = scriptedState(responderKeys, false);
    const i = scriptedState(initiatorKeys, true);
    const p1 = await r.readMessage(await next(scriptedR));
    await scriptedI.send(await i.writeMessage(p1));
    const p2 = await i.readMessage(await next(scriptedI));
    await scriptedR.send(await r.writeMessage(p2));
    const p3 = await r.readMessage(await next(scriptedR));
    // PROTOCOL §2 "Welcome": the dialer waits for the responder's PING 0.
    await scriptedR.send(r.split().send.encryptWithAd(EMPTY, encodePing(0)));
    await scriptedI.send(await i.writeMessage(p3));
    const [initiatorResult, responderResult] = await Promise.all([realInitiator, realResponder]);
    return { payloads: [p1, p2, p3], initiatorResult, responderResult };
  } finally {
    realI.close();
    realR.close();
    await Promise.allSettled([realInitiator, realResponder]);
  }
}

/** A full scripted run: the three messages, the handshake hash and the transport ciphers. */
export interface TranscriptRun {
  readonly messages: [Uint8Array, Uint8Array, Uint8Array];
  readonly handshakeHash: Uint8Array;
  readonly initiator: { send: CipherState; receive: CipherState };
  readonly responder: { send: CipherState; receive: CipherState };
}

/** Runs Noise XX between two scripted sides with fixed keys over the given payloads. */
export async function runTranscript(
  initiatorKeys: SideKeys,
  responderKeys: SideKeys,
  payloads: readonly [Uint8Array, Uint8Array, Uint8Array],
): Promise<TranscriptRun> {
  const i = scriptedState(initiatorKeys, true);
  const r = scriptedState(responderKeys, false);
  const m1 = await i.writeMessage(payloads[0]);
  await r.readMessage(m1);
  const m2 = await r.writeMessage(payloads[1]);
  await i.readMessage(m2);
  const m3 = await i.writeMessage(payloads[2]);
  await r.readMessage(m3);
  const hi = i.handshakeHash;
  const hr = r.handshakeHash;
  if (hi.some((b, n) => b !== hr[n])) throw new Error("bug: the two sides disagree on h");
  return {
    messages: [m1, m2, m3],
    handshakeHash: hi,
    initiator: i.split(),
    responder: r.split(),
  };
}
