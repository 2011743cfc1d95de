import assert from "node:assert/strict";
import { PingTracker, PongResponder } from "./_pings.ts";
import { WsError } from "./errors.ts";

Deno.test("pongs: a ping flood queues one pong, then answers only the latest ping (§5.5.3)", async () => {
  const sent: number[] = [];
  let release!: () => void;
  const pong = new PongResponder((payload) => {
    sent.push(payload[0]);
    return new Promise<void>((r) => release = r); // the socket is not taking bytes
  }, () => true);
  for (let i = 0; i < 1000; i++) pong.answer(Uint8Array.of(i % 256));
  assert.deepEqual(sent, [0]);
  release();
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(sent, [0, 999 % 256]);
  release();
});

Deno.test("pongs: nothing is answered once the connection stops being open", async () => {
  const sent: number[] = [];
  let open = true;
  let release!: () => void;
  const pong = new PongResponder((payload) => {
    sent.push(payload[0]);
    return new Promise<void>((r) => release = r);
  }, () => open);
  pong.answer(Uint8Array.of(1));
  pong.answer(Uint8Array.of(2));
  open = false;
  release();
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(sent, [1]);
});

Deno.test("pings: the matching pong settles its ping; others are ignored; timers are cleared", async () => {
  const pings = new PingTracker();
  const a = pings.start(10_000);
  const b = pings.start(10_000);
  assert.equal(pings.size, 2);
  pings.pong(Uint8Array.of(1, 2, 3)); // unsolicited: ignored
  pings.pong(a.payload);
  assert.ok(await a.rtt >= 0);
  assert.equal(pings.size, 1);
  pings.rejectAll(() => new WsError("closed", "connection closed"));
  await assert.rejects(b.rtt, (e) => e instanceof WsError && e.code === "closed");
  const c = pings.start(10);
  await assert.rejects(c.rtt, (e) => e instanceof WsError && e.code === "timeout");
  assert.equal(pings.size, 0);
});
