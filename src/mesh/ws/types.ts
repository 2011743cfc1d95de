/**
 * The connection contract the mesh session depends on, its options, and the
 * socket shape a connection runs on. Implemented by `conn.ts`; an in-memory fake for
 * tests needs only {@link WsConn}.
 * @module
 */

/** How a connection ended. */
export interface CloseInfo {
  /** The close code (§7.4): ours if we closed, the peer's if it did, 1006 if TCP just ended. */
  code: number;
  /** The close reason (UTF-8, at most 123 bytes), or "". */
  reason: string;
  /** True when the peer started the close, or the connection was lost. */
  byPeer: boolean;
}

/** A binary-message connection. The mesh session depends on this interface only. */
export interface WsConn {
  /** The peer's TCP address. */
  readonly remoteAddr: { hostname: string; port: number };
  /**
   * Sends one binary message. Resolves once written to the socket (this is
   * the backpressure). Rejects if closed. The bytes are copied before send()
   * returns: the caller may reuse `data` at once.
   */
  send(data: Uint8Array): Promise<void>;
  /**
   * Resolves with the next complete binary message, or null once the
   * connection is closed. Pull-based: while nobody calls receive(), nothing
   * more is read from the socket (TCP backpressure) — so the peer's pings and
   * close frame are noticed only while a receive() is pending.
   */
  receive(): Promise<Uint8Array | null>;
  /**
   * Starts the close handshake (§7.1.2) with a code and a short reason;
   * idempotent; force-closes the socket after a deadline.
   */
  close(code?: number, reason?: string): void;
  /** Resolves exactly once, after the socket is closed and all I/O has ended. */
  readonly closed: Promise<CloseInfo>;
}

/** A {@link WsConn} that can also measure the link with a ping (§5.5.2). */
export interface WsConnWithPing extends WsConn {
  /**
   * Sends a ping and resolves with the round trip in ms when its pong comes
   * back. Rejects with a `WsError` ("timeout", "closed").
   */
  ping(timeoutMs?: number): Promise<number>;
}

/** Options of `openWsConn` (conn.ts); the defaults are the constants there. */
export interface WsConnOptions {
  /** "client" masks every frame and refuses masked ones; "server" the reverse (§5.1, §5.3). */
  role: "client" | "server";
  /** Cap on a message, announced or reassembled (default `MAX_MESSAGE_BYTES`, 1 MiB). */
  maxMessageBytes?: number;
  /** Close handshake deadline (default `CLOSE_TIMEOUT_MS`, 2 s). */
  closeTimeoutMs?: number;
  /** Default deadline of `ping()` (default `PING_TIMEOUT_MS`, 10 s). */
  pingTimeoutMs?: number;
  /** Reusable read buffer size (default `READ_BUFFER_BYTES`, 64 KiB). */
  readBufferBytes?: number;
  /** Write coalescing limit (default `WRITE_BATCH_BYTES`, 64 KiB). */
  writeBatchBytes?: number;
  /** Split sent messages into frames of at most this many payload bytes (default: never, §5.4). */
  fragmentBytes?: number;
  /** Bytes read past the HTTP head: the first frames. */
  leftover?: Uint8Array;
}

/** The options of {@link WsConnOptions} that servers and dialers pass through. */
export type WsConnTunables = Omit<WsConnOptions, "role" | "leftover">;

/** Picks the {@link WsConnTunables} out of a bigger options object. */
export function pickTunables(o: WsConnTunables): WsConnTunables {
  return {
    maxMessageBytes: o.maxMessageBytes,
    closeTimeoutMs: o.closeTimeoutMs,
    pingTimeoutMs: o.pingTimeoutMs,
    readBufferBytes: o.readBufferBytes,
    writeBatchBytes: o.writeBatchBytes,
    fragmentBytes: o.fragmentBytes,
  };
}

/** The socket a connection runs on (`Deno.Conn` fits; tests may fake it). */
export interface WsSocket {
  /** Reads into `p`; the count, or null at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes from `p`; the count written (maybe less than all). */
  write(p: Uint8Array): Promise<number>;
  /** Closes the socket; pending reads and writes end. */
  close(): void;
  /** Shuts down the write side (TCP FIN) so the peer reads EOF. */
  closeWrite(): Promise<void>;
  /** The peer's address. */
  readonly remoteAddr: Deno.Addr;
}
