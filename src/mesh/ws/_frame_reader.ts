/**
 * Reads frames off a byte stream with bounded memory (RFC 6455 §5.2, §10.4).
 *
 * Socket reads go in chunks into one reusable buffer, so one read can bring
 * many small frames. A frame's header is parsed and checked — RSV bits,
 * opcode, masking for our role, and its length against the caller's cap —
 * before any of its payload is read or any memory is allocated for it. A
 * payload that fits the buffer is copied out of it; a bigger one (up to the
 * cap) gets its own exact-size allocation and is read straight into it, so
 * the reusable buffer never grows and no payload is copied twice.
 * @module
 */
import { CLOSE, type FrameError, frameError } from "./close.ts";
import { NEED_MORE, OPCODE, type Opcode, parseFrameHeader, unmask } from "./frame.ts";

/** One frame with its payload unmasked and owned by the caller. */
export interface Frame {
  /** Last frame of its message. */
  readonly fin: boolean;
  /** Frame type (§5.2). */
  readonly opcode: Opcode;
  /** Unmasked payload, a fresh array. */
  readonly payload: Uint8Array;
}

/** Options of {@link FrameReader}. */
export interface FrameReaderOptions {
  /** Servers require masked frames, clients require unmasked ones (§5.1). */
  expectMasked: boolean;
  /** Size of the reusable read buffer. */
  bufferBytes: number;
  /** Bytes already read past the HTTP head: the start of the frame stream. */
  leftover?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Pulls frames from `source`, one `next()` at a time; nothing is read ahead of demand. */
export class FrameReader {
  #source: { read(p: Uint8Array): Promise<number | null> };
  #expectMasked: boolean;
  #buf: Uint8Array;
  #start = 0;
  #end = 0;

  /** A reader over `source`, starting with `options.leftover`. */
  constructor(
    source: { read(p: Uint8Array): Promise<number | null> },
    options: FrameReaderOptions,
  ) {
    this.#source = source;
    this.#expectMasked = options.expectMasked;
    const leftover = options.leftover ?? EMPTY;
    this.#buf = new Uint8Array(Math.max(options.bufferBytes, leftover.length, 16));
    this.#buf.set(leftover);
    this.#end = leftover.length;
  }

  /**
   * The next frame, a protocol error to close with, or null at end of stream
   * (also when it ends inside a frame). `maxDataPayload` caps a data frame's
   * length (control frames are capped at 125 by the codec). With `discard`,
   * data payloads are skipped through the reusable buffer and returned empty,
   * and text frames are not an error (used while closing, §7.1.2).
   */
  async next(maxDataPayload: number, discard = false): Promise<Frame | FrameError | null> {
    for (;;) {
      const r = parseFrameHeader(this.#buf, this.#start, this.#end);
      if (r === NEED_MORE) {
        if (!(await this.#fill())) return null;
        continue;
      }
      if (r.kind === "error") return r;
      if (r.kind !== "header") return null; // unreachable: NEED_MORE is handled above
      const h = r.header;
      if (h.masked !== this.#expectMasked) {
        return frameError(
          CLOSE.protocolError,
          h.masked ? "masked server frame" : "unmasked client frame",
        );
      }
      const isData = h.opcode < 0x8;
      if (!discard && h.opcode === OPCODE.text) {
        return frameError(CLOSE.unsupportedData, "text messages are not accepted");
      }
      if (isData && h.payloadLength > maxDataPayload) {
        return frameError(CLOSE.tooBig, "message too big");
      }
      this.#start += h.headerLength;
      if (discard && isData) {
        if (!(await this.#skip(h.payloadLength))) return null;
        return { fin: h.fin, opcode: h.opcode, payload: EMPTY };
      }
      const payload = await this.#payload(h.payloadLength);
      if (payload === null) return null;
      if (h.maskKey !== null) unmask(payload, h.maskKey);
      return { fin: h.fin, opcode: h.opcode, payload };
    }
  }

  /** Reads and drops everything until end of stream (lingering close). */
  async drain(): Promise<void> {
    this.#start = this.#end = 0;
    while ((await this.#source.read(this.#buf)) !== null) { /* dropped */ }
  }

  /** Reads `n` payload bytes into a new array; null at end of stream. */
  async #payload(n: number): Promise<Uint8Array | null> {
    const buf = this.#buf;
    if (n <= buf.length) {
      if (this.#start + n > buf.length) this.#compact();
      while (this.#end - this.#start < n) if (!(await this.#fill())) return null;
      const out = buf.slice(this.#start, this.#start + n);
      this.#start += n;
      return out;
    }
    // Bigger than the buffer: allocate exactly (the cap was checked) and read into it.
    const out = new Uint8Array(n);
    let at = this.#end - this.#start;
    out.set(buf.subarray(this.#start, this.#end));
    this.#start = this.#end = 0;
    while (at < n) {
      const k = await this.#source.read(out.subarray(at));
      if (k === null) return null;
      at += k;
    }
    return out;
  }

  /** Consumes `n` bytes without keeping them; false at end of stream. */
  async #skip(n: number): Promise<boolean> {
    let left = n;
    for (;;) {
      const take = Math.min(left, this.#end - this.#start);
      this.#start += take;
      left -= take;
      if (left === 0) return true;
      if (!(await this.#fill())) return false;
    }
  }

  #compact(): void {
    this.#buf.copyWithin(0, this.#start, this.#end);
    this.#end -= this.#start;
    this.#start = 0;
  }

  /** One socket read into the free end of the buffer; false at end of stream. */
  async #fill(): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    else if (this.#end === this.#buf.length) this.#compact();
    const n = await this.#source.read(this.#buf.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    return true;
  }
}
