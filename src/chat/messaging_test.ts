/**
 * Messaging with an in-memory mesh fake and a real SQLite file: queueing,
 * back-pressure (429), what is stored on receipt, and what is refused.
 */
import assert from "node:assert/strict";
import { Messaging, type MessagingMesh } from "./messaging.ts";
import { EventBus, type NodeEvent } from "./events.ts";
import { Author } from "./author.ts";
import { Counters } from "../mesh/counters.ts";
import { SealCache } from "../mesh/seal_cache.ts";
import { type Envelope, Kind, sealEnvelope } from "../mesh/wire/envelope.ts";
import { directStream } from "../mesh/wire/envelope.ts";
import type { Peer } from "../mesh/peer_table.ts";
import { importAgreementKey, importSigningKey, randomBytes } from "../crypto/mod.ts";
import { peerIdOf } from "../identity/peer_id.ts";
import { Database } from "../store/sqlite.ts";
import { migrate } from "../store/migrations.ts";
import { MessagesRepo } from "../store/messages_repo.ts";
import { AtRestCipher } from "../store/at_rest.ts";
import { CanopyError } from "../util/errors.ts";
import { silentLogger } from "../util/log.ts";
import { utf8 } from "../util/bytes.ts";

async function party() {
  const signing = await importSigningKey(randomBytes(32));
  const agreement = await importAgreementKey(randomBytes(32));
  return { signing, agreement, peerId: peerIdOf(signing.publicKey) };
}

function peerOf(p: Awaited<ReturnType<typeof party>>, trust: Peer["trust"] = "accepted"): Peer {
  return {
    peerId: p.peerId,
    ed25519Key: p.signing.publicKey,
    x25519Key: p.agreement.publicKey,
    bind: null,
    endpoints: [],
    trust,
    source: "invite",
    name: null,
    introducedBy: null,
    autoConnect: true,
    addedAt: 0,
    lastSeenAt: null,
    lastConnectedAt: null,
    lastEndpoint: null,
    lastError: null,
  };
}

class FakeMesh implements MessagingMesh {
  peersById = new Map<string, Peer>();
  connected = false;
  isCongested = false;
  sent: Uint8Array[] = [];
  peers = { get: (id: string) => this.peersById.get(id) };
  isReachable() {
    return this.connected;
  }
  congested() {
    return this.isCongested;
  }
  acceptedLinkCount() {
    return this.connected ? 1 : 0;
  }
  flood(env: Envelope) {
    this.sent.push(env.bytes);
    return Promise.resolve();
  }
  sendTracked(_peer: string, bytes: Uint8Array) {
    if (!this.connected) return undefined;
    this.sent.push(bytes);
    return { admitted: Promise.resolve(true), acked: Promise.resolve(true), relayed: false };
  }
}

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "canopy-msg-" });
  const db = Database.open(`${dir}/canopy.db`);
  migrate(db);
  const me = await party();
  const other = await party();
  const mesh = new FakeMesh();
  mesh.peersById.set(other.peerId, peerOf(other));
  const events = new EventBus();
  const seen: NodeEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const counters = new Counters();
  const repo = new MessagesRepo(db, AtRestCipher.fromSeed(randomBytes(32)));
  const messaging = new Messaging({
    me: me.peerId,
    author: new Author({ me: me.peerId, signing: me.signing, db, repo, now: Date.now }),
    seal: new SealCache(me.agreement),
    mesh,
    db,
    repo,
    events,
    counters,
    log: silentLogger,
  });
  return {
    db,
    me,
    other,
    mesh,
    repo,
    seen,
    counters,
    messaging,
    async [Symbol.asyncDispose]() {
      await messaging.close();
      db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a direct message to a disconnected peer is stored queued; connected, it becomes sent", async () => {
  await using s = await setup();
  const view = await s.messaging.sendDirect(s.other.peerId, "hi");
  assert.equal(view.state, "queued");
  assert.equal(view.outgoing, true);
  assert.equal(s.mesh.sent.length, 0);
  s.mesh.connected = true;
  s.messaging.kick(s.other.peerId);
  await waitUntil(() => s.seen.some((e) => e.type === "delivery" && e.data.state === "sent"));
  assert.equal(s.mesh.sent.length, 1);
  assert.equal(s.messaging.list({ peerId: s.other.peerId, limit: 10 }).messages[0].state, "sent");
});

Deno.test("back-pressure: a congested link or a full queue answers 429, nothing is stored", async () => {
  await using s = await setup();
  s.mesh.isCongested = true;
  for (
    const send of [
      () => s.messaging.sendDirect(s.other.peerId, "x"),
      () => s.messaging.sendBroadcast("x"),
    ]
  ) {
    await assert.rejects(send, (e: unknown) => {
      assert.ok(e instanceof CanopyError);
      assert.equal(e.code, "rate_limited");
      assert.ok((e.detail.retryAfter ?? 0) > 0);
      return true;
    });
  }
  assert.equal(s.messaging.list({ limit: 10 }).messages.length, 0);
});

Deno.test("unknown and blocked recipients are refused with clear errors", async () => {
  await using s = await setup();
  await assert.rejects(() => s.messaging.sendDirect("1111111111111111", "x"), /import its invite/);
  s.mesh.peersById.get(s.other.peerId)!.trust = "blocked";
  await assert.rejects(() => s.messaging.sendDirect(s.other.peerId, "x"), /blocked/);
  await assert.rejects(() => s.messaging.sendBroadcast(""), /must not be empty/);
});

Deno.test("receiving: stored once, marked when from a pending peer; bad bodies are counted", async () => {
  await using s = await setup();
  const theirSeal = new SealCache(s.other.agreement);
  const make = async (body: Uint8Array, seq: number, kind: 1 | 2 = Kind.Direct) => {
    const id = randomBytes(16);
    return await sealEnvelope({
      kind,
      id,
      timestamp: 1,
      seq,
      stream: kind === Kind.Direct ? directStream(s.other.peerId, s.me.peerId) : "b",
      to: kind === Kind.Direct ? s.me.peerId : "",
      body: kind === Kind.Direct ? await theirSeal.seal(s.me.agreement.publicKey, body, id) : body,
    }, s.other.signing);
  };
  const pending = peerOf(s.other, "pending");
  const env = await make(utf8(JSON.stringify({ text: "knock knock" })), 1);
  assert.equal(await s.messaging.receive(env, pending), "new");
  assert.equal(await s.messaging.receive(env, pending), "duplicate");
  const [stored] = s.messaging.list({ limit: 5 }).messages;
  assert.equal(stored.content, "knock knock");
  assert.equal(stored.from_pending_peer, true);
  assert.equal(stored.origin, s.other.peerId);

  assert.equal(await s.messaging.receive(await make(utf8("not json"), 2), pending), "rejected");
  assert.equal(s.counters.get("bad_content"), 1);
  // A body sealed to someone else cannot be opened here.
  const stranger = await party();
  const id = randomBytes(16);
  const misdirected = await sealEnvelope({
    kind: Kind.Direct,
    id,
    timestamp: 1,
    seq: 3,
    stream: directStream(s.other.peerId, s.me.peerId),
    to: s.me.peerId,
    body: await theirSeal.seal(stranger.agreement.publicKey, utf8('{"text":"x"}'), id),
  }, s.other.signing);
  assert.equal(await s.messaging.receive(misdirected, pending), "rejected");
  assert.equal(s.counters.get("undecryptable"), 1);
  assert.equal(s.messaging.list({ limit: 10 }).messages.length, 1, "only the good one is stored");
});

async function waitUntil(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 5));
  }
}
