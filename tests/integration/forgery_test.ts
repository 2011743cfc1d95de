/**
 * Profiles and introductions against a lying peer (SPEC §6): C learns B's
 * names and avatar through A; a forged or rolled-back card about B, or an
 * introduction whose keys do not match its peer id, changes nothing on C.
 */
import assert from "node:assert/strict";
import { api, link, startNode, type TestNode, waitFor } from "../_harness/cluster.ts";
import { cleanup } from "../_harness/spawn_node.ts";
import { puppet } from "../_harness/puppet.ts";
import { decodeEnvelope, Kind, sealEnvelope } from "../../src/mesh/wire/envelope.ts";
import { importSigningKey, randomBytes } from "../../src/crypto/mod.ts";
import { peerIdOf } from "../../src/identity/peer_id.ts";
import { toBase64Url } from "../../src/util/base64url.ts";
import { utf8 } from "../../src/util/bytes.ts";

const PNG = "data:image/png;base64," +
  btoa(String.fromCharCode(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7, 7));

interface Introduced {
  peer_id: string;
  display_name: string | null;
  device_name: string | null;
  introduced_by: string;
}

const drops = async (n: TestNode) =>
  (await api<{ mesh: { drops: Record<string, number> } }>(n, "/info")).json.mesh.drops;

Deno.test("names travel through the mesh; forged and rolled-back cards and bad introductions do not", async () => {
  const nodes: TestNode[] = [];
  const mallory = await puppet();
  try {
    const [a, b, c] = await Promise.all([startNode(), startNode(), startNode()]);
    nodes.push(a, b, c);

    // Mallory links to B first, so it holds B's first card.
    await mallory.dial(`ws://127.0.0.1:${b.meshPort}`, b.peerId);
    await waitFor(
      "Mallory pending on B",
      async () =>
        (await api<{ pending_requests: string[] }>(b, "/p2p/peers")).json.pending_requests.includes(
          mallory.identity.peerId,
        ),
    );
    await api(b, "/p2p/accept", { peer_id: mallory.identity.peerId });
    await api(b, "/profile", { display_name: "Bea", avatar: PNG });
    const oldCard = await waitFor(
      "B's first card at Mallory",
      () =>
        mallory.received.get(b.peerId)?.find((bytes) => {
          const env = decodeEnvelope(bytes);
          return typeof env !== "string" && env.kind === Kind.ProfileCard &&
            env.origin === b.peerId;
        }),
    );

    await api(b, "/profile", { display_name: "Beatrice" });
    await api(b, "/device/profile", { device_name: "bea-laptop" });
    await link(a, b);
    await link(a, c);

    const seen = await waitFor("C knows B by name through A", async () => {
      const list = (await api<{ introduced: Introduced[] }>(c, "/p2p/introduced")).json.introduced;
      return list.find((p) =>
        p.peer_id === b.peerId && p.display_name === "Beatrice" && p.device_name === "bea-laptop"
      );
    });
    assert.equal(seen.introduced_by, a.peerId);
    const peers = await api<{ peers: { peer_id: string; avatar: string | null }[] }>(
      c,
      "/p2p/peers",
    );
    assert.equal(
      peers.json.peers.find((p) => p.peer_id === b.peerId)?.avatar,
      PNG,
      "the avatar came along",
    );

    const hello = await api(b, "/p2p/send", { content: "hello from Beatrice", broadcast: true });
    const onC = await waitFor(
      "B's broadcast on C, with names",
      async () =>
        (await api<{ messages: { id: string; origin_name: string; origin_device_name: string }[] }>(
          c,
          "/messages?type=broadcast",
        )).json.messages.find((m) => m.id === hello.json.message_id),
    );
    assert.equal(onC.origin_name, "Beatrice");
    assert.equal(onC.origin_device_name, "bea-laptop");

    // Mallory, accepted by C, now lies to it.
    const toC = await mallory.dial(`ws://127.0.0.1:${c.meshPort}`, c.peerId);
    await waitFor(
      "pending on C",
      async () =>
        (await api<{ pending_requests: string[] }>(c, "/p2p/peers")).json.pending_requests.includes(
          mallory.identity.peerId,
        ),
    );
    await api(c, "/p2p/accept", { peer_id: mallory.identity.peerId });
    const before = await drops(c);

    // 1. Rolled back: B's genuine, older card.
    assert.equal(await toC.sendEnvelope(oldCard), true);
    // 2. Forged: a card claiming B's key, signed by Mallory.
    const env = decodeEnvelope(oldCard);
    assert.ok(typeof env !== "string");
    const forged = await sealEnvelope({
      kind: Kind.ProfileCard,
      id: randomBytes(16),
      timestamp: Date.now(),
      seq: 99,
      stream: "p",
      body: utf8(JSON.stringify({ user: { display_name: "Evil" }, device: { device_name: "x" } })),
    }, { publicKey: env.originKey, sign: (m) => mallory.identity.signing.sign(m) });
    assert.equal(await toC.sendEnvelope(forged.bytes), true);
    // 3. An introduction whose keys do not belong to its peer id.
    const stranger = await importSigningKey(randomBytes(32));
    const badIntro = await sealEnvelope({
      kind: Kind.Introduction,
      id: randomBytes(16),
      timestamp: Date.now(),
      seq: 1,
      stream: "i",
      ttl: 1,
      body: utf8(JSON.stringify({
        peer_id: peerIdOf(stranger.publicKey),
        epk: toBase64Url(stranger.publicKey),
        xpk: toBase64Url(randomBytes(32)),
        bind: toBase64Url(randomBytes(64)),
        endpoints: ["ws://127.0.0.1:1"],
      })),
    }, mallory.identity.signing);
    assert.equal(await toC.sendEnvelope(badIntro.bytes), true);
    const wrongId = await sealEnvelope({
      kind: Kind.Introduction,
      id: randomBytes(16),
      timestamp: Date.now(),
      seq: 2,
      stream: "i",
      ttl: 1,
      body: utf8(JSON.stringify({
        peer_id: "1111111111111111",
        epk: toBase64Url(stranger.publicKey),
        xpk: toBase64Url(randomBytes(32)),
        bind: toBase64Url(randomBytes(64)),
      })),
    }, mallory.identity.signing);
    assert.equal(await toC.sendEnvelope(wrongId.bytes), true);

    const after = await drops(c);
    assert.equal(
      (after.profile_rollback ?? 0) - (before.profile_rollback ?? 0),
      1,
      "rollback refused",
    );
    assert.equal((after.bad_signature ?? 0) - (before.bad_signature ?? 0), 1, "forgery refused");
    assert.equal(
      (after.intro_key_mismatch ?? 0) - (before.intro_key_mismatch ?? 0),
      2,
      "bad introductions refused",
    );
    const list = (await api<{ introduced: Introduced[] }>(c, "/p2p/introduced")).json.introduced;
    assert.equal(
      list.find((p) => p.peer_id === b.peerId)?.display_name,
      "Beatrice",
      "still the newest card",
    );
    assert.ok(
      !list.some((p) =>
        p.peer_id === peerIdOf(stranger.publicKey) || p.peer_id === "1111111111111111"
      ),
    );
  } finally {
    await mallory.close();
    await cleanup(nodes);
  }
});
