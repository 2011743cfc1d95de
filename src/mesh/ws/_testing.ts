/**
 * Test helpers for the WebSocket layer: a loopback server whose accepted
 * connections can be awaited one by one, a raw TCP client that speaks
 * hand-written bytes, and a clearable timeout. Loopback (127.0.0.1) only.
 * @module
 */
import { readHead, writeAll } from "./_io.ts";
import type { WsConnWithPing } from "./conn.ts";
import { encodeFrame, type Opcode, parseFrameHeader, unmask } from "./frame.ts";
import { acceptKey, parseHead, randomKey } from "./handshake.ts";
import { serveWs, type ServeWsOptions, type WsServer } from "./server.ts";

/** The path test servers upgrade on. */
export const TEST_PATH = "/canopy/mesh";

/** A loopback server and the server side of each connection, in accept order. */
export interface TestServer {
  /** The running server. */
  server: WsServer;
  /** ws:// URL of {@link TEST_PATH} on it. */
  url: string;
  /** The next accepted connection. */
  next(): Promise<WsConnWithPing>;
  /** Closes the server and its connections. */
  close(): Promise<void>;
}

/** Starts `serveWs` on 127.0.0.1, a free port, path {@link TEST_PATH}. */
export function startServer(options: Partial<ServeWsOptions> = {}): TestServer {
  const accepted: WsConnWithPing[] = [];
  const waiting: ((c: WsConnWithPing) => void)[] = [];
  const server = serveWs({
    hostname: "127.0.0.1",
    port: 0,
    path: TEST_PATH,
    onConnection: (conn) => {
      const w = waiting.shift();
      if (w) w(conn);
      else accepted.push(conn);
    },
    ...options,
  });
  return {
    server,
    url: `ws://127.0.0.1:${server.port}${TEST_PATH}`,
    next: () => {
      const c = accepted.shift();
      return c ? Promise.resolve(c) : new Promise((resolve) => waiting.push(resolve));
    },
    close: () => server.close(),
  };
}

/** A promise that settles with `value` after `ms`, unless cancelled (which keeps it pending). */
export function timeout<T>(ms: number, value: T): { promise: Promise<T>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<T>((resolve) => timer = setTimeout(() => resolve(value), ms));
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Races `p` against `ms`; resolves with `p`'s value or `onTimeout`, and clears the timer. */
export async function within<T, U>(p: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
  const t = timeout(ms, onTimeout);
  try {
    return await Promise.race([p, t.promise]);
  } finally {
    t.cancel();
  }
}

/** Opens a TCP connection, writes `request` as is, and returns the connection. */
export async function rawRequest(
  port: number,
  request: string | Uint8Array,
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, typeof request === "string" ? new TextEncoder().encode(request) : request);
  return conn;
}

/** Reads everything until EOF (at most `max` bytes), then closes. */
export async function readToEnd(conn: Deno.Conn, max = 1 << 20): Promise<Uint8Array> {
  const buf = new Uint8Array(max);
  let end = 0;
  try {
    for (let n; end < max && (n = await conn.read(buf.subarray(end))) !== null;) end += n;
  } catch { /* reset counts as the end */ }
  conn.close();
  return buf.slice(0, end);
}

/** A raw TCP connection upgraded by hand: the test writes and reads frame bytes itself. */
export async function rawUpgrade(
  port: number,
  path = TEST_PATH,
): Promise<{ conn: Deno.TcpConn; rest: Uint8Array }> {
  const key = randomKey();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  await writeAll(conn, new TextEncoder().encode(request));
  const r = await readHead(conn, 8192);
  if (r.kind !== "head") throw new Error(`rawUpgrade: ${r.kind}`);
  const head = parseHead(r.head)!;
  if (!head.startLine.startsWith("HTTP/1.1 101 ")) throw new Error(head.startLine);
  if (head.headers.get("sec-websocket-accept") !== await acceptKey(key)) throw new Error("accept");
  return { conn, rest: r.rest };
}

/** A client frame with a fixed mask (or unmasked when `mask` is null). */
export function clientFrame(
  opcode: Opcode,
  payload: Uint8Array | number[],
  options: { fin?: boolean; mask?: Uint8Array | null } = {},
): Uint8Array {
  const mask = options.mask === null ? undefined : options.mask ?? new Uint8Array([1, 2, 3, 4]);
  return encodeFrame(opcode, Uint8Array.from(payload), { mask, fin: options.fin });
}

/** The frames in `bytes` (server to client: unmasked, or unmasked here), in order. */
export function parseFrames(
  bytes: Uint8Array,
): { opcode: number; fin: boolean; payload: Uint8Array }[] {
  const out = [];
  let at = 0;
  while (at < bytes.length) {
    const r = parseFrameHeader(bytes, at);
    if (r.kind !== "header") throw new Error(`parseFrames: ${JSON.stringify(r)}`);
    const h = r.header;
    const payload = bytes.slice(at + h.headerLength, at + h.headerLength + h.payloadLength);
    if (h.maskKey !== null) unmask(payload, h.maskKey);
    out.push({ opcode: h.opcode, fin: h.fin, payload });
    at += h.headerLength + h.payloadLength;
  }
  return out;
}

/** The code and reason of a close payload (test side; no validation). */
export function closeOf(payload: Uint8Array): { code: number; reason: string } {
  return {
    code: (payload[0] << 8) | payload[1],
    reason: new TextDecoder().decode(payload.subarray(2)),
  };
}

/** `n` bytes where byte i is `(i * 31 + seed) & 0xff`: easy to check, not all zero. */
export function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}
