/**
 * The WebSocket frame codec (RFC 6455 §5). Pure: no I/O, no timers.
 *
 * `parseFrameHeader` is incremental: it looks at the bytes received so far and
 * answers "need more", a header, or a protocol error — and it answers as soon
 * as the bytes it has decide it, so a length that is too big is refused before
 * a single payload byte is read. Canopy uses no extensions, so every RSV bit
 * must be 0 (§5.2).
 * @module
 */

/** Largest payload of a control frame (close, ping, pong), §5.5. */
export const MAX_CONTROL_PAYLOAD = 125;
/** Largest close reason in UTF-8 bytes: a control payload minus the 2-byte code (§5.5.1). */
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;
/** Payload lengths must fit a JavaScript integer exactly; we refuse 2^53 and above. */
export const MAX_REPRESENTABLE_LENGTH = Number.MAX_SAFE_INTEGER;

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

/** Close status codes we use (§7.4.1, IANA "WebSocket Close Code Number Registry"). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  /** Never on the wire: "the close frame had no code" (§7.1.5). */
  noStatus: 1005,
  /** Never on the wire: "closed without a close frame" (§7.1.5). */
  abnormal: 1006,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooBig: 1009,
  internalError: 1011,
} as const;

/** A parsed frame header (§5.2). */
export interface FrameHeader {
  /** FIN: this is the last frame of its message. */
  readonly fin: boolean;
  readonly opcode: Opcode;
  /** MASK bit: a masking key follows the length (§5.3). */
  readonly masked: boolean;
  /** Payload length in bytes, always below 2^53. */
  readonly payloadLength: number;
  /** The 4-byte masking key (a copy), or null when unmasked. */
  readonly maskKey: Uint8Array | null;
  /** Bytes the header occupies: 2 to 14. */
  readonly headerLength: number;
}

/** A protocol failure, with the close code to send (§7.4.1). */
export interface FrameError {
  readonly kind: "error";
  readonly code: number;
  readonly reason: string;
}

/** What {@link parseFrameHeader} found. */
export type HeaderResult =
  | { readonly kind: "more" }
  | { readonly kind: "header"; readonly header: FrameHeader }
  | FrameError;

/** The single "need more bytes" answer (no allocation per call). */
export const NEED_MORE: HeaderResult = Object.freeze({ kind: "more" });

/** Builds a {@link FrameError}. */
export function frameError(code: number, reason: string): FrameError {
  return { kind: "error", code, reason };
}

const KNOWN_OPCODES = new Set<number>(Object.values(OPCODE));

/**
 * Parses the frame header at `buf[start..end)` (§5.2). Checks, in wire order:
 * RSV bits, opcode, control-frame rules (§5.5: FIN set, ≤ 125 bytes), minimal
 * length encoding and the 64-bit length's top bit. Masking rules depend on
 * the role and are the caller's (§5.1).
 */
export function parseFrameHeader(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
): HeaderResult {
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
    const hi = buf[at] * 0x1000000 + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
    const lo = buf[at + 4] * 0x1000000 + ((buf[at + 5] << 16) | (buf[at + 6] << 8) | buf[at + 7]);
    if (hi >= 0x80000000) {
      return frameError(CLOSE.protocolError, "64-bit length has its top bit set");
    }
    if (hi >= 0x200000) return frameError(CLOSE.tooBig, "length of 2^53 bytes or more");
    length = hi * 0x100000000 + lo;
    if (length < 0x10000) return frameError(CLOSE.protocolError, "non-minimal length encoding");
    at += 8;
  }
  let maskKey: Uint8Array | null = null;
  if (masked) {
    if (end - at < 4) return NEED_MORE;
    maskKey = buf.slice(at, at + 4);
    at += 4;
  }
  return {
    kind: "header",
    header: {
      fin,
      opcode: opcode as Opcode,
      masked,
      payloadLength: length,
      maskKey,
      headerLength: at - start,
    },
  };
}

/** Options of {@link encodeFrame}. */
export interface EncodeOptions {
  /** The 4-byte masking key; clients MUST mask every frame (§5.3). Default: unmasked. */
  mask?: Uint8Array;
  /** FIN bit (default true). Control frames must keep it set (§5.5). */
  fin?: boolean;
}

/** Bytes of the header that {@link encodeFrame} writes for this payload length. */
export function headerLength(payloadLength: number, masked: boolean): number {
  const base = payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
  return masked ? base + 4 : base;
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
  const n = payload.length;
  const hl = headerLength(n, mask !== undefined);
  const out = new Uint8Array(hl + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  let at = 2;
  if (n < 126) {
    out[1] = maskBit | n;
  } else if (n < 0x10000) {
    out[1] = maskBit | 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
    at = 4;
  } else {
    out[1] = maskBit | 127;
    const hi = Math.floor(n / 0x100000000);
    out[2] = hi >>> 24;
    out[3] = (hi >>> 16) & 0xff;
    out[4] = (hi >>> 8) & 0xff;
    out[5] = hi & 0xff;
    out[6] = n >>> 24;
    out[7] = (n >>> 16) & 0xff;
    out[8] = (n >>> 8) & 0xff;
    out[9] = n & 0xff;
    at = 10;
  }
  if (mask) {
    out.set(mask, at);
    at += 4;
  }
  out.set(payload, at);
  if (mask) unmask(out.subarray(at), mask);
  return out;
}

/**
 * XORs `data` in place with the masking key (§5.3). Masking and unmasking are
 * the same operation. `keyOffset` is the position of `data[0]` in the payload
 * (for a payload processed in pieces). Works a word at a time where aligned.
 */
export function unmask(data: Uint8Array, key: Uint8Array, keyOffset = 0): void {
  const n = data.length;
  let i = 0;
  // Bytes until data's address is 4-aligned, then whole words, then the tail.
  const lead = Math.min(n, (4 - (data.byteOffset & 3)) & 3);
  for (; i < lead; i++) data[i] ^= key[(keyOffset + i) & 3];
  const words = (n - i) >>> 2;
  if (words > 0) {
    const k = (keyOffset + i) & 3;
    const rotated = new Uint8Array([key[k], key[(k + 1) & 3], key[(k + 2) & 3], key[(k + 3) & 3]]);
    const m = new Uint32Array(rotated.buffer)[0];
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= m;
    i += words * 4;
  }
  for (; i < n; i++) data[i] ^= key[(keyOffset + i) & 3];
}

/**
 * True for a close code that may appear in a close frame (§7.4.1, §7.4.2):
 * 1000–1003, 1007–1014 and 3000–4999. 1004–1006 and 1015 are reserved or
 * never sent; 1016–2999 are reserved for future revisions of the protocol.
 */
export function isValidCloseCode(code: number): boolean {
  return Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
      (code >= 3000 && code <= 4999));
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes a close payload: 2-byte big-endian code, then the UTF-8 reason cut
 * to {@link MAX_CLOSE_REASON_BYTES} on a character boundary (§5.5.1). With no
 * code the payload is empty. Throws `RangeError` on a code not sendable.
 */
export function encodeClosePayload(code?: number, reason = ""): Uint8Array {
  if (code === undefined) {
    if (reason !== "") throw new RangeError("encodeClosePayload: a reason needs a code");
    return new Uint8Array(0);
  }
  if (!isValidCloseCode(code)) throw new RangeError(`encodeClosePayload: code is ${code}`);
  let bytes = encoder.encode(reason);
  if (bytes.length > MAX_CLOSE_REASON_BYTES) {
    let cut = MAX_CLOSE_REASON_BYTES;
    while ((bytes[cut] & 0xc0) === 0x80) cut--; // do not split a UTF-8 sequence
    bytes = bytes.subarray(0, cut);
  }
  const out = new Uint8Array(2 + bytes.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(bytes, 2);
  return out;
}

/** A parsed close payload. */
export interface ClosePayload {
  readonly kind: "close";
  /** The status code, or 1005 when the frame had none (§7.1.5). */
  readonly code: number;
  readonly reason: string;
}

/**
 * Parses a close frame's payload (§5.5.1): empty, or a valid code (§7.4) and
 * a UTF-8 reason. A 1-byte payload or a bad code is a protocol error (1002),
 * a reason that is not UTF-8 is 1007 (§8.1).
 */
export function parseClosePayload(payload: Uint8Array): ClosePayload | FrameError {
  if (payload.length === 0) return { kind: "close", code: CLOSE.noStatus, reason: "" };
  if (payload.length === 1) return frameError(CLOSE.protocolError, "1-byte close payload");
  const code = (payload[0] << 8) | payload[1];
  if (!isValidCloseCode(code)) return frameError(CLOSE.protocolError, `bad close code ${code}`);
  try {
    return { kind: "close", code, reason: strictDecoder.decode(payload.subarray(2)) };
  } catch {
    return frameError(CLOSE.invalidPayload, "close reason is not UTF-8");
  }
}
