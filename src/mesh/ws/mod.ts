/**
 * The WebSocket door: a small RFC 6455 implementation over raw TCP/TLS for
 * the mesh port, written so that every frame's length is checked before its
 * payload is read or allocated (SPEC §4.2). Binary messages only; no
 * extensions.
 *
 * ```ts
 * const server = serveWs({
 *   hostname: "0.0.0.0",
 *   port: 7771,
 *   path: "/canopy/mesh",
 *   onConnection: async (conn) => {
 *     for (let m; (m = await conn.receive()) !== null;) await conn.send(m);
 *   },
 * });
 * const conn = await dialWs("ws://127.0.0.1:7771", { defaultPath: "/canopy/mesh" });
 * await conn.send(new Uint8Array([1, 2, 3]));
 * console.log(await conn.receive());
 * conn.close(1000, "bye");
 * console.log(await conn.closed); // { code: 1000, reason: "bye", byPeer: false }
 * await server.close();
 * ```
 * @module
 */
export {
  CLOSE_TIMEOUT_MS,
  type CloseInfo,
  MAX_MESSAGE_BYTES,
  openWsConn,
  PING_TIMEOUT_MS,
  READ_BUFFER_BYTES,
  WRITE_BATCH_BYTES,
  type WsConn,
  type WsConnOptions,
  type WsConnTunables,
  type WsConnWithPing,
  type WsSocket,
} from "./conn.ts";
export {
  ACCEPT_RETRY_MS,
  type DropReason,
  HANDSHAKE_TIMEOUT_MS,
  MAX_HEADER_BYTES,
  MAX_PENDING_CONNECTIONS,
  serveWs,
  type ServeWsOptions,
  type UpgradeInfo,
  type WsServer,
} from "./server.ts";
export {
  DIAL_TIMEOUT_MS,
  dialWs,
  type DialWsOptions,
  MAX_RESPONSE_HEADER_BYTES,
  parseWsUrl,
  type WsTarget,
} from "./client.ts";
export { WsError, type WsErrorCode } from "./errors.ts";
export { CLOSE, isValidCloseCode } from "./close.ts";
