/**
 * Reassembles fragmented messages (RFC 6455 §5.4): a binary frame opens a
 * message, continuation frames extend it, FIN ends it. Control frames may
 * come between fragments and never reach here. The reader caps each data
 * frame at `remaining()`, so a message never outgrows the cap in total.
 * @module
 */
import { join } from "./_writer.ts";
import { CLOSE, type FrameError, frameError, OPCODE } from "./frame.ts";

/** Joins data frames into messages. */
export class MessageAssembler {
  #max: number;
  #parts: Uint8Array[] = [];
  #total = 0;
  #open = false;

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
    this.#parts.push(payload);
    this.#total += payload.length;
    if (!fin) return null;
    const message = join(this.#parts, this.#total);
    this.#parts = [];
    this.#total = 0;
    this.#open = false;
    return message;
  }
}
