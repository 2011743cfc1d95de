import assert from "node:assert/strict";
import {
  CryptoError,
  generateEphemeralKey,
  generateX25519Secret,
  importAgreementKey,
  randomBytes,
  x25519PublicKey,
} from "../../crypto/mod.ts";
import { utf8 } from "../../util/bytes.ts";
import { HandshakeState, NOISE_MAX_MESSAGE_LENGTH } from "./mod.ts";

const EMPTY = new Uint8Array(0);

async function xxPair(prologue = utf8("canopy test")) {
  const aliceSecret = generateX25519Secret();
  const bobSecret = generateX25519Secret();
  const alice = new HandshakeState({
    pattern: "XX",
    initiator: true,
    prologue,
    s: await importAgreementKey(aliceSecret),
  });
  const bob = new HandshakeState({ pattern: "XX", initiator: false, prologue, s: bobSecret });
  return { alice, bob, alicePub: x25519PublicKey(aliceSecret), bobPub: x25519PublicKey(bobSecret) };
}

Deno.test("XX with fresh keys: both learn the other's static key and share one transcript hash", async () => {
  const { alice, bob, alicePub, bobPub } = await xxPair();
  assert.equal(alice.protocolName, "Noise_XX_25519_ChaChaPoly_SHA256");
  assert.equal(alice.isMyTurn, true);
  assert.equal(bob.isMyTurn, false);
  assert.deepEqual(await bob.readMessage(await alice.writeMessage(utf8("one"))), utf8("one"));
  assert.equal(alice.remoteStaticPublicKey, undefined);
  assert.deepEqual(await alice.readMessage(await bob.writeMessage(utf8("two"))), utf8("two"));
  assert.deepEqual(alice.remoteStaticPublicKey, bobPub);
  assert.equal(bob.isComplete, false);
  assert.deepEqual(await bob.readMessage(await alice.writeMessage(utf8("three"))), utf8("three"));
  assert.deepEqual(bob.remoteStaticPublicKey, alicePub);
  assert.ok(alice.isComplete && bob.isComplete);
  assert.equal(alice.isMyTurn, false);
  assert.deepEqual(alice.handshakeHash, bob.handshakeHash);

  const a = alice.split();
  const b = bob.split();
  assert.deepEqual(
    b.receive.decryptWithAd(EMPTY, a.send.encryptWithAd(EMPTY, utf8("hi"))),
    utf8("hi"),
  );
  assert.deepEqual(
    a.receive.decryptWithAd(EMPTY, b.send.encryptWithAd(EMPTY, utf8("yo"))),
    utf8("yo"),
  );
  assert.throws(() => alice.split(), /split\(\) needs a complete handshake/);
  assert.deepEqual(alice.handshakeHash, bob.handshakeHash, "h stays readable after split");
});

Deno.test("XX: a prologue mismatch makes the handshake fail at the first authenticated message", async () => {
  const { alice } = await xxPair(utf8("v1"));
  const { bob } = await xxPair(utf8("v2"));
  await bob.readMessage(await alice.writeMessage());
  await assert.rejects(alice.readMessage(await bob.writeMessage()), CryptoError);
});

Deno.test("HandshakeState: calls out of turn, concurrent calls and early split are usage errors", async () => {
  const { alice, bob } = await xxPair();
  await assert.rejects(alice.readMessage(new Uint8Array(32)), /not our turn to read/);
  await assert.rejects(bob.writeMessage(), /not our turn to write/);
  const first = alice.writeMessage();
  await assert.rejects(alice.writeMessage(), /in progress/);
  await bob.readMessage(await first);
  assert.throws(() => bob.split(), /complete handshake/);
  // Usage errors leave the state usable.
  await alice.readMessage(await bob.writeMessage());
  await bob.readMessage(await alice.writeMessage());
  await assert.rejects(alice.writeMessage(), /already complete/);
  assert.ok(bob.isComplete);
});

Deno.test("HandshakeState: 65535-byte messages pass; one byte more is refused on write and on read", async () => {
  const { alice, bob } = await xxPair();
  // XX message 1 is 32 bytes of e, then the payload in the clear.
  const maxPayload = NOISE_MAX_MESSAGE_LENGTH - 32;
  await assert.rejects(alice.writeMessage(new Uint8Array(maxPayload + 1)), RangeError);
  assert.equal(alice.isMyTurn, true, "an oversize write changes nothing");
  const message = await alice.writeMessage(new Uint8Array(maxPayload));
  assert.equal(message.length, NOISE_MAX_MESSAGE_LENGTH);
  assert.equal((await bob.readMessage(message)).length, maxPayload);
  // Message 2: e (32) + encrypted s (48) + payload + tag (16).
  await assert.rejects(bob.writeMessage(new Uint8Array(NOISE_MAX_MESSAGE_LENGTH - 95)), RangeError);
  const second = await bob.writeMessage(new Uint8Array(NOISE_MAX_MESSAGE_LENGTH - 96));
  assert.equal(second.length, NOISE_MAX_MESSAGE_LENGTH);
  await alice.readMessage(second);

  const { bob: bob2 } = await xxPair();
  await assert.rejects(bob2.readMessage(new Uint8Array(NOISE_MAX_MESSAGE_LENGTH + 1)), CryptoError);
  await assert.rejects(bob2.readMessage(new Uint8Array(32)), CryptoError, "the handshake is over");
});

Deno.test("HandshakeState: short or empty messages fail with CryptoError and wipe the state", async () => {
  for (const cut of [0, 31, 32 + 47, 32 + 48 + 15]) {
    const { alice, bob } = await xxPair();
    await bob.readMessage(await alice.writeMessage());
    const second = await bob.writeMessage();
    await assert.rejects(alice.readMessage(second.subarray(0, cut)), CryptoError, `cut at ${cut}`);
    assert.equal(alice.remoteStaticPublicKey, undefined);
    assert.throws(() => alice.handshakeHash, CryptoError);
    await assert.rejects(alice.readMessage(second), CryptoError, "no second chance");
    await assert.rejects(alice.writeMessage(), CryptoError);
  }
  const { bob } = await xxPair();
  await assert.rejects(bob.readMessage(new Uint8Array(31)), CryptoError);
});

Deno.test("HandshakeState: a low-order (all-zero) ephemeral from the peer is refused", async () => {
  const { alice, bob } = await xxPair();
  await alice.writeMessage();
  await bob.readMessage(new Uint8Array(32)); // message 1 has no DH: accepted, then...
  await assert.rejects(bob.writeMessage(), CryptoError, "...the ee DH refuses it");
  const { alice: a2, bob: b2 } = await xxPair();
  await b2.readMessage(await a2.writeMessage());
  const second = await b2.writeMessage();
  second.fill(0, 0, 32);
  await assert.rejects(a2.readMessage(second), CryptoError);
});

Deno.test("HandshakeState: close() abandons the handshake, even during an await", async () => {
  const { alice, bob } = await xxPair();
  await bob.readMessage(await alice.writeMessage());
  const pending = bob.writeMessage();
  bob.close();
  await assert.rejects(pending, CryptoError);
  bob.close();
  assert.throws(() => bob.handshakeHash, CryptoError);
  await assert.rejects(bob.readMessage(new Uint8Array(64)), CryptoError);
});

Deno.test("HandshakeState: options are checked, errors name the option", async () => {
  const s = generateX25519Secret();
  const rs = x25519PublicKey(generateX25519Secret());
  const bad: [string, () => unknown, RegExp][] = [
    ["XX needs s", () => new HandshakeState({ pattern: "XX", initiator: true }), /needs s/],
    [
      "NN needs no s, IK needs rs",
      () => new HandshakeState({ pattern: "IK", initiator: true, s }),
      /needs rs/,
    ],
    [
      "rs only for pre-messages",
      () => new HandshakeState({ pattern: "XX", initiator: true, s, rs }),
      /rs is only/,
    ],
    [
      "short s",
      () => new HandshakeState({ pattern: "XX", initiator: true, s: s.subarray(1) }),
      /31 bytes/,
    ],
    [
      "short rs",
      () => new HandshakeState({ pattern: "NK", initiator: true, rs: rs.subarray(1) }),
      /rs/,
    ],
    [
      "psk count",
      () => new HandshakeState({ pattern: "NNpsk0", initiator: true }),
      /psks must be 1/,
    ],
    [
      "psk size",
      () => new HandshakeState({ pattern: "NNpsk0", initiator: true, psks: [new Uint8Array(16)] }),
      /psks/,
    ],
    ["pattern", () => new HandshakeState({ pattern: "QQ", initiator: true }), /unknown pattern/],
    [
      "suite",
      () => new HandshakeState({ pattern: "Noise_NN_448_AESGCM_SHA512", initiator: true }),
      /only/,
    ],
    [
      "initiator",
      () => new HandshakeState({ pattern: "NN", initiator: "yes" as unknown as boolean }),
      /initiator/,
    ],
  ];
  for (const [why, make, message] of bad) assert.throws(make, message, why);
  // s may be an imported key; the responder of NN needs no keys at all.
  const nn = new HandshakeState({
    pattern: "NN",
    initiator: false,
    s: await generateEphemeralKey(),
  });
  assert.equal(nn.isMyTurn, false);
});

Deno.test("HandshakeState: ephemeral keys come from the injected generator", async () => {
  let made = 0;
  const generateEphemeral = () => (made++, generateEphemeralKey());
  const alice = new HandshakeState({ pattern: "NN", initiator: true, generateEphemeral });
  const bob = new HandshakeState({ pattern: "NN", initiator: false, generateEphemeral });
  await bob.readMessage(await alice.writeMessage());
  await alice.readMessage(await bob.writeMessage());
  assert.equal(made, 2);
  assert.deepEqual(alice.handshakeHash, bob.handshakeHash);
});

Deno.test("HandshakeState: one-way X — the responder's send direction comes back closed", async () => {
  const bobSecret = generateX25519Secret();
  const alice = new HandshakeState({
    pattern: "X",
    initiator: true,
    s: generateX25519Secret(),
    rs: x25519PublicKey(bobSecret),
    psks: [],
  });
  const bob = new HandshakeState({ pattern: "X", initiator: false, s: bobSecret });
  await bob.readMessage(await alice.writeMessage(randomBytes(10)));
  const a = alice.split();
  const b = bob.split();
  assert.ok(a.receive.closed && b.send.closed);
  assert.throws(() => b.send.encryptWithAd(EMPTY, utf8("nope")), /closed/);
  assert.deepEqual(
    b.receive.decryptWithAd(EMPTY, a.send.encryptWithAd(EMPTY, utf8("ok"))),
    utf8("ok"),
  );
});
