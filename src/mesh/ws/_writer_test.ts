import assert from "node:assert/strict";
import { FrameWriter } from "./_writer.ts";
import { OPCODE } from "./frame.ts";
import { WsError } from "./errors.ts";
import { parseFrames } from "./_testing.ts";

/** A socket that records each write (copied) and can be made to fail. */
function fakeSocket() {
  const writes: Uint8Array[] = [];
  return {
    writes,
    fail: false,
    read: () => Promise.resolve(null),
    write(p: Uint8Array): Promise<number> {
      if (this.fail) return Promise.reject(new Error("broken pipe"));
      writes.push(p.slice());
      return Promise.resolve(p.length);
    },
  };
}

function writer(socket: ReturnType<typeof fakeSocket>, mask: boolean, errors: Error[] = []) {
  return new FrameWriter(socket, {
    mask,
    batchBytes: 1024,
    fragmentBytes: Infinity,
    onError: (e) => errors.push(e),
    closedError: () => new WsError("closed", "connection closed"),
  });
}

Deno.test("writer: frames queued in one tick share one write, in order", async () => {
  const socket = fakeSocket();
  const w = writer(socket, true);
  const sends = [];
  for (let i = 0; i < 10; i++) sends.push(w.message(Uint8Array.of(i, i)));
  sends.push(w.control(OPCODE.ping, Uint8Array.of(42)));
  await Promise.all(sends);
  assert.equal(socket.writes.length, 1);
  const frames = parseFrames(socket.writes[0]);
  assert.deepEqual(frames.map((f) => f.payload[0]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 42]);
  assert.equal(frames[10].opcode, OPCODE.ping);
  // Every client frame has its own masking key (§5.3): same payload, different bytes.
  assert.notDeepEqual(socket.writes[0].subarray(2, 8), socket.writes[0].subarray(10, 16));
});

Deno.test("writer: a frame bigger than a chunk goes out whole, header and payload in one write", async () => {
  const socket = fakeSocket();
  const w = writer(socket, false);
  const big = new Uint8Array(5000).fill(7);
  await Promise.all([w.message(Uint8Array.of(1)), w.message(big), w.message(Uint8Array.of(2))]);
  assert.equal(socket.writes.length, 3);
  assert.deepEqual(parseFrames(socket.writes[1])[0].payload, big);
});

Deno.test("writer: the caller's buffer is copied at once", async () => {
  const socket = fakeSocket();
  const w = writer(socket, false);
  const data = Uint8Array.of(1, 2, 3);
  const sent = w.message(data);
  data.fill(0);
  await sent;
  assert.deepEqual(parseFrames(socket.writes[0])[0].payload, Uint8Array.of(1, 2, 3));
});

Deno.test("writer: a failed write rejects it and everything queued, once, and refuses more", async () => {
  const socket = fakeSocket();
  socket.fail = true;
  const errors: Error[] = [];
  const w = writer(socket, false, errors);
  const first = w.message(Uint8Array.of(1));
  const second = w.message(new Uint8Array(2000));
  await assert.rejects(first, WsError);
  await assert.rejects(second, WsError);
  await assert.rejects(w.message(Uint8Array.of(3)), WsError);
  assert.equal(errors.length, 1);
  await w.stop();
});
