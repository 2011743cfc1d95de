/**
 * The frozen envelope vectors (tests/vectors/canopy/envelope_vectors.json, made
 * once by tests/vectors/canopy/_generate.ts): today's code must give the same
 * bytes for the same inputs, and a flipped byte in a stored envelope is refused.
 */
import assert from "node:assert/strict";
import {
  ed25519PublicKey,
  ed25519Verify,
  importAgreementKey,
  importSigningKey,
  openSealed,
  x25519PublicKey,
} from "../../crypto/mod.ts";
import { peerIdOf } from "../../identity/peer_id.ts";
import { concatBytes, fromHex, toHex, utf8 } from "../../util/bytes.ts";
import {
  draftOf,
  type EnvelopeVector,
  fixedSealedBox,
  loadEnvelopeVectors,
} from "./_envelope_vectors.ts";
import {
  decodeEnvelope,
  directStream,
  Kind,
  sealEnvelope,
  streamFitsKind,
  verifyEnvelope,
  withTtl,
} from "./envelope.ts";

const { vectors } = await loadEnvelopeVectors();
const byKind = (kind: number): EnvelopeVector => vectors.find((v) => v.kind === kind)!;

Deno.test("envelope vectors: kinds 1, 2 and 6 are present", () => {
  assert.deepEqual(vectors.map((v) => v.kind), [Kind.Direct, Kind.Broadcast, Kind.Receipt]);
});

Deno.test("envelope vectors: sealEnvelope reproduces the stored bytes", async () => {
  for (const v of vectors) {
    const key = await importSigningKey(fromHex(v.ed25519_seed_hex));
    assert.equal(toHex(key.publicKey), v.origin_public_hex, v.name);
    assert.equal(peerIdOf(key.publicKey), v.origin_peer_id, v.name);
    const env = await sealEnvelope(draftOf(v), key);
    assert.equal(toHex(env.bytes), v.envelope_hex, v.name);
  }
});

Deno.test("envelope vectors: signed_hex is the canonical message of PROTOCOL §4.2", async () => {
  for (const v of vectors) {
    const bytes = fromHex(v.envelope_hex);
    const rebuilt = concatBytes(
      utf8("canopy-envelope/1\0"),
      bytes.subarray(0, 2),
      bytes.subarray(3, bytes.length - 64),
    );
    assert.equal(toHex(rebuilt), v.signed_hex, v.name);
    const signature = bytes.subarray(bytes.length - 64);
    const originKey = fromHex(v.origin_public_hex);
    assert.equal(await ed25519Verify(originKey, fromHex(v.signed_hex), signature), true, v.name);
    const key = await importSigningKey(fromHex(v.ed25519_seed_hex));
    assert.equal(toHex(await key.sign(fromHex(v.signed_hex))), toHex(signature), v.name);
  }
});

Deno.test("envelope vectors: the stored bytes decode to the stored fields and verify", async () => {
  for (const v of vectors) {
    const env = decodeEnvelope(fromHex(v.envelope_hex));
    assert.ok(typeof env !== "string", `${v.name}: ${env}`);
    assert.equal(env.kind, v.kind);
    assert.equal(env.ttl, v.ttl);
    assert.equal(toHex(env.id), v.id_hex);
    assert.equal(toHex(env.originKey), v.origin_public_hex);
    assert.equal(env.origin, v.origin_peer_id);
    assert.equal(env.timestamp, v.timestamp);
    assert.equal(env.seq, v.seq);
    assert.equal(env.stream, v.stream);
    assert.equal(env.to, v.to);
    assert.equal(toHex(env.body), v.body_hex);
    if (v.body_utf8 !== undefined) assert.deepEqual(env.body, utf8(v.body_utf8));
    assert.equal(await verifyEnvelope(env), true, v.name);
    assert.equal(streamFitsKind(env), true, v.name);
  }
  // The direct pair: the message and its receipt share the sorted stream of the two peers.
  const dm = byKind(Kind.Direct);
  const receipt = byKind(Kind.Receipt);
  assert.equal(dm.stream, directStream(dm.origin_peer_id, dm.to));
  assert.equal(receipt.stream, dm.stream);
  assert.equal(receipt.to, dm.origin_peer_id);
  assert.equal(receipt.origin_peer_id, dm.to);
  assert.deepEqual(JSON.parse(receipt.body_utf8!), { ids: [dm.id_hex] });
});

Deno.test("envelope vectors: the direct body is a sealed box only the recipient opens", async () => {
  const v = byKind(Kind.Direct);
  const s = v.sealed_box!;
  const recipientSecret = fromHex(s.recipient_x25519_private_hex);
  assert.equal(toHex(x25519PublicKey(recipientSecret)), s.recipient_x25519_public_hex);
  const box = await fixedSealedBox(
    fromHex(s.recipient_x25519_public_hex),
    fromHex(s.ephemeral_x25519_private_hex),
    fromHex(s.nonce_hex),
    utf8(s.plaintext_utf8),
    fromHex(v.id_hex),
  );
  assert.equal(toHex(box), v.body_hex, "PROTOCOL §6 layout with the stored ephemeral and nonce");
  const recipient = await importAgreementKey(recipientSecret);
  const opened = await openSealed(recipient, fromHex(v.body_hex), fromHex(v.id_hex));
  assert.equal(new TextDecoder().decode(opened), s.plaintext_utf8);
  assert.deepEqual(JSON.parse(s.plaintext_utf8), { text: "Hello peer!" });
  // Tampered twins: another envelope's id as AAD, another recipient, a flipped byte.
  await assert.rejects(openSealed(recipient, fromHex(v.body_hex), new Uint8Array(16)));
  const stranger = await importAgreementKey(fromHex(s.ephemeral_x25519_private_hex));
  await assert.rejects(openSealed(stranger, fromHex(v.body_hex), fromHex(v.id_hex)));
  const bad = fromHex(v.body_hex);
  bad[bad.length - 1] ^= 1;
  await assert.rejects(openSealed(recipient, bad, fromHex(v.id_hex)));
  // The recipient named in the envelope is the holder of that key's peer id's identity.
  assert.equal(
    v.to,
    byKind(Kind.Receipt).origin_peer_id,
    "the receipt comes from the direct message's recipient",
  );
  assert.equal(peerIdOf(ed25519PublicKey(fromHex(byKind(Kind.Receipt).ed25519_seed_hex))), v.to);
});

Deno.test("envelope vectors: a new TTL keeps the signature; any other flipped byte is refused", async () => {
  for (const v of vectors) {
    const bytes = fromHex(v.envelope_hex);
    const env = decodeEnvelope(bytes);
    assert.ok(typeof env !== "string");
    const forwarded = decodeEnvelope(withTtl(env, v.ttl - 1));
    assert.ok(typeof forwarded !== "string");
    assert.equal(await verifyEnvelope(forwarded), true, `${v.name}: TTL is not signed`);
    for (let at = 0; at < bytes.length; at++) {
      if (at === 2) continue;
      const bad = bytes.slice();
      bad[at] ^= 0x01;
      const d = decodeEnvelope(bad);
      const refused = typeof d === "string" || !(await verifyEnvelope(d));
      assert.ok(refused, `${v.name}: byte ${at} flipped went unnoticed`);
    }
  }
});
