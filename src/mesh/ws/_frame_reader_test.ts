import assert from "node:assert/strict";
import { FrameReader } from "./_frame_reader.ts";
import { CLOSE } from "./close.ts";
import { encodeFrame, OPCODE } from "./frame.ts";

/** A source that hands out `bytes` in pieces of the sizes `chunk()` picks, and counts reads. */
function source(bytes: Uint8Array, chunk: () => number) {
  let at = 0;
  const s = {
    reads: 0,
    read(p: Uint8Array): Promise<number | null> {
      s.reads++;
      if (at >= bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, chunk(), bytes.length - at);
      p.set(bytes.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
    get consumed() {
      return at;
    },
  };
  return s;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const MASK = Uint8Array.of(5, 6, 7, 8);
const SIZES = [0, 1, 125, 126, 1000, 65535, 65536, 200_000];

Deno.test("frame reader: any chunking gives the same frames, unmasked", async () => {
  const payloads = SIZES.map((n) => crypto.getRandomValues(new Uint8Array(Math.min(n, 65536))))
    .map((p, i) => SIZES[i] > 65536 ? new Uint8Array(SIZES[i]).fill(i) : p);
  const wire = concat(payloads.map((p) => encodeFrame(OPCODE.binary, p, { mask: MASK })));
  for (const chunk of [() => 1, () => 7, () => 4096, () => 1 + Math.floor(Math.random() * 70000)]) {
    const src = source(wire, chunk);
    const reader = new FrameReader(src, { expectMasked: true, bufferBytes: 4096 });
    for (const p of payloads) {
      const f = await reader.next(1 << 20);
      assert.ok(f !== null && !("code" in f));
      assert.deepEqual(f.payload, p);
    }
    assert.equal(await reader.next(1 << 20), null);
  }
});

Deno.test("frame reader: many small frames come from one read", async () => {
  const one = encodeFrame(OPCODE.binary, new Uint8Array(100));
  const src = source(concat(Array(100).fill(one)), () => 1 << 20);
  const reader = new FrameReader(src, { expectMasked: false, bufferBytes: 64 * 1024 });
  for (let i = 0; i < 100; i++) {
    const f = await reader.next(1000);
    assert.equal(f !== null && "opcode" in f && f.opcode, OPCODE.binary);
  }
  assert.equal(src.reads, 1);
});

Deno.test("frame reader: an over-cap length is refused before any payload byte is read", async () => {
  const header = encodeFrame(OPCODE.binary, new Uint8Array(70_000), { mask: MASK }).subarray(0, 14);
  const wire = concat([header, new Uint8Array(70_000)]);
  const src = source(wire, () => 1 << 20);
  const reader = new FrameReader(src, { expectMasked: true, bufferBytes: 16 });
  const r = await reader.next(65_536);
  assert.deepEqual(r, { kind: "error", code: CLOSE.tooBig, reason: "message too big" });
  // One read into the 16-byte buffer: the header and 2 payload bytes, nothing allocated for the rest.
  assert.equal(src.consumed, 16);
  assert.equal(src.reads, 1);
});

Deno.test("frame reader: leftover bytes from the handshake are read first", async () => {
  const wire = concat([
    encodeFrame(OPCODE.binary, Uint8Array.of(1)),
    encodeFrame(OPCODE.binary, Uint8Array.of(2)),
  ]);
  const reader = new FrameReader(source(wire.subarray(2), () => 1), {
    expectMasked: false,
    bufferBytes: 16,
    leftover: wire.subarray(0, 2),
  });
  assert.deepEqual((await reader.next(10) as { payload: Uint8Array }).payload, Uint8Array.of(1));
  assert.deepEqual((await reader.next(10) as { payload: Uint8Array }).payload, Uint8Array.of(2));
});

Deno.test("frame reader: discard mode skips payloads without keeping them", async () => {
  const wire = concat([
    encodeFrame(OPCODE.text, new Uint8Array(5000)),
    encodeFrame(OPCODE.close, Uint8Array.of(0x03, 0xe8)),
  ]);
  const reader = new FrameReader(source(wire, () => 999), {
    expectMasked: false,
    bufferBytes: 128,
  });
  const skipped = await reader.next(1 << 20, true);
  assert.equal(skipped !== null && "payload" in skipped && skipped.payload.length, 0);
  const close = await reader.next(1 << 20, true);
  assert.equal(close !== null && "opcode" in close && close.opcode, OPCODE.close);
});

Deno.test("frame reader: random bytes end in a frame, an error or EOF — never a throw", async () => {
  for (let round = 0; round < 300; round++) {
    const wire = crypto.getRandomValues(new Uint8Array(1 + Math.floor(Math.random() * 64)));
    const reader = new FrameReader(source(wire, () => 3), {
      expectMasked: round % 2 === 0,
      bufferBytes: 32,
    });
    for (let i = 0; i < 100; i++) {
      const r = await reader.next(1024);
      if (r === null || "code" in r) break;
    }
  }
});
