/**
 * One authenticated link after its handshake (PROTOCOL §3, §5, §10):
 * encrypts and decrypts frames with the Noise transport ciphers, answers
 * pings and detects dead links, acknowledges and flow-controls envelopes,
 * and rate-limits control frames. What the frames mean is up to the
 * `LinkHandler` (the mesh); the link only guarantees order, integrity and
 * bounds.
 * @module
 */
import { type CipherState } from "./noise/mod.ts";
import type { CloseInfo, FrameConn } from "./transport.ts";
import type { RemoteIdentity } from "./handshake.ts";
import {
  type ControlMessage,
  decodeFrame,
  encodeAck,
  encodeControl,
  encodeEnvelopeFrame,
  encodePing,
  encodeRelayed,
} from "./wire/frame.ts";
import { CloseCode } from "./close_codes.ts";
import type { Counters } from "./counters.ts";

const EMPTY = new Uint8Array(0);

/** Timings and limits of a link; tests shorten them. */
export interface LinkOptions {
  /** Send a PING after this long without sending (PROTOCOL §10). Default 10 s. */
  readonly pingIdleMs?: number;
  /** Declare the link dead after this long without receiving. Default 30 s. */
  readonly deadAfterMs?: number;
  /** Frames we let the peer have in flight (PROTOCOL §5). Default 256. */
  readonly window?: number;
  /** Send an ACK after this many processed frames… Default 32. */
  readonly ackEvery?: number;
  /** …or this long after the first unacknowledged one. Default 25 ms. */
  readonly ackDelayMs?: number;
  /** Control frames per second (PROTOCOL §7). Default 50, burst 200. */
  readonly controlRate?: number;
  readonly controlBurst?: number;
  /** Clock (ms). */
  readonly now?: () => number;
}

/** Defaults of `LinkOptions`. */
export const LINK_DEFAULTS = Object.freeze({
  pingIdleMs: 10_000,
  deadAfterMs: 30_000,
  window: 256,
  ackEvery: 32,
  ackDelayMs: 25,
  controlRate: 50,
  controlBurst: 200,
});

type ResolvedLinkOptions = Required<LinkOptions>;

/** What a link hands up to the mesh. */
export interface LinkHandler {
  /** A flow-controlled envelope; resolve once it is stored and handed on. Never reject. */
  onEnvelope(link: Link, bytes: Uint8Array): Promise<void>;
  /** A relayed frame (PROTOCOL §7.5), flow-controlled like envelopes. */
  onRelayed(link: Link, to: string, from: string, sealed: Uint8Array): Promise<void>;
  onControl(link: Link, message: ControlMessage): void;
  onClose(link: Link, info: CloseInfo): void;
}

let nextLinkId = 1;

/** An established link. */
export class Link {
  readonly id = nextLinkId++;
  readonly openedAt: number;
  #opts: ResolvedLinkOptions;
  #closed = false;
  #closeInfo!: (info: CloseInfo) => void;
  readonly closed: Promise<CloseInfo> = new Promise((r) => (this.#closeInfo = r));

  // Sending (PROTOCOL §5): frames we sent, frames the peer processed, its window.
  #sentFrames = 0;
  #peerProcessed = 0;
  #peerWindow: number;
  #ackWaiters = new Map<number, (acked: boolean) => void>();
  #windowWaiters: (() => void)[] = [];
  #lastSentAt: number;

  // Receiving.
  #receivedFrames = 0;
  #processed = 0;
  #ackedSent = 0;
  #pending: Promise<void>[] = [];
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #lastReceivedAt: number;
  #tokens: number;
  #tokensAt: number;
  #controlDropped = 0;

  #timer: ReturnType<typeof setInterval> | undefined;
  #pingNonce = 1;
  readonly stats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 };

  constructor(
    readonly conn: FrameConn,
    readonly remote: RemoteIdentity,
    readonly initiator: boolean,
    private readonly sendCipher: CipherState,
    private readonly receiveCipher: CipherState,
    private readonly handler: LinkHandler,
    private readonly counters: Counters,
    options: LinkOptions = {},
  ) {
    this.#opts = { ...LINK_DEFAULTS, now: Date.now, ...options } as ResolvedLinkOptions;
    this.#peerWindow = this.#opts.window;
    this.openedAt = this.#opts.now();
    this.#lastSentAt = this.openedAt;
    this.#lastReceivedAt = this.openedAt;
    this.#tokens = this.#opts.controlBurst;
    this.#tokensAt = this.openedAt;
  }

  /** Peer id of the other end. */
  get peerId(): string {
    return this.remote.peerId;
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** When a frame last arrived (ms). */
  get lastReceivedAt(): number {
    return this.#lastReceivedAt;
  }

  /** Envelope frames sent but not yet acknowledged. */
  get inFlight(): number {
    return this.#sentFrames - this.#peerProcessed;
  }

  /** Sends the responder's welcome (PROTOCOL §2): the dialer waits for it. */
  welcome(): void {
    void this.#write(encodePing(0));
  }

  /** Starts reading and the keepalive timer. */
  start(): void {
    const tick = Math.max(5, Math.min(this.#opts.pingIdleMs, this.#opts.deadAfterMs) / 4);
    this.#timer = setInterval(() => this.#keepalive(), tick);
    this.conn.closed.then((info) => this.#finish(info));
    this.#readLoop();
  }

  #write(plaintext: Uint8Array): Promise<void> {
    const ct = this.sendCipher.encryptWithAd(EMPTY, plaintext);
    this.stats.framesOut++;
    this.stats.bytesOut += ct.length;
    this.#lastSentAt = this.#opts.now();
    return this.conn.send(ct).catch(() => {});
  }

  /**
   * Sends an envelope under flow control. Resolves true once the peer
   * acknowledged it (stored it), false if the link closed first.
   */
  sendEnvelope(bytes: Uint8Array): Promise<boolean> {
    return this.send(bytes).acked;
  }

  /**
   * Sends an envelope under flow control: `admitted` resolves once it is
   * inside the window and written (true) or the link closed (false);
   * `acked` once the peer stored it (true) or the link closed (false).
   */
  send(bytes: Uint8Array): { admitted: Promise<boolean>; acked: Promise<boolean> } {
    return this.#sendCounted(encodeEnvelopeFrame(bytes));
  }

  /** Sends a relayed frame under flow control (PROTOCOL §7.5). */
  sendRelayed(
    to: string,
    from: string,
    sealed: Uint8Array,
  ): { admitted: Promise<boolean>; acked: Promise<boolean> } {
    return this.#sendCounted(encodeRelayed(to, from, sealed));
  }

  /** Frames waiting for room in the window. */
  get queued(): number {
    return this.#windowWaiters.length;
  }

  #sendCounted(frame: Uint8Array): { admitted: Promise<boolean>; acked: Promise<boolean> } {
    let ackedResolve!: (v: boolean) => void;
    const acked = new Promise<boolean>((r) => (ackedResolve = r));
    const admitted = (async () => {
      while (
        !this.#closed && (this.inFlight >= this.#peerWindow || this.#windowWaiters.length > 0)
      ) {
        await new Promise<void>((r) => this.#windowWaiters.push(r));
        if (this.inFlight < this.#peerWindow) break;
      }
      if (this.#closed) {
        ackedResolve(false);
        return false;
      }
      const n = ++this.#sentFrames;
      this.#ackWaiters.set(n, ackedResolve);
      void this.#write(frame);
      this.#wakeWaiter();
      return true;
    })();
    return { admitted, acked };
  }

  #wakeWaiter(): void {
    if (this.inFlight < this.#peerWindow) this.#windowWaiters.shift()?.();
  }

  /** Sends a control message (not flow-controlled; the peer rate-limits it). */
  sendControl(message: ControlMessage): void {
    if (!this.#closed) void this.#write(encodeControl(message));
  }

  /** Closes the link; idempotent. */
  close(code: number = CloseCode.Normal, reason = ""): void {
    if (this.#closed) return;
    this.conn.close(code, reason);
    this.#finish({ code, reason, byPeer: false });
  }

  #finish(info: CloseInfo): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#ackTimer);
    for (const r of this.#ackWaiters.values()) r(false);
    this.#ackWaiters.clear();
    for (const w of this.#windowWaiters.splice(0)) w();
    this.sendCipher.close();
    this.receiveCipher.close();
    this.#closeInfo(info);
    this.handler.onClose(this, info);
  }

  #keepalive(): void {
    const now = this.#opts.now();
    if (now - this.#lastReceivedAt >= this.#opts.deadAfterMs) {
      this.counters.count("keepalive_timeout");
      this.close(CloseCode.KeepaliveTimeout, "no frames for too long");
      return;
    }
    if (now - this.#lastSentAt >= this.#opts.pingIdleMs) {
      void this.#write(encodePing(this.#pingNonce++));
    }
  }

  async #readLoop(): Promise<void> {
    while (!this.#closed) {
      const ct = await this.conn.receive();
      if (ct === null) {
        this.#finish({ code: 1006, reason: "connection lost", byPeer: true });
        return;
      }
      this.stats.framesIn++;
      this.stats.bytesIn += ct.length;
      let plaintext: Uint8Array;
      try {
        plaintext = this.receiveCipher.decryptWithAd(EMPTY, ct);
      } catch {
        this.counters.count("decrypt_failed");
        this.close(CloseCode.Decrypt, "frame failed to decrypt");
        return;
      }
      this.#lastReceivedAt = this.#opts.now();
      const frame = decodeFrame(plaintext);
      if (typeof frame === "string") {
        this.counters.count("malformed");
        this.close(CloseCode.Malformed, frame);
        return;
      }
      switch (frame.type) {
        case "ping":
          void this.#write(encodePing(frame.nonce, true));
          break;
        case "pong":
          break;
        case "ack":
          this.#onAck(frame.processed, frame.window);
          break;
        case "envelope":
        case "relayed": {
          this.#receivedFrames++;
          if (this.#receivedFrames - this.#processed > this.#opts.window) {
            this.counters.count("flow_violation");
            this.close(CloseCode.FlowViolation, "more frames in flight than the window allows");
            return;
          }
          const work = frame.type === "envelope"
            ? this.handler.onEnvelope(this, frame.bytes)
            : this.handler.onRelayed(this, frame.to, frame.from, frame.sealed);
          this.#track(work);
          break;
        }
        case "control":
          if (this.#takeToken()) {
            this.#controlDropped = 0;
            this.handler.onControl(this, frame.message);
          } else {
            this.counters.count("rate_limited");
            if (++this.#controlDropped > 10 * this.#opts.controlBurst) {
              this.close(CloseCode.Abusive, "too many control frames");
              return;
            }
          }
          break;
        case "unknown":
          this.counters.count("unknown_frame_type");
          break;
      }
    }
  }

  #track(work: Promise<void>): void {
    const settled = work.catch(() => {});
    this.#pending.push(settled);
    if (this.#pending.length === 1) void this.#drainPending();
  }

  async #drainPending(): Promise<void> {
    while (this.#pending.length > 0) {
      await this.#pending[0];
      this.#pending.shift();
      this.#processed++;
      this.#scheduleAck();
    }
  }

  #scheduleAck(): void {
    if (this.#closed) return;
    if (this.#processed - this.#ackedSent >= this.#opts.ackEvery) {
      this.#sendAck();
    } else if (this.#ackTimer === undefined) {
      this.#ackTimer = setTimeout(() => this.#sendAck(), this.#opts.ackDelayMs);
    }
  }

  #sendAck(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (this.#closed || this.#processed === this.#ackedSent) return;
    this.#ackedSent = this.#processed;
    void this.#write(encodeAck(this.#processed, this.#opts.window));
  }

  #onAck(processed: number, window: number): void {
    if (processed > this.#sentFrames || processed < this.#peerProcessed) {
      this.counters.count("bad_ack");
      return;
    }
    for (let n = this.#peerProcessed + 1; n <= processed; n++) {
      this.#ackWaiters.get(n)?.(true);
      this.#ackWaiters.delete(n);
    }
    this.#peerProcessed = processed;
    this.#peerWindow = Math.max(1, Math.min(window, 65536));
    this.#wakeWaiter();
  }

  #takeToken(): boolean {
    const now = this.#opts.now();
    this.#tokens = Math.min(
      this.#opts.controlBurst,
      this.#tokens + ((now - this.#tokensAt) / 1000) * this.#opts.controlRate,
    );
    this.#tokensAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
