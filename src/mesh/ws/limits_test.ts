import assert from "node:assert/strict";
import { writeAll } from "./_io.ts";
import { MAX_MESSAGE_BYTES } from "./conn.ts";
import { CLOSE } from "./close.ts";
import { OPCODE } from "./frame.ts";
import {
  clientFrame,
  closeOf,
  parseFrames,
  pattern,
  rawUpgrade,
  readToEnd,
  startServer,
} from "./_testing.ts";

const MASK = [0xa1, 0xb2, 0xc3, 0xd4];

/**
 * Upgrades by hand, writes `bytes`, and returns what the server sent back
 * (until it closed TCP) and how the server side saw the end.
 */
async function exchange(bytes: Uint8Array | number[], options = {}) {
  const ts = startServer(options);
  try {
    const { conn } = await rawUpgrade(ts.server.port);
    const server = await ts.next();
    const received: Uint8Array[] = [];
    const reading = (async () => {
      for (let m; (m = await server.receive()) !== null;) received.push(m);
    })();
    await writeAll(conn, Uint8Array.from(bytes));
    const frames = parseFrames(await readToEnd(conn));
    await reading;
    return { received, frames, closed: await server.closed };
  } finally {
    await ts.close();
  }
}

/** Asserts the server answered with exactly one close frame with `code`, and saw the same. */
function assertClosedWith(r: Awaited<ReturnType<typeof exchange>>, code: number) {
  assert.deepEqual(r.received, []);
  assert.deepEqual(r.frames.map((f) => f.opcode), [OPCODE.close]);
  assert.equal(closeOf(r.frames[0].payload).code, code);
  assert.equal(r.closed.code, code);
  assert.equal(r.closed.byPeer, false);
}

Deno.test("limits: a 2 GiB length is refused with 1009 from the header alone", async () => {
  // Only the 14 header bytes are sent: the server must answer without waiting for a payload.
  const header = [0x82, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0, ...MASK];
  const r = await exchange(header);
  assertClosedWith(r, CLOSE.tooBig);
  assert.equal(closeOf(r.frames[0].payload).reason, "message too big");
});

Deno.test("limits: one byte over the cap is refused with 1009; exactly the cap is accepted", async () => {
  const over = MAX_MESSAGE_BYTES + 1; // 64-bit length form
  const header = [
    0x82,
    0xff,
    0,
    0,
    0,
    0,
    over >>> 24,
    (over >>> 16) & 255,
    (over >>> 8) & 255,
    over & 255,
  ];
  assertClosedWith(await exchange([...header, ...MASK]), CLOSE.tooBig);

  const atCap = clientFrame(OPCODE.binary, pattern(MAX_MESSAGE_BYTES));
  const ok = await exchange([...atCap, ...clientFrame(OPCODE.close, [0x03, 0xe8])]);
  assert.deepEqual(ok.received, [pattern(MAX_MESSAGE_BYTES)]);
  assert.equal(ok.closed.code, CLOSE.normal);
});

Deno.test("limits: a smaller maxMessageBytes is enforced on the 16-bit form too", async () => {
  const r = await exchange([0x82, 0xfe, 0x01, 0x00, ...MASK], { maxMessageBytes: 255 });
  assertClosedWith(r, CLOSE.tooBig);
});

Deno.test("limits: fragments adding up past the cap are refused at the header that crosses it", async () => {
  const half = MAX_MESSAGE_BYTES / 2;
  const first = clientFrame(OPCODE.binary, new Uint8Array(half), { fin: false });
  const second = clientFrame(OPCODE.continuation, new Uint8Array(half), { fin: false });
  // Third fragment: 1 byte would make cap + 1. Only its header is sent.
  assertClosedWith(await exchange([...first, ...second, 0x80, 0x81, ...MASK]), CLOSE.tooBig);
});

Deno.test("limits: an unmasked client frame is a protocol error (1002, §5.1)", async () => {
  assertClosedWith(await exchange(clientFrame(OPCODE.binary, [1, 2, 3], { mask: null })), 1002);
});

Deno.test("limits: a text frame is refused with 1003", async () => {
  assertClosedWith(await exchange(clientFrame(OPCODE.text, [0x68, 0x69])), CLOSE.unsupportedData);
});

Deno.test("limits: RSV bits, reserved opcodes and bad sequences are 1002", async () => {
  const cases: [string, number[]][] = [
    ["RSV1", [0xc2, 0x80, ...MASK]],
    ["opcode 0x3", [0x83, 0x80, ...MASK]],
    ["opcode 0xb", [0x8b, 0x80, ...MASK]],
    ["continuation first", [...clientFrame(OPCODE.continuation, [1])]],
    [
      "binary inside a fragmented message",
      [
        ...clientFrame(OPCODE.binary, [1], { fin: false }),
        ...clientFrame(OPCODE.binary, [2]),
      ],
    ],
    ["fragmented ping", [0x09, 0x80, ...MASK]],
    ["126-byte ping", [0x89, 0xfe, 0x00, 0x7e, ...MASK]],
    ["non-minimal 16-bit length", [0x82, 0xfe, 0x00, 0x05, ...MASK]],
    ["close code 1005", [...clientFrame(OPCODE.close, [0x03, 0xed])]],
    ["close code 999", [...clientFrame(OPCODE.close, [0x03, 0xe7])]],
    ["1-byte close", [...clientFrame(OPCODE.close, [0x03])]],
  ];
  for (const [name, bytes] of cases) {
    const r = await exchange(bytes);
    assert.equal(r.closed.code, CLOSE.protocolError, name);
    assertClosedWith(r, CLOSE.protocolError);
  }
});

Deno.test("limits: a close reason that is not UTF-8 is 1007", async () => {
  const r = await exchange(clientFrame(OPCODE.close, [0x03, 0xe8, 0xff, 0xfe]));
  assertClosedWith(r, CLOSE.invalidPayload);
});

Deno.test("limits: a message sent to a smaller cap is refused by send() itself", async () => {
  const ts = startServer({ maxMessageBytes: 10, closeTimeoutMs: 100 });
  const { conn } = await rawUpgrade(ts.server.port);
  const server = await ts.next();
  await assert.rejects(server.send(new Uint8Array(11)), RangeError);
  await server.send(new Uint8Array(10));
  server.close();
  const frames = parseFrames(await readToEnd(conn));
  assert.deepEqual(frames.map((f) => f.opcode), [OPCODE.binary, OPCODE.close]);
  await ts.close();
});
