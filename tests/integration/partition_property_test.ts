/**
 * Property-style convergence (SPEC §5): four nodes, a seeded random run of
 * partitions, restarts and sends; once every link is back, every node holds
 * every broadcast and channel post, and every direct message reached its
 * recipient exactly once and shows as delivered to its sender.
 */
import assert from "node:assert/strict";
import {
  allMessages,
  api,
  freePort,
  link,
  sendWithRetry,
  serveArgs,
  startNode,
  type TestNode,
  waitFor,
} from "../_harness/cluster.ts";
import { cleanup } from "../_harness/spawn_node.ts";

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(Deno.env.get("PARTITION_SEED") ?? 20261125);
const STEPS = 30;

Deno.test(`four nodes converge after random partitions and restarts (seed ${SEED})`, async () => {
  const rand = prng(SEED);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const nodes: (TestNode | null)[] = [];
  const all: TestNode[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const n = await startNode({ args: serveArgs(freePort()) });
      nodes.push(n);
      all.push(n);
    }
    const ids = nodes.map((n) => n!.peerId);
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) await link(nodes[i]!, nodes[j]!);
    const channel = String((await api(nodes[0]!, "/channels", { name: "property" })).json.id);
    await waitFor("channel everywhere", async () => {
      for (const n of nodes) {
        if ((await api<{ channels: unknown[] }>(n!, "/channels")).json.channels.length !== 1) {
          return false;
        }
      }
      return true;
    });

    const flooded = new Set<string>();
    const direct: { id: string; from: number; to: number }[] = [];
    const live = () => nodes.map((n, i) => (n ? i : -1)).filter((i) => i >= 0);
    const log: string[] = [];
    for (let step = 0; step < STEPS; step++) {
      const r = rand();
      const up = live();
      if (r < 0.15 && up.length > 2) {
        const i = pick(up);
        log.push(`stop ${i}`);
        await nodes[i]!.stop(rand() < 0.5 ? "SIGKILL" : "SIGTERM");
        nodes[i] = null;
      } else if (r < 0.3 && up.length < 4) {
        const i = pick([0, 1, 2, 3].filter((x) => !up.includes(x)));
        log.push(`start ${i}`);
        nodes[i] = await startNode({ dir: all[i].dir, key: all[i].key, args: all[i].args });
        all.push(nodes[i]!);
      } else if (r < 0.45 && up.length >= 2) {
        const i = pick(up);
        const j = pick(up.filter((x) => x !== i));
        log.push(`cut ${i}-${j}`);
        await api(nodes[i]!, "/p2p/disconnect", { peer_id: ids[j] });
        await api(nodes[j]!, "/p2p/disconnect", { peer_id: ids[i] });
      } else if (r < 0.55 && up.length >= 2) {
        const i = pick(up);
        const j = pick(up.filter((x) => x !== i));
        log.push(`heal ${i}-${j}`);
        await api(nodes[i]!, "/p2p/reconnect", { peer_id: ids[j] });
      } else {
        const i = pick(up);
        const kind = rand();
        for (let k = 0; k < 5; k++) {
          if (kind < 0.4) {
            flooded.add(
              String(
                (await sendWithRetry(nodes[i]!, "/p2p/send", {
                  content: `b${step}.${k}`,
                  broadcast: true,
                })).message_id,
              ),
            );
          } else if (kind < 0.7) {
            flooded.add(
              String(
                (await sendWithRetry(nodes[i]!, `/channels/${channel}/messages`, {
                  content: `c${step}.${k}`,
                })).id,
              ),
            );
          } else {
            const to = pick([0, 1, 2, 3].filter((x) => x !== i));
            const res = await sendWithRetry(nodes[i]!, "/p2p/send", {
              content: `d${step}.${k}`,
              peer_id: ids[to],
            });
            direct.push({ id: String(res.message_id), from: i, to });
          }
        }
        log.push(`send from ${i}`);
      }
    }

    // Heal everything.
    for (let i = 0; i < 4; i++) {
      if (!nodes[i]) {
        nodes[i] = await startNode({ dir: all[i].dir, key: all[i].key, args: all[i].args });
        all.push(nodes[i]!);
      }
    }
    for (const n of nodes) await api(n!, "/p2p/reconnect_all", {});

    const context = `seed ${SEED}, steps: ${log.join(", ")}`;
    /** What is still missing, per node (empty when converged). */
    const missing = async (): Promise<string[]> => {
      const gaps: string[] = [];
      for (const [i, n] of nodes.entries()) {
        const held = [
          ...(await allMessages(n!, "?type=broadcast")),
          ...(await allMessages(n!, "", `/channels/${channel}/messages`)),
        ].map((m) => m.id);
        if (held.length !== new Set(held).size) throw new Error(`duplicates on node ${i}`);
        const lacking = [...flooded].filter((id) => !held.includes(id)).length;
        if (lacking > 0) gaps.push(`node ${i} lacks ${lacking} of ${flooded.size} flooded`);
      }
      for (const d of direct) {
        const at = (await allMessages(nodes[d.to]!, `?peer_id=${ids[d.from]}`)).filter((m) =>
          m.id === d.id
        );
        if (at.length > 1) throw new Error(`direct ${d.id} twice`);
        const mine = (await allMessages(nodes[d.from]!, `?peer_id=${ids[d.to]}`)).find((m) =>
          m.id === d.id
        );
        if (at.length === 0 || mine?.state !== "delivered") {
          gaps.push(
            `direct ${d.from}→${d.to} ${
              at.length ? "arrived" : "missing"
            }, sender sees ${mine?.state}`,
          );
        }
      }
      return gaps;
    };
    let last: string[] = [];
    try {
      await waitFor(
        "convergence",
        async () => (last = await missing()).length === 0,
        120_000,
        1000,
      );
    } catch {
      const links = await Promise.all(
        nodes.map(async (n) =>
          (await api<{ connected_peers: string[] }>(n!, "/p2p/peers")).json.connected_peers.length
        ),
      );
      throw new Error(
        `no convergence (${context}); still: ${last.join("; ")}; links per node: ${links}`,
      );
    }
    assert.ok(flooded.size > 0 && direct.length > 0, context);
    console.log(`${flooded.size} flooded, ${direct.length} direct; ${context}`);
  } finally {
    await cleanup(all);
  }
});
