import assert from "node:assert/strict";
import { CLOSE, encodeClosePayload, isValidCloseCode, parseClosePayload } from "./close.ts";
import {
  encodeFrame,
  type FrameHeader,
  NEED_MORE,
  OPCODE,
  type Opcode,
  parseFrameHeader,
  unmask,
} from "./frame.ts";

const HELLO = new TextEncoder().encode("Hello");
const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

function header(bytes: Uint8Array | number[]): FrameHeader {
  const r = parseFrameHeader(Uint8Array.from(bytes));
  if (r.kind !== "header") throw new Error(`expected a header, got ${JSON.stringify(r)}`);
  return r.header;
}

function error(bytes: number[]): { code: number; reason: string } {
  const r = parseFrameHeader(Uint8Array.from(bytes));
  if (r.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r;
}

/** Payload of a whole frame, unmasked. */
function payloadOf(frame: Uint8Array): Uint8Array {
  const h = header(frame);
  const p = frame.slice(h.headerLength, h.headerLength + h.payloadLength);
  if (h.maskKey !== null) unmask(p, h.maskKey);
  return p;
}

// RFC 6455 §5.7, "Examples".
const EXAMPLES: [string, Opcode, Uint8Array, number[], boolean, Uint8Array | undefined][] = [
  [
    "single-frame unmasked text",
    OPCODE.text,
    HELLO,
    [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
    true,
    undefined,
  ],
  [
    "single-frame masked text",
    OPCODE.text,
    HELLO,
    [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    true,
    MASK,
  ],
  [
    "fragment 1 of unmasked text",
    OPCODE.text,
    HELLO.subarray(0, 3),
    [0x01, 0x03, 0x48, 0x65, 0x6c],
    false,
    undefined,
  ],
  [
    "fragment 2 of unmasked text",
    OPCODE.continuation,
    HELLO.subarray(3),
    [0x80, 0x02, 0x6c, 0x6f],
    true,
    undefined,
  ],
  [
    "unmasked ping",
    OPCODE.ping,
    HELLO,
    [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
    true,
    undefined,
  ],
  [
    "masked pong",
    OPCODE.pong,
    HELLO,
    [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    true,
    MASK,
  ],
];

for (const [name, opcode, payload, wire, fin, mask] of EXAMPLES) {
  Deno.test(`frame: §5.7 ${name} encodes and parses`, () => {
    assert.deepEqual(encodeFrame(opcode, payload, { fin, mask }), Uint8Array.from(wire));
    const h = header(wire);
    assert.equal(h.opcode, opcode);
    assert.equal(h.fin, fin);
    assert.equal(h.masked, mask !== undefined);
    assert.equal(h.payloadLength, payload.length);
    assert.deepEqual(payloadOf(Uint8Array.from(wire)), payload);
  });
}

Deno.test("frame: §5.7 a flipped masking-key byte garbles the payload", () => {
  const wire = Uint8Array.from(EXAMPLES[1][3]);
  wire[3] ^= 1;
  assert.notDeepEqual(payloadOf(wire), HELLO);
});

Deno.test("frame: §5.7 256-byte and 64 KiB binary frames use the 16- and 64-bit forms", () => {
  const f256 = encodeFrame(OPCODE.binary, new Uint8Array(256));
  assert.deepEqual(f256.subarray(0, 4), Uint8Array.from([0x82, 0x7e, 0x01, 0x00]));
  assert.equal(f256.length, 4 + 256);
  const f64k = encodeFrame(OPCODE.binary, new Uint8Array(65536));
  assert.deepEqual(
    f64k.subarray(0, 10),
    Uint8Array.from([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]),
  );
  assert.equal(header(f64k).payloadLength, 65536);
  assert.equal(header(f256).payloadLength, 256);
});

Deno.test("frame: round trips at every length boundary, masked and not", () => {
  for (const n of [0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20]) {
    const payload = crypto.getRandomValues(new Uint8Array(Math.min(n, 65536)));
    const data = n <= 65536 ? payload : new Uint8Array(n).fill(0xa5);
    // Every key byte odd, hence non-zero: masking changes every byte.
    for (const mask of [undefined, crypto.getRandomValues(new Uint8Array(4)).map((b) => b | 1)]) {
      const frame = encodeFrame(OPCODE.binary, data, { mask });
      const h = header(frame);
      assert.equal(h.payloadLength, n);
      assert.equal(h.headerLength + n, frame.length);
      assert.deepEqual(payloadOf(frame), data);
      if (mask && n > 0) assert.notDeepEqual(frame.subarray(h.headerLength), data);
    }
  }
});

Deno.test("frame: the header parser asks for more until the header is complete", () => {
  const frame = encodeFrame(OPCODE.binary, new Uint8Array(70000), { mask: MASK });
  for (let i = 0; i < 14; i++) assert.equal(parseFrameHeader(frame.subarray(0, i)), NEED_MORE);
  assert.equal(header(frame.subarray(0, 14)).headerLength, 14);
  // With an offset into a bigger buffer.
  const buf = new Uint8Array(20);
  buf.set(frame.subarray(0, 14), 3);
  const r = parseFrameHeader(buf, 3, 17);
  assert.equal(r.kind === "header" && r.header.payloadLength, 70000);
});

Deno.test("frame: unmask works at any alignment and key offset", () => {
  const key = Uint8Array.from([9, 200, 33, 71]);
  const data = crypto.getRandomValues(new Uint8Array(103));
  for (let offset = 0; offset < 8; offset++) {
    for (let keyOffset = 0; keyOffset < 4; keyOffset++) {
      const backing = new Uint8Array(120);
      backing.set(data, offset);
      const view = backing.subarray(offset, offset + data.length);
      unmask(view, key, keyOffset);
      const expected = data.map((b, i) => b ^ key[(i + keyOffset) & 3]);
      assert.deepEqual(view, expected);
      unmask(view, key, keyOffset);
      assert.deepEqual(view, data);
    }
  }
});

Deno.test("frame: RSV bits set are a protocol error (no extensions)", () => {
  for (const rsv of [0x40, 0x20, 0x10]) {
    assert.equal(error([0x82 | rsv, 0x00]).code, CLOSE.protocolError);
  }
  assert.equal(header([0x82, 0x00]).opcode, OPCODE.binary);
});

Deno.test("frame: reserved opcodes are a protocol error", () => {
  for (const op of [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
    const e = error([0x80 | op, 0x00]);
    assert.equal(e.code, CLOSE.protocolError);
    assert.match(e.reason, /opcode/);
  }
});

Deno.test("frame: non-minimal length encodings are refused", () => {
  assert.equal(error([0x82, 0x7e, 0x00, 0x7d]).code, CLOSE.protocolError); // 125 in 16 bits
  assert.equal(header([0x82, 0x7e, 0x00, 0x7e]).payloadLength, 126);
  assert.equal(error([0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff]).code, CLOSE.protocolError);
  assert.equal(header([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]).payloadLength, 65536);
});

Deno.test("frame: 64-bit lengths — top bit set is 1002, 2^53 and up is 1009", () => {
  assert.equal(error([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]).code, CLOSE.protocolError);
  assert.equal(error([0x82, 0x7f, 0x00, 0x20, 0, 0, 0, 0, 0, 0]).code, CLOSE.tooBig);
  const max = header([0x82, 0x7f, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.equal(max.payloadLength, Number.MAX_SAFE_INTEGER);
  // 2 GiB is representable: refusing it is the reader's cap, not the codec's.
  assert.equal(header([0x82, 0x7f, 0, 0, 0, 0, 0x80, 0, 0, 0]).payloadLength, 2 ** 31);
});

Deno.test("frame: control frames must not be fragmented nor exceed 125 bytes (§5.5)", () => {
  for (const op of [0x8, 0x9, 0xa]) {
    assert.match(error([op, 0x00]).reason, /fragmented control/); // FIN clear
    assert.match(error([0x80 | op, 0x7e, 0x00, 0x7e]).reason, /125/);
    assert.equal(header([0x80 | op, 0x7d]).payloadLength, 125);
  }
  assert.throws(() => encodeFrame(OPCODE.ping, new Uint8Array(126)), RangeError);
  assert.throws(() => encodeFrame(OPCODE.close, new Uint8Array(0), { fin: false }), RangeError);
  assert.throws(() => encodeFrame(OPCODE.binary, HELLO, { mask: new Uint8Array(3) }), RangeError);
  assert.throws(() => encodeFrame(3 as Opcode, HELLO), RangeError);
});

Deno.test("close payload: code and reason round trip (§5.5.1)", () => {
  const p = encodeClosePayload(4001, "bye ✓");
  assert.deepEqual(p.subarray(0, 2), Uint8Array.from([0x0f, 0xa1]));
  assert.deepEqual(parseClosePayload(p), { kind: "close", code: 4001, reason: "bye ✓" });
  assert.deepEqual(parseClosePayload(new Uint8Array(0)), {
    kind: "close",
    code: CLOSE.noStatus,
    reason: "",
  });
  assert.equal(encodeClosePayload().length, 0);
});

Deno.test("close payload: a long reason is cut to 123 bytes on a character boundary", () => {
  const p = encodeClosePayload(1000, "é".repeat(100)); // 200 bytes of 2-byte characters
  assert.ok(p.length <= 125);
  const r = parseClosePayload(p);
  assert.equal(r.kind === "close" && r.reason, "é".repeat(61));
});

Deno.test("close payload: bad codes, a 1-byte payload and bad UTF-8 are refused (§7.4)", () => {
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
    assert.equal(isValidCloseCode(code), false, `${code}`);
    const r = parseClosePayload(Uint8Array.from([code >> 8, code & 0xff]));
    assert.equal(r.kind === "error" && r.code, CLOSE.protocolError, `${code}`);
    assert.throws(() => encodeClosePayload(code), RangeError);
  }
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1014, 3000, 4999]) {
    assert.equal(isValidCloseCode(code), true, `${code}`);
  }
  const one = parseClosePayload(Uint8Array.from([0x03]));
  assert.equal(one.kind === "error" && one.code, CLOSE.protocolError);
  const badUtf8 = parseClosePayload(Uint8Array.from([0x03, 0xe8, 0xc3, 0x28]));
  assert.equal(badUtf8.kind === "error" && badUtf8.code, CLOSE.invalidPayload);
  assert.throws(() => encodeClosePayload(undefined, "reason without code"), RangeError);
});
