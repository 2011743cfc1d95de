/**
 * Trust states and the event stream between real node processes: an
 * inbound link from a stranger is a pending contact request; its messages
 * are kept and marked; accepting or blocking it works through the API; a
 * blocked peer is refused at the handshake.
 */
import assert from "node:assert/strict";
import {
  api,
  importInvite,
  messages,
  sendDirect,
  startNodes,
  type TestNode,
  waitFor,
} from "../_harness/cluster.ts";
import { cleanup } from "../_harness/spawn_node.ts";
import { openEvents } from "../_harness/sse.ts";

Deno.test("contact requests, accept, block, and events for each", async () => {
  const nodes: TestNode[] = [];
  const [a] = await startNodes(nodes, 1);
  const events = await openEvents(a.apiUrl, a.key);
  try {
    const [b, c] = await startNodes(nodes, 2);

    // B knows A; A never heard of B: a pending contact request on A.
    assert.equal((await importInvite(b, a)).status, "connected");
    const pending = await events.waitFor("peer_pending");
    assert.equal((pending.data.peer as { peer_id: string }).peer_id, b.peerId);
    await events.waitFor("peer_connected", (d) => d.peer_id === b.peerId);
    const peers = await api<
      { pending_requests: string[]; peers: { peer_id: string; state: string }[] }
    >(
      a,
      "/p2p/peers",
    );
    assert.deepEqual(peers.json.pending_requests, [b.peerId]);
    assert.equal(peers.json.peers.find((p) => p.peer_id === b.peerId)?.state, "pending");

    // Its message is kept and marked, not dropped.
    const sent = await sendDirect(b, a.peerId, "hello stranger");
    const arrived = await events.waitFor(
      "message",
      (d) => (d.message as { id: string }).id === sent.message_id,
    );
    assert.equal((arrived.data.message as { from_pending_peer: boolean }).from_pending_peer, true);
    const stored = (await messages(a)).find((m) => m.id === sent.message_id);
    assert.equal(stored?.from_pending_peer, true);
    assert.equal(stored?.content, "hello stranger");

    // B's own stream sees its message move to delivered.
    const bEvents = await openEvents(b.apiUrl, b.key);
    try {
      await waitFor(
        "delivered on B",
        async () =>
          (await messages(b)).find((m) => m.id === sent.message_id && m.state === "delivered"),
      );
      const again = await sendDirect(b, a.peerId, "second");
      await bEvents.waitFor(
        "delivery",
        (d) => d.id === again.message_id && d.state === "delivered",
      );
    } finally {
      await bEvents.close();
    }

    // Accepting it through the API.
    const accepted = await api(a, "/p2p/accept", { peer_id: b.peerId });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.json.trust, "accepted");
    await events.waitFor("peer_updated", (d) => (d.peer as { trust: string }).trust === "accepted");

    // C becomes pending, then is blocked: its link drops and it is refused at the handshake.
    assert.equal((await importInvite(c, a)).status, "connected");
    await events.waitFor(
      "peer_pending",
      (d) => (d.peer as { peer_id: string }).peer_id === c.peerId,
    );
    const blocked = await api(a, "/p2p/block", { peer_id: c.peerId });
    assert.equal(blocked.json.trust, "blocked");
    await events.waitFor("peer_disconnected", (d) => d.peer_id === c.peerId);
    await waitFor(
      "C sees the link closed",
      async () =>
        !(await api<{ connected_peers: string[] }>(c, "/p2p/peers")).json.connected_peers.includes(
          a.peerId,
        ),
    );
    const retry = await api(c, "/p2p/reconnect", { peer_id: a.peerId });
    assert.equal(retry.json.status, "not_connected");
    assert.match(String(retry.json.message), /blocked/);
    const info = await api<{ mesh: { drops: Record<string, number> } }>(a, "/info");
    assert.ok(info.json.mesh.drops.handshake_blocked >= 1);

    // Unknown peers in peer actions are 404s naming the field.
    const unknown = await api(a, "/p2p/accept", { peer_id: "1111111111111111" });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.field, "peer_id");
  } finally {
    await events.close();
    await cleanup(nodes);
  }
});

Deno.test("forget and disconnect: no redial after a deliberate disconnect", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a, b] = await startNodes(nodes, 2);
    assert.equal((await importInvite(b, a)).status, "connected");
    assert.equal((await importInvite(a, b)).status, "connected");
    const res = await api(b, "/p2p/disconnect", { peer_id: a.peerId });
    assert.deepEqual(res.json, { peer_id: a.peerId, status: "disconnected" });
    await waitFor(
      "link down on A",
      async () =>
        (await api<{ connected_peers: string[] }>(a, "/p2p/peers")).json.connected_peers.length ===
          0,
    );
    const view = await api<{ peers: { auto_reconnect: boolean; state: string }[] }>(
      b,
      "/p2p/peers",
    );
    assert.equal(view.json.peers[0].auto_reconnect, false);
    assert.equal(view.json.peers[0].state, "disconnected");
    const all = await api<{ connected: number }>(b, "/p2p/reconnect_all", {});
    assert.equal(all.json.connected, 1);
    const forgot = await api(b, "/p2p/forget", { peer_id: a.peerId });
    assert.equal(forgot.json.status, "forgotten");
    const after = await api<{ peers: unknown[] }>(b, "/p2p/peers");
    assert.equal(after.json.peers.length, 0);
  } finally {
    await cleanup(nodes);
  }
});
