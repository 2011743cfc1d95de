/**
 * The relay's rules with fake links: who it relays for, what it refuses,
 * how it throttles a pair, and how routes end.
 */
import assert from "node:assert/strict";
import { Relay, RELAY_BURST, type RelayHost, type RelayPolicyName } from "./relay.ts";
import { Counters } from "./counters.ts";
import { SealCache } from "./seal_cache.ts";
import type { Link } from "./link.ts";
import type { ControlMessage } from "./wire/frame.ts";
import { importAgreementKey, randomBytes, SEALED_BOX_OVERHEAD } from "../crypto/mod.ts";
import { silentLogger } from "../util/log.ts";

interface FakeLink {
  peerId: string;
  controls: ControlMessage[];
  relayed: { to: string; from: string; sealed: Uint8Array }[];
  sendControl(m: ControlMessage): void;
  sendRelayed(
    to: string,
    from: string,
    sealed: Uint8Array,
  ): { admitted: Promise<boolean>; acked: Promise<boolean> };
}

function fakeLink(peerId: string): FakeLink {
  return {
    peerId,
    controls: [],
    relayed: [],
    sendControl(m) {
      this.controls.push(m);
    },
    sendRelayed(to, from, sealed) {
      this.relayed.push({ to, from, sealed });
      return { admitted: Promise.resolve(true), acked: Promise.resolve(true) };
    },
  };
}

const A = "AAAAAAAAAAAAAAAA";
const B = "BBBBBBBBBBBBBBBB";
const C = "CCCCCCCCCCCCCCCC";

async function relayAt(me: string, links: FakeLink[], policy: RelayPolicyName, now = () => 0) {
  const key = await importAgreementKey(randomBytes(32));
  const counters = new Counters();
  const delivered: [string, Uint8Array][] = [];
  const routeChanges: [string, string | null][] = [];
  const host: RelayHost = {
    me,
    link: (id) => links.find((l) => l.peerId === id) as unknown as Link | undefined,
    x25519Of: () => key.publicKey,
    deliver: (from, bytes) => {
      delivered.push([from, bytes]);
      return Promise.resolve();
    },
    counters,
    log: silentLogger,
    now,
    onRouteChange: (peer, via) => routeChanges.push([peer, via]),
  };
  let p = policy;
  const relay = new Relay(host, new SealCache(key), () => p);
  return {
    relay,
    counters,
    delivered,
    routeChanges,
    key,
    setPolicy: (x: RelayPolicyName) => (p = x),
  };
}

Deno.test("a relay offers only with full_relay and links to both ends", async () => {
  const [lb, lc] = [fakeLink(B), fakeLink(C)];
  const r = await relayAt(A, [lb, lc], "broker_only");
  assert.equal(r.relay.offer(B, C), false);
  r.setPolicy("full_relay");
  assert.equal(r.relay.offer(B, "DDDDDDDDDDDDDDDD"), false, "no link to the other end");
  assert.equal(r.relay.offer(B, C), true);
  assert.deepEqual(lb.controls, [{ t: "relay_offer", a: B, b: C }]);
  assert.deepEqual(lc.controls, [{ t: "relay_offer", a: B, b: C }]);
  assert.deepEqual(r.relay.relayingFor(), [[B, C]]);
});

Deno.test("a relay forwards only offered pairs, only from the sender's own link", async () => {
  const [lb, lc] = [fakeLink(B), fakeLink(C)];
  const r = await relayAt(A, [lb, lc], "full_relay");
  const sealed = new Uint8Array([1, 2, 3]);
  await r.relay.onRelayed(lb as unknown as Link, C, B, sealed);
  assert.equal(r.counters.get("relay_refused"), 1, "not offered yet");
  r.relay.offer(B, C);
  await r.relay.onRelayed(lb as unknown as Link, C, B, sealed);
  assert.equal(lc.relayed.length, 1);
  assert.deepEqual(lc.relayed[0], { to: C, from: B, sealed });
  await r.relay.onRelayed(lc as unknown as Link, C, B, sealed);
  assert.equal(r.counters.get("relay_spoofed"), 1, "from B, but arriving on C's link");
  r.setPolicy("off");
  await r.relay.onRelayed(lb as unknown as Link, C, B, sealed);
  assert.equal(r.counters.get("relay_refused"), 2, "policy changed");
});

Deno.test("a pair over its rate is slowed, not dropped", async () => {
  const [lb, lc] = [fakeLink(B), fakeLink(C)];
  let t = 0;
  const r = await relayAt(A, [lb, lc], "full_relay", () => t);
  r.relay.offer(B, C);
  const frames = RELAY_BURST + 3;
  const sends = Array.from(
    { length: frames },
    () => r.relay.onRelayed(lb as unknown as Link, C, B, new Uint8Array(1)),
  );
  await new Promise((res) => setTimeout(res, 20));
  assert.equal(lc.relayed.length, RELAY_BURST, "the burst passes at once");
  assert.ok(r.counters.get("relay_throttled") > 0);
  t += 1000; // a second later the bucket has refilled
  await Promise.all(sends);
  assert.equal(lc.relayed.length, frames, "every frame got through");
});

Deno.test("the ends: routes from offers, sealed delivery through the route, withdrawal and link loss", async () => {
  const la = fakeLink(A);
  const r = await relayAt(B, [la], "broker_only");
  r.relay.onControl(la as unknown as Link, { t: "relay_offer", a: B, b: C });
  assert.equal(r.relay.routes.get(C), A);
  const sending = r.relay.sendVia(C, new Uint8Array([9, 9]));
  assert.ok(sending);
  assert.equal(await sending.acked, true);
  assert.equal(la.relayed[0].to, C);
  assert.equal(
    la.relayed[0].sealed.length,
    2 + SEALED_BOX_OVERHEAD,
    "a sealed box, not the plain bytes",
  );

  // The last hop: accepted only through the relay it routes `from` through.
  const other = fakeLink("DDDDDDDDDDDDDDDD");
  await r.relay.onRelayed(other as unknown as Link, B, C, la.relayed[0].sealed);
  assert.equal(r.counters.get("relay_unexpected"), 1);

  r.relay.onControl(la as unknown as Link, { t: "route_withdraw", peer: C });
  assert.equal(r.relay.routes.has(C), false);
  r.relay.onControl(la as unknown as Link, { t: "relay_offer", a: B, b: C });
  r.relay.linkDown(A);
  assert.equal(r.relay.routes.has(C), false, "the relay's link went away");
  r.relay.onControl(la as unknown as Link, { t: "relay_offer", a: B, b: C });
  r.relay.linkUp(C);
  assert.equal(r.relay.routes.has(C), false, "a direct link replaces the relay");
  assert.deepEqual(r.routeChanges.map(([, via]) => via), [A, null, A, null, A, null]);
});
