/**
 * The one error class of the WebSocket layer, with stable codes the node can
 * match on. Messages are short sentences meant for people ("connection
 * refused", "timed out after 10 s"); they never carry peer-supplied bytes
 * beyond an HTTP status number.
 * @module
 */

/** Every code a {@link WsError} may carry. Codes are stable. */
export type WsErrorCode =
  /** The URL is not a usable ws:// or wss:// URL. */
  | "bad_url"
  /** The host could not be resolved. */
  | "dns"
  /** Nothing listens on that port. */
  | "refused"
  /** The deadline passed (connect, TLS, upgrade, ping). */
  | "timeout"
  /** The caller's AbortSignal fired. */
  | "aborted"
  /** TLS failed: certificate, protocol. */
  | "tls"
  /** The peer answered HTTP but not with `101 Switching Protocols`. */
  | "not_websocket"
  /** The peer answered 101 but broke the opening handshake (§4.1). */
  | "handshake_failed"
  /** The connection is closed (send after close, ping cut short). */
  | "closed"
  /** Any other network failure (reset, unreachable). */
  | "network";

/** A failure of a WebSocket dial or of an open connection. */
export class WsError extends Error {
  /** Stable code. */
  readonly code: WsErrorCode;

  /** An error with a stable `code` and a message for people. */
  constructor(code: WsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WsError";
    this.code = code;
  }
}
