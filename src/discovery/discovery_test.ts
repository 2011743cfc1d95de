/**
 * Discovery between several in-memory nodes on one fake multicast group,
 * with a fake clock: announcing, browsing, goodbyes, expiry, restarts,
 * address changes, malformed input and failures.
 */
import assert from "node:assert/strict";
import { Discovery, type DiscoveryOptions, SERVICE_TTL_S } from "./discovery.ts";
import { FakeClock, FakeMdnsNetwork } from "./_testing.ts";
import { type Advertisement, advertRecords, instanceLabel, SERVICE_TYPE } from "./records.ts";
import { encodeTxt } from "./txt.ts";
import { createLogger, type Logger, silentLogger } from "../util/log.ts";
import { peerIdOf } from "../identity/peer_id.ts";
import { randomBytes } from "../crypto/mod.ts";

interface TestNode {
  readonly d: Discovery;
  readonly peerId: string;
  readonly ed: Uint8Array;
  readonly x: Uint8Array;
  readonly address: string;
  readonly events: string[];
  addresses: string[];
}

function makeNode(
  net: FakeMdnsNetwork,
  clock: FakeClock,
  address: string,
  extra: Partial<DiscoveryOptions> = {},
): TestNode {
  const ed = randomBytes(32);
  const x = randomBytes(32);
  const peerId = peerIdOf(ed);
  const events: string[] = [];
  const node: TestNode = {
    peerId,
    ed,
    x,
    address,
    events,
    addresses: [address, "127.0.0.1"],
    d: undefined as unknown as Discovery,
  };
  (node as { d: Discovery }).d = new Discovery({
    peerId,
    ed25519PublicKey: ed,
    x25519PublicKey: x,
    protocolVersion: 1,
    meshPort: 7771,
    deviceName: () => "host",
    addresses: () => node.addresses,
    transport: net.transport(address),
    log: silentLogger,
    now: clock.now,
    timers: clock,
    observer: {
      onDiscovered: (p, change) => events.push(`${change} ${p.peerId}`),
      onLost: (p, reason) => events.push(`lost ${p.peerId} ${reason}`),
    },
    ...extra,
  });
  return node;
}

const ids = (d: Discovery) => d.peers().map((p) => p.peerId).sort();

async function closeAll(...nodes: TestNode[]) {
  await Promise.all(nodes.map((n) => n.d.close()));
}

Deno.test("three nodes discover each other, with endpoints from their A records", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const nodes = ["10.78.1.1", "10.78.1.2", "10.78.1.3"].map((a) => makeNode(net, clock, a));
  try {
    for (const n of nodes) assert.equal(await n.d.start(), true);
    await clock.advance(10);
    for (const n of nodes) {
      const others = nodes.filter((o) => o !== n).map((o) => o.peerId).sort();
      assert.deepEqual(ids(n.d), others, "everyone but itself");
    }
    const [a, b] = nodes;
    const seen = a.d.peers().find((p) => p.peerId === b.peerId)!;
    assert.deepEqual(seen.addresses, ["10.78.1.2"], "loopback is never advertised");
    assert.deepEqual(seen.endpoints, ["ws://10.78.1.2:7771"]);
    assert.equal(seen.port, 7771);
    assert.equal(seen.protocolVersion, 1);
    assert.equal(seen.name, `host-${b.peerId.slice(0, 6)}`);
    assert.equal(a.events.filter((e) => e.startsWith("new")).length, 2);
  } finally {
    await closeAll(...nodes);
  }
  assert.equal(clock.pending, 0, "close() stops every timer");
  assert.equal(net.size, 0, "close() closes every socket");
});

Deno.test("a node that starts later finds the others by browsing (they answer its query)", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1");
  const b = makeNode(net, clock, "10.0.0.2", { announceDelaysMs: [] }); // b never announces
  try {
    await b.d.start();
    await clock.advance(60_000);
    await a.d.start();
    await clock.advance(10);
    assert.deepEqual(ids(a.d), [b.peerId], "b answered a's browse query");
    assert.deepEqual(ids(b.d), [a.peerId], "a's announcement reached b");
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("a node that does not advertise (mesh on loopback) browses but stays unseen", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1");
  const quiet = makeNode(net, clock, "10.0.0.2", { advertise: false });
  try {
    await quiet.d.start();
    await a.d.start();
    await clock.advance(10_000);
    assert.deepEqual(ids(quiet.d), [a.peerId]);
    assert.deepEqual(ids(a.d), []);
    await quiet.d.close();
    assert.ok(net.sent.every((s) => s.from !== "10.0.0.2" || s.packet.type === "query"));
  } finally {
    await closeAll(a, quiet);
  }
});

Deno.test("a stopped node says goodbye and disappears from the others at once", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const [a, b, c] = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((x) => makeNode(net, clock, x));
  try {
    for (const n of [a, b, c]) await n.d.start();
    await clock.advance(10);
    await c.d.close();
    await clock.advance(1);
    assert.deepEqual(ids(a.d), [b.peerId]);
    assert.ok(a.events.includes(`lost ${c.peerId} goodbye`), a.events.join());
    const bye = net.sent.at(-1)!.packet;
    assert.ok(bye.answers!.every((r) => r.ttl === 0));
  } finally {
    await closeAll(a, b, c);
  }
});

Deno.test("a node that vanishes without a goodbye expires after its TTL", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1");
  // b's records are injected once by hand, as if b then lost power.
  const b = makeNode(new FakeMdnsNetwork(), clock, "10.0.0.2");
  try {
    await a.d.start();
    await clock.advance(10);
    net.inject({ type: "response", ...advertRecords(advertOf(b), 120) }, {
      address: "10.0.0.2",
      port: 5353,
    });
    await clock.advance(10);
    assert.deepEqual(ids(a.d), [b.peerId]);
    await clock.advance(SERVICE_TTL_S * 1000 - 1_000);
    assert.deepEqual(ids(a.d), [b.peerId], "still within its TTL");
    await clock.advance(2_000);
    assert.deepEqual(ids(a.d), []);
    assert.ok(a.events.includes(`lost ${b.peerId} expired`));
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("peers that keep answering never expire (browse queries refresh the cache)", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const [a, b] = ["10.0.0.1", "10.0.0.2"].map((x) => makeNode(net, clock, x));
  try {
    await a.d.start();
    await b.d.start();
    await clock.advance(SERVICE_TTL_S * 1000 * 10);
    assert.deepEqual(ids(a.d), [b.peerId]);
    assert.deepEqual(a.events, [`new ${b.peerId}`], "no lost/new churn");
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("a restarted instance counts as a fresh announcement", async (t) => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1");
  const b = makeNode(net, clock, "10.0.0.2");
  try {
    await a.d.start();
    await b.d.start();
    await clock.advance(10);

    await t.step("clean restart: goodbye, then discovered again as new", async () => {
      await b.d.close();
      await clock.advance(1);
      assert.deepEqual(ids(a.d), []);
      const b2 = restarted(b, net, clock, 7772);
      await b2.start();
      await clock.advance(10);
      const p = a.d.peers().find((x) => x.peerId === b.peerId)!;
      assert.equal(p.port, 7772);
      assert.deepEqual(a.events.slice(-2), [`lost ${b.peerId} goodbye`, `new ${b.peerId}`]);
      await b2.close();
      await clock.advance(1);
    });

    await t.step("crash restart on another port: the flush bit replaces the old SRV", async () => {
      // b runs on 7773, then loses power (no goodbye)…
      const live = advertRecords(advertOf(b, 7773), 120);
      net.inject(
        { type: "response", answers: [...live.answers, ...live.additionals] },
        { address: b.address, port: 5353 },
      );
      await clock.advance(5_000);
      assert.equal(a.d.peers().find((x) => x.peerId === b.peerId)!.port, 7773);
      // …and comes back on 7774 before its old records expired.
      const b4 = restarted(b, net, clock, 7774);
      await b4.start();
      await clock.advance(10);
      assert.equal(a.d.peers().find((x) => x.peerId === b.peerId)!.port, 7774);
      assert.equal(a.events.at(-1), `updated ${b.peerId}`);
      await clock.advance(1_500);
      assert.equal(a.d.peers().length, 1, "the old SRV was retired, not listed twice");
      await b4.close();
    });
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("address changes: re-announced, goodbye for the old address, peers update", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1");
  const b = makeNode(net, clock, "10.0.0.2");
  try {
    await a.d.start();
    await b.d.start();
    await clock.advance(10);
    b.addresses = ["10.0.0.2", "192.168.5.2"];
    await clock.advance(5_000);
    let p = a.d.peers().find((x) => x.peerId === b.peerId)!;
    assert.deepEqual(p.addresses, ["10.0.0.2", "192.168.5.2"]);
    assert.ok(a.events.includes(`updated ${b.peerId}`));
    b.addresses = ["192.168.5.2"];
    await clock.advance(5_000);
    p = a.d.peers().find((x) => x.peerId === b.peerId)!;
    // The fake still sends from 10.0.0.2: no longer listed, the source comes last.
    assert.deepEqual(p.addresses, ["192.168.5.2", "10.0.0.2"]);
    assert.deepEqual(b.d.diagnostics().advertised_addresses, ["192.168.5.2"]);
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("a new device name is announced under the new instance name, the old one says goodbye", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  let name = "kitchen";
  const a = makeNode(net, clock, "10.0.0.1");
  const b = makeNode(net, clock, "10.0.0.2", { deviceName: () => name });
  try {
    await a.d.start();
    await b.d.start();
    await clock.advance(10);
    assert.equal(a.d.peers()[0].name, `kitchen-${b.peerId.slice(0, 6)}`);
    name = "Living room";
    await clock.advance(5_000);
    assert.deepEqual(a.d.peers().map((p) => p.name), [`Living-room-${b.peerId.slice(0, 6)}`]);
    assert.deepEqual(a.events.slice(-2), [`lost ${b.peerId} goodbye`, `new ${b.peerId}`]);
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("malformed announcements are counted and ignored; odd packets never throw", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1");
  try {
    await a.d.start();
    const from = { address: "10.0.0.9", port: 5353 };
    const instance = `evil.${SERVICE_TYPE}`;
    net.inject({
      type: "response",
      answers: [
        { name: SERVICE_TYPE, type: "PTR", ttl: 120, data: instance },
        { name: instance, type: "SRV", ttl: 120, data: { port: 1, target: "evil.local" } },
        { name: instance, type: "TXT", ttl: 120, data: ["pid=x", "epk=y"] },
      ],
    }, from);
    for (
      const junk of [
        { type: "response", answers: "nope" },
        { type: "response", answers: [null, 1, { name: 5 }] },
        { type: "query", questions: [null] },
        { type: "query", questions: "x" },
        { type: "response", answers: [{ name: SERVICE_TYPE, type: "PTR", ttl: "x", data: 1 }] },
      ]
    ) net.inject(junk as never, from);
    await clock.advance(10);
    assert.deepEqual(a.d.peers(), []);
    const counters = a.d.diagnostics().counters as Record<string, number>;
    assert.equal(counters.malformed_txt_bad_pid, 1);
    assert.ok(counters.malformed_bad_ptr >= 1);
    assert.equal(counters.packet_failed, undefined, "nothing threw");
  } finally {
    await a.d.close();
  }
});

Deno.test("keys that do not match the peer id are still listed (the handshake refuses them)", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1");
  try {
    await a.d.start();
    const ad = { ...advertOf(a), instance: "fake", host: "fakehost" };
    const txt = { ...ad.txt, peerId: "1111111111111111" };
    const records = advertRecords({ ...ad, txt }, 120);
    net.inject({ type: "response", answers: [...records.answers, ...records.additionals] }, {
      address: "10.0.0.7",
      port: 5353,
    });
    await clock.advance(10);
    assert.deepEqual(ids(a.d), ["1111111111111111"]);
    assert.equal(encodeTxt(txt)[0], "pid=1111111111111111");
  } finally {
    await a.d.close();
  }
});

Deno.test("an announcement carrying our own peer id is never listed, nor resolved again and again", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1");
  try {
    await a.d.start();
    const copy = { ...advertOf(a), instance: "copied-data-folder" };
    net.inject({ type: "response", answers: [...Object.values(advertRecords(copy, 120)).flat()] }, {
      address: "10.0.0.8",
      port: 5353,
    });
    await clock.advance(30_000);
    assert.deepEqual(a.d.peers(), []);
    const counters = a.d.diagnostics().counters as Record<string, number>;
    assert.equal(counters.own_peer_id_elsewhere, 1);
    const resolves = net.sent.filter((s) =>
      s.packet.questions?.some((q) => q.name.startsWith("copied-data-folder"))
    );
    assert.equal(resolves.length, 0);
  } finally {
    await a.d.close();
  }
});

Deno.test("a legacy unicast query is answered to its sender, with its id and short TTLs", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1", { announceDelaysMs: [] });
  try {
    await a.d.start();
    await clock.advance(10);
    net.inject(
      { type: "query", id: 4242, questions: [{ name: SERVICE_TYPE, type: "PTR" }] },
      { address: "10.0.0.5", port: 40000 },
    );
    await clock.advance(10);
    const reply = net.sent.find((s) => s.to?.port === 40000)!;
    assert.ok(reply, "a unicast reply");
    assert.equal(reply.to!.address, "10.0.0.5");
    assert.equal(reply.packet.id, 4242);
    assert.deepEqual(reply.packet.questions, [{ name: SERVICE_TYPE, type: "PTR" }]);
    assert.ok(
      [...reply.packet.answers!, ...reply.packet.additionals!].every((r) =>
        r.ttl! <= 10 && !r.flush
      ),
    );
  } finally {
    await a.d.close();
  }
});

Deno.test("failures: a socket that cannot open is warned about once and never throws", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  net.failOpen = Object.assign(new Error("address in use"), { code: "EADDRINUSE" });
  const lines: string[] = [];
  const a = makeNode(net, clock, "10.0.0.1", { log: capture(lines) });
  assert.equal(await a.d.start(), false);
  assert.equal(await a.d.start(), false, "no second attempt, no second warning");
  assert.equal(lines.filter((l) => l.includes("WARN")).length, 1, lines.join("\n"));
  assert.match(lines[0], /LAN discovery is off/);
  assert.equal(a.d.diagnostics().state, "failed");
  await a.d.close();
  await a.d.close();
  assert.equal(clock.pending, 0);
});

Deno.test("failures: send errors (no multicast route) are warned once; discovery keeps going", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  net.failSend = Object.assign(new Error("network unreachable"), { code: "ENETUNREACH" });
  const lines: string[] = [];
  const a = makeNode(net, clock, "10.0.0.1", { log: capture(lines) });
  const b = makeNode(net, clock, "10.0.0.2");
  try {
    assert.equal(await a.d.start(), true);
    await b.d.start();
    await clock.advance(10_000);
    assert.equal(lines.filter((l) => l.includes("WARN")).length, 1, lines.join("\n"));
    assert.ok((a.d.diagnostics().counters as Record<string, number>).send_failed > 3);
    net.failSend = undefined; // the route came back
    await clock.advance(60_000);
    assert.deepEqual(ids(a.d), [b.peerId]);
    assert.deepEqual(ids(b.d), [a.peerId]);
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("close() during start, and close() twice, leave nothing running", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1");
  const starting = a.d.start();
  await a.d.close();
  assert.equal(await starting, false);
  await a.d.close();
  assert.equal(net.size, 0);
  assert.equal(clock.pending, 0);
  assert.throws(() => makeNode(net, clock, "10.0.0.2", { meshPort: 0 }), RangeError);
});

Deno.test("an observer that throws does not break discovery", async () => {
  const clock = new FakeClock();
  const net = new FakeMdnsNetwork();
  const a = makeNode(net, clock, "10.0.0.1", {
    observer: {
      onDiscovered() {
        throw new Error("boom");
      },
    },
  });
  const b = makeNode(net, clock, "10.0.0.2");
  try {
    await a.d.start();
    await b.d.start();
    await clock.advance(10);
    assert.deepEqual(ids(a.d), [b.peerId]);
  } finally {
    await closeAll(a, b);
  }
});

// ---- helpers ------------------------------------------------------------------------------

/** The advertisement a test node sends (to replay it by hand). */
function advertOf(n: TestNode, port = 7771): Advertisement {
  return {
    instance: instanceLabel("host", n.peerId),
    host: `canopy-${n.peerId}`,
    port,
    txt: {
      peerId: n.peerId,
      ed25519PublicKey: n.ed,
      x25519PublicKey: n.x,
      protocolVersion: 1,
      meshPort: port,
    },
    addresses: [n.address],
  };
}

/** The same node (same keys and name) started again on another mesh port. */
function restarted(n: TestNode, net: FakeMdnsNetwork, clock: FakeClock, meshPort: number) {
  return new Discovery({
    peerId: n.peerId,
    ed25519PublicKey: n.ed,
    x25519PublicKey: n.x,
    protocolVersion: 1,
    meshPort,
    deviceName: () => "host",
    addresses: () => [n.address],
    transport: net.transport(n.address),
    log: silentLogger,
    now: clock.now,
    timers: clock,
  });
}

function capture(lines: string[]): Logger {
  return createLogger("debug", [(line) => lines.push(line)]);
}
