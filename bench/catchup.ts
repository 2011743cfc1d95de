/**
 * Catch-up benchmark (SPEC §5): a node that missed N channel messages links
 * to one that holds them; how fast does it apply them, and how long until it
 * has converged?
 *
 *   deno run -A bench/catchup.ts [--count=100000]
 *   deno task bench catchup
 *
 * The holder's database is filled in this process with the project's own
 * code (author, sign, store — exactly what a node does for its own posts),
 * then both nodes run as real processes with the binary's permission flags
 * on loopback. Benchmarks print; they assert nothing. Every wait is bounded.
 * @module
 */
import { parseConfig } from "../src/config/config.ts";
import { CanopyNode } from "../src/node/node.ts";
import { Author } from "../src/chat/author.ts";
import { Channels } from "../src/chat/channels.ts";
import { EventBus } from "../src/chat/events.ts";
import { Counters } from "../src/mesh/counters.ts";
import { ChannelsRepo } from "../src/store/channels_repo.ts";
import { silentLogger } from "../src/util/log.ts";
import {
  api,
  freePort,
  importInvite,
  serveArgs,
  startNode,
  type TestNode,
} from "../tests/_harness/cluster.ts";
import { cleanup } from "../tests/_harness/spawn_node.ts";

/** Messages to catch up (the figure). */
export const DEFAULT_COUNT = 100_000;
/** Longest the benchmark waits for convergence (ms). */
export const CONVERGE_DEADLINE_MS = 300_000;
/** Target: messages applied per second (issue: whole 100,000 in ≤ 10 s). */
export const TARGET_RATE = 10_000;

/** One result row. */
export interface CatchupRow {
  metric: string;
  value: number;
  unit: string;
  target?: string;
  pass?: boolean;
}

/** Fills a fresh data directory with one channel of `count` posts; returns the channel id. */
export async function fill(dir: string, count: number): Promise<{ channel: string; ms: number }> {
  const { settings } = parseConfig(["--data-dir", `${dir}/data`, "--no-discovery"], {});
  const node = await CanopyNode.open(settings, { log: silentLogger });
  try {
    const now = Date.now;
    const author = new Author({
      me: node.identity.peerId,
      signing: node.identity.signing,
      db: node.db,
      repo: node.messagesRepo,
      now,
    });
    const channels = new Channels({
      me: node.identity.peerId,
      myKey: node.identity.ed25519PublicKey,
      author,
      mesh: { flood: () => Promise.resolve() },
      db: node.db,
      repo: new ChannelsRepo(node.db, node.cipher),
      messages: node.messagesRepo,
      events: new EventBus(),
      counters: new Counters(),
      now,
      deviceName: () => "bench",
      displayName: () => null,
    });
    const t0 = performance.now();
    const channel = (await channels.create("bench")).id;
    let next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < count) {
        const i = next++;
        await channels.post(channel, `catch-up message ${i} `.padEnd(100, "."));
      }
    }));
    return { channel, ms: performance.now() - t0 };
  } finally {
    await node.close();
  }
}

async function postsHeld(node: TestNode): Promise<number> {
  const info = await api<{ messages: Record<string, number> }>(node, "/info");
  return info.json.messages?.["3"] ?? 0;
}

/** Runs the benchmark. */
export async function runCatchupBench(count = DEFAULT_COUNT): Promise<CatchupRow[]> {
  const dir = await Deno.makeTempDir({ prefix: "canopy-catchup-" });
  const nodes: TestNode[] = [];
  try {
    const filled = await fill(dir, count);
    const a = await startNode({ dir, args: serveArgs(freePort()) });
    nodes.push(a);
    const b = await startNode({ args: serveArgs(freePort()) });
    nodes.push(b);
    const t0 = performance.now();
    await importInvite(b, a);
    await importInvite(a, b);
    let held = 0;
    let firstAt = 0;
    const deadline = t0 + CONVERGE_DEADLINE_MS;
    while (held < count && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      held = await postsHeld(b);
      if (held > 0 && firstAt === 0) firstAt = performance.now();
    }
    const ms = performance.now() - t0;
    const rate = held / (ms / 1000);
    const infoB = await api<{ memory: { rss_bytes: number } }>(b, "/info");
    return [
      { metric: "messages prepared on the holder", value: count, unit: "msg" },
      {
        metric: "preparing them (author, sign, store)",
        value: Math.round(count / (filled.ms / 1000)),
        unit: "msg/s",
      },
      { metric: "messages held by the returning node", value: held, unit: "msg" },
      {
        metric: "time to converge",
        value: Math.round(ms),
        unit: "ms",
        target: `≤ ${Math.round((count / TARGET_RATE) * 1000)} ms`,
        pass: held === count && ms <= (count / TARGET_RATE) * 1000,
      },
      {
        metric: "catch-up rate (applied, link up → converged)",
        value: Math.round(rate),
        unit: "msg/s",
        target: `≥ ${TARGET_RATE}`,
        pass: rate >= TARGET_RATE,
      },
      { metric: "first message after link up", value: Math.round(firstAt - t0), unit: "ms" },
      {
        metric: "returning node RSS after catch-up",
        value: Math.round(infoB.json.memory.rss_bytes / 2 ** 20),
        unit: "MiB",
      },
    ];
  } finally {
    await cleanup(nodes, [dir]);
  }
}

/** Prints rows as a table. */
export function formatCatchup(rows: CatchupRow[]): string {
  const lines = rows.map((r) =>
    `${r.metric.padEnd(46)} ${r.value.toLocaleString("en-US").padStart(10)} ${r.unit.padEnd(6)} ${
      (r.target ?? "").padEnd(12)
    } ${r.pass === undefined ? "" : r.pass ? "PASS" : "MISS"}`
  );
  return [`${"metric".padEnd(46)} ${"value".padStart(10)} ${"unit".padEnd(6)} target`, ...lines]
    .join("\n");
}

if (import.meta.main) {
  const arg = Deno.args.find((a) => a.startsWith("--count="));
  const count = arg ? Number(arg.slice(8)) : DEFAULT_COUNT;
  console.log(
    `Deno ${Deno.version.deno}, ${Deno.build.target}; catch-up of ${count} channel messages\n`,
  );
  console.log(formatCatchup(await runCatchupBench(count)));
}
