/**
 * Close codes and the close frame's payload (RFC 6455 §5.5.1, §7.4), and the
 * failure type every parser here returns: a close code with a reason.
 * Pure: no I/O.
 * @module
 */

/** Largest close reason in UTF-8 bytes: a control payload (125) minus the 2-byte code (§5.5.1). */
export const MAX_CLOSE_REASON_BYTES = 123;

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

/** A protocol failure, with the close code to send (§7.4.1). */
export interface FrameError {
  /** Tells errors from results. */
  readonly kind: "error";
  /** The close code to send (§7.4.1). */
  readonly code: number;
  /** Why, for logs and the close frame; never peer bytes. */
  readonly reason: string;
}

/** Builds a {@link FrameError}. */
export function frameError(code: number, reason: string): FrameError {
  return { kind: "error", code, reason };
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
  /** Tells results from errors. */
  readonly kind: "close";
  /** The status code, or 1005 when the frame had none (§7.1.5). */
  readonly code: number;
  /** The UTF-8 reason, possibly "". */
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
