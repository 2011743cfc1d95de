/**
 * Envelopes (PROTOCOL §4): the signed unit of everything a node authors.
 * Encoding is a fixed binary layout; the signature covers the exact bytes
 * that travel, minus the mutable TTL (PROTOCOL §4.2). Decoding never throws:
 * malformed input returns a reason, so callers count it and move on.
 * @module
 */
import { ed25519Verify, type SigningKey } from "../../crypto/mod.ts";
import { peerIdOf } from "../../identity/peer_id.ts";
import { utf8 } from "../../util/bytes.ts";

/** Envelope format version (PROTOCOL §4.1). */
export const ENVELOPE_VERSION = 1;
/** Longest stream name. */
export const MAX_STREAM_LENGTH = 100;
/** Largest body (PROTOCOL §4.1). */
export const MAX_BODY_LENGTH = 512 * 1024;
/** TTL of a new flooded envelope (PROTOCOL §10). */
export const DEFAULT_TTL = 8;

/** Envelope kinds (PROTOCOL §4.3). */
export const Kind = {
  Direct: 1,
  Broadcast: 2,
  ChannelPost: 3,
  ChannelMeta: 4,
  ProfileCard: 5,
  Receipt: 6,
  Introduction: 7,
} as const;
/** One of `Kind`'s values. */
export type KindCode = typeof Kind[keyof typeof Kind];

const KNOWN_KINDS = new Set<number>(Object.values(Kind));
const DOMAIN = utf8("canopy-envelope/1\0");
const FIXED = 67; // version..seq
const SIG = 64;

/** A decoded envelope. `bytes` is the exact wire encoding (with the TTL it arrived with). */
export interface Envelope {
  readonly kind: number;
  readonly ttl: number;
  readonly id: Uint8Array;
  readonly originKey: Uint8Array;
  /** Peer id derived from `originKey`. */
  readonly origin: string;
  readonly timestamp: number;
  readonly seq: number;
  readonly stream: string;
  /** Recipient peer id, or "" when none. */
  readonly to: string;
  readonly body: Uint8Array;
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
}

/** What an origin fills in to create an envelope. */
export interface EnvelopeDraft {
  readonly kind: KindCode;
  readonly ttl?: number;
  readonly id: Uint8Array;
  readonly timestamp: number;
  readonly seq: number;
  readonly stream: string;
  readonly to?: string;
  readonly body: Uint8Array;
}

/** True for kinds this version understands. */
export function isKnownKind(kind: number): kind is KindCode {
  return KNOWN_KINDS.has(kind);
}

function writeU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, Math.floor(n / 2 ** 32));
  view.setUint32(at + 4, n >>> 0);
}

function readU64(view: DataView, at: number): number {
  return view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
}

function checkDraft(d: EnvelopeDraft): void {
  if (d.id.length !== 16) throw new RangeError(`envelope: id must be 16 bytes, got ${d.id.length}`);
  if (!Number.isSafeInteger(d.seq) || d.seq < 1) throw new RangeError(`envelope: seq ${d.seq}`);
  if (!Number.isSafeInteger(d.timestamp) || d.timestamp < 0) {
    throw new RangeError(`envelope: timestamp ${d.timestamp}`);
  }
  if (
    d.stream.length < 1 || d.stream.length > MAX_STREAM_LENGTH || !/^[\x21-\x7e]+$/.test(d.stream)
  ) {
    throw new RangeError(`envelope: stream "${d.stream}"`);
  }
  const to = d.to ?? "";
  if (to.length !== 0 && !/^[\x21-\x7e]{16}$/.test(to)) {
    throw new RangeError(`envelope: to "${to}"`);
  }
  if (!Number.isInteger(d.kind) || d.kind < 1 || d.kind > 255) {
    throw new RangeError(`envelope: kind must be 1-255, got ${d.kind}`);
  }
  if (d.body.length > MAX_BODY_LENGTH) throw new RangeError(`envelope: body of ${d.body.length}`);
  const ttl = d.ttl ?? DEFAULT_TTL;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw new RangeError(`envelope: ttl ${ttl}`);
}

/** The bytes an origin signs (PROTOCOL §4.2) for an encoded, unsigned envelope. */
function signedBytes(encoded: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.length + encoded.length - 1 - SIG);
  out.set(DOMAIN);
  out.set(encoded.subarray(0, 2), DOMAIN.length);
  out.set(encoded.subarray(3, encoded.length - SIG), DOMAIN.length + 2);
  return out;
}

/** Encodes and signs an envelope with the origin's key. */
export async function sealEnvelope(draft: EnvelopeDraft, key: SigningKey): Promise<Envelope> {
  checkDraft(draft);
  const stream = utf8(draft.stream);
  const to = utf8(draft.to ?? "");
  const length = FIXED + 1 + stream.length + 1 + to.length + 4 + draft.body.length + SIG;
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  bytes[0] = ENVELOPE_VERSION;
  bytes[1] = draft.kind;
  bytes[2] = draft.ttl ?? DEFAULT_TTL;
  bytes.set(draft.id, 3);
  bytes.set(key.publicKey, 19);
  writeU64(view, 51, draft.timestamp);
  writeU64(view, 59, draft.seq);
  let at = FIXED;
  bytes[at++] = stream.length;
  bytes.set(stream, at);
  at += stream.length;
  bytes[at++] = to.length;
  bytes.set(to, at);
  at += to.length;
  view.setUint32(at, draft.body.length);
  at += 4;
  bytes.set(draft.body, at);
  const signature = await key.sign(signedBytes(bytes));
  bytes.set(signature, length - SIG);
  return decodeEnvelope(bytes) as Envelope;
}

/**
 * Parses an envelope without verifying its signature. Returns a reason
 * string for malformed input (never throws). `bytes` is kept, not copied.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope | string {
  if (bytes.length < FIXED + 1 + 1 + 1 + 4 + SIG) return "too short";
  if (bytes[0] !== ENVELOPE_VERSION) return `unknown envelope version ${bytes[0]}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = FIXED;
  const streamLen = bytes[at++];
  if (streamLen < 1 || streamLen > MAX_STREAM_LENGTH) return "bad stream length";
  if (at + streamLen + 1 > bytes.length) return "truncated stream";
  const streamBytes = bytes.subarray(at, at + streamLen);
  for (const c of streamBytes) if (c < 0x21 || c > 0x7e) return "bad stream characters";
  at += streamLen;
  const toLen = bytes[at++];
  if (toLen !== 0 && toLen !== 16) return "bad recipient length";
  if (at + toLen + 4 > bytes.length) return "truncated recipient";
  const toBytes = bytes.subarray(at, at + toLen);
  at += toLen;
  const bodyLen = view.getUint32(at);
  at += 4;
  if (bodyLen > MAX_BODY_LENGTH) return "body too large";
  if (at + bodyLen + SIG !== bytes.length) return "length mismatch";
  const seq = readU64(view, 59);
  const timestamp = readU64(view, 51);
  if (!Number.isSafeInteger(seq) || seq < 1) return "bad seq";
  if (!Number.isSafeInteger(timestamp)) return "bad timestamp";
  const originKey = bytes.subarray(19, 51);
  return {
    kind: bytes[1],
    ttl: bytes[2],
    id: bytes.subarray(3, 19),
    originKey,
    origin: peerIdOf(originKey),
    timestamp,
    seq,
    stream: String.fromCharCode(...streamBytes),
    to: String.fromCharCode(...toBytes),
    body: bytes.subarray(at, at + bodyLen),
    signature: bytes.subarray(at + bodyLen),
    bytes,
  };
}

/** Checks one Ed25519 signature (the calling thread, or a worker pool). */
export type SignatureVerifier = (
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
) => Promise<boolean>;

/** Verifies the origin's signature (PROTOCOL §4.2). */
export function verifyEnvelope(
  env: Envelope,
  verify: SignatureVerifier = ed25519Verify,
): Promise<boolean> {
  return verify(env.originKey, signedBytes(env.bytes), env.signature);
}

/** A copy of the envelope's bytes with another TTL (for forwarding). */
export function withTtl(env: Envelope, ttl: number): Uint8Array {
  const copy = env.bytes.slice();
  copy[2] = ttl;
  return copy;
}

/** The direct stream between two peers: `d/<a>/<b>`, ids sorted. */
export function directStream(a: string, b: string): string {
  return a < b ? `d/${a}/${b}` : `d/${b}/${a}`;
}

/** The stream of a channel. */
export function channelStream(channelId: string): string {
  return `c/${channelId}`;
}

/** Broadcast stream name. */
export const BROADCAST_STREAM = "b";
/** Profile card stream name. */
export const PROFILE_STREAM = "p";
/** Introduction stream name. */
export const INTRO_STREAM = "i";

/** Does the stream fit the kind and the parties (PROTOCOL §4.4)? */
export function streamFitsKind(env: Envelope): boolean {
  switch (env.kind) {
    case Kind.Direct:
    case Kind.Receipt:
      return env.to.length === 16 && env.to !== env.origin &&
        env.stream === directStream(env.origin, env.to);
    case Kind.Broadcast:
      return env.stream === BROADCAST_STREAM && env.to === "";
    case Kind.ChannelPost:
    case Kind.ChannelMeta:
      return /^c\/[\w-]{1,64}$/.test(env.stream) && env.to === "";
    case Kind.ProfileCard:
      return env.stream === PROFILE_STREAM && env.to === "";
    case Kind.Introduction:
      return env.stream === INTRO_STREAM && env.to === "";
    default:
      return true; // unknown kinds are judged by whoever understands them
  }
}
