/**
 * Store-and-forward, crash safety and reconnection between real node
 * processes (SPEC §5, §6).
 */
import assert from "node:assert/strict";
import {
  api,
  fixedMeshPort,
  freePort,
  link,
  messages,
  restartNode,
  sendDirect,
  serveArgs,
  startNode,
  startNodes,
  type TestNode,
  waitFor,
} from "../_harness/cluster.ts";
import { cleanup } from "../_harness/spawn_node.ts";

const peersOf = (n: TestNode) =>
  api<{ connected_peers: string[]; peers: { direction: string }[] }>(n, "/p2p/peers");

Deno.test("a message to a peer that is down is delivered after it restarts, exactly once", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a, b] = await startNodes(nodes, 2, fixedMeshPort);
    await link(a, b);

    await b.stop("SIGTERM");
    await waitFor(
      "A notices B left",
      async () => (await peersOf(a)).json.connected_peers.length === 0,
    );
    const sent = await sendDirect(a, b.peerId, "while you were away");
    assert.equal(sent.state, "queued");

    // The sender restarts too: the queue is on disk, not in memory.
    const a2 = await restartNode(a);
    const b1 = await startNode({ dir: b.dir, key: b.key, args: b.args });
    nodes.push(a2, b1);

    const got = await waitFor("the queued message on B", async () => {
      const list = await messages(b1, `?peer_id=${a.peerId}`);
      return list.some((m) => m.id === sent.message_id) && list;
    });
    assert.equal(got.filter((m) => m.id === sent.message_id).length, 1, "exactly once");
    await waitFor(
      "delivered on A",
      async () =>
        (await messages(a2, `?peer_id=${b.peerId}`)).find((m) =>
          m.id === sent.message_id && m.state === "delivered"
        ),
    );

    // A later restart of B does not deliver it again (dedup is persistent).
    const b2 = await restartNode(b1);
    nodes.push(b2);
    await waitFor("relinked", async () => (await peersOf(b2)).json.connected_peers.length === 1);
    const again = await messages(b2, `?peer_id=${a.peerId}`);
    assert.equal(again.filter((m) => m.id === sent.message_id).length, 1);
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("kill -9 of the receiver mid-stream loses nothing that was acknowledged", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a, b] = await startNodes(nodes, 2, fixedMeshPort);
    await link(a, b);

    const total = 300;
    const ids: string[] = [];
    const sending = (async () => {
      for (let i = 0; i < total; i++) {
        const res = await api(a, "/p2p/send", { content: `msg ${i}`, peer_id: b.peerId });
        assert.equal(res.status, 200, res.text);
        ids.push(String(res.json.message_id));
      }
    })();
    await waitFor(
      "B storing some",
      async () => (await messages(b, "?limit=500")).length > 20,
      15_000,
      5,
    );
    await b.stop("SIGKILL");
    await sending;

    // Whatever A counts as sent or delivered was acknowledged by B before the kill.
    const mine = await messages(a, `?peer_id=${b.peerId}&limit=500`);
    const acknowledged = mine.filter((m) => m.state === "sent" || m.state === "delivered").map((
      m,
    ) => m.id);
    assert.ok(acknowledged.length > 0);

    const b2 = await startNode({ dir: b.dir, key: b.key, args: b.args });
    nodes.push(b2);
    const after = await messages(b2, "?limit=500");
    const held = new Set(after.map((m) => m.id));
    for (const id of acknowledged) assert.ok(held.has(id), `acknowledged ${id} survived the crash`);

    // Once relinked, everything arrives, each once.
    const all = await waitFor("all messages on B", async () => {
      const list = await messages(b2, `?peer_id=${a.peerId}&limit=500`);
      return list.length >= total && list;
    }, 30_000);
    assert.equal(new Set(all.map((m) => m.id)).size, all.length, "no duplicates");
    assert.deepEqual(new Set(all.map((m) => m.id)), new Set(ids));
    await waitFor(
      "all delivered on A",
      async () =>
        (await messages(a, `?peer_id=${b.peerId}&limit=500`)).every((m) => m.state === "delivered"),
      30_000,
    );
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("both nodes dialling each other at once end with one link", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a, b] = await startNodes(nodes, 2);
    await link(a, b);
    for (let round = 0; round < 5; round++) {
      await Promise.all([
        api(a, "/p2p/disconnect", { peer_id: b.peerId }),
        api(b, "/p2p/disconnect", { peer_id: a.peerId }),
      ]);
      await waitFor(
        "both down",
        async () =>
          (await peersOf(a)).json.connected_peers.length === 0 &&
          (await peersOf(b)).json.connected_peers.length === 0,
      );
      const [ra, rb] = await Promise.all([
        api(a, "/p2p/reconnect", { peer_id: b.peerId }),
        api(b, "/p2p/reconnect", { peer_id: a.peerId }),
      ]);
      assert.equal(ra.json.status, "connected", ra.text);
      assert.equal(rb.json.status, "connected", rb.text);
      const [pa, pb] = await waitFor("one link each, agreeing", async () => {
        const [x, y] = [(await peersOf(a)).json, (await peersOf(b)).json];
        const ok = x.connected_peers.length === 1 && y.connected_peers.length === 1 &&
          x.peers[0].direction !== y.peers[0].direction;
        return ok && [x, y];
      });
      assert.notEqual(pa.peers[0].direction, pb.peers[0].direction);
      // The link works after the race.
      const sent = await sendDirect(a, b.peerId, `after race ${round}`);
      await waitFor(
        "message over the kept link",
        async () => (await messages(b)).some((m) => m.id === sent.message_id),
      );
    }
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("a peer that goes away is redialled with growing backoff and reconnects when it returns", async () => {
  const nodes: TestNode[] = [];
  try {
    const a = await startNode({ args: serveArgs(0, "--log-level", "debug") });
    let b = await startNode({ args: serveArgs(freePort()) });
    nodes.push(a, b);
    await link(a, b);
    // B forgets A, so only A's redialling can bring the link back.
    assert.equal((await api(b, "/p2p/forget", { peer_id: a.peerId })).status, 200);
    await b.stop("SIGKILL");

    const delays = await waitFor("two scheduled redials", () => {
      const found = [
        ...a.stderr().matchAll(
          new RegExp(`reconnect scheduled peer=${b.peerId} in_ms=(\\d+)`, "g"),
        ),
      ]
        .map((m) => Number(m[1]));
      return found.length >= 2 && found;
    }, 20_000);
    assert.ok(delays[0] >= 1600 && delays[0] <= 2400, `first ${delays[0]}`);
    assert.ok(delays[1] >= 3200 && delays[1] <= 4800, `second ${delays[1]}`);

    b = await startNode({ dir: b.dir, key: b.key, args: b.args });
    nodes.push(b);
    await waitFor(
      "A redialled B",
      async () => (await peersOf(a)).json.connected_peers.includes(b.peerId),
      30_000,
    );
    const view = (await peersOf(a)).json.peers[0];
    assert.equal(view.direction, "outbound");
  } finally {
    await cleanup(nodes);
  }
});
