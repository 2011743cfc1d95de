/**
 * The frozen link handshake transcript (tests/vectors/canopy/handshake_transcript.json,
 * made once by tests/vectors/canopy/_generate.ts): today's code must build the same
 * payloads, the same three messages, the same handshake hash and the same first
 * transport frames, byte for byte; and a flipped byte in any stored message is refused.
 */
import assert from "node:assert/strict";
import {
  CryptoError,
  ed25519PublicKey,
  ed25519Verify,
  importSigningKey,
  x25519PublicKey,
} from "../crypto/mod.ts";
import { peerIdOf } from "../identity/peer_id.ts";
import { fromBase64Url } from "../util/base64url.ts";
import { fromHex, toHex, utf8 } from "../util/bytes.ts";
import {
  captureHandshakePayloads,
  type HandshakeTranscript,
  keysOf,
  loadHandshakeTranscript,
  localIdentityOf,
  runTranscript,
  scriptedState,
  type SideKeys,
  type TranscriptFrame,
} from "./_handshake_transcript.ts";
import { bindingMessage, CAPABILITIES, HandshakeError, PROLOGUE, respond } from "./handshake.ts";
import type { CipherState } from "./noise/mod.ts";
import { memoryPair } from "./transport.ts";
import { decodeEnvelope, type KindCode, sealEnvelope, verifyEnvelope } from "./wire/envelope.ts";
import { decodeFrame, encodeEnvelopeFrame, encodePing } from "./wire/frame.ts";

const EMPTY = new Uint8Array(0);
const t: HandshakeTranscript = await loadHandshakeTranscript();
const alice: SideKeys = keysOf(t.initiator);
const bob: SideKeys = keysOf(t.responder);
const payloads = t.messages.map((m) => utf8(m.payload_utf8)) as [
  Uint8Array,
  Uint8Array,
  Uint8Array,
];
const stored = t.messages.map((m) => fromHex(m.message_hex)) as [
  Uint8Array,
  Uint8Array,
  Uint8Array,
];

Deno.test("transcript: the stored keys derive the stored public values", async () => {
  assert.equal(t.protocol_name, "Noise_XX_25519_ChaChaPoly_SHA256");
  assert.equal(t.prologue_hex, toHex(PROLOGUE));
  assert.equal(t.prologue_hex, toHex(utf8("canopy-mesh")));
  for (const [side, keys] of [[t.initiator, alice], [t.responder, bob]] as const) {
    const epk = ed25519PublicKey(keys.ed25519Seed);
    assert.equal(toHex(epk), side.ed25519_public_hex);
    assert.equal(peerIdOf(epk), side.peer_id);
    assert.equal(toHex(x25519PublicKey(keys.x25519Static)), side.x25519_static_public_hex);
    assert.equal(toHex(x25519PublicKey(keys.x25519Ephemeral)), side.x25519_ephemeral_public_hex);
    // Ed25519 is deterministic: the binding signature (PROTOCOL §2) is reproduced exactly.
    const signing = await importSigningKey(keys.ed25519Seed);
    const xpk = fromHex(side.x25519_static_public_hex);
    assert.equal(toHex(await signing.sign(bindingMessage(xpk))), side.bind_hex);
    assert.equal(await ed25519Verify(epk, bindingMessage(xpk), fromHex(side.bind_hex)), true);
    assert.equal((await localIdentityOf(keys)).peerId, side.peer_id);
  }
});

Deno.test("transcript: src/mesh/handshake.ts still writes the stored payloads", async () => {
  const captured = await captureHandshakePayloads(alice, bob);
  for (let i = 0; i < 3; i++) {
    assert.equal(
      new TextDecoder().decode(captured.payloads[i]),
      t.messages[i].payload_utf8,
      `payload of message ${i + 1}`,
    );
  }
  // The payloads say what PROTOCOL §2 says they say.
  const [p1, p2, p3] = t.messages.map((m) => JSON.parse(m.payload_utf8));
  assert.deepEqual(p1, { proto: [1, 1], caps: [...CAPABILITIES] });
  assert.deepEqual(Object.keys(p2), ["proto", "caps", "epk", "bind"]);
  assert.equal(toHex(fromBase64Url(p2.epk)), t.responder.ed25519_public_hex);
  assert.equal(toHex(fromBase64Url(p2.bind)), t.responder.bind_hex);
  assert.deepEqual(Object.keys(p3), ["epk", "bind", "ep"]);
  assert.equal(toHex(fromBase64Url(p3.epk)), t.initiator.ed25519_public_hex);
  assert.equal(toHex(fromBase64Url(p3.bind)), t.initiator.bind_hex);
  assert.deepEqual(p3.ep, t.initiator.endpoints);

  // Both real sides accepted their scripted peer and learnt the stored identity.
  const { initiatorResult: ri, responderResult: rr } = captured;
  assert.equal(ri.remote.peerId, t.responder.peer_id);
  assert.equal(toHex(ri.remote.x25519PublicKey), t.responder.x25519_static_public_hex);
  assert.equal(rr.remote.peerId, t.initiator.peer_id);
  assert.equal(toHex(rr.remote.ed25519PublicKey), t.initiator.ed25519_public_hex);
  assert.deepEqual(rr.remote.endpoints, t.initiator.endpoints);
  assert.equal(ri.remote.version, 1);
  assert.equal(rr.remote.version, 1);
});

Deno.test("transcript: the three messages and the handshake hash are reproduced", async () => {
  const run = await runTranscript(alice, bob, payloads);
  for (let i = 0; i < 3; i++) {
    assert.equal(toHex(run.messages[i]), t.messages[i].message_hex, `message ${i + 1}`);
  }
  assert.equal(toHex(run.handshakeHash), t.handshake_hash_hex);
  // Message 1 is the initiator's ephemeral and its hello in the clear (PROTOCOL §2).
  assert.equal(toHex(stored[0].subarray(0, 32)), t.initiator.x25519_ephemeral_public_hex);
  assert.deepEqual(stored[0].subarray(32), payloads[0]);
  assert.equal(toHex(stored[1].subarray(0, 32)), t.responder.x25519_ephemeral_public_hex);
  // Sizes: e ‖ s+tag ‖ payload+tag, and s+tag ‖ payload+tag.
  assert.equal(stored[1].length, 32 + 48 + payloads[1].length + 16);
  assert.equal(stored[2].length, 48 + payloads[2].length + 16);
});

/** The plaintext a stored frame must have, rebuilt with today's codecs. */
async function plaintextOf(f: TranscriptFrame, origin: SideKeys): Promise<Uint8Array> {
  if (f.frame === "ping" || f.frame === "pong") return encodePing(f.nonce!, f.frame === "pong");
  const e = f.envelope!;
  const env = await sealEnvelope({
    kind: e.kind as KindCode,
    ttl: e.ttl,
    id: fromHex(e.id_hex),
    timestamp: e.timestamp,
    seq: e.seq,
    stream: e.stream,
    to: e.to,
    body: utf8(e.body_utf8),
  }, await importSigningKey(origin.ed25519Seed));
  assert.equal(toHex(env.bytes), e.envelope_hex, "envelope bytes");
  return encodeEnvelopeFrame(env.bytes);
}

async function checkDirection(
  frames: TranscriptFrame[],
  send: CipherState,
  receive: CipherState,
  origin: SideKeys,
): Promise<void> {
  assert.equal(frames.length, 2);
  for (const f of frames) {
    const plaintext = await plaintextOf(f, origin);
    assert.equal(toHex(plaintext), f.plaintext_hex, `${f.frame} plaintext`);
    const ct = send.encryptWithAd(EMPTY, plaintext);
    assert.equal(toHex(ct), f.ciphertext_hex, `${f.frame} ciphertext`);
    const frame = decodeFrame(receive.decryptWithAd(EMPTY, fromHex(f.ciphertext_hex)));
    assert.ok(typeof frame !== "string", String(frame));
    assert.equal(frame.type, f.frame);
    if (frame.type === "envelope") {
      const env = decodeEnvelope(frame.bytes);
      assert.ok(typeof env !== "string", String(env));
      assert.equal(await verifyEnvelope(env), true);
      assert.equal(env.origin, peerIdOf(ed25519PublicKey(origin.ed25519Seed)));
    } else if (frame.type === "ping" || frame.type === "pong") {
      assert.equal(frame.nonce, f.nonce);
    }
  }
}

Deno.test("transcript: the first transport frames each way are reproduced", async () => {
  const run = await runTranscript(alice, bob, payloads);
  const { initiator_to_responder: out, responder_to_initiator: back } = t.transport;
  // PROTOCOL §2: the responder's first frame is the welcome PING 0.
  assert.deepEqual([back[0].frame, back[0].nonce], ["ping", 0]);
  await checkDirection(back, run.responder.send, run.initiator.receive, bob);
  await checkDirection(out, run.initiator.send, run.responder.receive, alice);
});

Deno.test("transcript: a tampered, replayed or reordered transport frame is refused", async () => {
  const frames = t.transport.initiator_to_responder.map((f) => fromHex(f.ciphertext_hex));
  for (let at = 0; at < frames[1].length; at += 7) {
    const run = await runTranscript(alice, bob, payloads);
    run.responder.receive.decryptWithAd(EMPTY, frames[0]);
    const bad = frames[1].slice();
    bad[at] ^= 0x40;
    assert.throws(() => run.responder.receive.decryptWithAd(EMPTY, bad), CryptoError);
  }
  const replay = await runTranscript(alice, bob, payloads);
  replay.responder.receive.decryptWithAd(EMPTY, frames[0]);
  assert.throws(() => replay.responder.receive.decryptWithAd(EMPTY, frames[0]), CryptoError);
  const reorder = await runTranscript(alice, bob, payloads);
  assert.throws(() => reorder.responder.receive.decryptWithAd(EMPTY, frames[1]), CryptoError);
});

function flipped(message: Uint8Array, at: number): Uint8Array {
  const bad = message.slice();
  bad[at] ^= 0x01;
  return bad;
}

Deno.test("transcript: a flipped byte anywhere in message 1 is refused", async () => {
  // Message 1 is not encrypted, but it is hashed: a responder that reads a tampered one
  // answers with a message 2 the real initiator cannot read, or refuses it outright.
  for (let at = 0; at < stored[0].length; at++) {
    const [dialer, server] = memoryPair();
    const responder = respond(server, await localIdentityOf(bob));
    let refusedBy = "";
    try {
      await dialer.send(flipped(stored[0], at));
      const initiator = scriptedState(alice, true);
      assert.deepEqual(await initiator.writeMessage(payloads[0]), stored[0], "control");
      const m2 = await dialer.receive();
      if (m2 === null) {
        refusedBy = "responder";
      } else {
        await assert.rejects(initiator.readMessage(m2), CryptoError, `byte ${at}`);
        refusedBy = "initiator";
      }
    } finally {
      dialer.close();
      const outcome = await responder.then(() => "accepted", (e) => e);
      assert.ok(outcome instanceof HandshakeError, `byte ${at}: responder ${outcome}`);
    }
    assert.ok(refusedBy, `byte ${at}`);
  }
});

Deno.test("transcript: a flipped byte anywhere in message 2 is refused by the initiator", async () => {
  // Control: the untampered message is accepted.
  const ok = scriptedState(alice, true);
  await ok.writeMessage(payloads[0]);
  assert.deepEqual(await ok.readMessage(stored[1]), payloads[1]);
  for (let at = 0; at < stored[1].length; at++) {
    const initiator = scriptedState(alice, true);
    await initiator.writeMessage(payloads[0]);
    await assert.rejects(initiator.readMessage(flipped(stored[1], at)), CryptoError, `byte ${at}`);
    assert.equal(initiator.remoteStaticPublicKey, undefined, "nothing learnt from a bad message");
  }
});

Deno.test("transcript: a flipped byte anywhere in message 3 is refused by the responder", async () => {
  const responderAt = async () => {
    const r = scriptedState(bob, false);
    await r.readMessage(stored[0]);
    assert.deepEqual(await r.writeMessage(payloads[1]), stored[1]);
    return r;
  };
  assert.deepEqual(await (await responderAt()).readMessage(stored[2]), payloads[2], "control");
  for (let at = 0; at < stored[2].length; at++) {
    const responder = await responderAt();
    await assert.rejects(responder.readMessage(flipped(stored[2], at)), CryptoError, `byte ${at}`);
    assert.throws(() => responder.split(), Error);
  }
});
