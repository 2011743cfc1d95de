import assert from "node:assert/strict";
import { utf8 } from "../../util/bytes.ts";
import {
  type ControlMessage,
  decodeFrame,
  encodeAck,
  encodeControl,
  encodeEnvelopeFrame,
  encodePing,
  encodeRelayed,
  type Frame,
  FrameType,
  MAX_CONTROL_BYTES,
} from "./frame.ts";

const TO = "3yQn7bTFsXU1V9Fc";
const FROM = "8KpqB2zJmwRdE4Lh";

/** Decodes, failing the test on a throw or a reason. */
function decoded(bytes: Uint8Array): Frame {
  const r = decodeFrame(bytes);
  assert.ok(typeof r !== "string", `unexpected reason: ${r}`);
  return r;
}

/** Decodes, expecting a reason. */
function reason(bytes: Uint8Array | number[]): string {
  const r = decodeFrame(Uint8Array.from(bytes));
  assert.equal(typeof r, "string", `expected a reason, got ${JSON.stringify(r)}`);
  return r as string;
}

/** A control frame whose JSON body is exactly `n` bytes. */
function controlOfSize(n: number): ControlMessage {
  const empty = JSON.stringify({ t: "x", pad: "" }).length;
  return { t: "x", pad: "a".repeat(n - empty) };
}

Deno.test("frame: PING and PONG round-trip their nonce (u64, PROTOCOL §3)", () => {
  for (const nonce of [0, 1, 0xffff_ffff, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1]) {
    const ping = encodePing(nonce);
    assert.equal(ping.length, 9);
    assert.equal(ping[0], FrameType.Ping);
    assert.equal(new DataView(ping.buffer).getBigUint64(1), BigInt(nonce));
    assert.deepEqual(decoded(ping), { type: "ping", nonce });
    const pong = encodePing(nonce, true);
    assert.equal(pong[0], FrameType.Pong);
    assert.deepEqual(decoded(pong), { type: "pong", nonce });
  }
});

Deno.test("frame: ENVELOPE carries its bytes unchanged", () => {
  for (const body of [new Uint8Array(0), new Uint8Array([1]), new Uint8Array(5000).fill(7)]) {
    const frame = encodeEnvelopeFrame(body);
    assert.equal(frame[0], FrameType.Envelope);
    assert.equal(frame.length, 1 + body.length);
    const r = decoded(frame);
    assert.equal(r.type, "envelope");
    assert.deepEqual(r.type === "envelope" && r.bytes, body);
  }
});

Deno.test("frame: ACK round-trips processed (u64) and window (u32)", () => {
  for (const [processed, window] of [[0, 0], [1, 256], [2 ** 40 + 3, 0xffff_ffff]]) {
    const frame = encodeAck(processed, window);
    assert.equal(frame.length, 13);
    assert.equal(frame[0], FrameType.Ack);
    assert.deepEqual(decoded(frame), { type: "ack", processed, window });
  }
});

Deno.test("frame: CONTROL round-trips a JSON object with a type", () => {
  const messages: ControlMessage[] = [
    { t: "sync_done" },
    { t: "sync_summary", streams: { b: { "3yQn7bTFsXU1V9Fc": 12 } } },
    { t: "bye", reason: "caf\u00e9 \u{1f600}", nested: [1, null, { a: true }] },
  ];
  for (const message of messages) {
    const frame = encodeControl(message);
    assert.equal(frame[0], FrameType.Control);
    assert.deepEqual(frame.subarray(1), utf8(JSON.stringify(message)));
    assert.deepEqual(decoded(frame), { type: "control", message });
  }
});

Deno.test("frame: RELAYED round-trips to, from and the sealed box", () => {
  const sealed = Uint8Array.from({ length: 100 }, (_, i) => i);
  const frame = encodeRelayed(TO, FROM, sealed);
  assert.equal(frame[0], FrameType.Relayed);
  assert.equal(frame.length, 33 + sealed.length);
  assert.deepEqual(decoded(frame), { type: "relayed", to: TO, from: FROM, sealed });
  assert.deepEqual(decoded(encodeRelayed(TO, FROM, new Uint8Array(0))), {
    type: "relayed",
    to: TO,
    from: FROM,
    sealed: new Uint8Array(0),
  });
  assert.throws(() => encodeRelayed("short", FROM, sealed), RangeError);
  assert.throws(() => encodeRelayed(TO, `${FROM}x`, sealed), RangeError);
});

Deno.test("frame: an unknown type code decodes as unknown (ignored, never fatal)", () => {
  const known = new Set<number>(Object.values(FrameType));
  for (let code = 0; code < 256; code++) {
    if (known.has(code)) continue;
    assert.deepEqual(decoded(new Uint8Array([code])), { type: "unknown", code });
    assert.deepEqual(decoded(new Uint8Array([code, 1, 2, 3])), { type: "unknown", code });
  }
});

Deno.test("frame: malformed frames give their reason", () => {
  assert.equal(reason([]), "empty frame");
  for (const type of [FrameType.Ping, FrameType.Pong]) {
    assert.equal(reason([type]), "bad ping length");
    assert.equal(reason([type, ...new Uint8Array(7)]), "bad ping length");
    assert.equal(reason([type, ...new Uint8Array(9)]), "bad ping length");
  }
  assert.equal(reason([FrameType.Ack, ...new Uint8Array(11)]), "bad ack length");
  assert.equal(reason([FrameType.Ack, ...new Uint8Array(13)]), "bad ack length");
  assert.equal(reason([FrameType.Relayed]), "relayed frame too short");
  assert.equal(reason([FrameType.Relayed, ...new Uint8Array(31)]), "relayed frame too short");

  const control = (text: string | number[]) =>
    reason([FrameType.Control, ...(typeof text === "string" ? utf8(text) : text)]);
  assert.equal(control(""), "control frame is not JSON");
  assert.equal(control("{"), "control frame is not JSON");
  assert.equal(control('{"t":"x"} trailing'), "control frame is not JSON");
  assert.equal(control([0x7b, 0xff, 0x7d]), "control frame is not JSON", "bad UTF-8");
  for (const json of ["null", "1", '"t"', "[]", '[{"t":"x"}]', "{}", '{"t":1}', '{"t":null}']) {
    assert.equal(control(json), "control frame is not an object with a type", json);
  }
});

Deno.test("frame: a CONTROL frame over 64 KiB is refused at encode and at decode", () => {
  const atCap = encodeControl(controlOfSize(MAX_CONTROL_BYTES));
  assert.equal(atCap.length, 1 + MAX_CONTROL_BYTES);
  assert.equal(decoded(atCap).type, "control");

  assert.throws(
    () => encodeControl(controlOfSize(MAX_CONTROL_BYTES + 1)),
    (e: unknown) => e instanceof RangeError && /"x"/.test(e.message),
  );
  // Multi-byte characters count in bytes, not characters.
  const wide = { t: "x", pad: "\u00e9".repeat(MAX_CONTROL_BYTES / 2) };
  assert.throws(() => encodeControl(wide), RangeError);

  const over = new Uint8Array(2 + MAX_CONTROL_BYTES);
  over[0] = FrameType.Control;
  over.set(utf8(JSON.stringify(controlOfSize(MAX_CONTROL_BYTES + 1))), 1);
  assert.equal(reason(over), "control frame too large");
  // Checked before parsing: even a huge non-JSON body is refused for its size.
  const junk = new Uint8Array(1 + 1024 * 1024).fill(0x7b);
  junk[0] = FrameType.Control;
  assert.equal(reason(junk), "control frame too large");
});

/** xorshift32: a fixed-seed PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

Deno.test("frame: decode never throws on arbitrary input", () => {
  const next = prng(0xc0ffee);
  const types = [...Object.values(FrameType), 0x00, 0xff];
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const length = Math.floor(next() * (i % 10 === 0 ? 600 : 40));
    const bytes = new Uint8Array(length);
    for (let j = 0; j < length; j++) bytes[j] = Math.floor(next() * 256);
    // Most buffers start with a known type so that every branch gets random bodies.
    if (length > 0 && next() < 0.8) bytes[0] = types[Math.floor(next() * types.length)];
    // Some control bodies are JSON-looking, to reach the object checks.
    if (length > 2 && bytes[0] === FrameType.Control && next() < 0.3) {
      bytes.set(utf8('{"t":').subarray(0, length - 1), 1);
    }
    let r: Frame | string;
    try {
      r = decodeFrame(bytes);
    } catch (e) {
      assert.fail(`decodeFrame threw on ${Array.from(bytes)}: ${e}`);
    }
    seen.add(typeof r === "string" ? r : r.type);
  }
  // The loop reached every outcome, good and bad.
  for (const outcome of ["ping", "pong", "envelope", "relayed", "unknown", "empty frame"]) {
    assert.ok(seen.has(outcome), `never saw ${outcome}: ${[...seen]}`);
  }
  assert.ok(seen.has("bad ping length") && seen.has("control frame is not JSON"));
});

Deno.test("frame: every truncation of a valid frame decodes or gives a reason", () => {
  const frames = [
    encodePing(0x0102_0304_0506),
    encodePing(9, true),
    encodeEnvelopeFrame(new Uint8Array(50).fill(3)),
    encodeAck(77, 256),
    encodeControl({ t: "sync_summary", streams: { b: { x: 1 } } }),
    encodeRelayed(TO, FROM, new Uint8Array(20).fill(9)),
  ];
  for (const frame of frames) {
    for (let n = 0; n < frame.length; n++) {
      const part = frame.subarray(0, n);
      let r: Frame | string;
      try {
        r = decodeFrame(part);
      } catch (e) {
        assert.fail(`type ${frame[0]} cut at ${n} threw: ${e}`);
      }
      // Only frames whose body is open-ended may decode when cut (and then they are shorter).
      if (typeof r !== "string") {
        assert.ok(
          r.type === "envelope" || (r.type === "relayed" && n >= 33),
          `type ${frame[0]} cut at ${n} decoded as ${r.type}`,
        );
      }
    }
  }
});
