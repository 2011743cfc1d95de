/**
 * The seed guide's flow between two real node processes on loopback:
 * invite on A, import on B, import back on A, peers on both, broadcast and
 * direct messages arriving with the right origin, delivery receipts.
 */
import assert from "node:assert/strict";
import {
  api,
  importInvite,
  inviteOf,
  messages,
  sendDirect,
  startNodes,
  type TestNode,
  waitFor,
} from "../_harness/cluster.ts";
import { cleanup } from "../_harness/spawn_node.ts";

Deno.test("guide flow: invite, import both ways, peers, broadcast and direct messages", async (t) => {
  const nodes: TestNode[] = [];
  try {
    const [a, b] = await startNodes(nodes, 2);

    await t.step("B imports A's invite: connected", async () => {
      const res = await importInvite(b, a);
      assert.deepEqual(Object.keys(res).sort(), [
        "connected_endpoint",
        "endpoints",
        "peer_id",
        "status",
      ]);
      assert.equal(res.peer_id, a.peerId);
      assert.equal(res.status, "connected");
      assert.equal(res.connected_endpoint, `ws://127.0.0.1:${a.meshPort}`);
      assert.deepEqual(res.endpoints, [`ws://127.0.0.1:${a.meshPort}`]);
    });

    await t.step("A sees B as a pending contact request until it imports B's invite", async () => {
      const peers = await api<
        { peers: { peer_id: string; trust: string }[]; pending_requests: string[] }
      >(
        a,
        "/p2p/peers",
      );
      assert.deepEqual(peers.json.pending_requests, [b.peerId]);
      const res = await importInvite(a, b);
      assert.equal(res.status, "connected");
      assert.equal(res.connected_endpoint, `ws://127.0.0.1:${b.meshPort}`);
      const after = await api<{ pending_requests: string[]; peers: { trust: string }[] }>(
        a,
        "/p2p/peers",
      );
      assert.deepEqual(after.json.pending_requests, []);
      assert.equal(after.json.peers[0].trust, "accepted");
    });

    await t.step("both list each other as connected (0.4 fields and details)", async () => {
      for (const [node, other] of [[a, b], [b, a]] as const) {
        const res = await api<Record<string, unknown>>(node, "/p2p/peers");
        assert.deepEqual(res.json.connected_peers, [other.peerId]);
        assert.equal(res.json.total_connected, 1);
        assert.deepEqual(res.json.discovered_peers, []);
        assert.equal(res.json.total_discovered, 0);
        const [detail] = res.json.peers as Record<string, unknown>[];
        assert.equal(detail.peer_id, other.peerId);
        assert.equal(detail.state, "connected");
        assert.equal(detail.route, "direct");
        assert.ok(detail.direction === "inbound" || detail.direction === "outbound");
        assert.ok(detail.last_seen);
        const status = await api(node, "/p2p/status");
        assert.equal(status.json.connected_peers, 1);
      }
    });

    await t.step("a broadcast from B arrives on A with B as origin", async () => {
      const res = await api(b, "/p2p/send", { content: "Hello from Machine B!", broadcast: true });
      assert.equal(res.status, 200);
      assert.equal(res.json.success, true);
      assert.equal(res.json.broadcast, true);
      assert.match(String(res.json.message), /Broadcast sent to 1 connected peer/);
      const got = await waitFor(
        "broadcast on A",
        async () =>
          (await messages(a, "?type=broadcast")).find((m) => m.content === "Hello from Machine B!"),
      );
      assert.equal(got.origin, b.peerId);
      assert.equal(got.outgoing, false);
    });

    await t.step("a direct message from B reaches A and becomes delivered on B", async () => {
      const sent = await sendDirect(b, a.peerId, "Hello peer!");
      assert.equal(sent.success, true);
      const got = await waitFor(
        "direct on A",
        async () =>
          (await messages(a, `?peer_id=${b.peerId}`)).find((m) => m.id === sent.message_id),
      );
      assert.equal(got.content, "Hello peer!");
      assert.equal(got.origin, b.peerId);
      assert.equal(got.type, "direct");
      await waitFor(
        "delivered on B",
        async () =>
          (await messages(b, `?peer_id=${a.peerId}`)).find((m) =>
            m.id === sent.message_id && m.state === "delivered"
          ),
      );
      // And the other way round.
      const back = await sendDirect(a, b.peerId, "Hi B");
      await waitFor(
        "reply on B",
        async () => (await messages(b)).find((m) => m.id === back.message_id),
      );
    });

    await t.step("send validation follows the error conventions", async () => {
      const none = await api(b, "/p2p/send", { content: "x" });
      assert.equal(none.status, 400);
      assert.equal(none.json.field, "peer_id");
      const empty = await api(b, "/p2p/send", { content: "", broadcast: true });
      assert.equal(empty.status, 400);
      assert.equal(empty.json.field, "content");
      const unknown = await api(b, "/p2p/send", { content: "x", peer_id: "1111111111111111" });
      assert.equal(unknown.status, 404);
      const own = await api(b, "/p2p/invite/import", { invite_code: await inviteOf(b) });
      assert.equal(own.status, 400);
      const bad = await api(b, "/p2p/invite/import", { invite_code: "canopy:eyJ2Ijox" });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.code, "invalid_invite");
    });
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("an unreachable invite is registered but not connected, in the guide's words", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a, b] = await startNodes(nodes, 2);
    const code = await inviteOf(a);
    await a.stop("SIGTERM");
    const res = await api(b, "/p2p/invite/import", { invite_code: code });
    assert.equal(res.status, 200);
    assert.equal(res.json.status, "imported_not_connected");
    assert.equal(res.json.message, "Peer registered but could not connect to any endpoint.");
    assert.equal(res.json.peer_id, a.peerId);
  } finally {
    await cleanup(nodes);
  }
});
