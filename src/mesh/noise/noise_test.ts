/**
 * Known-answer tests: every `*_25519_ChaChaPoly_SHA256` vector of cacophony
 * (tests/vectors/noise/). Both sides run from the vector's keys; every
 * handshake and transport ciphertext must be reproduced byte for byte, and
 * each side must read the other's back to the payload.
 *
 * Cacophony's message order: message i is written by the initiator when i is
 * even and by the responder when i is odd, through the handshake and on into
 * transport; in one-way patterns (§7.4) every message goes initiator → responder.
 */
import assert from "node:assert/strict";
import { fromHex, toHex } from "../../util/bytes.ts";
import type { CipherState } from "./mod.ts";
import { loadCacophonyVectors, vectorSides } from "./_cacophony.ts";

const vectors = await loadCacophonyVectors();

Deno.test("cacophony file holds the 59 ChaChaPoly/SHA256 vectors", () => {
  assert.equal(vectors.length, 59);
  const names = vectors.map((v) => v.protocol_name);
  for (const required of ["XX", "IK", "NN"]) {
    assert.ok(names.includes(`Noise_${required}_25519_ChaChaPoly_SHA256`), required);
  }
});

for (const v of vectors) {
  Deno.test(`vector ${v.protocol_name}`, async () => {
    const { initiator, responder } = vectorSides(v);
    const handshakeLength = initiator.pattern.messages.length;
    let i = 0;
    for (; i < handshakeLength; i++) {
      const { payload, ciphertext } = v.messages[i];
      const [writer, reader] = i % 2 === 0 ? [initiator, responder] : [responder, initiator];
      assert.equal(writer.isMyTurn, true);
      const written = await writer.writeMessage(fromHex(payload));
      assert.equal(toHex(written), ciphertext, `handshake message ${i}`);
      assert.equal(toHex(await reader.readMessage(written)), payload, `handshake payload ${i}`);
    }
    assert.ok(initiator.isComplete && responder.isComplete);
    assert.equal(toHex(initiator.handshakeHash), v.handshake_hash);
    assert.equal(toHex(responder.handshakeHash), v.handshake_hash);

    const a = initiator.split();
    const b = responder.split();
    const oneWay = initiator.pattern.oneWay;
    const empty = new Uint8Array(0);
    for (; i < v.messages.length; i++) {
      const { payload, ciphertext } = v.messages[i];
      const fromInitiator = oneWay || i % 2 === 0;
      const [send, receive]: CipherState[] = fromInitiator
        ? [a.send, b.receive]
        : [b.send, a.receive];
      const sealed = send.encryptWithAd(empty, fromHex(payload));
      assert.equal(toHex(sealed), ciphertext, `transport message ${i}`);
      assert.equal(toHex(receive.decryptWithAd(empty, sealed)), payload, `transport payload ${i}`);
    }
    if (oneWay) {
      assert.ok(a.receive.closed && b.send.closed);
    }
  });
}
