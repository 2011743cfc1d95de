/**
 * The mesh transport over WebSockets (PROTOCOL §1): path `/canopy/mesh`,
 * subprotocol `canopy-mesh.1`, 1 MiB message cap checked from frame headers.
 * @module
 */
import { dialWs, MAX_MESSAGE_BYTES, serveWs } from "./ws/mod.ts";
import type { MeshTransport } from "./mesh.ts";

/** Request path of mesh links (PROTOCOL §1). */
export const MESH_PATH = "/canopy/mesh";
/** WebSocket subprotocol of mesh links (PROTOCOL §1). */
export const MESH_SUBPROTOCOL = "canopy-mesh.1";

/** Options of `wsTransport`. */
export interface WsTransportOptions {
  /** Largest message (default 1 MiB, PROTOCOL §1). */
  readonly maxMessageBytes?: number;
  /** Told of listener errors. */
  readonly onError?: (error: unknown) => void;
}

/** The production transport. */
export function wsTransport(options: WsTransportOptions = {}): MeshTransport {
  const maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  return {
    listen({ hostname, port, onConnection }) {
      return serveWs({
        hostname,
        port,
        path: MESH_PATH,
        protocol: MESH_SUBPROTOCOL,
        maxMessageBytes,
        onConnection: (conn) => onConnection(conn),
        onError: options.onError,
      });
    },
    dial(url, { timeoutMs }) {
      return dialWs(url, {
        defaultPath: MESH_PATH,
        protocol: MESH_SUBPROTOCOL,
        timeoutMs,
        maxMessageBytes,
      });
    },
  };
}
