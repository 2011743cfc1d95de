/**
 * Plaintext frames inside the encrypted link (PROTOCOL §3):
 * `type (u8) ‖ body`. Decoding never throws; malformed input yields a reason.
 * @module
 */
import { fromUtf8, utf8 } from "../../util/bytes.ts";

/** Frame types (PROTOCOL §3). */
export const FrameType = {
  Ping: 0x01,
  Pong: 0x02,
  Envelope: 0x10,
  Ack: 0x11,
  Control: 0x20,
  Relayed: 0x30,
} as const;

/** Largest CONTROL frame body (PROTOCOL §3). */
export const MAX_CONTROL_BYTES = 64 * 1024;

/** A control message: a JSON object with a type `t` (PROTOCOL §7). */
export type ControlMessage = { t: string; [field: string]: unknown };

/** A decoded frame. */
export type Frame =
  | { type: "ping"; nonce: number }
  | { type: "pong"; nonce: number }
  | { type: "envelope"; bytes: Uint8Array }
  | { type: "ack"; processed: number; window: number }
  | { type: "control"; message: ControlMessage }
  | { type: "relayed"; to: string; from: string; sealed: Uint8Array }
  | { type: "unknown"; code: number };

function u64(view: DataView, at: number): number {
  return view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
}

function putU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, Math.floor(n / 2 ** 32));
  view.setUint32(at + 4, n >>> 0);
}

/** PING/PONG frame. */
export function encodePing(nonce: number, pong = false): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = pong ? FrameType.Pong : FrameType.Ping;
  putU64(new DataView(out.buffer), 1, nonce);
  return out;
}

/** ENVELOPE frame around encoded envelope bytes. */
export function encodeEnvelopeFrame(envelope: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + envelope.length);
  out[0] = FrameType.Envelope;
  out.set(envelope, 1);
  return out;
}

/** ACK frame (PROTOCOL §5). */
export function encodeAck(processed: number, window: number): Uint8Array {
  const out = new Uint8Array(13);
  const view = new DataView(out.buffer);
  out[0] = FrameType.Ack;
  putU64(view, 1, processed);
  view.setUint32(9, window);
  return out;
}

/** CONTROL frame; throws `RangeError` when the JSON is over the cap (a bug in the caller). */
export function encodeControl(message: ControlMessage): Uint8Array {
  const json = utf8(JSON.stringify(message));
  if (json.length > MAX_CONTROL_BYTES) {
    throw new RangeError(`control message "${message.t}" is ${json.length} bytes`);
  }
  const out = new Uint8Array(1 + json.length);
  out[0] = FrameType.Control;
  out.set(json, 1);
  return out;
}

/** RELAYED frame (PROTOCOL §7.5). */
export function encodeRelayed(to: string, from: string, sealed: Uint8Array): Uint8Array {
  const id = /^[\x21-\x7e]{16}$/;
  if (!id.test(to) || !id.test(from)) {
    throw new RangeError("relayed: peer ids must be 16 ASCII characters");
  }
  const out = new Uint8Array(33 + sealed.length);
  out[0] = FrameType.Relayed;
  out.set(utf8(to), 1);
  out.set(utf8(from), 17);
  out.set(sealed, 33);
  return out;
}

/** Decodes a plaintext frame; a string is the reason it is malformed. */
export function decodeFrame(bytes: Uint8Array): Frame | string {
  if (bytes.length === 0) return "empty frame";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes[0]) {
    case FrameType.Ping:
    case FrameType.Pong:
      if (bytes.length !== 9) return "bad ping length";
      return { type: bytes[0] === FrameType.Ping ? "ping" : "pong", nonce: u64(view, 1) };
    case FrameType.Envelope:
      return { type: "envelope", bytes: bytes.subarray(1) };
    case FrameType.Ack:
      if (bytes.length !== 13) return "bad ack length";
      return { type: "ack", processed: u64(view, 1), window: view.getUint32(9) };
    case FrameType.Control: {
      if (bytes.length - 1 > MAX_CONTROL_BYTES) return "control frame too large";
      let message: unknown;
      try {
        message = JSON.parse(fromUtf8(bytes.subarray(1)));
      } catch {
        return "control frame is not JSON";
      }
      if (
        typeof message !== "object" || message === null || Array.isArray(message) ||
        typeof (message as ControlMessage).t !== "string"
      ) {
        return "control frame is not an object with a type";
      }
      return { type: "control", message: message as ControlMessage };
    }
    case FrameType.Relayed: {
      if (bytes.length < 33) return "relayed frame too short";
      const ascii = (a: number) => String.fromCharCode(...bytes.subarray(a, a + 16));
      return { type: "relayed", to: ascii(1), from: ascii(17), sealed: bytes.subarray(33) };
    }
    default:
      return { type: "unknown", code: bytes[0] };
  }
}
