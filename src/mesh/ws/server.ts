/**
 * `serveWs`: the mesh port. Accepts TCP connections, runs the server side of
 * the opening handshake (RFC 6455 §4.2) under a header cap and a deadline,
 * and hands each upgraded connection to `onConnection`. Anything else that
 * knocks — `curl`, a port scan, a slowloris — gets a small plain HTTP answer
 * or is dropped, and is counted; nothing a peer sends can throw out of here.
 * @module
 */
import { readHead, writeAll } from "./_io.ts";
import {
  type CloseInfo,
  openWsConn,
  pickTunables,
  type WsConnTunables,
  type WsConnWithPing,
} from "./conn.ts";
import { CLOSE } from "./close.ts";
import {
  acceptKey,
  checkUpgradeRequest,
  errorResponse,
  parseHead,
  upgradeResponse,
} from "./handshake.ts";

/** Deadline for a new connection to complete its upgrade request. */
export const HANDSHAKE_TIMEOUT_MS = 5_000;
/** Cap on the request head (request line + header fields). */
export const MAX_HEADER_BYTES = 8 * 1024;
/** Cap on connections accepted but not yet upgraded; more are closed at once. */
export const MAX_PENDING_CONNECTIONS = 256;
/** Pause after a failed `accept()` (e.g. out of file descriptors) before the next. */
export const ACCEPT_RETRY_MS = 100;

/** What `onConnection` learns about the upgrade. */
export interface UpgradeInfo {
  /** The request path (without query). */
  path: string;
  /** The request's header fields. */
  headers: Headers;
  /** The peer's TCP address. */
  remoteAddr: { hostname: string; port: number };
}

/** Why connections were turned away; the counters of {@link WsServer.drops}. */
export type DropReason =
  | "too_many_pending"
  | "timeout"
  | "header_too_large"
  | "bad_request"
  | "not_upgrade"
  | "wrong_path"
  | "closed_early";

/** Options of {@link serveWs}. */
export interface ServeWsOptions extends WsConnTunables {
  /** Address to bind, e.g. "0.0.0.0" or "127.0.0.1". */
  hostname: string;
  /** Port to bind; 0 picks a free one (read it back from the result). */
  port: number;
  /** The only path that upgrades, e.g. "/canopy/mesh"; others get 404. */
  path: string;
  /** Subprotocol to confirm when the client offers it (§4.2.2 item 5.3). */
  protocol?: string;
  /** Receives each upgraded connection. A throw or rejection closes it with 1011. */
  onConnection: (conn: WsConnWithPing, info: UpgradeInfo) => void | Promise<void>;
  /** Told of accept failures and `onConnection` errors (default: ignored). */
  onError?: (error: unknown) => void;
  /** Upgrade deadline per connection (default {@link HANDSHAKE_TIMEOUT_MS}). */
  handshakeTimeoutMs?: number;
  /** Request head cap (default {@link MAX_HEADER_BYTES}). */
  maxHeaderBytes?: number;
  /** Cap on not-yet-upgraded connections (default {@link MAX_PENDING_CONNECTIONS}). */
  maxPendingConnections?: number;
}

/** A running mesh listener. */
export interface WsServer {
  /** The bound address. */
  readonly hostname: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  /** Connections turned away before upgrade, by reason. */
  readonly drops: Readonly<Record<DropReason, number>>;
  /** Stops accepting, closes every connection (1001), resolves when all are gone. Idempotent. */
  close(): Promise<void>;
}

/**
 * Binds and starts accepting. Throws `Deno.errors.AddrInUse` when the port is
 * taken (the caller says so to the user) and `RangeError` on bad options.
 */
export function serveWs(options: ServeWsOptions): WsServer {
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const maxPending = options.maxPendingConnections ?? MAX_PENDING_CONNECTIONS;
  for (const [field, v] of Object.entries({ handshakeTimeoutMs, maxHeaderBytes, maxPending })) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`${field} must be a positive integer, got ${v}`);
    }
  }
  if (!options.path.startsWith("/")) {
    throw new RangeError(`path must start with "/", got ${options.path}`);
  }
  const onError = (e: unknown) => {
    try {
      options.onError?.(e);
    } catch { /* a failing logger must not stop the server */ }
  };
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    transport: "tcp",
  });
  const drops: Record<DropReason, number> = {
    too_many_pending: 0,
    timeout: 0,
    header_too_large: 0,
    bad_request: 0,
    not_upgrade: 0,
    wrong_path: 0,
    closed_early: 0,
  };
  const pending = new Set<Deno.TcpConn>();
  const handshakes = new Set<Promise<void>>();
  const open = new Set<WsConnWithPing>();
  const closedPromises = new Set<Promise<CloseInfo>>();
  let closing = false;
  let retry: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | null = null;

  async function handshake(tcp: Deno.TcpConn): Promise<void> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      tcp.close();
    }, handshakeTimeoutMs);
    let upgraded = false;
    try {
      const r = await readHead(tcp, maxHeaderBytes);
      if (r.kind === "eof") return void drops[timedOut ? "timeout" : "closed_early"]++;
      if (r.kind === "too_large") {
        drops.header_too_large++;
        return await writeAll(tcp, errorResponse(431, "request header too large"));
      }
      const head = parseHead(r.head);
      const check = head === null
        ? { ok: false as const, status: 400, message: "malformed request", headers: undefined }
        : checkUpgradeRequest(head, options);
      if (!check.ok) {
        drops[
          check.status === 404 ? "wrong_path" : check.status === 426 ? "not_upgrade" : "bad_request"
        ]++;
        return await writeAll(tcp, errorResponse(check.status, check.message, check.headers));
      }
      await writeAll(tcp, upgradeResponse(await acceptKey(check.key), check.protocol));
      if (closing) return;
      upgraded = true;
      clearTimeout(timer);
      pending.delete(tcp);
      const conn = openWsConn(tcp, {
        role: "server",
        leftover: r.rest,
        ...pickTunables(options),
      });
      open.add(conn);
      const closed = conn.closed.then((info) => {
        open.delete(conn);
        closedPromises.delete(closed);
        return info;
      });
      closedPromises.add(closed);
      const addr = tcp.remoteAddr;
      const info = {
        path: check.path,
        headers: head!.headers,
        remoteAddr: { hostname: addr.hostname, port: addr.port },
      };
      Promise.resolve()
        .then(() => options.onConnection(conn, info))
        .catch((e) => {
          onError(e);
          conn.close(CLOSE.internalError, "internal error");
        });
    } catch {
      if (timedOut) drops.timeout++;
      else drops.closed_early++;
    } finally {
      clearTimeout(timer);
      pending.delete(tcp);
      if (!upgraded) {
        try {
          tcp.close();
        } catch { /* the deadline closed it */ }
      }
    }
  }

  async function acceptLoop(): Promise<void> {
    while (!closing) {
      let tcp: Deno.TcpConn;
      try {
        tcp = await listener.accept();
      } catch (e) {
        if (closing) return;
        onError(e); // e.g. EMFILE: wait a little rather than spin
        await new Promise<void>((resolve) => {
          retry = { timer: setTimeout(resolve, ACCEPT_RETRY_MS), resolve };
        });
        retry = null;
        continue;
      }
      if (closing || pending.size >= maxPending) {
        if (!closing) drops.too_many_pending++;
        tcp.close();
        continue;
      }
      tcp.setNoDelay(true);
      pending.add(tcp);
      const task = handshake(tcp).finally(() => handshakes.delete(task));
      handshakes.add(task);
    }
  }

  const accepting = acceptLoop();
  let closePromise: Promise<void> | null = null;
  const addr = listener.addr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    drops,
    close(): Promise<void> {
      closePromise ??= (async () => {
        closing = true;
        listener.close();
        if (retry) {
          clearTimeout(retry.timer);
          retry.resolve();
        }
        for (const tcp of pending) {
          try {
            tcp.close();
          } catch { /* already closed */ }
        }
        for (const conn of open) conn.close(CLOSE.goingAway, "server shutting down");
        await accepting;
        await Promise.all(handshakes);
        await Promise.all(closedPromises);
      })();
      return closePromise;
    },
  };
}
