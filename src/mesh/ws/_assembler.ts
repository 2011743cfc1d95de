/**
 * Reassembles fragmented messages (RFC 6455 §5.4): a binary frame opens a
 * message, continuation frames extend it, FIN ends it. Control frames may
 * come between fragments and never reach here. The reader caps each data
 * frame at `remaining()`, so a message never outgrows the cap in total.
 *
 * Fragments are copied into one buffer that doubles as needed (up to the
 * cap), not kept as a list: a peer sending a million 1-byte fragments costs
 * a megabyte, not a million objects.
 * @module
 */
import { CLOSE, type FrameError, frameError } from "./close.ts";
import { OPCODE } from "./frame.ts";

/** First buffer size of a fragmented message. */
export const FIRST_FRAGMENT_BUFFER_BYTES = 16 * 1024;

const EMPTY = new Uint8Array(0);

/** Joins data frames into messages. */
export class MessageAssembler {
  #max: number;
  #buf = EMPTY;
  #total = 0;
  #open = false;

  /** An assembler for messages of at most `maxMessageBytes`. */
  constructor(maxMessageBytes: number) {
    this.#max = maxMessageBytes;
  }

  /** Payload bytes the next data frame may carry. */
  remaining(): number {
    return this.#max - this.#total;
  }

  /**
   * Takes one data frame (binary or continuation). Returns the finished
   * message, null while the message is incomplete, or a protocol error.
   */
  push(fin: boolean, opcode: number, payload: Uint8Array): Uint8Array | null | FrameError {
    if ((opcode === OPCODE.continuation) !== this.#open) {
      return frameError(
        CLOSE.protocolError,
        this.#open ? "new message inside a fragmented one" : "continuation without a message",
      );
    }
    if (fin && !this.#open) return payload;
    this.#open = true;
    const need = this.#total + payload.length;
    if (need > this.#buf.length) {
      const size = Math.max(need, this.#buf.length * 2, FIRST_FRAGMENT_BUFFER_BYTES);
      const grown = new Uint8Array(Math.min(this.#max, size));
      grown.set(this.#buf.subarray(0, this.#total));
      this.#buf = grown;
    }
    this.#buf.set(payload, this.#total);
    this.#total = need;
    if (!fin) return null;
    const message = need === this.#buf.length ? this.#buf : this.#buf.slice(0, need);
    this.#buf = EMPTY;
    this.#total = 0;
    this.#open = false;
    return message;
  }
}
