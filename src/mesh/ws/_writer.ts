/**
 * The sending half of a connection: encodes frames for our role and writes
 * them through one loop, so two frames' bytes never interleave (§5.4, "MUST
 * NOT be interleaved").
 *
 * Frames are encoded at once into the open write chunk, a reusable buffer of
 * `batchBytes`; while one chunk is being written the next one fills up, so a
 * burst of small messages costs one copy each and one write per chunk. A
 * frame bigger than a chunk gets a chunk of its own, so a header and its
 * payload always go out in one write loop. Each `enqueue` promise resolves
 * once its chunk is handed to the socket: that is the sender's backpressure.
 * @module
 */
import { type ByteStream, writeAll } from "./_io.ts";
import { headerLength, OPCODE, type Opcode, writeFrame } from "./frame.ts";

/** Masking keys drawn from the CSPRNG at a time (4 bytes each, §5.3, §10.3). */
export const MASK_POOL_KEYS = 1024;

/** Options of {@link FrameWriter}. */
export interface FrameWriterOptions {
  /** Clients mask every frame with a fresh random key (§5.3); servers never mask. */
  mask: boolean;
  /** Size of a write chunk: frames queued together go out in one write up to this size. */
  batchBytes: number;
  /** Split a message into frames of at most this many payload bytes (Infinity: never). */
  fragmentBytes: number;
  /** Called once when a write fails; every queued frame is rejected with `closedError()`. */
  onError: (error: Error) => void;
  /** The error that rejects frames that could not be written. */
  closedError: () => Error;
}

interface Chunk {
  buf: Uint8Array;
  length: number;
  settle: { resolve: () => void; reject: (e: Error) => void }[];
}

/** Encodes and writes frames in order. */
export class FrameWriter {
  #socket: ByteStream;
  #o: FrameWriterOptions;
  #chunks: Chunk[] = [];
  #spare: Uint8Array | null = null;
  #masks = new Uint32Array(MASK_POOL_KEYS);
  #nextMask = MASK_POOL_KEYS;
  #writing = false;
  #stopped = false;
  #done: Promise<void> = Promise.resolve();

  /** A writer over `socket`; it writes nothing until something is queued. */
  constructor(socket: ByteStream, options: FrameWriterOptions) {
    this.#socket = socket;
    this.#o = options;
  }

  /** Queues one binary message — one frame, or fragments of `fragmentBytes` (§5.4). */
  message(data: Uint8Array): Promise<void> {
    const size = this.#o.fragmentBytes;
    if (data.length <= size) return this.#enqueue([[OPCODE.binary, data, true]]);
    const frames: [Opcode, Uint8Array, boolean][] = [];
    for (let at = 0; at < data.length; at += size) {
      const end = Math.min(at + size, data.length);
      frames.push([
        at === 0 ? OPCODE.binary : OPCODE.continuation,
        data.subarray(at, end),
        end === data.length,
      ]);
    }
    return this.#enqueue(frames);
  }

  /** Queues one control frame (close, ping, pong); `payload` ≤ 125 bytes (§5.5). */
  control(opcode: Opcode, payload: Uint8Array): Promise<void> {
    return this.#enqueue([[opcode, payload, true]]);
  }

  /** Resolves once nothing is queued and no write is in flight (written or failed). */
  flushed(): Promise<void> {
    return this.#writing ? this.#done : Promise.resolve();
  }

  /** Rejects everything still queued and refuses new frames. Resolves when the loop has ended. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#rejectQueued();
    return this.#done;
  }

  /** A fresh masking key from the pool (refilled from the CSPRNG). */
  #mask(): number | null {
    if (!this.#o.mask) return null;
    if (this.#nextMask === MASK_POOL_KEYS) {
      crypto.getRandomValues(this.#masks);
      this.#nextMask = 0;
    }
    return this.#masks[this.#nextMask++];
  }

  /** Encodes the frames into the open chunk (or a new one) right now: the caller's bytes are copied. */
  #enqueue(frames: [Opcode, Uint8Array, boolean][]): Promise<void> {
    if (this.#stopped) return Promise.reject(this.#o.closedError());
    let size = 0;
    for (const [, payload] of frames) {
      size += headerLength(payload.length, this.#o.mask) + payload.length;
    }
    let chunk = this.#chunks.at(-1);
    if (!chunk || chunk.length + size > chunk.buf.length) {
      const buf = size > this.#o.batchBytes
        ? new Uint8Array(size)
        : this.#takeSpare() ?? new Uint8Array(this.#o.batchBytes);
      chunk = { buf, length: 0, settle: [] };
      this.#chunks.push(chunk);
    }
    for (const [opcode, payload, fin] of frames) {
      chunk.length = writeFrame(chunk.buf, chunk.length, opcode, payload, fin, this.#mask());
    }
    const c = chunk;
    const promise = new Promise<void>((resolve, reject) => c.settle.push({ resolve, reject }));
    if (!this.#writing) {
      this.#writing = true;
      this.#done = this.#run();
    }
    return promise;
  }

  #takeSpare(): Uint8Array | null {
    const spare = this.#spare;
    this.#spare = null;
    return spare;
  }

  async #run(): Promise<void> {
    try {
      // Yield once so that frames queued in the same tick share the first write.
      await Promise.resolve();
      while (this.#chunks.length > 0) {
        const chunk = this.#chunks.shift()!; // closed for appends from here on
        try {
          await writeAll(this.#socket, chunk.buf.subarray(0, chunk.length));
        } catch (e) {
          for (const s of chunk.settle) s.reject(this.#o.closedError());
          this.#stopped = true;
          this.#rejectQueued();
          this.#o.onError(e as Error);
          return;
        }
        for (const s of chunk.settle) s.resolve();
        if (chunk.buf.length === this.#o.batchBytes) this.#spare = chunk.buf;
      }
    } finally {
      this.#writing = false;
    }
  }

  #rejectQueued(): void {
    for (const chunk of this.#chunks.splice(0)) {
      for (const s of chunk.settle) s.reject(this.#o.closedError());
    }
  }
}
