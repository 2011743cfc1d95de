/**
 * `dialWs`: opens a WebSocket to a peer (RFC 6455 §4.1) over `ws://` (TCP) or
 * `wss://` (TLS), with one deadline over connect, TLS and upgrade, and a cap
 * on the answer's head. Failures reject with a {@link WsError} whose message
 * is fit to show ("connection refused", "timed out after 10 s", "not a
 * WebSocket endpoint (HTTP 404)").
 * @module
 */
import { readHead, writeAll } from "./_io.ts";
import { openWsConn, pickTunables, type WsConnTunables, type WsConnWithPing } from "./conn.ts";
import { WsError } from "./errors.ts";
import {
  acceptKey,
  checkUpgradeResponse,
  parseHead,
  randomKey,
  upgradeRequest,
} from "./handshake.ts";

/** Deadline of a whole dial: connect, TLS, upgrade. */
export const DIAL_TIMEOUT_MS = 10_000;
/** Cap on the server's answer head. */
export const MAX_RESPONSE_HEADER_BYTES = 8 * 1024;

/** Options of {@link dialWs}. */
export interface DialWsOptions extends WsConnTunables {
  /** Request path (with query), overriding the URL's. */
  path?: string;
  /** Path used when the URL has none (e.g. "/canopy/mesh"); default "/". */
  defaultPath?: string;
  /** Subprotocol to ask for; the server must confirm it (§4.1). */
  protocol?: string;
  /** Deadline of the whole dial in ms (default {@link DIAL_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Answer head cap (default {@link MAX_RESPONSE_HEADER_BYTES}). */
  maxHeaderBytes?: number;
  /** Aborts the dial (not the connection once open). */
  signal?: AbortSignal;
  /** Extra PEM root certificates for `wss://` (tests, private CAs). */
  caCerts?: string[];
}

/** Where a URL dials. */
export interface WsTarget {
  /** True for wss:// (TLS). */
  readonly secure: boolean;
  /** Host name or IP, IPv6 without brackets. */
  readonly hostname: string;
  /** TCP port: the URL's, or 80 / 443. */
  readonly port: number;
  /** The `Host` header value (§4.1 item 4). */
  readonly host: string;
  /** Request target: path and query. */
  readonly path: string;
}

/** Resolves a ws:// or wss:// URL and the path options; throws `WsError("bad_url")`. */
export function parseWsUrl(
  url: string,
  options: { path?: string; defaultPath?: string } = {},
): WsTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new WsError("bad_url", `not a URL: ${url}`);
  }
  if (u.protocol !== "ws:" && u.protocol !== "wss:") {
    throw new WsError("bad_url", `expected a ws:// or wss:// URL, got ${u.protocol}//`);
  }
  if (u.hash) throw new WsError("bad_url", "a WebSocket URL has no #fragment (§3)");
  const secure = u.protocol === "wss:";
  // "ws://h:1" and "ws://h:1?x" have no path; URL would report "/" for both.
  const hasPath = (/^wss?:\/\/[^/?#]*(.*)$/i.exec(url.trim())?.[1] ?? "").startsWith("/");
  const path = options.path ??
    (hasPath ? u.pathname : options.defaultPath ?? "/") + u.search;
  if (!path.startsWith("/") || /[^\x21-\x7e]/.test(path)) {
    throw new WsError("bad_url", `bad request path: ${JSON.stringify(path)}`);
  }
  return {
    secure,
    hostname: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : secure ? 443 : 80,
    host: u.host,
    path,
  };
}

/** A sentence for a failed dial; `why` is set when our deadline or the caller's signal cut it. */
function explain(e: unknown, why: "timeout" | "aborted" | null, timeoutMs: number): WsError {
  if (why === "timeout") return new WsError("timeout", `timed out after ${timeoutMs / 1000} s`);
  if (why === "aborted") return new WsError("aborted", "aborted");
  if (e instanceof WsError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const cause = { cause: e };
  if (e instanceof Deno.errors.ConnectionRefused) {
    return new WsError("refused", "connection refused", cause);
  }
  if (e instanceof Deno.errors.ConnectionReset) {
    return new WsError("network", "connection reset by peer", cause);
  }
  if (e instanceof Deno.errors.TimedOut) {
    return new WsError("timeout", "connection timed out", cause);
  }
  if (/lookup|resolve|name or service|nodename/i.test(message)) {
    return new WsError("dns", "could not resolve host name", cause);
  }
  if (e instanceof Deno.errors.InvalidData || /certificate|tls|handshake/i.test(message)) {
    return new WsError("tls", `TLS failed: ${message}`, cause);
  }
  return new WsError("network", message, cause);
}

/** Dials `url` and runs the opening handshake. Rejects with a {@link WsError}. */
export async function dialWs(url: string, options: DialWsOptions = {}): Promise<WsConnWithPing> {
  const target = parseWsUrl(url, options);
  const timeoutMs = options.timeoutMs ?? DIAL_TIMEOUT_MS;
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_RESPONSE_HEADER_BYTES;
  for (const [field, v] of Object.entries({ timeoutMs, maxHeaderBytes })) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`${field} must be a positive integer, got ${v}`);
    }
  }
  if (options.signal?.aborted) throw new WsError("aborted", "aborted");
  const abort = new AbortController();
  let why: "timeout" | "aborted" | null = null;
  let conn: Deno.Conn | null = null;
  // Closing the socket is what ends a pending read, write or TLS handshake.
  const stop = (reason: "timeout" | "aborted") => {
    why ??= reason;
    abort.abort();
    try {
      conn?.close();
    } catch { /* already closed */ }
  };
  const timer = setTimeout(() => stop("timeout"), timeoutMs);
  const onAbort = () => stop("aborted");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const tcp = await Deno.connect({
      hostname: target.hostname,
      port: target.port,
      signal: abort.signal,
    });
    conn = tcp;
    if (why) throw new Error(why);
    tcp.setNoDelay(true);
    if (target.secure) {
      const tls = await Deno.startTls(tcp, {
        hostname: target.hostname,
        caCerts: options.caCerts,
      });
      conn = tls;
      await tls.handshake();
    }
    const key = randomKey();
    const request = upgradeRequest({ ...target, key, protocol: options.protocol });
    await writeAll(conn, request);
    const r = await readHead(conn, maxHeaderBytes);
    if (r.kind === "eof") {
      throw new WsError("handshake_failed", "connection closed during the upgrade");
    }
    if (r.kind === "too_large") throw new WsError("handshake_failed", "response header too large");
    const head = parseHead(r.head);
    if (head === null) throw new WsError("handshake_failed", "malformed HTTP response");
    const check = checkUpgradeResponse(head, {
      accept: await acceptKey(key),
      protocol: options.protocol,
    });
    if (!check.ok) throw new WsError(check.code, check.message);
    if (why) throw new Error(why);
    return openWsConn(conn, {
      role: "client",
      leftover: r.rest,
      ...pickTunables(options),
    });
  } catch (e) {
    try {
      conn?.close();
    } catch { /* already closed */ }
    throw explain(e, why, timeoutMs);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
