/**
 * Pings both ways (RFC 6455 §5.5.2, §5.5.3). `PingTracker`: the pings we
 * sent; each carries 8 random bytes, and the pong that echoes them settles it
 * with the round-trip time; a pong matching nothing is ignored (§5.5.3).
 * Every wait has a timer, and `rejectAll` clears them all. `PongResponder`:
 * answers the peer's pings with at most one pong waiting for the socket.
 * @module
 */
import { WsError } from "./errors.ts";

interface Pending {
  start: number;
  timer: ReturnType<typeof setTimeout>;
  resolve: (ms: number) => void;
  reject: (e: Error) => void;
}

/** The pings in flight on one connection. */
export class PingTracker {
  #pending = new Map<string, Pending>();

  /** How many pings wait for their pong. */
  get size(): number {
    return this.#pending.size;
  }

  /** Registers a ping; returns its payload and the promise of its round-trip time in ms. */
  start(timeoutMs: number): { payload: Uint8Array; rtt: Promise<number> } {
    const payload = crypto.getRandomValues(new Uint8Array(8));
    const id = payload.join(",");
    const rtt = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new WsError("timeout", `no pong within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.#pending.set(id, { start: performance.now(), timer, resolve, reject });
    });
    return { payload, rtt };
  }

  /** Settles the ping this pong payload answers, if any. */
  pong(payload: Uint8Array): void {
    const id = payload.join(",");
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(performance.now() - p.start);
  }

  /** Rejects every pending ping with `error` and clears its timer. */
  rejectAll(error: () => Error): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(error());
    }
    this.#pending.clear();
  }
}

/**
 * Answers the peer's pings (§5.5.2). At most one pong waits for the socket:
 * while it does, only the most recent ping is remembered and answered next
 * (§5.5.3), so a peer that pings without reading cannot grow our write queue.
 */
export class PongResponder {
  #send: (payload: Uint8Array) => Promise<void>;
  #active: () => boolean;
  #pending = false;
  #next: Uint8Array | null = null;

  /** `send` queues a pong; `active` tells whether pongs may still be sent. */
  constructor(send: (payload: Uint8Array) => Promise<void>, active: () => boolean) {
    this.#send = send;
    this.#active = active;
  }

  /** Answers the ping with this payload, now or after the pong in flight. */
  answer(payload: Uint8Array): void {
    if (this.#pending) {
      this.#next = payload;
      return;
    }
    this.#pending = true;
    this.#send(payload).then(() => {
      this.#pending = false;
      const next = this.#next;
      this.#next = null;
      if (next && this.#active()) this.answer(next);
    }, () => {});
  }
}
