/**
 * What the mesh needs from a connection: ordered binary messages with
 * backpressure (PROTOCOL §1). The WebSocket adapter (src/mesh/ws) provides
 * it over TCP; `memoryPair` provides it in memory for unit tests.
 * @module
 */

/** How a connection ended. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  readonly byPeer: boolean;
}

/** A message-oriented, ordered connection. */
export interface FrameConn {
  readonly remoteAddr: { readonly hostname: string; readonly port: number };
  /** Sends one message; resolves once it is handed to the network (backpressure). */
  send(data: Uint8Array): Promise<void>;
  /** The next message, or null once closed. */
  receive(): Promise<Uint8Array | null>;
  /** Closes with a code and reason; idempotent. */
  close(code?: number, reason?: string): void;
  readonly closed: Promise<CloseInfo>;
}

/** Largest number of unread messages a memory connection buffers before send() waits. */
export const MEMORY_HIGH_WATER = 64;

class MemoryConn implements FrameConn {
  peer!: MemoryConn;
  readonly #inbox: Uint8Array[] = [];
  #waiting: ((v: Uint8Array | null) => void) | undefined;
  #drained: (() => void)[] = [];
  #isClosed = false;
  #resolveClosed!: (info: CloseInfo) => void;
  readonly closed: Promise<CloseInfo> = new Promise((r) => (this.#resolveClosed = r));

  constructor(readonly remoteAddr: { hostname: string; port: number }) {}

  async send(data: Uint8Array): Promise<void> {
    if (this.#isClosed) throw new Error("connection closed");
    this.peer.#deliver(data.slice());
    while (!this.#isClosed && this.peer.#inbox.length > MEMORY_HIGH_WATER) {
      await new Promise<void>((r) => this.peer.#drained.push(r));
    }
  }

  #deliver(data: Uint8Array): void {
    if (this.#isClosed) return;
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = undefined;
      w(data);
    } else {
      this.#inbox.push(data);
    }
  }

  receive(): Promise<Uint8Array | null> {
    const next = this.#inbox.shift();
    if (next) {
      for (const d of this.#drained.splice(0)) d();
      return Promise.resolve(next);
    }
    if (this.#isClosed) return Promise.resolve(null);
    return new Promise((r) => (this.#waiting = r));
  }

  close(code = 1000, reason = ""): void {
    if (this.#isClosed) return;
    this.#finish({ code, reason, byPeer: false });
    this.peer.#finish({ code, reason, byPeer: true });
  }

  #finish(info: CloseInfo): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#waiting?.(null);
    this.#waiting = undefined;
    for (const d of this.#drained.splice(0)) d();
    for (const d of this.peer.#drained.splice(0)) d();
    this.#resolveClosed(info);
  }
}

/** Two connected in-memory ends. */
export function memoryPair(): [FrameConn, FrameConn] {
  const a = new MemoryConn({ hostname: "memory-b", port: 2 });
  const b = new MemoryConn({ hostname: "memory-a", port: 1 });
  a.peer = b;
  b.peer = a;
  return [a, b];
}
