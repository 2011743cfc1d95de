/**
 * Sealed boxes (src/crypto/sealed_box.ts): round trips, and every way a box
 * can be damaged or misaddressed fails with the one opaque `CryptoError`.
 *
 *   box = version(1) ‖ ephemeral public key(32) ‖ nonce(24) ‖ ciphertext ‖ tag(16)
 */
import assert from "node:assert/strict";
import { utf8 } from "../util/bytes.ts";
import { CryptoError } from "./crypto_error.ts";
import { openSealed, seal, SEALED_BOX_OVERHEAD, SEALED_BOX_VERSION } from "./sealed_box.ts";
import { type AgreementKey, generateX25519Secret, importAgreementKey } from "./x25519.ts";

const EPH = 1; // offset of the ephemeral key
const NONCE = 33; // offset of the nonce
const CT = 57; // offset of the ciphertext

const recipient = await importAgreementKey(generateX25519Secret());
const plaintext = utf8("meet at the old oak at noon");
const aad = utf8("canopy/direct/v1");

/** Asserts that opening fails with CryptoError. */
async function refused(box: Uint8Array, key: AgreementKey = recipient, extra?: Uint8Array) {
  await assert.rejects(openSealed(key, box, extra), CryptoError);
}

/** A copy of `box` with one bit of byte `at` flipped. */
function flipped(box: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = box.slice();
  out[at] ^= 1 << bit;
  return out;
}

Deno.test("sealed box: round trip with and without AAD, layout and overhead", async () => {
  const box = await seal(recipient.publicKey, plaintext);
  assert.equal(box.length, plaintext.length + SEALED_BOX_OVERHEAD);
  assert.equal(SEALED_BOX_OVERHEAD, 1 + 32 + 24 + 16);
  assert.equal(box[0], SEALED_BOX_VERSION);
  assert.deepEqual(await openSealed(recipient, box), plaintext);
  const withAad = await seal(recipient.publicKey, plaintext, aad);
  assert.deepEqual(await openSealed(recipient, withAad, aad), plaintext);
  const empty = await seal(recipient.publicKey, new Uint8Array(0));
  assert.deepEqual(await openSealed(recipient, empty), new Uint8Array(0));
  const big = crypto.getRandomValues(new Uint8Array(64 * 1024));
  assert.deepEqual(await openSealed(recipient, await seal(recipient.publicKey, big)), big);
});

Deno.test("sealed box: two seals of one message share nothing", async () => {
  const a = await seal(recipient.publicKey, plaintext);
  const b = await seal(recipient.publicKey, plaintext);
  assert.notDeepEqual(a.subarray(EPH, NONCE), b.subarray(EPH, NONCE));
  assert.notDeepEqual(a.subarray(NONCE, CT), b.subarray(NONCE, CT));
  assert.notDeepEqual(a.subarray(CT), b.subarray(CT));
});

Deno.test("sealed box: the wrong recipient cannot open it", async () => {
  const box = await seal(recipient.publicKey, plaintext);
  await refused(box, await importAgreementKey(generateX25519Secret()));
});

Deno.test("sealed box: a flipped byte anywhere fails", async () => {
  const box = await seal(recipient.publicKey, plaintext, aad);
  const regions: [string, number, number][] = [
    ["version", 0, EPH],
    ["ephemeral key", EPH, NONCE],
    ["nonce", NONCE, CT],
    ["ciphertext", CT, box.length - 16],
    ["tag", box.length - 16, box.length],
  ];
  for (const [name, from, to] of regions) {
    for (let at = from; at < to; at++) {
      await assert.rejects(
        openSealed(recipient, flipped(box, at, at % 8), aad),
        CryptoError,
        `${name} byte ${at}`,
      );
    }
  }
});

Deno.test("sealed box: the ignored top bit of the ephemeral key still counts", async () => {
  // X25519 masks bit 255 of a public key (RFC 7748 §5), so flipping it leaves
  // the shared secret unchanged; the box must fail anyway because the raw
  // ephemeral key bytes are bound into the HKDF salt.
  const box = await seal(recipient.publicKey, plaintext);
  await refused(flipped(box, NONCE - 1, 7));
});

Deno.test("sealed box: wrong, missing or extra AAD fails", async () => {
  const box = await seal(recipient.publicKey, plaintext, aad);
  await refused(box, recipient, utf8("canopy/direct/v2"));
  await refused(box, recipient, undefined);
  await refused(await seal(recipient.publicKey, plaintext), recipient, aad);
});

Deno.test("sealed box: every truncation and an appended byte fail", async () => {
  const box = await seal(recipient.publicKey, plaintext);
  for (let n = 0; n < box.length; n++) {
    await assert.rejects(openSealed(recipient, box.subarray(0, n)), CryptoError, `length ${n}`);
  }
  const longer = new Uint8Array(box.length + 1);
  longer.set(box);
  await refused(longer);
});

Deno.test("sealed box: low-order keys are refused on both sides", async () => {
  const lowOrder = new Uint8Array(32); // u = 0, the all-zero shared secret
  await assert.rejects(seal(lowOrder, plaintext), CryptoError);
  const box = await seal(recipient.publicKey, plaintext);
  const forged = box.slice();
  forged.set(lowOrder, EPH);
  await refused(forged);
});
