/**
 * `WsConn`: one message-oriented WebSocket connection over a socket whose
 * opening handshake is done (RFC 6455 §5, §6, §7).
 *
 * Reading is pull-based: frames are read only while someone waits in
 * `receive()` (or on a `ping()`, or while closing), so a slow consumer slows
 * its peer through TCP instead of filling memory. Writes go through one loop
 * (`_writer.ts`), never interleaved; frames queued while a write is in
 * flight go out together in the next one. Pings are answered, fragmented
 * messages reassembled under the same cap, and any violation closes the
 * connection with the matching code (§7.1.7, §7.4.1).
 *
 * States: open → closing (our close frame is queued, waiting for the peer's,
 * §7.1.2) → draining (client waiting for the server to close TCP, §7.1.1; or
 * either side after a protocol failure, reading and dropping until EOF) or
 * flushing (server writing its last frame before closing TCP) → done. Every
 * state after open is bounded by `closeTimeoutMs`.
 * @module
 */
import { MessageAssembler } from "./_assembler.ts";
import { FrameReader } from "./_frame_reader.ts";
import { PingTracker, PongResponder } from "./_pings.ts";
import { FrameWriter } from "./_writer.ts";
import { WsError } from "./errors.ts";
import { CLOSE, encodeClosePayload, isValidCloseCode, parseClosePayload } from "./close.ts";
import { OPCODE, type Opcode } from "./frame.ts";
import type { CloseInfo, WsConnOptions, WsConnWithPing, WsSocket } from "./types.ts";

export type * from "./types.ts";
export { pickTunables } from "./types.ts";

/** Largest message (and so frame) accepted or sent: 1 MiB (SPEC §4.2). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** How long a close handshake may take before the socket is closed anyway (§7.1.1). */
export const CLOSE_TIMEOUT_MS = 2_000;
/** How long `ping()` waits for its pong. */
export const PING_TIMEOUT_MS = 10_000;
/** Size of the reusable read buffer; one socket read brings at most this much. */
export const READ_BUFFER_BYTES = 64 * 1024;
/** Queued frames are joined into one write up to this many bytes. */
export const WRITE_BATCH_BYTES = 64 * 1024;

function positiveInt(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${field} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Wraps a socket whose handshake is done into a {@link WsConnWithPing}. Takes ownership of it. */
export function openWsConn(socket: WsSocket, options: WsConnOptions): WsConnWithPing {
  return new Connection(socket, options);
}

type State = "open" | "closing" | "draining" | "flushing" | "done";

const closedError = () => new WsError("closed", "connection closed");

class Connection implements WsConnWithPing {
  readonly remoteAddr: { hostname: string; port: number };
  readonly closed: Promise<CloseInfo>;
  #socket: WsSocket;
  #client: boolean;
  #max: number;
  #closeTimeoutMs: number;
  #pingTimeoutMs: number;
  #reader: FrameReader;
  #writer: FrameWriter;
  #assembler: MessageAssembler;
  #pings = new PingTracker();
  #pongs: PongResponder;
  #state: State = "open";
  #info: CloseInfo | null = null;
  #resolveClosed!: (info: CloseInfo) => void;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #background: Promise<unknown>[] = [];
  #waiters: ((m: Uint8Array | null) => void)[] = [];
  #queue: Uint8Array[] = [];
  #pumping = false;
  #pumpDone: Promise<void> = Promise.resolve();

  constructor(socket: WsSocket, o: WsConnOptions) {
    this.#socket = socket;
    this.#client = o.role === "client";
    this.#max = positiveInt("maxMessageBytes", o.maxMessageBytes ?? MAX_MESSAGE_BYTES);
    this.#closeTimeoutMs = positiveInt("closeTimeoutMs", o.closeTimeoutMs ?? CLOSE_TIMEOUT_MS);
    this.#pingTimeoutMs = positiveInt("pingTimeoutMs", o.pingTimeoutMs ?? PING_TIMEOUT_MS);
    this.#assembler = new MessageAssembler(this.#max);
    this.#reader = new FrameReader(socket, {
      expectMasked: !this.#client,
      bufferBytes: positiveInt("readBufferBytes", o.readBufferBytes ?? READ_BUFFER_BYTES),
      leftover: o.leftover,
    });
    this.#writer = new FrameWriter(socket, {
      mask: this.#client,
      batchBytes: positiveInt("writeBatchBytes", o.writeBatchBytes ?? WRITE_BATCH_BYTES),
      fragmentBytes: o.fragmentBytes === undefined
        ? Infinity
        : positiveInt("fragmentBytes", o.fragmentBytes),
      onError: (e) => this.#lost(`write failed: ${e.message}`),
      closedError,
    });
    this.#pongs = new PongResponder(
      (payload) => this.#writer.control(OPCODE.pong, payload),
      () => this.#state === "open",
    );
    const addr = socket.remoteAddr as Partial<Deno.NetAddr>;
    this.remoteAddr = { hostname: addr.hostname ?? "", port: addr.port ?? 0 };
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  send(data: Uint8Array): Promise<void> {
    if (this.#state !== "open") return Promise.reject(closedError());
    if (data.length > this.#max) {
      const error = `send: message of ${data.length} bytes exceeds maxMessageBytes ${this.#max}`;
      return Promise.reject(new RangeError(error));
    }
    return this.#writer.message(data);
  }

  receive(): Promise<Uint8Array | null> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#state !== "open") return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#startPump();
    });
  }

  close(code: number = CLOSE.normal, reason = ""): void {
    if (!isValidCloseCode(code)) throw new RangeError(`close: code is ${code}`);
    if (this.#state !== "open") return;
    const payload = encodeClosePayload(code, reason);
    this.#info = { code, reason: new TextDecoder().decode(payload.subarray(2)), byPeer: false };
    this.#queue = [];
    this.#enterClosing(payload);
  }

  ping(timeoutMs = this.#pingTimeoutMs): Promise<number> {
    if (this.#state !== "open") return Promise.reject(closedError());
    const { payload, rtt } = this.#pings.start(timeoutMs);
    this.#send(OPCODE.ping, payload);
    this.#startPump();
    return rtt;
  }

  /** Queues a control frame; a failed write is handled by `#lost`. */
  #send(opcode: Opcode, payload: Uint8Array): void {
    this.#writer.control(opcode, payload).catch(() => {});
  }

  // --- receiving -------------------------------------------------------------

  /** Read on demand while open (at most one message ahead, for a ping); always while closing. */
  #wantsRead(): boolean {
    if (this.#state === "closing" || this.#state === "draining") return true;
    return this.#state === "open" &&
      (this.#waiters.length > 0 || (this.#pings.size > 0 && this.#queue.length === 0));
  }

  #startPump(): void {
    if (this.#pumping || !this.#wantsRead()) return;
    this.#pumping = true;
    this.#pumpDone = this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#wantsRead()) {
        if (this.#state === "draining") {
          await this.#reader.drain();
          this.#terminate();
          return;
        }
        const r = await this.#reader.next(this.#assembler.remaining(), this.#state !== "open");
        if (this.#state === "done") return;
        if (r === null) this.#lost("connection closed without a close frame");
        else if ("code" in r) this.#fail(r.code, r.reason);
        else this.#onFrame(r.fin, r.opcode, r.payload);
      }
    } catch (e) {
      if (this.#state !== "done") this.#lost(`read failed: ${(e as Error).message}`);
    } finally {
      this.#pumping = false;
    }
  }

  #onFrame(fin: boolean, opcode: Opcode, payload: Uint8Array): void {
    if (opcode === OPCODE.close) return this.#onClose(payload);
    if (opcode === OPCODE.pong) return this.#pings.pong(payload);
    if (this.#state !== "open") return; // closing: data and pings are dropped (§7.1.2)
    if (opcode === OPCODE.ping) return this.#pongs.answer(payload);
    const r = this.#assembler.push(fin, opcode, payload);
    if (r === null) return;
    if ("code" in r) return this.#fail(r.code, r.reason);
    const waiter = this.#waiters.shift();
    if (waiter) waiter(r);
    else this.#queue.push(r);
  }

  /** A close frame came in (§5.5.1, §7.1.3). */
  #onClose(payload: Uint8Array): void {
    const parsed = parseClosePayload(payload);
    if (this.#state === "open") {
      if (parsed.kind === "error") return this.#fail(parsed.code, parsed.reason);
      this.#info = { code: parsed.code, reason: parsed.reason, byPeer: true };
      // Echo the code (§5.5.1); 1005 means the peer sent none, so neither do we.
      this.#enterClosing(
        encodeClosePayload(parsed.code === CLOSE.noStatus ? undefined : parsed.code),
      );
    }
    if (this.#state !== "closing") return;
    // Both close frames are exchanged. The server closes TCP first (§7.1.1).
    if (this.#client) {
      this.#state = "draining";
    } else {
      this.#state = "flushing";
      this.#writer.flushed().then(() => this.#terminate());
    }
  }

  // --- closing ---------------------------------------------------------------

  #enterClosing(closePayload: Uint8Array): void {
    this.#state = "closing";
    this.#send(OPCODE.close, closePayload);
    this.#releaseWaiters();
    this.#armDeadline();
    this.#startPump();
  }

  /** Fail the WebSocket Connection (§7.1.7): say why, stop parsing, linger until EOF. */
  #fail(code: number, reason: string): void {
    if (this.#state === "open") {
      this.#info = { code, reason, byPeer: false };
      this.#send(OPCODE.close, encodeClosePayload(code, reason));
      this.#releaseWaiters();
    }
    if (this.#state !== "open" && this.#state !== "closing") return;
    this.#state = "draining";
    this.#armDeadline();
    // Half-close once our close frame is out, so the peer sees EOF; then read until its EOF.
    this.#background.push(
      this.#writer.flushed()
        .then(() => this.#state === "done" ? undefined : this.#socket.closeWrite())
        .catch(() => {}),
    );
    this.#startPump();
  }

  /** TCP ended or broke: no close handshake is possible. */
  #lost(reason: string): void {
    if (this.#state === "done") return;
    this.#info ??= { code: CLOSE.abnormal, reason, byPeer: true };
    this.#terminate();
  }

  #armDeadline(): void {
    if (this.#deadline !== undefined) return;
    this.#deadline = setTimeout(() => {
      this.#deadline = undefined;
      this.#terminate();
    }, this.#closeTimeoutMs);
  }

  #releaseWaiters(): void {
    for (const w of this.#waiters.splice(0)) w(null);
  }

  /** Closes the socket, settles everything, and resolves `closed` once all I/O has ended. */
  #terminate(): void {
    if (this.#state === "done") return;
    this.#state = "done";
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    try {
      this.#socket.close();
    } catch { /* already closed */ }
    this.#releaseWaiters();
    this.#pings.rejectAll(closedError);
    const info = this.#info ?? { code: CLOSE.abnormal, reason: "", byPeer: true };
    Promise.all([this.#pumpDone, this.#writer.stop(), ...this.#background])
      .catch(() => {})
      .then(() => this.#resolveClosed(info));
  }
}
