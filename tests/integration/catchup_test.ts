/**
 * Catch-up (SPEC §5): a node that was away ends with exactly the messages
 * the others hold, whatever the clocks say and however often the link
 * drops in the middle.
 */
import assert from "node:assert/strict";
import {
  allMessages,
  api,
  fixedMeshPort,
  freePort,
  link,
  type Msg,
  pool,
  restartNode,
  sendWithRetry,
  serveArgs,
  startNode,
  startNodes,
  type TestNode,
  waitFor,
} from "../_harness/cluster.ts";
import { cleanup } from "../_harness/spawn_node.ts";

/** Broadcast and channel-post ids a node holds. */
async function heldIds(node: TestNode, channels: string[]): Promise<string[]> {
  const ids = (await allMessages(node, "?type=broadcast")).map((m) => m.id);
  for (const ch of channels) {
    ids.push(...(await allMessages(node, "", `/channels/${ch}/messages`)).map((m: Msg) => m.id));
  }
  return ids;
}

/** Posts `n` messages from `node`, alternating broadcasts and the given channels. */
async function post(node: TestNode, n: number, channels: string[], label: string): Promise<void> {
  await pool(n, 8, async (i) => {
    const target = i % (channels.length + 1);
    if (target === channels.length) {
      await sendWithRetry(node, "/p2p/send", {
        content: `${label} broadcast ${i}`,
        broadcast: true,
      });
    } else {
      await sendWithRetry(node, `/channels/${channels[target]}/messages`, {
        content: `${label} post ${i}`,
      });
    }
  });
}

async function threeNodes(env: Record<string, string>[] = [{}, {}, {}]) {
  const [a, b, c] = await Promise.all(
    env.map((e) => startNode({ args: serveArgs(freePort()), env: e })),
  );
  await link(a, b);
  await link(a, c);
  await link(b, c);
  return [a, b, c];
}

async function converged(
  a: TestNode,
  b: TestNode,
  channels: string[],
  expected: number,
  timeoutMs = 120_000,
) {
  const want = new Set(await heldIds(a, channels));
  assert.equal(want.size, expected, "A holds everything that was posted");
  const got = await waitFor(
    "B converges",
    async () => {
      const ids = await heldIds(b, channels);
      return ids.length >= expected && ids;
    },
    timeoutMs,
    500,
  );
  assert.equal(got.length, new Set(got).size, "nothing twice");
  assert.deepEqual(new Set(got), want);
}

Deno.test("B returns after 10,000 messages in channels and broadcasts and ends with A's exact set", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a, b, c] = await threeNodes();
    nodes.push(a, b, c);
    const ch1 = String((await api(a, "/channels", { name: "general" })).json.id);
    const ch2 = String((await api(c, "/channels", { name: "random" })).json.id);
    await waitFor(
      "channels everywhere",
      async () => (await api<{ channels: unknown[] }>(b, "/channels")).json.channels.length === 2,
    );
    await b.stop("SIGTERM");
    await Promise.all([post(a, 5000, [ch1, ch2], "A"), post(c, 5000, [ch1, ch2], "C")]);
    await waitFor(
      "A and C agree",
      async () => (await heldIds(a, [ch1, ch2])).length === 10_000 + 0,
      60_000,
      500,
    );
    const b2 = await restartNode(b);
    nodes.push(b2);
    await converged(a, b2, [ch1, ch2], 10_000);
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("catch-up does not depend on clocks: nodes hours apart converge", async () => {
  const nodes: TestNode[] = [];
  try {
    const hour = 3_600_000;
    const [a, b, c] = await threeNodes([
      { CANOPY_CLOCK_OFFSET_MS: String(3 * hour) },
      { CANOPY_CLOCK_OFFSET_MS: String(-5 * hour) },
      {},
    ]);
    nodes.push(a, b, c);
    const ch = String((await api(b, "/channels", { name: "skewed" })).json.id);
    await waitFor(
      "channel on A",
      async () => (await api<{ channels: unknown[] }>(a, "/channels")).json.channels.length === 1,
    );
    // B writes, leaves, and the others write while it is away.
    await post(b, 50, [ch], "B");
    await waitFor(
      "B's posts on A",
      async () => (await heldIds(a, [ch])).length === 50,
      30_000,
      100,
    );
    await b.stop("SIGTERM");
    await Promise.all([post(a, 300, [ch], "A"), post(c, 300, [ch], "C")]);
    await waitFor("A holds all", async () => (await heldIds(a, [ch])).length === 650, 60_000, 200);
    const b2 = await restartNode(b);
    nodes.push(b2);
    await converged(a, b2, [ch], 650);
    const fromB = await sendWithRetry(b2, "/p2p/send", { content: "B is back", broadcast: true });
    await waitFor(
      "B's broadcast on C",
      async () => (await allMessages(c, "?type=broadcast")).some((m) => m.id === fromB.message_id),
    );
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("a link cut in the middle of catch-up resumes and converges exactly once", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a, b] = await startNodes(nodes, 2, fixedMeshPort);
    await link(a, b);
    await b.stop("SIGTERM");
    await post(a, 6000, [], "A");
    const b2 = await restartNode(b);
    nodes.push(b2);
    // Cut the link once B holds some but not all.
    await waitFor(
      "B part-way",
      async () => {
        const info = await api<{ messages: Record<string, number> }>(b2, "/info");
        return (info.json.messages["2"] ?? 0) > 500;
      },
      60_000,
      20,
    );
    await api(b2, "/p2p/disconnect", { peer_id: a.peerId });
    const partial = (await allMessages(b2, "?type=broadcast")).length;
    assert.ok(partial < 6000, `cut part-way (B held ${partial})`);
    assert.equal((await api(b2, "/p2p/reconnect", { peer_id: a.peerId })).json.status, "connected");
    await converged(a, b2, [], 6000);
  } finally {
    await cleanup(nodes);
  }
});
