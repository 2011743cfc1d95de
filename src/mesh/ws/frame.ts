/**
 * The WebSocket frame codec (RFC 6455 §5). Pure: no I/O, no timers.
 *
 * `parseFrameHeader` is incremental: it looks at the bytes received so far and
 * answers "need more", a header, or a protocol error — and it answers as soon
 * as the bytes it has decide it, so a length that is too big is refused before
 * a single payload byte is read. Canopy uses no extensions, so every RSV bit
 * must be 0 (§5.2). Close payloads are in `close.ts`.
 * @module
 */
import { CLOSE, type FrameError, frameError } from "./close.ts";

/** Largest payload of a control frame (close, ping, pong), §5.5. */
export const MAX_CONTROL_PAYLOAD = 125;

/** Frame opcodes (§5.2, §11.8). */
export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** One of the opcodes of {@link OPCODE}; the others are reserved and refused. */
export type Opcode = typeof OPCODE[keyof typeof OPCODE];

/** A parsed frame header (§5.2). */
export interface FrameHeader {
  /** FIN: this is the last frame of its message. */
  readonly fin: boolean;
  /** What the frame carries (§5.2). */
  readonly opcode: Opcode;
  /** MASK bit: a masking key follows the length (§5.3). */
  readonly masked: boolean;
  /** Payload length in bytes, always below 2^53. */
  readonly payloadLength: number;
  /** The masking key's 4 bytes as a big-endian uint32, or null when unmasked. */
  readonly maskKey: number | null;
  /** Bytes the header occupies: 2 to 14. */
  readonly headerLength: number;
}

/** What {@link parseFrameHeader} found. */
export type HeaderResult =
  | { readonly kind: "more" }
  | { readonly kind: "header"; readonly header: FrameHeader }
  | FrameError;

/** The single "need more bytes" answer (no allocation per call). */
export const NEED_MORE: HeaderResult = Object.freeze({ kind: "more" });

const KNOWN_OPCODES = new Set<number>(Object.values(OPCODE));

/** Big-endian uint32 at `buf[at]`. */
function u32(buf: Uint8Array, at: number): number {
  return buf[at] * 0x1000000 + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
}

/**
 * Parses the frame header at `buf[start..end)` (§5.2). Checks, in wire order:
 * RSV bits, opcode, control-frame rules (§5.5: FIN set, ≤ 125 bytes), minimal
 * length encoding and the 64-bit length's top bit. Masking rules depend on
 * the role and are the caller's (§5.1).
 */
export function parseFrameHeader(buf: Uint8Array, start = 0, end = buf.length): HeaderResult {
  if (end - start < 2) return NEED_MORE;
  const b0 = buf[start];
  const b1 = buf[start + 1];
  if ((b0 & 0x70) !== 0) return frameError(CLOSE.protocolError, "reserved bits set");
  const opcode = b0 & 0x0f;
  if (!KNOWN_OPCODES.has(opcode)) {
    return frameError(CLOSE.protocolError, `unknown opcode 0x${opcode.toString(16)}`);
  }
  const fin = (b0 & 0x80) !== 0;
  const masked = (b1 & 0x80) !== 0;
  let length = b1 & 0x7f;
  if (opcode >= 0x8) {
    // §5.5: control frames are never fragmented and carry at most 125 bytes.
    if (!fin) return frameError(CLOSE.protocolError, "fragmented control frame");
    if (length > MAX_CONTROL_PAYLOAD) {
      return frameError(CLOSE.protocolError, "control frame over 125 bytes");
    }
  }
  let at = start + 2;
  if (length === 126) {
    // §5.2: 16-bit extended length; "the minimal number of bytes MUST be used".
    if (end - at < 2) return NEED_MORE;
    length = (buf[at] << 8) | buf[at + 1];
    if (length < 126) return frameError(CLOSE.protocolError, "non-minimal length encoding");
    at += 2;
  } else if (length === 127) {
    // §5.2: 64-bit extended length, most significant bit 0.
    if (end - at < 8) return NEED_MORE;
    const hi = u32(buf, at);
    if (hi >= 0x80000000) {
      return frameError(CLOSE.protocolError, "64-bit length has its top bit set");
    }
    if (hi >= 0x200000) return frameError(CLOSE.tooBig, "length of 2^53 bytes or more");
    length = hi * 0x100000000 + u32(buf, at + 4);
    if (length < 0x10000) return frameError(CLOSE.protocolError, "non-minimal length encoding");
    at += 8;
  }
  let maskKey: number | null = null;
  if (masked) {
    if (end - at < 4) return NEED_MORE;
    maskKey = u32(buf, at);
    at += 4;
  }
  const headerLength = at - start;
  return {
    kind: "header",
    header: { fin, opcode: opcode as Opcode, masked, payloadLength: length, maskKey, headerLength },
  };
}

/** Bytes of the header for this payload length (§5.2): 2, 4 or 10, plus 4 if masked. */
export function headerLength(payloadLength: number, masked: boolean): number {
  const base = payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Writes one frame — header, then payload, masked with `maskKey` (a
 * big-endian uint32) when given — into `out` at `at`, which must have
 * `headerLength(n, masked) + n` bytes free. Returns the end offset. Unchecked:
 * {@link encodeFrame} is the checked form.
 */
export function writeFrame(
  out: Uint8Array,
  at: number,
  opcode: Opcode,
  payload: Uint8Array,
  fin: boolean,
  maskKey: number | null,
): number {
  const n = payload.length;
  const maskBit = maskKey === null ? 0 : 0x80;
  out[at] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) {
    out[at + 1] = maskBit | n;
    at += 2;
  } else if (n < 0x10000) {
    out[at + 1] = maskBit | 126;
    out[at + 2] = n >>> 8;
    out[at + 3] = n & 0xff;
    at += 4;
  } else {
    out[at + 1] = maskBit | 127;
    const hi = Math.floor(n / 0x100000000);
    for (let i = 0; i < 4; i++) out[at + 2 + i] = (hi >>> (24 - 8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) out[at + 6 + i] = (n >>> (24 - 8 * i)) & 0xff;
    at += 10;
  }
  if (maskKey !== null) {
    for (let i = 0; i < 4; i++) out[at + i] = (maskKey >>> (24 - 8 * i)) & 0xff;
    at += 4;
  }
  out.set(payload, at);
  if (maskKey !== null) unmask(out.subarray(at, at + n), maskKey);
  return at + n;
}

/** Options of {@link encodeFrame}. */
export interface EncodeOptions {
  /** The 4-byte masking key; clients MUST mask every frame (§5.3). Default: unmasked. */
  mask?: Uint8Array;
  /** FIN bit (default true). Control frames must keep it set (§5.5). */
  fin?: boolean;
}

/**
 * Encodes one frame, header and payload in ONE new buffer, so that sending it
 * is a single write (§5.2). With `mask`, the payload is masked in the copy
 * (§5.3); the caller's bytes are not touched. Throws `RangeError` on a bad
 * opcode, a control frame over 125 bytes or without FIN, or a bad mask.
 */
export function encodeFrame(
  opcode: Opcode,
  payload: Uint8Array,
  options: EncodeOptions = {},
): Uint8Array {
  const fin = options.fin ?? true;
  const mask = options.mask;
  if (!KNOWN_OPCODES.has(opcode)) throw new RangeError(`encodeFrame: opcode is ${opcode}`);
  if (opcode >= 0x8 && (!fin || payload.length > MAX_CONTROL_PAYLOAD)) {
    throw new RangeError(
      `encodeFrame: control frame needs fin and ≤ 125 bytes, got ${payload.length}`,
    );
  }
  if (mask !== undefined && mask.length !== 4) {
    throw new RangeError(`encodeFrame: mask must be 4 bytes, got ${mask.length}`);
  }
  const out = new Uint8Array(headerLength(payload.length, mask !== undefined) + payload.length);
  writeFrame(out, 0, opcode, payload, fin, mask === undefined ? null : u32(mask, 0));
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * XORs `data` in place with the masking key (§5.3): 4 bytes, or their
 * big-endian uint32. Masking and unmasking are the same operation.
 * `keyOffset` is the position of `data[0]` in the payload (for a payload
 * processed in pieces). Works a 32-bit word at a time where aligned.
 */
export function unmask(data: Uint8Array, key: Uint8Array | number, keyOffset = 0): void {
  const k = typeof key === "number" ? key : u32(key, 0);
  const byteAt = (i: number) => (k >>> (24 - 8 * ((keyOffset + i) & 3))) & 0xff;
  const n = data.length;
  let i = 0;
  // Bytes until data's address is 4-aligned, then whole words, then the tail.
  const lead = Math.min(n, (4 - (data.byteOffset & 3)) & 3);
  for (; i < lead; i++) data[i] ^= byteAt(i);
  const words = (n - i) >>> 2;
  if (words > 0) {
    // The key rotated to start at this position, as the platform reads a word.
    const s = ((keyOffset + i) & 3) * 8;
    const r = s === 0 ? k : ((k << s) | (k >>> (32 - s))) >>> 0;
    const m = LITTLE_ENDIAN
      ? ((r & 0xff) << 24) | (((r >>> 8) & 0xff) << 16) | (((r >>> 16) & 0xff) << 8) | (r >>> 24)
      : r | 0;
    // Int32 rather than Uint32: stays in small integers, no conversion to doubles.
    const view = new Int32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= m;
    i += words * 4;
  }
  for (; i < n; i++) data[i] ^= byteAt(i);
}
