import assert from "node:assert/strict";
import { memoryPair } from "./transport.ts";
import { initiate } from "./handshake.ts";
import { Link, type LinkHandler, type LinkOptions } from "./link.ts";
import { Counters } from "./counters.ts";
import { respondAndWelcome, testIdentity } from "./_test_identity.ts";
import { CloseCode } from "./close_codes.ts";
import type { ControlMessage } from "./wire/frame.ts";
import type { CloseInfo, FrameConn } from "./transport.ts";

class Recorder implements LinkHandler {
  envelopes: Uint8Array[] = [];
  controls: ControlMessage[] = [];
  closes: CloseInfo[] = [];
  gate: Promise<void> = Promise.resolve();
  onEnvelope(_l: Link, bytes: Uint8Array) {
    this.envelopes.push(bytes.slice());
    return this.gate;
  }
  onRelayed() {
    return Promise.resolve();
  }
  onControl(_l: Link, m: ControlMessage) {
    this.controls.push(m);
  }
  onClose(_l: Link, info: CloseInfo) {
    this.closes.push(info);
  }
}

async function linkedPair(options: LinkOptions = {}, wrapA?: (c: FrameConn) => FrameConn) {
  const [ca, cb] = memoryPair();
  const [alice, bob] = await Promise.all([testIdentity(), testIdentity()]);
  const [ha, hb] = await Promise.all([initiate(ca, alice), respondAndWelcome(cb, bob)]);
  const recA = new Recorder();
  const recB = new Recorder();
  const counters = new Counters();
  const a = new Link(
    wrapA ? wrapA(ca) : ca,
    ha.remote,
    true,
    ha.send,
    ha.receive,
    recA,
    counters,
    options,
  );
  const b = new Link(cb, hb.remote, false, hb.send, hb.receive, recB, counters, options);
  a.start();
  b.start();
  return { a, b, recA, recB, counters, ca, cb };
}

Deno.test("envelopes arrive in order and are acknowledged once processed", async () => {
  const { a, b, recB } = await linkedPair();
  try {
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => a.sendEnvelope(new Uint8Array([i]))),
    );
    assert.ok(results.every((r) => r === true));
    assert.deepEqual(recB.envelopes.map((e) => e[0]), Array.from({ length: 100 }, (_, i) => i));
    assert.equal(a.inFlight, 0);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("flow control: a slow receiver holds the sender at the window", async () => {
  const { a, b, recB } = await linkedPair({ window: 8, ackEvery: 1 });
  let release!: () => void;
  recB.gate = new Promise((r) => (release = r));
  try {
    const sends = Array.from({ length: 20 }, (_, i) => a.sendEnvelope(new Uint8Array([i])));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(recB.envelopes.length, 8, "no more than the window is in flight");
    assert.equal(a.inFlight, 8);
    release();
    assert.ok((await Promise.all(sends)).every(Boolean));
    assert.equal(recB.envelopes.length, 20);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("a tampered frame closes the link", async () => {
  let tamper = false;
  const { a, b, recB } = await linkedPair({}, (conn) => ({
    ...conn,
    remoteAddr: conn.remoteAddr,
    closed: conn.closed,
    close: (c, r) => conn.close(c, r),
    receive: () => conn.receive(),
    send: (d) => {
      if (tamper) d = d.slice(), d[d.length - 1] ^= 1;
      return conn.send(d);
    },
  }));
  assert.equal(await a.sendEnvelope(new Uint8Array([1])), true);
  tamper = true;
  assert.equal(await a.sendEnvelope(new Uint8Array([2])), false);
  const info = await b.closed;
  assert.equal(info.code, CloseCode.Decrypt);
  assert.equal(recB.envelopes.length, 1);
  await a.closed;
});

/** B is a real Link; A is driven by hand with its raw transport ciphers. */
async function rawPair(options: LinkOptions = {}) {
  const [ca, cb] = memoryPair();
  const [alice, bob] = await Promise.all([testIdentity(), testIdentity()]);
  const [ha, hb] = await Promise.all([initiate(ca, alice), respondAndWelcome(cb, bob)]);
  const recB = new Recorder();
  const counters = new Counters();
  const b = new Link(cb, hb.remote, false, hb.send, hb.receive, recB, counters, options);
  b.start();
  const send = (plain: number[]) =>
    ca.send(ha.send.encryptWithAd(new Uint8Array(0), new Uint8Array(plain)));
  return { b, recB, counters, ca, send };
}

Deno.test("unknown frame types are counted and ignored; the link stays up", async () => {
  const { b, recB, counters, ca, send } = await rawPair();
  try {
    await send([0x7f, 1, 2, 3]);
    await send([0x20, ...new TextEncoder().encode('{"t":"from-the-future","x":1}')]);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(counters.get("unknown_frame_type"), 1);
    assert.deepEqual(recB.controls.map((m) => m.t), ["from-the-future"]);
    assert.equal(b.isClosed, false);
    await send([0x20, 0x5b, 0x5d]); // a control frame that is not an object: malformed
    assert.equal((await b.closed).code, CloseCode.Malformed);
    assert.equal(counters.get("malformed"), 1);
  } finally {
    b.close();
    ca.close();
  }
});

Deno.test("a peer sending beyond its window is disconnected", async () => {
  const { b, recB, counters, ca, send } = await rawPair({ window: 4 });
  recB.gate = new Promise(() => {}); // B never finishes processing
  try {
    for (let i = 0; i < 5; i++) await send([0x10, i]);
    assert.equal((await b.closed).code, CloseCode.FlowViolation);
    assert.equal(counters.get("flow_violation"), 1);
  } finally {
    ca.close();
  }
});

Deno.test("a peer flooding control frames is rate-limited, then cut off", async () => {
  const { b, recB, counters, ca, send } = await rawPair({
    controlRate: 1,
    controlBurst: 5,
    now: () => 0,
  });
  try {
    const frame = [0x20, ...new TextEncoder().encode('{"t":"spam"}')];
    for (let i = 0; i < 5 + 10 * 5 + 1; i++) await send(frame);
    assert.equal((await b.closed).code, CloseCode.Abusive);
    assert.equal(recB.controls.length, 5);
    assert.ok(counters.get("rate_limited") > 0);
  } finally {
    ca.close();
  }
});

Deno.test("a silent peer is declared dead at the keepalive deadline; pings are sent when idle", async () => {
  let now = 0;
  const { b, ca } = await rawPair({ pingIdleMs: 100, deadAfterMs: 300, now: () => now });
  now = 150;
  const ping = await ca.receive(); // B pings after 100 ms without sending
  assert.ok(ping && ping.length === 9 + 16);
  now = 400;
  assert.equal((await b.closed).code, CloseCode.KeepaliveTimeout);
  ca.close();
});
