/**
 * Test support: speaks to a node's mesh port byte by byte, as a misbehaving
 * peer would — a hand-written WebSocket upgrade (RFC 6455 §4.1), hand-built
 * frames, and a parser for what the node sends back. Written apart from
 * src/mesh/ws so the node is checked against an independent reading of the
 * RFC. Loopback (127.0.0.1) only.
 * @module
 */

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** Request path and subprotocol of mesh links (PROTOCOL §1). */
export const MESH_PATH = "/canopy/mesh";
export const MESH_SUBPROTOCOL = "canopy-mesh.1";

/** WebSocket opcodes used here. */
export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8 } as const;

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    encoder.encode(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`),
  );
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** An upgraded raw connection and any bytes that came after the 101 head. */
export interface RawUpgrade {
  readonly conn: Deno.TcpConn;
  readonly rest: Uint8Array;
  readonly headers: Headers;
}

/**
 * Opens TCP to 127.0.0.1:`port`, sends a valid upgrade request for the mesh
 * path and subprotocol, and checks the 101 answer (status, accept key,
 * subprotocol). Gives up after `timeoutMs`.
 */
export async function rawUpgrade(port: number, timeoutMs = 10_000): Promise<RawUpgrade> {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(
      conn,
      encoder.encode(
        `GET ${MESH_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Protocol: ${MESH_SUBPROTOCOL}\r\n\r\n`,
      ),
    );
    const { bytes } = await readUntil(conn, (b) => indexOfHeadEnd(b) >= 0, timeoutMs);
    const end = indexOfHeadEnd(bytes);
    if (end < 0) throw new Error(`no complete 101 head: ${latin1.decode(bytes)}`);
    const lines = latin1.decode(bytes.subarray(0, end)).split("\r\n");
    if (!/^HTTP\/1\.1 101 /.test(lines[0])) throw new Error(`not upgraded: ${lines[0]}`);
    const headers = new Headers();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    if (headers.get("sec-websocket-accept") !== await acceptFor(key)) {
      throw new Error("wrong Sec-WebSocket-Accept");
    }
    return { conn, rest: bytes.slice(end + 4), headers };
  } catch (e) {
    conn.close();
    throw e;
  }
}

function indexOfHeadEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

/**
 * Reads until `done(bytes)` holds, end of stream, or `timeoutMs` (then the
 * connection is closed and `timedOut` is true). Reads at most `max` bytes.
 */
export async function readUntil(
  conn: Deno.Conn,
  done: (bytes: Uint8Array) => boolean,
  timeoutMs: number,
  max = 1 << 20,
): Promise<{ bytes: Uint8Array; eof: boolean; timedOut: boolean }> {
  const buf = new Uint8Array(max);
  let end = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  }, timeoutMs);
  let eof = false;
  try {
    while (end < max && !done(buf.subarray(0, end))) {
      const n = await conn.read(buf.subarray(end));
      if (n === null) {
        eof = true;
        break;
      }
      end += n;
    }
  } catch (e) {
    if (!timedOut) {
      // A reset after the server's close counts as the end of the stream.
      if (!(e instanceof Deno.errors.ConnectionReset)) throw e;
      eof = true;
    }
  } finally {
    clearTimeout(timer);
  }
  return { bytes: buf.slice(0, end), eof, timedOut };
}

/** Reads everything until the node closes TCP (end of stream), bounded by `timeoutMs`. */
export function readToEof(conn: Deno.Conn, timeoutMs = 20_000) {
  return readUntil(conn, () => false, timeoutMs);
}

/** A masked client frame (RFC 6455 §5.2, §5.3) with any payload length form. */
export function clientFrame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  return concat(clientFrameHeader(opcode, payload.length, fin, MASK), masked(payload, MASK));
}

const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

function masked(payload: Uint8Array, mask: Uint8Array): Uint8Array {
  return payload.map((b, i) => b ^ mask[i % 4]);
}

/** Only the header of a masked client frame announcing `length` payload bytes. */
export function clientFrameHeader(
  opcode: number,
  length: number,
  fin = true,
  mask: Uint8Array = MASK,
): Uint8Array {
  const first = (fin ? 0x80 : 0) | opcode;
  let head: number[];
  if (length < 126) head = [first, 0x80 | length];
  else if (length < 0x10000) head = [first, 0x80 | 126, length >>> 8, length & 0xff];
  else {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(length));
    head = [first, 0x80 | 127, ...b];
  }
  return Uint8Array.from([...head, ...mask]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A frame from the server (unmasked, RFC 6455 §5.1). */
export interface ServerFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Uint8Array;
}

/** Parses server frames; throws on a masked or truncated frame. */
export function parseServerFrames(bytes: Uint8Array): ServerFrame[] {
  const frames: ServerFrame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new Error("truncated frame header");
    const fin = (bytes[at] & 0x80) !== 0;
    const opcode = bytes[at] & 0x0f;
    if (bytes[at + 1] & 0x80) throw new Error("a server frame must not be masked");
    let length = bytes[at + 1] & 0x7f;
    at += 2;
    if (length === 126) {
      length = view.getUint16(at);
      at += 2;
    } else if (length === 127) {
      length = Number(view.getBigUint64(at));
      at += 8;
    }
    if (at + length > bytes.length) throw new Error("truncated frame payload");
    frames.push({ fin, opcode, payload: bytes.slice(at, at + length) });
    at += length;
  }
  return frames;
}

/** Code and reason of a close frame's payload (RFC 6455 §5.5.1). */
export function closeOf(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length < 2) return { code: 1005, reason: "" };
  return {
    code: (payload[0] << 8) | payload[1],
    reason: new TextDecoder().decode(payload.subarray(2)),
  };
}

/** Writes bytes to a raw connection. */
export function send(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  return writeAll(conn, bytes);
}

/** Closes a connection that the node (or a deadline) may have closed already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

/** A fake mesh peer on loopback that accepts the upgrade, reads message 1, then hangs up. */
export interface HangUpServer {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** Starts a {@link HangUpServer} on 127.0.0.1, a free port. */
export function hangUpServer(): HangUpServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let accepted = 0;
  const serve = async (conn: Deno.Conn) => {
    try {
      const { bytes } = await readUntil(conn, (b) => indexOfHeadEnd(b) >= 0, 10_000, 8192);
      const key = /sec-websocket-key: *(\S+)/i.exec(latin1.decode(bytes))?.[1] ?? "";
      await writeAll(
        conn,
        encoder.encode(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${await acceptFor(key)}\r\n` +
            `Sec-WebSocket-Protocol: ${MESH_SUBPROTOCOL}\r\n\r\n`,
        ),
      );
      await readUntil(conn, (b) => b.length > 0, 10_000, 8192); // message 1 (or its start)
    } catch {
      /* the dialer may give up first */
    } finally {
      open.delete(conn);
      closeQuietly(conn); // no close frame: TCP just ends
    }
  };
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      open.add(conn);
      const task = serve(conn).finally(() => tasks.delete(task));
      tasks.add(task);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    async close() {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of open) closeQuietly(c);
      await loop;
      await Promise.all(tasks);
    },
  };
}
