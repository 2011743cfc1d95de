import assert from "node:assert/strict";
import { ed25519Verify, importSigningKey, type SigningKey } from "../../crypto/mod.ts";
import { peerIdOf } from "../../identity/peer_id.ts";
import { concatBytes, utf8 } from "../../util/bytes.ts";
import {
  BROADCAST_STREAM,
  channelStream,
  decodeEnvelope,
  DEFAULT_TTL,
  directStream,
  type Envelope,
  type EnvelopeDraft,
  INTRO_STREAM,
  Kind,
  type KindCode,
  MAX_BODY_LENGTH,
  MAX_STREAM_LENGTH,
  PROFILE_STREAM,
  sealEnvelope,
  streamFitsKind,
  verifyEnvelope,
  withTtl,
} from "./envelope.ts";

/** A signing key from a fixed seed whose bytes are all `fill`. */
async function keyOf(fill: number): Promise<SigningKey> {
  return await importSigningKey(new Uint8Array(32).fill(fill));
}

const ID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

function draft(overrides: Partial<EnvelopeDraft> = {}): EnvelopeDraft {
  return {
    kind: Kind.Broadcast,
    id: ID,
    timestamp: 1_700_000_000_123,
    seq: 7,
    stream: BROADCAST_STREAM,
    body: utf8('{"text":"hello"}'),
    ...overrides,
  };
}

/** PROTOCOL §4.2, rebuilt here without the module's helper. */
function canonicalSignedBytes(bytes: Uint8Array): Uint8Array {
  return concatBytes(
    utf8("canopy-envelope/1"),
    new Uint8Array([0]),
    bytes.subarray(0, 2),
    bytes.subarray(3, bytes.length - 64),
  );
}

/** Every kind with a stream and recipient that fit it. */
async function everyKind(origin: SigningKey, recipient: string) {
  const me = peerIdOf(origin.publicKey);
  const direct = directStream(me, recipient);
  const cases: { kind: KindCode; stream: string; to?: string; body: Uint8Array }[] = [
    { kind: Kind.Direct, stream: direct, to: recipient, body: new Uint8Array(90).fill(0x5a) },
    { kind: Kind.Broadcast, stream: BROADCAST_STREAM, body: utf8('{"text":"hi all"}') },
    { kind: Kind.ChannelPost, stream: channelStream("general-1"), body: utf8('{"text":"p"}') },
    { kind: Kind.ChannelMeta, stream: channelStream("general-1"), body: utf8('{"name":"g"}') },
    { kind: Kind.ProfileCard, stream: PROFILE_STREAM, body: utf8('{"name":"Alice"}') },
    { kind: Kind.Receipt, stream: direct, to: recipient, body: utf8('{"ids":["00"]}') },
    { kind: Kind.Introduction, stream: INTRO_STREAM, body: utf8('{"pid":"x"}') },
  ];
  return await Promise.all(
    cases.map(async (c, i) => ({
      ...c,
      env: await sealEnvelope(draft({ ...c, seq: i + 1, ttl: i + 1 }), origin),
    })),
  );
}

Deno.test("envelope: every kind round-trips through encode and decode", async () => {
  const origin = await keyOf(1);
  const recipient = peerIdOf((await keyOf(2)).publicKey);
  const all = await everyKind(origin, recipient);
  assert.deepEqual(all.map((c) => c.kind), Object.values(Kind));
  for (const [i, c] of all.entries()) {
    const decoded = decodeEnvelope(c.env.bytes);
    assert.ok(typeof decoded !== "string", `kind ${c.kind}: ${decoded}`);
    assert.equal(decoded.kind, c.kind);
    assert.equal(decoded.ttl, i + 1);
    assert.deepEqual(decoded.id, ID);
    assert.deepEqual(decoded.originKey, origin.publicKey);
    assert.equal(decoded.origin, peerIdOf(origin.publicKey));
    assert.equal(decoded.timestamp, 1_700_000_000_123);
    assert.equal(decoded.seq, i + 1);
    assert.equal(decoded.stream, c.stream);
    assert.equal(decoded.to, c.to ?? "");
    assert.deepEqual(decoded.body, c.body);
    assert.deepEqual(decoded.signature, c.env.signature);
    assert.equal(decoded.bytes, c.env.bytes, "decode keeps the bytes it was given");
    assert.equal(await verifyEnvelope(decoded), true);
    assert.equal(streamFitsKind(decoded), true);
    // Layout (PROTOCOL §4.1): total length is fixed fields + stream + to + body + signature.
    const to = (c.to ?? "").length;
    assert.equal(c.env.bytes.length, 67 + 1 + c.stream.length + 1 + to + 4 + c.body.length + 64);
  }
});

Deno.test("envelope: layout offsets are the ones PROTOCOL §4.1 gives", async () => {
  const origin = await keyOf(3);
  const env = await sealEnvelope(
    draft({ seq: 2 ** 40 + 5, timestamp: 2 ** 33 + 9, ttl: 200, body: utf8("xyz") }),
    origin,
  );
  const b = env.bytes;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  assert.equal(b[0], 1);
  assert.equal(b[1], Kind.Broadcast);
  assert.equal(b[2], 200);
  assert.deepEqual(b.subarray(3, 19), ID);
  assert.deepEqual(b.subarray(19, 51), origin.publicKey);
  assert.equal(view.getBigUint64(51), 2n ** 33n + 9n);
  assert.equal(view.getBigUint64(59), 2n ** 40n + 5n);
  assert.equal(b[67], 1);
  assert.equal(String.fromCharCode(b[68]), "b");
  assert.equal(b[69], 0, "no recipient");
  assert.equal(view.getUint32(70), 3);
  assert.deepEqual(b.subarray(74, 77), utf8("xyz"));
  assert.equal(b.length, 77 + 64);
  assert.equal(DEFAULT_TTL, 8);
  assert.equal((await sealEnvelope(draft(), origin)).ttl, DEFAULT_TTL);
});

Deno.test("envelope: the signature covers exactly the canonical bytes of PROTOCOL §4.2", async () => {
  const origin = await keyOf(4);
  const recipient = peerIdOf((await keyOf(5)).publicKey);
  for (const { env } of await everyKind(origin, recipient)) {
    const signed = canonicalSignedBytes(env.bytes);
    assert.equal(signed.length, 18 + env.bytes.length - 1 - 64);
    assert.deepEqual(signed.subarray(0, 18), utf8("canopy-envelope/1\0"));
    assert.equal(await ed25519Verify(origin.publicKey, signed, env.signature), true);
    // Tampered twins: the same bytes with the TTL kept, or without the domain, do not verify.
    const withTtlByte = concatBytes(
      utf8("canopy-envelope/1\0"),
      env.bytes.subarray(0, env.bytes.length - 64),
    );
    assert.equal(await ed25519Verify(origin.publicKey, withTtlByte, env.signature), false);
    assert.equal(
      await ed25519Verify(origin.publicKey, signed.subarray(18), env.signature),
      false,
    );
    // And signing the canonical bytes ourselves gives the envelope's signature (Ed25519 is
    // deterministic), so there is no other encoding in play.
    assert.deepEqual(await origin.sign(signed), env.signature);
  }
});

Deno.test("envelope: the TTL byte is not signed", async () => {
  const origin = await keyOf(6);
  const env = await sealEnvelope(draft({ ttl: 8 }), origin);
  const before = env.bytes.slice();
  for (const ttl of [0, 1, 7, 255]) {
    const forwarded = withTtl(env, ttl);
    assert.deepEqual(env.bytes, before, "withTtl copies, the original is untouched");
    assert.notEqual(forwarded, env.bytes);
    assert.equal(forwarded[2], ttl);
    assert.deepEqual(forwarded.subarray(3), env.bytes.subarray(3));
    const decoded = decodeEnvelope(forwarded);
    assert.ok(typeof decoded !== "string", String(decoded));
    assert.equal(decoded.ttl, ttl);
    assert.equal(await verifyEnvelope(decoded), true);
  }
  // Changing the byte in place is just as fine.
  const raw = env.bytes.slice();
  raw[2] ^= 0xff;
  assert.equal(await verifyEnvelope(decodeEnvelope(raw) as Envelope), true);
});

Deno.test("envelope: any other single-byte change anywhere is refused", async () => {
  const origin = await keyOf(7);
  const recipient = peerIdOf((await keyOf(8)).publicKey);
  const env = await sealEnvelope(
    draft({
      kind: Kind.Direct,
      stream: directStream(peerIdOf(origin.publicKey), recipient),
      to: recipient,
      body: Uint8Array.from({ length: 40 }, (_, i) => i),
    }),
    origin,
  );
  let checked = 0;
  for (let at = 0; at < env.bytes.length; at++) {
    if (at === 2) continue; // the TTL: see the previous test
    for (const mask of [0x01, 0x80, 0xff]) {
      const bad = env.bytes.slice();
      bad[at] ^= mask;
      const decoded = decodeEnvelope(bad);
      const refused = typeof decoded === "string" || !(await verifyEnvelope(decoded));
      assert.ok(refused, `flipping byte ${at} with ${mask.toString(16)} went unnoticed`);
      checked++;
    }
  }
  assert.equal(checked, (env.bytes.length - 1) * 3);
});

/** A header-only buffer of `length` bytes: version 1, kind 2, the rest zero. */
function skeleton(length: number): Uint8Array {
  const b = new Uint8Array(length);
  b[0] = 1;
  b[1] = Kind.Broadcast;
  return b;
}

function reasonOf(bytes: Uint8Array): string {
  let r: Envelope | string;
  try {
    r = decodeEnvelope(bytes);
  } catch (e) {
    assert.fail(`decodeEnvelope threw ${e}`);
  }
  assert.equal(typeof r, "string", "expected a reason");
  return r as string;
}

Deno.test("envelope: every decode error path returns a reason and never throws", async () => {
  const origin = await keyOf(9);
  const good = (await sealEnvelope(draft({ seq: 3 }), origin)).bytes;
  const MIN = 67 + 1 + 1 + 1 + 4 + 64;

  assert.equal(reasonOf(new Uint8Array(0)), "too short");
  assert.equal(reasonOf(skeleton(MIN - 1)), "too short");

  const version = good.slice();
  version[0] = 2;
  assert.equal(reasonOf(version), "unknown envelope version 2");
  version[0] = 0;
  assert.equal(reasonOf(version), "unknown envelope version 0");

  for (const len of [0, MAX_STREAM_LENGTH + 1, 255]) {
    const b = good.slice();
    b[67] = len;
    assert.equal(reasonOf(b), "bad stream length", `stream_len ${len}`);
  }
  const longStream = skeleton(MIN);
  longStream[67] = MAX_STREAM_LENGTH;
  assert.equal(reasonOf(longStream), "truncated stream");

  for (const c of [0x20, 0x7f, 0x00, 0xc3]) {
    const b = good.slice();
    b[68] = c;
    assert.equal(reasonOf(b), "bad stream characters", `stream byte ${c}`);
  }

  for (const len of [1, 15, 17, 32, 255]) {
    const b = good.slice();
    b[69] = len;
    assert.equal(reasonOf(b), "bad recipient length", `to_len ${len}`);
  }
  // A 65-character stream pushes a 16-byte recipient past the end of a minimal buffer.
  const shortTo = skeleton(MIN);
  shortTo[67] = 65;
  shortTo.fill(0x61, 68, 68 + 65);
  shortTo[68 + 65] = 16;
  assert.equal(reasonOf(shortTo), "truncated recipient");

  const trailing = concatBytes(good, new Uint8Array([0]));
  assert.equal(reasonOf(trailing), "length mismatch");
  assert.equal(reasonOf(good.subarray(0, good.length - 1)), "length mismatch");
  const bodyLen = good.slice();
  new DataView(bodyLen.buffer).setUint32(70, 16 + 1);
  assert.equal(reasonOf(bodyLen), "length mismatch");

  const huge = good.slice();
  new DataView(huge.buffer).setUint32(70, MAX_BODY_LENGTH + 1);
  assert.equal(reasonOf(huge), "body too large");
  const maxed = good.slice();
  new DataView(maxed.buffer).setUint32(70, 0xffff_ffff);
  assert.equal(reasonOf(maxed), "body too large");

  const seq0 = good.slice();
  new DataView(seq0.buffer).setBigUint64(59, 0n);
  assert.equal(reasonOf(seq0), "bad seq");
  const seqHuge = good.slice();
  new DataView(seqHuge.buffer).setBigUint64(59, 2n ** 53n);
  assert.equal(reasonOf(seqHuge), "bad seq");
  const time = good.slice();
  new DataView(time.buffer).setBigUint64(51, 2n ** 64n - 1n);
  assert.equal(reasonOf(time), "bad timestamp");

  // Every truncation of a valid envelope.
  for (let n = 0; n < good.length; n++) reasonOf(good.subarray(0, n));
});

Deno.test("envelope: decode of random and mutated input never throws", async () => {
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const good = (await sealEnvelope(draft(), await keyOf(10))).bytes;
  for (let i = 0; i < 3000; i++) {
    const b = i % 2 === 0 ? good.slice() : new Uint8Array(Math.floor(next() * 300));
    if (i % 2 === 1 && b.length > 0) b[0] = 1;
    const flips = 1 + Math.floor(next() * 4);
    for (let f = 0; f < flips && b.length > 0; f++) {
      b[Math.floor(next() * b.length)] = Math.floor(next() * 256);
    }
    const r = decodeEnvelope(b.subarray(0, Math.floor(next() * (b.length + 1))));
    assert.ok(typeof r === "string" || r.bytes.length > 0);
  }
});

Deno.test("envelope: streamFitsKind for each kind", async () => {
  const origin = await keyOf(11);
  const me = peerIdOf(origin.publicKey);
  const bob = peerIdOf((await keyOf(12)).publicKey);
  const carol = peerIdOf((await keyOf(13)).publicKey);
  const fits = async (kind: number, stream: string, to = "") =>
    streamFitsKind(
      await sealEnvelope(draft({ kind: kind as KindCode, stream, to }), origin),
    );

  for (const kind of [Kind.Direct, Kind.Receipt]) {
    assert.equal(await fits(kind, directStream(me, bob), bob), true);
    assert.equal(await fits(kind, directStream(bob, me), bob), true, "sorted either way");
    assert.equal(await fits(kind, directStream(bob, carol), bob), false, "a third peer");
    assert.equal(await fits(kind, directStream(me, carol), bob), false, "names another peer");
    assert.equal(await fits(kind, `d/${me}/${bob}`.replace(/^d/, "x"), bob), false);
    const unsorted = me < bob ? `d/${bob}/${me}` : `d/${me}/${bob}`;
    assert.equal(await fits(kind, unsorted, bob), false, "ids must be sorted");
    assert.equal(await fits(kind, directStream(me, me), me), false, "to oneself");
    assert.equal(await fits(kind, directStream(me, bob)), false, "no recipient");
    assert.equal(await fits(kind, BROADCAST_STREAM, bob), false);
  }

  assert.equal(await fits(Kind.Broadcast, "b"), true);
  assert.equal(await fits(Kind.Broadcast, "b", bob), false, "a broadcast has no recipient");
  assert.equal(await fits(Kind.Broadcast, "p"), false);
  assert.equal(await fits(Kind.Broadcast, directStream(me, bob)), false);

  for (const kind of [Kind.ChannelPost, Kind.ChannelMeta]) {
    assert.equal(await fits(kind, "c/general"), true);
    assert.equal(await fits(kind, channelStream("A_b-9")), true);
    assert.equal(await fits(kind, `c/${"x".repeat(64)}`), true);
    assert.equal(await fits(kind, `c/${"x".repeat(65)}`), false);
    assert.equal(await fits(kind, "c/"), false);
    assert.equal(await fits(kind, "c/a.b"), false);
    assert.equal(await fits(kind, "c/a/b"), false);
    assert.equal(await fits(kind, "b"), false);
    assert.equal(await fits(kind, "c/general", bob), false);
  }

  assert.equal(await fits(Kind.ProfileCard, "p"), true);
  assert.equal(await fits(Kind.ProfileCard, "i"), false);
  assert.equal(await fits(Kind.ProfileCard, "p", bob), false);
  assert.equal(await fits(Kind.Introduction, "i"), true);
  assert.equal(await fits(Kind.Introduction, "p"), false);
  assert.equal(await fits(Kind.Introduction, "i", bob), false);

  // Unknown kinds are judged by whoever understands them.
  assert.equal(await fits(99, "anything"), true);
});

Deno.test("envelope: sealEnvelope refuses bad drafts with a RangeError naming the field", async () => {
  const key = await keyOf(14);
  const bad: [string, Partial<EnvelopeDraft>][] = [
    ["id", { id: new Uint8Array(15) }],
    ["id", { id: new Uint8Array(17) }],
    ["seq", { seq: 0 }],
    ["seq", { seq: -1 }],
    ["seq", { seq: 1.5 }],
    ["seq", { seq: 2 ** 53 }],
    ["timestamp", { timestamp: -1 }],
    ["timestamp", { timestamp: Number.NaN }],
    ["timestamp", { timestamp: 2 ** 53 }],
    ["stream", { stream: "" }],
    ["stream", { stream: "x".repeat(MAX_STREAM_LENGTH + 1) }],
    ["stream", { stream: "has space" }],
    ["stream", { stream: "caf\u00e9" }],
    ["stream", { stream: "tab\there" }],
    ["to", { to: "short" }],
    ["to", { to: "x".repeat(17) }],
    ["body", { body: new Uint8Array(MAX_BODY_LENGTH + 1) }],
    ["ttl", { ttl: -1 }],
    ["ttl", { ttl: 256 }],
    ["ttl", { ttl: 1.5 }],
  ];
  for (const [field, override] of bad) {
    await assert.rejects(
      sealEnvelope(draft(override), key),
      (e: unknown) => {
        assert.ok(e instanceof RangeError, `${field}: ${e}`);
        assert.match(e.message, new RegExp(`\\b${field}\\b`), e.message);
        return true;
      },
      field,
    );
  }
  // The edges that are allowed.
  const edges = await Promise.all([
    sealEnvelope(draft({ stream: "x".repeat(MAX_STREAM_LENGTH), seq: 2 ** 53 - 1 }), key),
    sealEnvelope(draft({ body: new Uint8Array(MAX_BODY_LENGTH), ttl: 0, timestamp: 0 }), key),
    sealEnvelope(draft({ body: new Uint8Array(0), ttl: 255 }), key),
  ]);
  for (const env of edges) assert.equal(await verifyEnvelope(env), true);
  assert.equal(edges[0].seq, 2 ** 53 - 1);
  assert.equal(edges[1].body.length, MAX_BODY_LENGTH);
});
