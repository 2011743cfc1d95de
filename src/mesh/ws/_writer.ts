/**
 * The sending half of a connection: encodes frames for our role and writes
 * them through one loop, so two frames' bytes never interleave (§5.4, "MUST
 * NOT be interleaved"). Frames queued while a write is in flight are joined
 * into the next write, up to `batchBytes`; each `enqueue` promise resolves
 * once its bytes are handed to the socket, which is the sender's backpressure.
 * @module
 */
import { type ByteStream, writeAll } from "./_io.ts";
import { encodeFrame, OPCODE, type Opcode } from "./frame.ts";

/** Options of {@link FrameWriter}. */
export interface FrameWriterOptions {
  /** Clients mask every frame with a fresh random key (§5.3); servers never mask. */
  mask: boolean;
  /** Join queued frames into one write up to this many bytes. */
  batchBytes: number;
  /** Split a message into frames of at most this many payload bytes (Infinity: never). */
  fragmentBytes: number;
  /** Called once when a write fails; the queue is rejected with `closedError()`. */
  onError: (error: Error) => void;
  /** The error that rejects frames that could not be written. */
  closedError: () => Error;
}

interface Write {
  bytes: Uint8Array;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Concatenates `parts` whose lengths add up to `total`. */
export function join(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Encodes and writes frames in order. */
export class FrameWriter {
  #socket: ByteStream;
  #o: FrameWriterOptions;
  #writes: Write[] = [];
  #writing = false;
  #stopped = false;
  #done: Promise<void> = Promise.resolve();

  constructor(socket: ByteStream, options: FrameWriterOptions) {
    this.#socket = socket;
    this.#o = options;
  }

  /** One frame, masked when we are the client (§5.3). */
  frame(opcode: Opcode, payload: Uint8Array, fin = true): Uint8Array {
    const mask = this.#o.mask ? crypto.getRandomValues(new Uint8Array(4)) : undefined;
    return encodeFrame(opcode, payload, { mask, fin });
  }

  /** One binary message as one buffer: a single frame, or its fragments back to back (§5.4). */
  message(data: Uint8Array): Uint8Array {
    const size = this.#o.fragmentBytes;
    if (data.length <= size) return this.frame(OPCODE.binary, data);
    const frames: Uint8Array[] = [];
    let total = 0;
    for (let at = 0; at < data.length; at += size) {
      const end = Math.min(at + size, data.length);
      const opcode = at === 0 ? OPCODE.binary : OPCODE.continuation;
      const f = this.frame(opcode, data.subarray(at, end), end === data.length);
      frames.push(f);
      total += f.length;
    }
    return join(frames, total);
  }

  /** Queues encoded bytes; resolves once they are written, rejects if they never will be. */
  enqueue(bytes: Uint8Array): Promise<void> {
    if (this.#stopped) return Promise.reject(this.#o.closedError());
    return new Promise((resolve, reject) => {
      this.#writes.push({ bytes, resolve, reject });
      if (!this.#writing) {
        this.#writing = true;
        this.#done = this.#run();
      }
    });
  }

  /** Resolves once the queue is empty and no write is in flight (written or failed). */
  flushed(): Promise<void> {
    return this.#writing ? this.#done : Promise.resolve();
  }

  /** Rejects everything still queued and refuses new frames. Resolves when the loop has ended. */
  stop(): Promise<void> {
    this.#stopped = true;
    for (const w of this.#writes.splice(0)) w.reject(this.#o.closedError());
    return this.#done;
  }

  async #run(): Promise<void> {
    try {
      while (this.#writes.length > 0) {
        const batch = this.#takeBatch();
        const bytes = batch.length === 1
          ? batch[0].bytes
          : join(batch.map((w) => w.bytes), batch.reduce((n, w) => n + w.bytes.length, 0));
        try {
          await writeAll(this.#socket, bytes);
        } catch (e) {
          for (const w of [...batch, ...this.#writes.splice(0)]) w.reject(this.#o.closedError());
          this.#stopped = true;
          this.#o.onError(e as Error);
          return;
        }
        for (const w of batch) w.resolve();
      }
    } finally {
      this.#writing = false;
    }
  }

  #takeBatch(): Write[] {
    const batch = [this.#writes.shift()!];
    let size = batch[0].bytes.length;
    while (this.#writes.length > 0 && size + this.#writes[0].bytes.length <= this.#o.batchBytes) {
      size += this.#writes[0].bytes.length;
      batch.push(this.#writes.shift()!);
    }
    return batch;
  }
}
