/**
 * Connecting to a LAN-discovered peer (SPEC §7): two real meshes over an
 * in-memory transport. The advertised peer id AND keys are checked by the
 * handshake; a mismatch is refused and leaves nothing behind.
 */
import assert from "node:assert/strict";
import { type DiscoveredPeerInfo, PeersService } from "./peers_service.ts";
import { EventBus, type NodeEvent } from "./events.ts";
import { Mesh, type MeshTransport } from "../mesh/mesh.ts";
import { memoryPair } from "../mesh/transport.ts";
import type { FrameConn } from "../mesh/transport.ts";
import { testIdentity } from "../mesh/_test_identity.ts";
import type { LocalIdentity } from "../mesh/handshake.ts";
import { randomBytes } from "../crypto/mod.ts";
import { CanopyError } from "../util/errors.ts";
import { silentLogger } from "../util/log.ts";

/** Listeners by `host:port`; dialling one hands it the other end of a memory pair. */
function memoryTransport(listeners: Map<string, (c: FrameConn) => void>): MeshTransport {
  return {
    listen({ hostname, port, onConnection }) {
      listeners.set(`${hostname}:${port}`, onConnection);
      return {
        hostname,
        port,
        close: () => {
          listeners.delete(`${hostname}:${port}`);
          return Promise.resolve();
        },
      };
    },
    dial(url) {
      const u = new URL(url);
      const accept = listeners.get(`${u.hostname}:${u.port}`);
      if (!accept) return Promise.reject(new Error("connection refused"));
      const [mine, theirs] = memoryPair();
      accept(theirs);
      return Promise.resolve(mine);
    },
  };
}

function meshOf(identity: LocalIdentity, transport: MeshTransport): Mesh {
  return new Mesh({
    identity,
    transport,
    peerStore: { all: () => [], save() {}, delete: () => true },
    sink: { receive: () => Promise.resolve("new" as const) },
    log: silentLogger,
  });
}

function advert(
  id: LocalIdentity,
  keys: { ed25519?: Uint8Array; x25519?: Uint8Array } = {},
): DiscoveredPeerInfo {
  return {
    instance: `bob-${id.peerId.slice(0, 6)}._canopy._tcp.local`,
    name: `bob-${id.peerId.slice(0, 6)}`,
    peerId: id.peerId,
    ed25519PublicKey: keys.ed25519 ?? id.signing.publicKey,
    x25519PublicKey: keys.x25519 ?? id.agreement.publicKey,
    protocolVersion: 1,
    port: 7771,
    addresses: ["bob"],
    endpoints: ["ws://bob:7771"],
    lastSeen: Date.now(),
  };
}

async function setup() {
  const listeners = new Map<string, (c: FrameConn) => void>();
  const alice = await testIdentity();
  const bob = await testIdentity();
  const a = meshOf(alice, memoryTransport(listeners));
  const b = meshOf(bob, memoryTransport(listeners));
  b.listen("bob", 7771);
  let discovered: DiscoveredPeerInfo[] = [];
  const events = new EventBus();
  const seen: NodeEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const service = new PeersService({
    me: alice.peerId,
    mesh: a,
    events,
    discovered: () => discovered,
  });
  return {
    alice,
    bob,
    a,
    b,
    service,
    seen,
    set: (list: DiscoveredPeerInfo[]) => (discovered = list),
    close: () => Promise.all([a.close(), b.close()]),
  };
}

Deno.test("connect_discovered: the right peer id with other keys is refused at the handshake", async () => {
  const t = await setup();
  try {
    for (const keys of [{ ed25519: randomBytes(32) }, { x25519: randomBytes(32) }]) {
      t.set([advert(t.bob, keys)]);
      const res = await t.service.connectDiscovered(t.bob.peerId);
      assert.equal(res.status, "not_connected");
      assert.match(String(res.message), /keys that differ from the advertised ones/);
      assert.equal(t.a.peers.get(t.bob.peerId), undefined, "nothing recorded");
      assert.equal(t.b.isConnected(t.alice.peerId), false);
    }
    assert.equal(t.a.counters.snapshot().handshake_identity_mismatch, 2);
  } finally {
    await t.close();
  }
});

Deno.test("connect_discovered: a matching advert connects, accepts, and marks the peer discovered", async () => {
  const t = await setup();
  try {
    // A forged copy (wrong keys) is listed too; the genuine one is tried first.
    t.set([advert(t.bob, { ed25519: randomBytes(32) }), advert(t.bob)]);
    const res = await t.service.connectDiscovered(t.bob.peerId);
    assert.equal(res.status, "connected", JSON.stringify(res));
    assert.equal(res.connected_endpoint, "ws://bob:7771");
    const peer = t.a.peers.get(t.bob.peerId)!;
    assert.equal(peer.source, "discovered");
    assert.equal(peer.trust, "accepted");
    assert.ok(t.seen.some((e) => e.type === "peer_updated"));
    const list = t.service.list() as { discovered_peers: Record<string, unknown>[] };
    assert.deepEqual(
      list.discovered_peers.map((d) => [d.peer_id, d.connected, d.keys_match, d.trust]),
      [[t.bob.peerId, true, false, "accepted"], [t.bob.peerId, true, true, "accepted"]],
    );
    // Connecting again reports the live link.
    const again = await t.service.connectDiscovered(t.bob.peerId);
    assert.equal(again.status, "connected");
  } finally {
    await t.close();
  }
});

Deno.test("connect_discovered: unknown ids are 404, blocked peers 409", async () => {
  const t = await setup();
  try {
    await assert.rejects(
      t.service.connectDiscovered("1111111111111111"),
      (e) => e instanceof CanopyError && e.code === "not_found",
    );
    t.set([advert(t.bob)]);
    t.a.block(t.bob.peerId);
    await assert.rejects(
      t.service.connectDiscovered(t.bob.peerId),
      (e) => e instanceof CanopyError && e.code === "conflict",
    );
  } finally {
    await t.close();
  }
});
