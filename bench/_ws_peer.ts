/**
 * Helper process of bench/mesh.ts: the raw WebSocket reference, with no
 * Canopy protocol, crypto or storage on top. One process serves, another
 * sends, so the figure is comparable with two node processes.
 *
 *   deno run --allow-net=127.0.0.1 bench/_ws_peer.ts server
 *     prints {"deno": <port>, "canopy": <port>} and serves until killed:
 *     Deno.serve + Deno.upgradeWebSocket on the first port (and GET /health),
 *     the project's own WebSocket code (src/mesh/ws) on the second.
 *   deno run --allow-net=127.0.0.1 bench/_ws_peer.ts client <deno|canopy> <port> <size>
 *       <count> <stream|pingpong> <timeMs>
 *     prints one JSON line: {sent, received, seconds, rate, p50Ms, p99Ms}.
 *
 * Session protocol (binary only, both implementations): the client's first
 * message is one byte, the mode (1 stream, 2 ping-pong). In ping-pong mode the
 * server answers every message with a one-byte ack. A one-byte END message
 * makes the server answer with the 4-byte count of messages it received.
 * Loopback only.
 * @module
 */
import { dialWs, serveWs, type WsConn } from "../src/mesh/ws/mod.ts";

const MODE_STREAM = 1;
const MODE_PINGPONG = 2;
const END = 0xee;
const ACK = new Uint8Array([0xac]);
const HOST = "127.0.0.1";
const CANOPY_PATH = "/bench";

/** The server side of one session, whatever carries it. */
function sink(send: (bytes: Uint8Array) => void): (message: Uint8Array) => void {
  let mode = 0;
  let count = 0;
  return (m) => {
    if (mode === 0) {
      mode = m[0];
      return;
    }
    if (m.length === 1 && m[0] === END) {
      const reply = new Uint8Array(4);
      new DataView(reply.buffer).setUint32(0, count);
      send(reply);
      count = 0;
      return;
    }
    count++;
    if (mode === MODE_PINGPONG) send(ACK);
  };
}

function serve(): void {
  const denoServer = Deno.serve({ hostname: HOST, port: 0, onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname === "/health") return new Response("ok");
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("websocket only", { status: 400 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.binaryType = "arraybuffer";
    const onMessage = sink((b) => socket.send(b));
    socket.onmessage = (e) => onMessage(new Uint8Array(e.data as ArrayBuffer));
    return response;
  });
  const canopyServer = serveWs({
    hostname: HOST,
    port: 0,
    path: CANOPY_PATH,
    onConnection: async (conn) => {
      const onMessage = sink((b) => void conn.send(b).catch(() => {}));
      for (let m; (m = await conn.receive()) !== null;) onMessage(m);
    },
  });
  console.log(JSON.stringify({ deno: denoServer.addr.port, canopy: canopyServer.port }));
}

/** A client connection with one shape for both implementations. */
interface Client {
  send(bytes: Uint8Array): void | Promise<void>;
  next(): Promise<Uint8Array>;
  /** Bytes queued but not written yet (0 when unknown). */
  buffered(): number;
  close(): void;
}

async function denoClient(port: number): Promise<Client> {
  const ws = new WebSocket(`ws://${HOST}:${port}/`);
  ws.binaryType = "arraybuffer";
  const queue: Uint8Array[] = [];
  let waiter: ((m: Uint8Array) => void) | undefined;
  ws.onmessage = (e) => {
    const m = new Uint8Array(e.data as ArrayBuffer);
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(m);
    } else queue.push(m);
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("websocket failed to open"));
  });
  return {
    send: (b) => ws.send(b),
    next: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift()!)
        : new Promise<Uint8Array>((r) => (waiter = r)),
    buffered: () => ws.bufferedAmount,
    close: () => ws.close(1000),
  };
}

async function canopyClient(port: number): Promise<Client> {
  const conn: WsConn = await dialWs(`ws://${HOST}:${port}${CANOPY_PATH}`, {});
  return {
    send: (b) => conn.send(b),
    next: async () => {
      const m = await conn.receive();
      if (m === null) throw new Error("connection closed");
      return m;
    },
    buffered: () => 0,
    close: () => conn.close(1000, "done"),
  };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function client(args: string[]): Promise<void> {
  const [impl, port, size, count, mode, timeMs] = [
    args[0],
    Number(args[1]),
    Number(args[2]),
    Number(args[3]),
    args[4],
    Number(args[5]),
  ];
  const c = impl === "canopy" ? await canopyClient(port) : await denoClient(port);
  const payload = crypto.getRandomValues(new Uint8Array(size));
  await c.send(new Uint8Array([mode === "pingpong" ? MODE_PINGPONG : MODE_STREAM]));
  const rtts: number[] = [];
  let sent = 0;
  const start = performance.now();
  const deadline = start + timeMs;
  if (mode === "pingpong") {
    while (sent < count && performance.now() < deadline) {
      const t0 = performance.now();
      await c.send(payload);
      sent++;
      await c.next();
      rtts.push(performance.now() - t0);
    }
  } else {
    let pending: void | Promise<void> = undefined;
    while (sent < count && performance.now() < deadline) {
      pending = c.send(payload);
      sent++;
      if ((sent & 255) === 0) {
        // Let writes drain: the project's conn.send resolves once written; Deno's WebSocket
        // reports what it still holds.
        await pending;
        while (c.buffered() > 1 << 20) await new Promise((r) => setTimeout(r, 1));
      }
    }
    await pending;
  }
  await c.send(new Uint8Array([END]));
  const reply = await c.next();
  const seconds = (performance.now() - start) / 1000;
  const received = new DataView(reply.buffer, reply.byteOffset, reply.byteLength).getUint32(0);
  c.close();
  rtts.sort((a, b) => a - b);
  console.log(JSON.stringify({
    sent,
    received,
    seconds,
    rate: received / seconds,
    p50Ms: percentile(rtts, 50),
    p99Ms: percentile(rtts, 99),
  }));
}

if (import.meta.main) {
  if (Deno.args[0] === "server") serve();
  else if (Deno.args[0] === "client") await client(Deno.args.slice(1));
  else {
    console.error(
      "usage: _ws_peer.ts server | client <deno|canopy> <port> <size> <count> <mode> <ms>",
    );
    Deno.exit(2);
  }
}
