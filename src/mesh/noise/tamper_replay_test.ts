/**
 * Tampered twins of the vectors, and replayed or reordered messages. A
 * handshake message that carries a tag fails at its reader; the few that carry
 * none (the first message of NN, XX, IX, … is sent before any DH) are bound
 * into `h`, so the handshake fails at the next message instead (§5.3, §7.7).
 */
import assert from "node:assert/strict";
import {
  CryptoError,
  generateX25519Secret,
  importAgreementKey,
  x25519PublicKey,
} from "../../crypto/mod.ts";
import { fromHex, utf8 } from "../../util/bytes.ts";
import { HandshakeState, NOISE_MAX_NONCE } from "./mod.ts";
import { type CacophonyVector, loadCacophonyVectors, vectorSides } from "./_cacophony.ts";

const vectors = await loadCacophonyVectors();
const EMPTY = new Uint8Array(0);
/** For these every byte is flipped in turn; for the rest, a few chosen bytes. */
const EVERY_BYTE = new Set([
  "Noise_XX_25519_ChaChaPoly_SHA256",
  "Noise_IK_25519_ChaChaPoly_SHA256",
  "Noise_NN_25519_ChaChaPoly_SHA256",
]);

/** Runs a vector's handshake with one byte of message `k` flipped; returns where it failed. */
async function tamperedRun(v: CacophonyVector, k: number, at: number): Promise<number> {
  const { initiator, responder } = vectorSides(v);
  const count = initiator.pattern.messages.length;
  for (let i = 0; i < count; i++) {
    const [writer, reader]: HandshakeState[] = i % 2 === 0
      ? [initiator, responder]
      : [responder, initiator];
    const message = await writer.writeMessage(fromHex(v.messages[i].payload));
    if (i === k) message[at] ^= 0x01;
    try {
      await reader.readMessage(message);
    } catch (err) {
      assert.ok(err instanceof CryptoError, `${v.protocol_name}: ${err}`);
      assert.equal(reader.remoteStaticPublicKey, undefined, "nothing from a failed message stays");
      await assert.rejects(
        reader.readMessage(message),
        CryptoError,
        "a failed handshake stays failed",
      );
      return i;
    }
  }
  return -1;
}

for (const v of vectors) {
  Deno.test(`tampered ${v.protocol_name}: every flipped handshake message makes the handshake fail`, async () => {
    const pattern = vectorSides(v).initiator.pattern;
    for (let k = 0; k < pattern.messages.length; k++) {
      const { payload, ciphertext } = v.messages[k];
      const length = ciphertext.length / 2;
      const keys = pattern.messages[k].tokens.filter((t) => t === "e" || t === "s").length;
      const tagged = length - payload.length / 2 - 32 * keys > 0;
      const positions = EVERY_BYTE.has(v.protocol_name)
        ? Array.from({ length }, (_, i) => i)
        : [...new Set([0, 31, 32, length >> 1, length - 1])].filter((p) => p < length);
      for (const at of positions) {
        const failedAt = await tamperedRun(v, k, at);
        assert.equal(failedAt, tagged ? k : k + 1, `message ${k}, byte ${at}`);
      }
    }
  });
}

async function xxSession(bobSecret: Uint8Array) {
  const alice = new HandshakeState({ pattern: "XX", initiator: true, s: generateX25519Secret() });
  const bob = new HandshakeState({
    pattern: "XX",
    initiator: false,
    s: await importAgreementKey(bobSecret),
  });
  const m1 = await alice.writeMessage();
  await bob.readMessage(m1);
  const m2 = await bob.writeMessage();
  await alice.readMessage(m2);
  const m3 = await alice.writeMessage(utf8("identity proof"));
  await bob.readMessage(m3);
  return { alice, bob, m1, m2, m3 };
}

Deno.test("replay: XX message 3 captured from one session fails in a new one (fresh responder ephemeral)", async () => {
  const bobSecret = generateX25519Secret();
  const captured = await xxSession(bobSecret);
  const bob2 = new HandshakeState({ pattern: "XX", initiator: false, s: bobSecret });
  await bob2.readMessage(captured.m1); // message 1 is plain: it replays fine...
  const m2 = await bob2.writeMessage();
  assert.notDeepEqual(m2.subarray(0, 32), captured.m2.subarray(0, 32), "new responder ephemeral");
  await assert.rejects(bob2.readMessage(captured.m3), CryptoError); // ...message 3 does not
  assert.equal(bob2.remoteStaticPublicKey, undefined);
  assert.equal(bob2.isComplete, false);
});

Deno.test("replay: an answer to a replayed message 1 is useless to an initiator with another ephemeral", async () => {
  const bobSecret = generateX25519Secret();
  const captured = await xxSession(bobSecret);
  const alice2 = new HandshakeState({ pattern: "XX", initiator: true, s: generateX25519Secret() });
  await alice2.writeMessage(); // her own message 1 is lost; the attacker replays the old one
  const bob2 = new HandshakeState({ pattern: "XX", initiator: false, s: bobSecret });
  await bob2.readMessage(captured.m1);
  await assert.rejects(alice2.readMessage(await bob2.writeMessage()), CryptoError);
});

Deno.test("replay: IK message 1 replays to a fresh responder (§7.7), but its transport keys are new", async () => {
  const bobSecret = generateX25519Secret();
  const aliceSecret = generateX25519Secret();
  const rs = x25519PublicKey(bobSecret);
  const alice = new HandshakeState({ pattern: "IK", initiator: true, s: aliceSecret, rs });
  const bob = new HandshakeState({ pattern: "IK", initiator: false, s: bobSecret });
  const m1 = await alice.writeMessage(utf8("0-RTT"));
  await bob.readMessage(m1);
  await alice.readMessage(await bob.writeMessage());
  const frame = alice.split().send.encryptWithAd(EMPTY, utf8("transfer 10 coins"));
  assert.deepEqual(bob.split().receive.decryptWithAd(EMPTY, frame), utf8("transfer 10 coins"));

  const bob2 = new HandshakeState({ pattern: "IK", initiator: false, s: bobSecret });
  assert.deepEqual(await bob2.readMessage(m1), utf8("0-RTT"), "IK's first payload is replayable");
  await bob2.writeMessage();
  assert.ok(bob2.isComplete, "so an IK responder must not treat completion as liveness");
  assert.throws(() => bob2.split().receive.decryptWithAd(EMPTY, frame), CryptoError);
});

Deno.test("transport: replayed, reordered, reflected and tampered frames fail; the counter does not move", async () => {
  const { alice, bob } = await xxSession(generateX25519Secret());
  const a = alice.split();
  const b = bob.split();
  const frames = ["zero", "one", "two"].map((t) => a.send.encryptWithAd(EMPTY, utf8(t)));
  assert.deepEqual(b.receive.decryptWithAd(EMPTY, frames[0]), utf8("zero"));
  assert.throws(() => b.receive.decryptWithAd(EMPTY, frames[0]), CryptoError, "replay");
  assert.throws(() => b.receive.decryptWithAd(EMPTY, frames[2]), CryptoError, "reorder");
  assert.throws(() => a.receive.decryptWithAd(EMPTY, frames[1]), CryptoError, "reflection");
  const tampered = frames[1].slice();
  tampered[tampered.length - 1] ^= 0x01;
  assert.throws(() => b.receive.decryptWithAd(EMPTY, tampered), CryptoError, "tamper");
  assert.equal(b.receive.nonce, 1n);
  assert.deepEqual(b.receive.decryptWithAd(EMPTY, frames[1]), utf8("one"));
  assert.deepEqual(b.receive.decryptWithAd(EMPTY, frames[2]), utf8("two"));
  b.receive.setNonce(NOISE_MAX_NONCE);
  assert.throws(() => b.receive.decryptWithAd(EMPTY, frames[2]), CryptoError, "exhausted");
});
