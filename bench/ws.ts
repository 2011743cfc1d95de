/**
 * WebSocket throughput: our RFC 6455 implementation (src/mesh/ws) against
 * Deno's built-in one, one way, over loopback, in the same run.
 *
 *   deno run -A bench/ws.ts
 *
 * Pairs: ours → ours (the mesh), Deno `new WebSocket` → `Deno.serve` +
 * `upgradeWebSocket` (the raw WebSocket reference), and the two mixed pairs,
 * which tell the sending and the receiving side apart. Each case sends
 * messages until it has sent `maxMessages` or spent `timeMs`, then an end
 * marker; the clock stops when the receiver has taken the marker, so every
 * message counted was received. Senders respect backpressure (ours: await
 * every SEND_WINDOW-th send; Deno's: pause while `bufferedAmount` is high).
 * @module
 */
import { dialWs, serveWs, type WsConn } from "../src/mesh/ws/mod.ts";

/** Time budget of one case, in milliseconds. */
export const BENCH_TIME_MS = 1000;
/** Message cap of one case, whatever the time. */
export const BENCH_MAX_MESSAGES = 2_000_000;
/** Our sender awaits every SEND_WINDOW-th send: at most this many messages queue up. */
export const SEND_WINDOW = 256;
/** Deno's sender yields while more than this many bytes wait in its buffer. */
export const DENO_BUFFERED_LIMIT = 1 << 20;
/** Message sizes measured. */
export const BENCH_SIZES = [100, 1024];

const PATH = "/bench";
const END = new Uint8Array(1); // the end marker: the only 1-byte message

/** One line of the result table. */
export interface WsBenchRow {
  /** "client → server", e.g. "ours → ours". */
  pair: string;
  /** Message size in bytes. */
  size: number;
  /** Messages received. */
  messages: number;
  messagesPerSecond: number;
  /** Payload megabytes (10^6 B) per second. */
  mbPerSecond: number;
}

/** Options of {@link runWsBench}. */
export interface WsBenchOptions {
  /** Time budget per case in ms (default {@link BENCH_TIME_MS}). */
  timeMs?: number;
  /** Message cap per case (default {@link BENCH_MAX_MESSAGES}). */
  maxMessages?: number;
  /** Sizes to measure (default {@link BENCH_SIZES}). */
  sizes?: number[];
}

type Sender = (message: Uint8Array, stop: () => boolean) => Promise<number>;
interface Receiver {
  url: string;
  /** Resolves with the count of data messages once the end marker came. */
  done: () => Promise<number>;
  close: () => Promise<void>;
}

/** Counts messages until the end marker. */
function counter() {
  let count = 0;
  let finish!: (n: number) => void;
  let done = new Promise<number>((r) => finish = r);
  return {
    take(size: number) {
      if (size !== 1) return void count++;
      finish(count);
      count = 0;
      done = new Promise<number>((r) => finish = r);
    },
    done: () => done,
  };
}

function oursServer(): Receiver {
  const c = counter();
  const server = serveWs({
    hostname: "127.0.0.1",
    port: 0,
    path: PATH,
    onConnection: async (conn) => {
      for (let m; (m = await conn.receive()) !== null;) c.take(m.length);
    },
  });
  return { url: `ws://127.0.0.1:${server.port}${PATH}`, done: c.done, close: () => server.close() };
}

function denoServer(): Receiver {
  const c = counter();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (e) => c.take((e.data as ArrayBuffer).byteLength);
    return response;
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}${PATH}`,
    done: c.done,
    close: () => server.shutdown(),
  };
}

async function oursClient(url: string): Promise<{ send: Sender; close: () => Promise<void> }> {
  const conn: WsConn = await dialWs(url);
  return {
    send: async (message, stop) => {
      let n = 0;
      while (!stop()) {
        const p = conn.send(message);
        if (++n % SEND_WINDOW === 0) await p;
      }
      await conn.send(END);
      return n;
    },
    close: async () => {
      conn.close();
      await conn.closed;
    },
  };
}

async function denoClient(url: string): Promise<{ send: Sender; close: () => Promise<void> }> {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const closed = new Promise((r) => ws.onclose = r);
  return {
    send: async (message, stop) => {
      let n = 0;
      while (!stop()) {
        ws.send(message);
        if (++n % SEND_WINDOW === 0) {
          while (ws.bufferedAmount > DENO_BUFFERED_LIMIT) {
            await new Promise((r) => setTimeout(r, 0));
          }
        }
      }
      ws.send(END);
      return n;
    },
    close: async () => {
      ws.close();
      await closed;
    },
  };
}

const CLIENTS = { ours: oursClient, deno: denoClient };
const SERVERS = { ours: oursServer, deno: denoServer };
const PAIRS: [keyof typeof CLIENTS, keyof typeof SERVERS][] = [
  ["ours", "ours"],
  ["deno", "deno"],
  ["ours", "deno"],
  ["deno", "ours"],
];

/** Runs every pair at every size; returns one row per case. */
export async function runWsBench(options: WsBenchOptions = {}): Promise<WsBenchRow[]> {
  const timeMs = options.timeMs ?? BENCH_TIME_MS;
  const maxMessages = options.maxMessages ?? BENCH_MAX_MESSAGES;
  const rows: WsBenchRow[] = [];
  for (const size of options.sizes ?? BENCH_SIZES) {
    const message = crypto.getRandomValues(new Uint8Array(size));
    for (const [from, to] of PAIRS) {
      const receiver = SERVERS[to]();
      const client = await CLIENTS[from](receiver.url);
      try {
        // Warm-up: a short untimed run lets the JIT settle.
        let warm = 0;
        const warmed = receiver.done();
        await client.send(message, () => ++warm > 2000);
        await warmed;
        const start = performance.now();
        const deadline = start + timeMs;
        let sent = 0;
        const stop = () =>
          ++sent > maxMessages || ((sent & 63) === 0 && performance.now() >= deadline);
        const done = receiver.done();
        await client.send(message, stop);
        const received = await done;
        const seconds = (performance.now() - start) / 1000;
        rows.push({
          pair: `${from} → ${to}`,
          size,
          messages: received,
          messagesPerSecond: received / seconds,
          mbPerSecond: (received * size) / seconds / 1e6,
        });
      } finally {
        await client.close();
        await receiver.close();
      }
    }
  }
  return rows;
}

/** Formats rows as a fixed-width text table. */
export function formatWsTable(rows: WsBenchRow[]): string {
  const head = ["client → server", "size", "messages", "msg/s", "MB/s"];
  const body = rows.map((r) => [
    r.pair,
    r.size === 1024 ? "1 KiB" : `${r.size} B`,
    r.messages.toLocaleString("en-US"),
    Math.round(r.messagesPerSecond).toLocaleString("en-US"),
    r.mbPerSecond.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

if (import.meta.main) {
  console.log(`Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${Deno.build.target}`);
  console.log(formatWsTable(await runWsBench()));
}
