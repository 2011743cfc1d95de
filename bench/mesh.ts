/**
 * Mesh benchmark: two real node processes on loopback, linked by invites,
 * and the figures a user of the REST API sees, next to two references.
 *
 *   deno run -A bench/mesh.ts [--quick] [--only=floor,ws,cold,traffic,soak] [--sizes=100,1024]
 *   deno task bench mesh
 *
 * Per message size (100 B, 1 KiB of content):
 * - direct messages/s through `POST /api/v1/p2p/send` on A, counted when B
 *   announces them stored (its `/api/v1/events` SSE `message` event), with
 *   one sequential client and with 8 concurrent keep-alive clients;
 * - end-to-end latency p50/p99, from starting the POST on A to the SSE event
 *   on B (sequential sends);
 * - references: a raw WebSocket between two Deno processes (one-way stream
 *   and request/ack ping-pong; Deno's own WebSocket and the project's
 *   src/mesh/ws), and the "floor": what one core does per message with no
 *   networking (seal, sign, store on the sender; verify, open, store on the
 *   receiver), one message at a time and 8 in flight; also a bare
 *   `Deno.serve` answering the same JSON POSTs (what HTTP alone costs).
 * Per node: idle RSS, RSS after 100,000 received messages (and the time they
 * took), cold start to a healthy `/api/v1/health`. On Linux, /proc adds each
 * phase's CPU use per process and the RSS split (anon, file-backed, PSS).
 *
 * The node answers 429 with Retry-After when it pushes back: every client
 * loop waits as told, retries the same message and counts the 429s. Every
 * loop is bounded by count and by time; a phase that ran out of time says how
 * much it did. Nodes run each in their own temporary directory with exactly
 * the binary's permission flags (tests/_harness), loopback only; Ctrl-C
 * stops them and removes their directories before exiting.
 * Benchmarks are not tests: PASS/MISS is printed, never asserted.
 * @module
 */
import {
  api,
  freePort,
  link,
  startNode as harnessStartNode,
  type TestNode,
} from "../tests/_harness/cluster.ts";
import {
  cleanup,
  nodeCommand,
  type SpawnOptions,
  TEST_SERVE_ARGS,
} from "../tests/_harness/spawn_node.ts";
import {
  generateEd25519Seed,
  generateX25519Secret,
  importAgreementKey,
  importSigningKey,
  randomBytes,
} from "../src/crypto/mod.ts";
import { receivedRow } from "../src/chat/messaging.ts";
import { peerIdOf } from "../src/identity/peer_id.ts";
import { SealCache } from "../src/mesh/seal_cache.ts";
import {
  decodeEnvelope,
  directStream,
  type Envelope,
  Kind,
  sealEnvelope,
  verifyEnvelope,
} from "../src/mesh/wire/envelope.ts";
import { AtRestCipher } from "../src/store/at_rest.ts";
import { MessagesRepo, type NewMessage } from "../src/store/messages_repo.ts";
import { migrate } from "../src/store/migrations.ts";
import { Database } from "../src/store/sqlite.ts";
import { fromUtf8, utf8 } from "../src/util/bytes.ts";

// ---- options and rows ---------------------------------------------------------------------

/** Phases that can be run alone (`only`). */
export type MeshPhase = "floor" | "ws" | "cold" | "traffic" | "soak";
/** Every phase, in the order they run. */
export const MESH_PHASES: readonly MeshPhase[] = ["floor", "ws", "cold", "traffic", "soak"];

/** Options of {@link runMeshBench}. Counts are caps; every loop also stops at its time budget. */
export interface MeshBenchOptions {
  /** Content sizes in bytes (default 100 and 1024). */
  sizes?: number[];
  /** Messages sent by the sequential client (default 3,000). */
  sequentialCount?: number;
  /** Messages sent by the concurrent clients together (default 10,000). */
  concurrentCount?: number;
  /** Concurrent clients (default 8). */
  clients?: number;
  /** Latency samples (default 1,000). */
  latencySamples?: number;
  /** Messages of the memory soak (default 100,000, at the largest size). */
  soakCount?: number;
  /** Time budget of a sending loop (default 20 s). */
  phaseTimeMs?: number;
  /** Time budget of the soak's sending loop (default 180 s). */
  soakTimeMs?: number;
  /** How long to wait for accepted messages to arrive on B after sending stops (default 30 s). */
  drainTimeMs?: number;
  /** Cold start runs (default 5; the median is reported). */
  coldStartRuns?: number;
  /** Messages per raw WebSocket case (default 50,000 streamed, a fifth of it ping-pong). */
  wsCount?: number;
  /** Messages per floor case (default 20,000). */
  floorCount?: number;
  /** Time budget of one reference case (default 5 s). */
  referenceTimeMs?: number;
  /** Phases to run (default all). */
  only?: readonly MeshPhase[];
  /** Starts a node (default the test harness's `startNode`); profiling runs inject their own. */
  startNode?: (options?: SpawnOptions & { key?: string }) => Promise<TestNode>;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** A target a figure is held to. */
export interface Target {
  readonly op: ">=" | "<=";
  readonly value: number;
}

/** One line of the result. */
export interface MeshRow {
  /** Table the row belongs to: "100 B", "1 KiB", "node", "references". */
  section: string;
  metric: string;
  value: number | null;
  unit: string;
  target: Target | null;
  /** `value` ÷ a reference figure, or null. */
  ratio: number | null;
  /** What the ratio compares with. */
  ratioTo: string;
  /** PASS/MISS against `target`, "" without one, "n/a" when nothing was measured. */
  verdict: "PASS" | "MISS" | "n/a" | "";
  /** Anything the figure needs to be read right (partial runs, 429s). */
  note: string;
}

const TARGETS = {
  sequential: { op: ">=", value: 1_500 },
  concurrent: { op: ">=", value: 4_000 },
  ofFloor: { op: ">=", value: 50 },
  p50: { op: "<=", value: 2 },
  p99: { op: "<=", value: 10 },
  idleRss: { op: "<=", value: 60 },
  soakRss: { op: "<=", value: 80 },
  coldStart: { op: "<=", value: 300 },
} as const satisfies Record<string, Target>;

const MB = 1024 * 1024;

function row(
  section: string,
  metric: string,
  value: number | null,
  unit: string,
  extra: Partial<Pick<MeshRow, "target" | "ratio" | "ratioTo" | "note">> = {},
): MeshRow {
  const target = extra.target ?? null;
  let verdict: MeshRow["verdict"] = "";
  if (target) {
    if (value === null || !Number.isFinite(value)) verdict = "n/a";
    else {verdict = (target.op === ">=" ? value >= target.value : value <= target.value)
        ? "PASS"
        : "MISS";}
  }
  return {
    section,
    metric,
    value,
    unit,
    target,
    ratio: extra.ratio ?? null,
    ratioTo: extra.ratioTo ?? "",
    verdict,
    note: extra.note ?? "",
  };
}

function ratioOf(value: number | null, reference: number | null | undefined): number | null {
  return value === null || !reference ? null : value / reference;
}

function sizeLabel(size: number): string {
  return size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`;
}

// ---- small helpers ------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Content text of exactly `size` ASCII characters. */
function contentOf(size: number): string {
  const unit = "canopy-bench ";
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date; 1 s when unreadable). */
function retryAfterMs(header: string | null): number {
  if (header === null) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 1000;
}

// ---- /proc (Linux; everything here degrades to "unknown" elsewhere) ------------------------

/** The pid of the node process running in `dir` (found by its working directory). */
async function pidOf(dir: string): Promise<number | undefined> {
  try {
    const real = await Deno.realPath(dir);
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        if ((await Deno.readLink(`/proc/${e.name}/cwd`)) !== real) continue;
        const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`);
        if (cmdline.includes("\0serve\0")) return Number(e.name);
      } catch {
        // gone, or not ours
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** CPU seconds (user + system) a process used so far ("self" for this one). */
function cpuSeconds(pid: number | "self" | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return undefined;
  }
}

/** Memory of a process from /proc/<pid>/status, in MB. */
interface ProcMemory {
  rss: number;
  peak: number;
  anon: number;
  /** File-backed pages (mostly the deno executable), shared with other processes running it. */
  file: number;
  /** Proportional set size: shared pages divided among their users. */
  pss?: number;
}

function procMemory(pid: number | undefined): ProcMemory | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    let pss: number | undefined;
    try {
      const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
      pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1]) / 1024;
    } catch {
      // older kernels
    }
    return {
      rss: kb("VmRSS") / 1024,
      peak: kb("VmHWM") / 1024,
      anon: kb("RssAnon") / 1024,
      file: kb("RssFile") / 1024,
      pss: pss !== undefined && Number.isFinite(pss) ? pss : undefined,
    };
  } catch {
    return undefined;
  }
}

function memoryNote(m: ProcMemory | undefined, heapMb: number | null): string {
  const parts: string[] = [];
  if (heapMb !== null) parts.push(`JS heap ${heapMb.toFixed(1)}`);
  if (m) {
    parts.push(
      `anon ${m.anon.toFixed(1)}`,
      `file ${m.file.toFixed(1)}`,
      `peak ${m.peak.toFixed(1)}`,
    );
    if (m.pss !== undefined) parts.push(`PSS ${m.pss.toFixed(1)}`);
  }
  return parts.length > 0 ? `${parts.join(", ")} MB` : "";
}

/** CPU use of the nodes and of this process over a phase, in cores. */
class CpuMeter {
  #start: (number | undefined)[];
  #t0 = performance.now();
  constructor(private readonly pids: readonly (number | "self" | undefined)[]) {
    this.#start = pids.map(cpuSeconds);
  }
  /** Cores used by each process since construction (undefined when unknown). */
  cores(): (number | undefined)[] {
    const wall = (performance.now() - this.#t0) / 1000;
    return this.pids.map((pid, i) => {
      const now = cpuSeconds(pid);
      const start = this.#start[i];
      return now === undefined || start === undefined ? undefined : (now - start) / wall;
    });
  }
}

// ---- the SSE watch on B ---------------------------------------------------------------------

/**
 * Subscribes to a node's `/api/v1/events` and counts the `message` events of
 * messages received from `origin`; can also hand out arrival times by id.
 */
class EventWatch {
  received = 0;
  lastArrival = 0;
  #track = false;
  #arrivals = new Map<string, number>();
  #idWaiters = new Map<string, (at: number) => void>();
  #countWaiters: { n: number; resolve: () => void }[] = [];
  #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

  constructor(private readonly node: TestNode, private readonly origin: string) {}

  /** Opens the stream; resolves once the node confirmed the subscription. */
  async open(): Promise<void> {
    const res = await fetch(`${this.node.apiUrl}/events`, {
      headers: { "X-API-Key": this.node.key, Accept: "text/event-stream" },
      signal: this.#abort.signal,
    });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new Error(`GET /events answered ${res.status}`);
    }
    let connected!: () => void;
    const ready = new Promise<void>((r) => (connected = r));
    this.#loop = this.#read(res.body, connected).catch((e) => {
      if (!this.#abort.signal.aborted) throw e;
    });
    await Promise.race([
      ready,
      this.#loop.then(() => {
        throw new Error("event stream ended before it was confirmed");
      }),
    ]);
  }

  async #read(body: ReadableStream<Uint8Array>, connected: () => void): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    const reader = body.getReader();
    this.#reader = reader;
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) return;
      const now = performance.now();
      buf += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        if (block.includes(": connected")) connected();
        if (!block.includes("event: message\n")) continue;
        const dataAt = block.indexOf("\ndata: ");
        if (dataAt < 0) continue;
        const data = JSON.parse(block.slice(dataAt + 7)) as {
          message?: { id: string; outgoing: boolean; origin: string };
        };
        const m = data.message;
        if (!m || m.outgoing || m.origin !== this.origin) continue;
        this.#arrived(m.id, now);
      }
    }
  }

  #arrived(id: string, at: number): void {
    this.received++;
    this.lastArrival = at;
    const waiter = this.#idWaiters.get(id);
    if (waiter) {
      this.#idWaiters.delete(id);
      waiter(at);
    } else if (this.#track) this.#arrivals.set(id, at);
    while (this.#countWaiters.length > 0 && this.received >= this.#countWaiters[0].n) {
      this.#countWaiters.shift()!.resolve();
    }
  }

  /** Starts or stops keeping arrival times by id (for latency). */
  track(on: boolean): void {
    this.#track = on;
    if (!on) this.#arrivals.clear();
  }

  /** When message `id` arrived (ms, performance.now), or undefined at `deadline`. */
  async arrivalOf(id: string, deadline: number): Promise<number | undefined> {
    const at = this.#arrivals.get(id);
    if (at !== undefined) {
      this.#arrivals.delete(id);
      return at;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      new Promise<number>((r) => this.#idWaiters.set(id, r)),
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), Math.max(0, deadline - performance.now()));
      }),
    ]);
    clearTimeout(timer);
    this.#idWaiters.delete(id);
    return result;
  }

  /** Resolves true once `n` messages were counted, false at `deadline`. */
  async waitReceived(n: number, deadline: number): Promise<boolean> {
    if (this.received >= n) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const entry = { n, resolve: () => {} };
    const ok = await Promise.race([
      new Promise<boolean>((r) => {
        entry.resolve = () => r(true);
        this.#countWaiters.push(entry);
        this.#countWaiters.sort((a, b) => a.n - b.n);
      }),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), Math.max(0, deadline - performance.now()));
      }),
    ]);
    clearTimeout(timer);
    this.#countWaiters = this.#countWaiters.filter((w) => w !== entry);
    return ok;
  }

  /** Closes the stream and waits for the reader to stop. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#reader?.cancel().catch(() => {});
    await this.#loop?.catch(() => {});
  }
}

// ---- clients ------------------------------------------------------------------------------

interface SendStats {
  /** 429 answers received (each was waited out and retried). */
  tooMany: number;
  /** Messages given up because a Retry-After reached past the loop's deadline. */
  gaveUp: number;
}

/**
 * POSTs one direct message; on 429 waits Retry-After and sends the same
 * message again. Returns the stored message id, or null when the wait would
 * pass `deadline` (the message was never accepted, so nothing is lost).
 */
async function postSend(
  node: TestNode,
  body: string,
  stats: SendStats,
  deadline: number,
): Promise<string | null> {
  for (;;) {
    const res = await fetch(`${node.apiUrl}/p2p/send`, {
      method: "POST",
      headers: { "X-API-Key": node.key, "Content-Type": "application/json" },
      body,
    });
    if (res.status === 200) return ((await res.json()) as { message_id: string }).message_id;
    const text = await res.text();
    if (res.status !== 429) throw new Error(`POST /p2p/send answered ${res.status}: ${text}`);
    stats.tooMany++;
    const wait = retryAfterMs(res.headers.get("retry-after"));
    if (performance.now() + wait > deadline) {
      stats.gaveUp++;
      return null;
    }
    await sleep(wait);
  }
}

interface Pair {
  a: TestNode;
  b: TestNode;
  watch: EventWatch;
  pidA?: number;
  pidB?: number;
}

interface ThroughputResult {
  /** Messages stored on B per second, from the first POST to the last arrival. */
  rate: number | null;
  arrived: number;
  accepted: number;
  wanted: number;
  seconds: number;
  stats: SendStats;
  complete: boolean;
  /** Cores used during the phase by A, B and this process (the clients and the SSE reader). */
  cpu: (number | undefined)[];
}

/** `clients` loops share `count` messages; rate counted on B's event stream. */
async function throughput(
  pair: Pair,
  size: number,
  clients: number,
  count: number,
  timeMs: number,
  drainMs: number,
): Promise<ThroughputResult> {
  const body = JSON.stringify({ content: contentOf(size), peer_id: pair.b.peerId });
  const stats: SendStats = { tooMany: 0, gaveUp: 0 };
  const base = pair.watch.received;
  const meter = new CpuMeter([pair.pidA, pair.pidB, "self"]);
  const start = performance.now();
  const deadline = start + timeMs;
  let issued = 0;
  let accepted = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (issued < count && performance.now() < deadline) {
      issued++;
      if (await postSend(pair.a, body, stats, deadline)) accepted++;
    }
  }));
  const complete = await pair.watch.waitReceived(base + accepted, performance.now() + drainMs);
  const arrived = pair.watch.received - base;
  const seconds = (pair.watch.lastArrival - start) / 1000;
  return {
    rate: arrived > 0 && seconds > 0 ? arrived / seconds : null,
    arrived,
    accepted,
    wanted: count,
    seconds: arrived > 0 ? seconds : (performance.now() - start) / 1000,
    stats,
    complete: complete && accepted === count,
    cpu: meter.cores(),
  };
}

interface LatencyResult {
  samples: number[];
  postMs: number[];
  lost: number;
  stats: SendStats;
}

/** Sequential sends, each timed from the start of its POST to its SSE event on B. */
async function latency(
  pair: Pair,
  size: number,
  samples: number,
  timeMs: number,
): Promise<LatencyResult> {
  const body = JSON.stringify({ content: contentOf(size), peer_id: pair.b.peerId });
  const stats: SendStats = { tooMany: 0, gaveUp: 0 };
  const out: number[] = [];
  const postMs: number[] = [];
  let lost = 0;
  const deadline = performance.now() + timeMs;
  pair.watch.track(true);
  try {
    while (out.length + lost < samples && performance.now() < deadline) {
      const t0 = performance.now();
      const id = await postSend(pair.a, body, stats, deadline);
      if (id === null) break;
      postMs.push(performance.now() - t0);
      const at = await pair.watch.arrivalOf(id, Math.min(deadline, performance.now() + 10_000));
      if (at === undefined) lost++;
      else out.push(at - t0);
    }
  } finally {
    pair.watch.track(false);
  }
  return { samples: out.sort((x, y) => x - y), postMs: postMs.sort((x, y) => x - y), lost, stats };
}

interface InfoView {
  memory?: { rss_bytes: number; heap_used_bytes: number };
  mesh?: { links?: { in_flight: number; queued: number }[] };
}

async function info(node: TestNode): Promise<InfoView> {
  const res = await api<InfoView>(node, "/info");
  if (res.status !== 200) throw new Error(`GET /info answered ${res.status}: ${res.text}`);
  return res.json;
}

/** Waits until neither node has envelopes in flight or queued on its links (bounded). */
async function settle(pair: Pair, maxMs = 10_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const busy = (await Promise.all([info(pair.a), info(pair.b)])).some((i) =>
      (i.mesh?.links ?? []).some((l) => l.in_flight > 0 || l.queued > 0)
    );
    if (!busy) break;
    await sleep(50);
  }
  await sleep(250); // receipts and delivery states trail the last arrival
}

async function startPair(
  start: NonNullable<MeshBenchOptions["startNode"]>,
  nodes: TestNode[],
): Promise<Pair> {
  const a = await start();
  nodes.push(a);
  const b = await start();
  nodes.push(b);
  await link(a, b);
  const watch = new EventWatch(b, a.peerId);
  await watch.open();
  return { a, b, watch, pidA: await pidOf(a.dir), pidB: await pidOf(b.dir) };
}

/** Calls `handler` on SIGINT/SIGTERM until `remove()` (no-op where signals are not supported). */
function watchSignals(handler: () => void): { remove(): void } {
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const added: Deno.Signal[] = [];
  for (const sig of signals) {
    try {
      Deno.addSignalListener(sig, handler);
      added.push(sig);
    } catch {
      // not supported on this platform
    }
  }
  return { remove: () => added.forEach((sig) => Deno.removeSignalListener(sig, handler)) };
}

async function stopPair(pair: Pair | undefined, nodes: TestNode[]): Promise<void> {
  await pair?.watch.close();
  await cleanup(nodes.splice(0));
}

function throughputNote(r: ThroughputResult): string {
  const parts: string[] = [];
  if (!r.complete) {
    parts.push(`partial: ${r.arrived}/${r.wanted} arrived in ${r.seconds.toFixed(1)} s`);
  }
  parts.push(`${r.stats.tooMany} × 429`);
  if (r.cpu.some((c) => c !== undefined)) {
    const c = r.cpu.map((x) => (x === undefined ? "?" : x.toFixed(2)));
    parts.push(`CPU cores A ${c[0]}, B ${c[1]}, clients ${c[2]}`);
  }
  if (r.stats.gaveUp > 0) parts.push(`${r.stats.gaveUp} given up at the deadline`);
  return parts.join("; ");
}

// ---- references: raw WebSocket --------------------------------------------------------------

interface WsResult {
  rate: number;
  p50Ms: number | null;
  p99Ms: number | null;
  sent: number;
  received: number;
}

const WS_PEER = new URL("./_ws_peer.ts", import.meta.url).pathname;
const COLD_REF = new URL("./_cold.ts", import.meta.url).pathname;
const WS_FLAGS = ["run", "--quiet", "--allow-net=127.0.0.1", WS_PEER];

async function wsReference(
  sizes: number[],
  count: number,
  timeMs: number,
): Promise<Map<string, WsResult>> {
  const out = new Map<string, WsResult>();
  const server = new Deno.Command(Deno.execPath(), {
    args: [...WS_FLAGS, "server"],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let first = "";
    while (!first.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the WebSocket reference server exited");
      first += value;
    }
    await reader.cancel(); // the server prints nothing more; this also closes the pipe
    const ports = JSON.parse(first) as { deno: number; canopy: number };
    for (const impl of ["deno", "canopy"] as const) {
      for (const size of sizes) {
        for (const mode of ["stream", "pingpong"] as const) {
          const n = mode === "stream" ? count : Math.max(1, Math.round(count / 5));
          const res = await new Deno.Command(Deno.execPath(), {
            args: [
              ...WS_FLAGS,
              "client",
              impl,
              String(ports[impl]),
              String(size),
              String(n),
              mode,
              String(timeMs),
            ],
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).output();
          if (res.code !== 0) {
            throw new Error(`WebSocket client failed: ${new TextDecoder().decode(res.stderr)}`);
          }
          out.set(`${impl}/${size}/${mode}`, JSON.parse(new TextDecoder().decode(res.stdout)));
        }
      }
    }
  } finally {
    try {
      server.kill("SIGTERM");
    } catch {
      // already gone
    }
    await server.status;
  }
  return out;
}

// ---- references: bare HTTP ----------------------------------------------------------------

interface HttpResult {
  rate: number;
  p50Ms: number | null;
}

/** Spawns the bare `Deno.serve` helper on a free port; resolves once it answers. */
async function spawnBare(): Promise<{ url: string; child: Deno.ChildProcess }> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", COLD_REF, String(port)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}/`;
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const ok = await fetch(url).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
    if (ok) return { url, child };
    await sleep(10);
  }
  await stopChild(child);
  throw new Error("the bare Deno.serve helper did not answer within 30 s");
}

async function stopChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  await child.status;
}

/**
 * JSON POSTs of the same shape as `/p2p/send` to a bare `Deno.serve` that
 * reads the body and answers: what HTTP alone costs, sequential and with
 * `clients` concurrent keep-alive loops.
 */
async function httpReference(
  sizes: number[],
  clients: number,
  count: number,
  timeMs: number,
): Promise<Map<string, HttpResult>> {
  const out = new Map<string, HttpResult>();
  const { url, child } = await spawnBare();
  try {
    for (const size of sizes) {
      const body = JSON.stringify({ content: contentOf(size), peer_id: "1".repeat(16) });
      for (const n of [1, clients]) {
        const rtts: number[] = [];
        let issued = 0;
        const start = performance.now();
        const deadline = start + timeMs;
        await Promise.all(Array.from({ length: n }, async () => {
          while (issued < count && performance.now() < deadline) {
            issued++;
            const t0 = performance.now();
            const res = await fetch(url, {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              body,
            });
            await res.json();
            rtts.push(performance.now() - t0);
          }
        }));
        const seconds = (performance.now() - start) / 1000;
        rtts.sort((a, b) => a - b);
        out.set(`${size}/${n}`, { rate: rtts.length / seconds, p50Ms: percentile(rtts, 50) });
      }
    }
  } finally {
    await stopChild(child);
  }
  return out;
}

// ---- references: the floor -----------------------------------------------------------------

interface FloorResult {
  rate: number;
  messages: number;
  /** Mean µs per message of each stage (sequential runs only). */
  stages?: Record<string, number>;
}

interface FloorSide {
  dir: string;
  db: Database;
  repo: MessagesRepo;
  cipher: AtRestCipher;
}

async function floorSide(): Promise<FloorSide> {
  const dir = await Deno.makeTempDir({ prefix: "canopy-bench-floor-" });
  const db = Database.open(`${dir}/canopy.db`);
  migrate(db);
  const cipher = AtRestCipher.fromSeed(randomBytes(32));
  return { dir, db, repo: new MessagesRepo(db, cipher), cipher };
}

async function closeSide(side: FloorSide): Promise<void> {
  side.db.close();
  side.cipher.close();
  await Deno.remove(side.dir, { recursive: true }).catch(() => {});
}

/**
 * What one core does per direct message without networking, with the
 * project's own code: the sender seals the content (SealCache), signs the
 * envelope (sealEnvelope) and stores its copy; the receiver decodes,
 * verifies, opens and stores. Storing is `MessagesRepo.insert` inside
 * `db.batch` on a real SQLite file, as the node does.
 */
async function floor(
  size: number,
  inFlight: number,
  count: number,
  timeMs: number,
): Promise<FloorResult> {
  const sender = await floorSide();
  const receiver = await floorSide();
  try {
    const signing = await importSigningKey(generateEd25519Seed());
    const senderId = peerIdOf(signing.publicKey);
    const recipientKey = await importAgreementKey(generateX25519Secret());
    const recipientId = peerIdOf(randomBytes(32));
    const sealer = new SealCache(await importAgreementKey(generateX25519Secret()));
    const opener = new SealCache(recipientKey);
    const stream = directStream(senderId, recipientId);
    const content = JSON.stringify({ text: contentOf(size) });
    const stages: Record<string, number> = {
      "seal (SealCache.seal)": 0,
      "sign (sealEnvelope)": 0,
      "store sender (db.batch)": 0,
      "decode + verify": 0,
      "open (SealCache.open)": 0,
      "store receiver (db.batch)": 0,
    };
    const timed = inFlight === 1;
    let seq = 0;
    const stored = (env: Envelope, peer: string, state: NewMessage["state"]): NewMessage =>
      receivedRow(env, Date.now(), { peer, channelId: null, content, state, fromPending: false });
    const one = async () => {
      let t = timed ? performance.now() : 0;
      const lap = (stage: string) => {
        if (!timed) return;
        const now = performance.now();
        stages[stage] += now - t;
        t = now;
      };
      const id = randomBytes(16);
      const mySeq = ++seq;
      const body = await sealer.seal(recipientKey.publicKey, utf8(content), id);
      lap("seal (SealCache.seal)");
      const env = await sealEnvelope({
        kind: Kind.Direct,
        id,
        timestamp: Date.now(),
        seq: mySeq,
        stream,
        to: recipientId,
        body,
      }, signing);
      lap("sign (sealEnvelope)");
      const ok = await sender.db.batch(() =>
        sender.repo.insert(stored(env, recipientId, "queued"))
      );
      if (!ok) throw new Error("bug: sender insert refused");
      lap("store sender (db.batch)");
      const got = decodeEnvelope(env.bytes.slice());
      if (typeof got === "string" || !(await verifyEnvelope(got))) {
        throw new Error("bug: envelope does not verify");
      }
      lap("decode + verify");
      const text = fromUtf8(await opener.open(got.body, got.id));
      if (text !== content) throw new Error("bug: opened content differs");
      lap("open (SealCache.open)");
      const ok2 = await receiver.db.batch(() =>
        receiver.repo.insert(stored(got, senderId, "unreceipted"))
      );
      if (!ok2) throw new Error("bug: receiver insert refused");
      lap("store receiver (db.batch)");
    };
    for (let i = 0; i < 50; i++) await one(); // warm-up
    for (const k of Object.keys(stages)) stages[k] = 0;
    let done = 0;
    let issued = 0;
    const start = performance.now();
    const deadline = start + timeMs;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (issued < count && performance.now() < deadline) {
        issued++;
        await one();
        done++;
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    const result: FloorResult = { rate: done / seconds, messages: done };
    if (timed) {
      for (const k of Object.keys(stages)) stages[k] = (stages[k] / done) * 1000;
      result.stages = stages;
    }
    return result;
  } finally {
    await closeSide(sender);
    await closeSide(receiver);
  }
}

/** The floor's storage with a plain synchronous transaction per message (no batch timer). */
async function storeOnly(size: number, count: number, timeMs: number): Promise<number> {
  const side = await floorSide();
  try {
    const signing = await importSigningKey(generateEd25519Seed());
    const env = await sealEnvelope({
      kind: Kind.Direct,
      id: randomBytes(16),
      timestamp: Date.now(),
      seq: 1,
      stream: directStream(peerIdOf(signing.publicKey), peerIdOf(randomBytes(32))),
      to: peerIdOf(randomBytes(32)),
      body: randomBytes(size + 57),
    }, signing);
    const content = JSON.stringify({ text: contentOf(size) });
    let n = 0;
    const start = performance.now();
    while (n < count && performance.now() - start < timeMs) {
      n++;
      side.db.transaction(() =>
        side.repo.insert({
          id: randomBytes(16),
          kind: Kind.Direct,
          stream: env.stream,
          origin: env.origin,
          seq: n,
          originTs: Date.now(),
          receivedAt: Date.now(),
          recipient: null,
          peer: env.origin,
          channelId: null,
          envelope: env.bytes,
          content,
          state: "unreceipted",
          fromPending: false,
        })
      );
    }
    return n / ((performance.now() - start) / 1000);
  } finally {
    await closeSide(side);
  }
}

/** The 1-minute load average, when /proc tells it. */
function loadAverage(): number | null {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return null;
  }
}

// ---- memory -------------------------------------------------------------------------------

/** How long a process is left alone before its idle memory is read (ms). */
const IDLE_SETTLE_MS = 2_000;
/** Interval of RSS samples during the soak (ms). */
const SOAK_SAMPLE_MS = 10_000;

interface NodeMemory {
  /** RSS the node reports in /info (Deno.memoryUsage), MB. */
  rss: number | null;
  /** JS heap used, MB. */
  heap: number | null;
  /** The kernel's view, when /proc is there. */
  proc?: ProcMemory;
}

async function memoryOf(pair: Pair): Promise<{ a: NodeMemory; b: NodeMemory }> {
  const one = async (node: TestNode, pid: number | undefined): Promise<NodeMemory> => {
    const m = (await info(node)).memory;
    return {
      rss: m ? m.rss_bytes / MB : null,
      heap: m ? m.heap_used_bytes / MB : null,
      proc: procMemory(pid),
    };
  };
  const [a, b] = await Promise.all([one(pair.a, pair.pidA), one(pair.b, pair.pidB)]);
  return { a, b };
}

/** Idle memory of a bare `Deno.serve` process (what any Deno server costs). */
async function bareIdleMemory(settleMs: number): Promise<ProcMemory | undefined> {
  const { child } = await spawnBare();
  try {
    await sleep(settleMs);
    return procMemory(child.pid);
  } finally {
    await stopChild(child);
  }
}

// ---- cold start ---------------------------------------------------------------------------

/** Spawns `argv` in `cwd` and times until `url` answers 200; stops the process after. */
async function timeToHealthy(argv: string[], cwd: string, url: string): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const deadline = start + 30_000;
    while (performance.now() < deadline) {
      try {
        const res = await fetch(url);
        await res.body?.cancel();
        if (res.status === 200) return performance.now() - start;
      } catch {
        // not listening yet
      }
      const status = await Promise.race([child.status, sleep(2).then(() => null)]);
      if (status) throw new Error(`${argv.join(" ")} exited with ${status.code} before healthy`);
    }
    throw new Error(`${url} did not answer 200 within 30 s`);
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
  }
}

interface ColdStartResult {
  first: number[];
  restart: number[];
  bare: number[];
}

async function coldStart(runs: number): Promise<ColdStartResult> {
  const out: ColdStartResult = { first: [], restart: [], bare: [] };
  const run = async (record: boolean) => {
    const dir = await Deno.makeTempDir({ prefix: "canopy-bench-cold-" });
    try {
      const port = freePort();
      const args = [...TEST_SERVE_ARGS];
      args[args.indexOf("--port") + 1] = String(port);
      const argv = await nodeCommand(args);
      const url = `http://127.0.0.1:${port}/api/v1/health`;
      const first = await timeToHealthy(argv, dir, url);
      const restart = await timeToHealthy(argv, dir, url);
      const barePort = freePort();
      const bare = await timeToHealthy(
        [Deno.execPath(), "run", "--quiet", "--allow-net=127.0.0.1", COLD_REF, String(barePort)],
        dir,
        `http://127.0.0.1:${barePort}/health`,
      ).catch(() => NaN);
      if (record) {
        out.first.push(first);
        out.restart.push(restart);
        if (Number.isFinite(bare)) out.bare.push(bare);
      }
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  };
  await run(false); // warm the module cache
  for (let i = 0; i < runs; i++) await run(true);
  return out;
}

// ---- the run ------------------------------------------------------------------------------

/** Runs the benchmark and returns its rows (see the module doc). */
export async function runMeshBench(options: MeshBenchOptions = {}): Promise<MeshRow[]> {
  const o = {
    sizes: options.sizes ?? [100, 1024],
    sequentialCount: options.sequentialCount ?? 3_000,
    concurrentCount: options.concurrentCount ?? 10_000,
    clients: options.clients ?? 8,
    latencySamples: options.latencySamples ?? 1_000,
    soakCount: options.soakCount ?? 100_000,
    phaseTimeMs: options.phaseTimeMs ?? 20_000,
    soakTimeMs: options.soakTimeMs ?? 180_000,
    drainTimeMs: options.drainTimeMs ?? 30_000,
    coldStartRuns: options.coldStartRuns ?? 5,
    wsCount: options.wsCount ?? 50_000,
    floorCount: options.floorCount ?? 20_000,
    referenceTimeMs: options.referenceTimeMs ?? 5_000,
    only: new Set(options.only ?? MESH_PHASES),
    startNode: options.startNode ?? harnessStartNode,
    log: options.log ?? ((line: string) => console.error(line)),
  };
  const t0 = performance.now();
  const log = (line: string) =>
    o.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}`);
  const rows: MeshRow[] = [];
  const sizes = o.sizes;
  const loadAtStart = loadAverage();
  const clientsLabel = `${o.clients} clients`;

  // References first, with no node running.
  const floorSeq = new Map<number, FloorResult>();
  const floorPar = new Map<number, FloorResult>();
  const storeSync = new Map<number, number>();
  if (o.only.has("floor")) {
    for (const size of sizes) {
      log(`floor ${sizeLabel(size)}: sequential, ${o.clients} in flight…`);
      floorSeq.set(size, await floor(size, 1, o.floorCount, o.referenceTimeMs));
      floorPar.set(size, await floor(size, o.clients, o.floorCount, o.referenceTimeMs));
      storeSync.set(size, await storeOnly(size, o.floorCount, o.referenceTimeMs));
    }
  }
  let ws = new Map<string, WsResult>();
  let http = new Map<string, HttpResult>();
  if (o.only.has("ws")) {
    log("raw WebSocket references…");
    ws = await wsReference(sizes, o.wsCount, o.referenceTimeMs);
    log("bare HTTP references…");
    http = await httpReference(sizes, o.clients, o.wsCount, o.referenceTimeMs);
  }
  let cold: ColdStartResult | undefined;
  if (o.only.has("cold")) {
    log(`cold start, ${o.coldStartRuns} runs…`);
    cold = await coldStart(o.coldStartRuns);
  }

  const nodes: TestNode[] = [];
  let pair: Pair | undefined;
  // Interrupted (Ctrl-C, a timeout): stop the nodes and remove their directories, then exit.
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    void stopPair(pair, nodes).finally(() => Deno.exit(130));
  };
  const signals = watchSignals(onSignal);
  try {
    if (o.only.has("traffic")) {
      log("starting two nodes…");
      pair = await startPair(o.startNode, nodes);
      for (const size of sizes) {
        const section = sizeLabel(size);
        const wsPing = ws.get(`deno/${size}/pingpong`);
        const wsStream = ws.get(`deno/${size}/stream`);
        const fSeq = floorSeq.get(size);
        const fPar = floorPar.get(size);
        log(`${section}: warm-up…`);
        await throughput(pair, size, o.clients, 500, o.phaseTimeMs, o.drainTimeMs);
        await settle(pair);

        log(`${section}: sequential client, ${o.sequentialCount} messages…`);
        const seq = await throughput(
          pair,
          size,
          1,
          o.sequentialCount,
          o.phaseTimeMs,
          o.drainTimeMs,
        );
        await settle(pair);
        log(`${section}: ${clientsLabel}, ${o.concurrentCount} messages…`);
        const par = await throughput(
          pair,
          size,
          o.clients,
          o.concurrentCount,
          o.phaseTimeMs,
          o.drainTimeMs,
        );
        await settle(pair);
        log(`${section}: latency, ${o.latencySamples} samples…`);
        const lat = await latency(pair, size, o.latencySamples, o.phaseTimeMs);
        await settle(pair);

        rows.push(
          row(section, "sequential client → stored on B", seq.rate, "msg/s", {
            target: TARGETS.sequential,
            ratio: ratioOf(seq.rate, wsPing?.rate),
            ratioTo: "ws ping-pong",
            note: throughputNote(seq),
          }),
          row(section, "sequential client ÷ floor (1 in flight)", ratioPct(seq.rate, fSeq), "%"),
          row(
            section,
            "sequential client ÷ bare HTTP POST (1 client)",
            pct(seq.rate, http.get(`${size}/1`)?.rate),
            "%",
          ),
          row(section, `${clientsLabel} → stored on B`, par.rate, "msg/s", {
            target: TARGETS.concurrent,
            ratio: ratioOf(par.rate, wsStream?.rate),
            ratioTo: "ws stream",
            note: throughputNote(par),
          }),
          row(
            section,
            `${clientsLabel} ÷ floor (${o.clients} in flight)`,
            ratioPct(par.rate, fPar),
            "%",
            { target: TARGETS.ofFloor },
          ),
          row(
            section,
            `${clientsLabel} ÷ bare HTTP POST (${clientsLabel})`,
            pct(par.rate, http.get(`${size}/${o.clients}`)?.rate),
            "%",
          ),
          row(section, "latency p50 (POST on A → SSE on B)", percentile(lat.samples, 50), "ms", {
            target: TARGETS.p50,
            ratio: ratioOf(percentile(lat.samples, 50), wsPing?.p50Ms),
            ratioTo: "ws ping-pong RTT p50",
            note: `${lat.samples.length} samples; ${lat.stats.tooMany} × 429` +
              (lat.lost > 0 ? `; ${lat.lost} not seen within 10 s` : ""),
          }),
          row(section, "latency p99", percentile(lat.samples, 99), "ms", {
            target: TARGETS.p99,
            ratio: ratioOf(percentile(lat.samples, 99), wsPing?.p99Ms),
            ratioTo: "ws ping-pong RTT p99",
          }),
          row(
            section,
            "POST /p2p/send round trip p50 (in latency run)",
            percentile(lat.postMs, 50),
            "ms",
          ),
          row(section, "POST /p2p/send round trip p99", percentile(lat.postMs, 99), "ms"),
        );
      }
      await stopPair(pair, nodes);
      pair = undefined;
    }

    if (o.only.has("soak")) {
      log("bare Deno.serve idle RSS (reference)…");
      const bare = await bareIdleMemory(IDLE_SETTLE_MS);
      log("starting two fresh nodes for the memory soak…");
      pair = await startPair(o.startNode, nodes);
      await sleep(IDLE_SETTLE_MS);
      const idle = await memoryOf(pair);
      const size = Math.max(...sizes);
      log(`soak: ${o.soakCount} messages of ${sizeLabel(size)} with ${clientsLabel}…`);
      // RSS every SOAK_SAMPLE_MS, to tell a plateau from a leak.
      const trail: { a: number[]; b: number[] } = { a: [], b: [] };
      const p = pair;
      const sample = () => {
        const a = procMemory(p.pidA)?.rss;
        const b = procMemory(p.pidB)?.rss;
        if (a !== undefined) trail.a.push(a);
        if (b !== undefined) trail.b.push(b);
      };
      const sampler = setInterval(sample, SOAK_SAMPLE_MS);
      let soak: ThroughputResult;
      try {
        soak = await throughput(pair, size, o.clients, o.soakCount, o.soakTimeMs, o.drainTimeMs);
      } finally {
        clearInterval(sampler);
      }
      await settle(pair, 30_000);
      await sleep(IDLE_SETTLE_MS);
      sample();
      const after = await memoryOf(pair);
      const soakLabel = `${soak.arrived.toLocaleString("en-US")} msgs`;
      const bareRss = bare?.rss ?? null;
      const mem = (label: string, m: NodeMemory, target: Target, trailMb?: number[]) =>
        row("node", label, m.rss, "MB", {
          target,
          ratio: ratioOf(m.rss, bareRss),
          ratioTo: "bare Deno.serve",
          note: memoryNote(m.proc, m.heap) +
            (trailMb && trailMb.length > 1
              ? `; RSS every ${SOAK_SAMPLE_MS / 1000} s: ${
                trailMb.map((x) => x.toFixed(0)).join(" ")
              }`
              : ""),
        });
      rows.push(
        mem("idle RSS, receiver B", idle.b, TARGETS.idleRss),
        mem("idle RSS, sender A", idle.a, TARGETS.idleRss),
        row(
          "node",
          `soak: ${sizeLabel(size)} × ${o.soakCount}, ${clientsLabel}`,
          soak.seconds,
          "s",
          {
            note: throughputNote(soak),
          },
        ),
        row("node", "soak rate → stored on B", soak.rate, "msg/s", { target: TARGETS.concurrent }),
        mem(`RSS after ${soakLabel}, receiver B`, after.b, TARGETS.soakRss, trail.b),
        mem(`RSS after ${soakLabel}, sender A`, after.a, TARGETS.soakRss, trail.a),
        row("references", "bare `deno run` Deno.serve idle RSS", bareRss, "MB", {
          note: memoryNote(bare, null),
        }),
      );
      await stopPair(pair, nodes);
      pair = undefined;
    }
  } finally {
    // After a signal, the handler owns the cleanup and exits; failing sends must not race it.
    if (interrupted) await new Promise(() => {});
    signals.remove();
    await stopPair(pair, nodes);
  }

  rows.push(
    row("machine", "CPUs", navigator.hardwareConcurrency, "", {}),
    row("machine", "load average (1 min) at start", loadAtStart, "", {
      note: "other processes on the machine share the CPUs with the nodes",
    }),
    row("machine", "load average (1 min) at end", loadAverage(), ""),
  );
  if (cold) {
    const bare = median(cold.bare);
    const first = median(cold.first);
    const restart = median(cold.restart);
    rows.push(
      row("node", "cold start → /health 200, first launch (median)", first, "ms", {
        target: TARGETS.coldStart,
        ratio: ratioOf(first, bare),
        ratioTo: "bare Deno.serve",
        note: `runs: ${cold.first.map((t) => t.toFixed(0)).join(", ")}`,
      }),
      row("node", "cold start → /health 200, restart (median)", restart, "ms", {
        target: TARGETS.coldStart,
        ratio: ratioOf(restart, bare),
        ratioTo: "bare Deno.serve",
        note: `runs: ${cold.restart.map((t) => t.toFixed(0)).join(", ")}`,
      }),
      row("references", "bare `deno run` Deno.serve → 200 (median)", bare, "ms"),
    );
  }
  for (const size of sizes) {
    const label = sizeLabel(size);
    for (const impl of ["deno", "canopy"] as const) {
      const name = impl === "deno" ? "Deno WebSocket" : "src/mesh/ws";
      const s = ws.get(`${impl}/${size}/stream`);
      const p = ws.get(`${impl}/${size}/pingpong`);
      if (s) rows.push(row("references", `${name} one-way stream, ${label}`, s.rate, "msg/s"));
      if (p) {
        rows.push(
          row("references", `${name} ping-pong, ${label}`, p.rate, "msg/s", {
            note: `RTT p50 ${p.p50Ms?.toFixed(3)} ms, p99 ${p.p99Ms?.toFixed(3)} ms`,
          }),
        );
      }
    }
    for (const n of [1, o.clients]) {
      const h = http.get(`${size}/${n}`);
      if (!h) continue;
      rows.push(
        row(
          "references",
          `bare HTTP POST (fetch → Deno.serve), ${n === 1 ? "1 client" : clientsLabel}, ${label}`,
          h.rate,
          "req/s",
          { note: `round trip p50 ${h.p50Ms?.toFixed(3)} ms` },
        ),
      );
    }
    const fs = floorSeq.get(size);
    const fp = floorPar.get(size);
    if (fs) {
      rows.push(row("references", `floor, 1 in flight, ${label}`, fs.rate, "msg/s"));
      for (const [stage, us] of Object.entries(fs.stages ?? {})) {
        rows.push(row("references", `  floor stage: ${stage}`, us, "µs/msg"));
      }
    }
    if (fp) {
      rows.push(row("references", `floor, ${o.clients} in flight, ${label}`, fp.rate, "msg/s"));
    }
    const st = storeSync.get(size);
    if (st) {
      rows.push(
        row("references", `store only, sync transaction per message, ${label}`, st, "msg/s", {
          note: "MessagesRepo.insert in db.transaction (no db.batch timer)",
        }),
      );
    }
  }
  return rows;
}

function ratioPct(value: number | null, floor: FloorResult | undefined): number | null {
  return pct(value, floor?.rate);
}

function pct(value: number | null, reference: number | undefined): number | null {
  return value === null || !reference ? null : (value / reference) * 100;
}

// ---- output -------------------------------------------------------------------------------

function fmtNumber(n: number | null, unit: string): string {
  if (n === null || !Number.isFinite(n)) return "—";
  const digits = unit === "ms"
    ? (n < 10 ? 2 : 1)
    : unit === "MB" || unit === "s" || (unit === "" && !Number.isInteger(n))
    ? 1
    : 0;
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function fmtRatio(r: number): string {
  if (r >= 10) return `${r.toFixed(0)}×`;
  if (r >= 0.1) return `${r.toFixed(2)}×`;
  return `${(r * 100).toPrecision(2)} %`;
}

function fmtTarget(t: Target | null, unit: string): string {
  if (!t) return "";
  return `${t.op === ">=" ? "≥" : "≤"} ${t.value.toLocaleString("en-US")} ${unit}`;
}

/** Formats rows as one fixed-width table per section. */
export function formatMeshTable(rows: readonly MeshRow[]): string {
  const sections = [...new Set(rows.map((r) => r.section))];
  const head = ["metric", "value", "unit", "target", "ratio", "result", "note"];
  const out: string[] = [];
  for (const section of sections) {
    const body = rows.filter((r) => r.section === section).map((r) => [
      r.metric,
      fmtNumber(r.value, r.unit),
      r.unit,
      fmtTarget(r.target, r.unit),
      r.ratio === null ? "" : `${fmtRatio(r.ratio)} ${r.ratioTo}`,
      r.verdict,
      r.note,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
        .trimEnd();
    out.push(
      `### ${/^\d/.test(section) ? `content ${section}` : section}`,
      "",
      line(head),
      widths.map((w) => "-".repeat(w)).join("  "),
      ...body.map(line),
      "",
    );
  }
  return out.join("\n");
}

/** Parses `--quick`, `--only=a,b` and `--sizes=n,m` (used when run directly). */
export function meshOptionsFromArgs(args: readonly string[]): MeshBenchOptions {
  const options: MeshBenchOptions = {};
  for (const arg of args) {
    if (arg === "--quick") {
      Object.assign(options, {
        sequentialCount: 500,
        concurrentCount: 2_000,
        latencySamples: 200,
        soakCount: 5_000,
        coldStartRuns: 2,
        wsCount: 10_000,
        floorCount: 2_000,
        referenceTimeMs: 2_000,
      });
    } else if (arg.startsWith("--only=")) {
      const only = arg.slice(7).split(",").filter((s) => s !== "");
      for (const p of only) {
        if (!MESH_PHASES.includes(p as MeshPhase)) {
          throw new Error(`unknown phase "${p}"; expected some of ${MESH_PHASES.join(", ")}`);
        }
      }
      options.only = only as MeshPhase[];
    } else if (arg.startsWith("--sizes=")) {
      const sizes = arg.slice(8).split(",").map(Number);
      if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 65_536)) {
        throw new Error(`--sizes wants content sizes in bytes (1-65536), got "${arg.slice(8)}"`);
      }
      options.sizes = sizes;
    } else {
      throw new Error(
        `unknown argument "${arg}"; expected --quick, --only=<phases> or --sizes=<bytes,…>`,
      );
    }
  }
  return options;
}

if (import.meta.main) {
  console.log(`Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${Deno.build.target}`);
  console.log(`${navigator.hardwareConcurrency} CPUs\n`);
  console.log(formatMeshTable(await runMeshBench(meshOptionsFromArgs(Deno.args))));
}
