import assert from "node:assert/strict";
import { chachaSeal, CryptoError, randomBytes } from "../../crypto/mod.ts";
import { CipherState, NOISE_MAX_NONCE } from "./cipher_state.ts";

const EMPTY = new Uint8Array(0);
const AD = new Uint8Array([1, 2, 3]);

/** §12.3 nonce, built the slow way: 4 zero bytes, then n little-endian. */
function nonceBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, n, true);
  return out;
}

Deno.test("CipherState: nonce is 32 zero bits then the counter, little-endian (§12.3)", () => {
  const key = randomBytes(32);
  const cs = new CipherState(key);
  const plaintext = new TextEncoder().encode("hello");
  for (const n of [0n, 1n, 0x0102030405060708n, 0xffff_ffffn, 0xffff_fffe_ffff_ffffn]) {
    cs.setNonce(n);
    assert.deepEqual(
      cs.encryptWithAd(AD, plaintext),
      chachaSeal(key, nonceBytes(n), plaintext, AD),
    );
    assert.equal(cs.nonce, n + 1n);
  }
});

Deno.test("CipherState: the counter carries across 2^32", () => {
  const key = randomBytes(32);
  const cs = new CipherState(key);
  cs.setNonce(0xffff_ffffn);
  cs.encryptWithAd(EMPTY, EMPTY);
  assert.equal(cs.nonce, 0x1_0000_0000n);
  assert.deepEqual(
    cs.encryptWithAd(EMPTY, EMPTY),
    chachaSeal(key, nonceBytes(0x1_0000_0000n), EMPTY),
  );
});

Deno.test("CipherState: nonce 2^64-1 is reserved — reaching it exhausts the key", () => {
  const cs = new CipherState(randomBytes(32));
  cs.setNonce(NOISE_MAX_NONCE - 1n);
  const last = cs.encryptWithAd(EMPTY, new Uint8Array([7]));
  assert.equal(cs.nonce, NOISE_MAX_NONCE);
  assert.throws(() => cs.encryptWithAd(EMPTY, EMPTY), CryptoError);
  assert.throws(() => cs.decryptWithAd(EMPTY, last), CryptoError);
  assert.equal(cs.nonce, NOISE_MAX_NONCE);
});

Deno.test("CipherState: decrypts in order; a failed decrypt does not advance the nonce", () => {
  const key = randomBytes(32);
  const tx = new CipherState(key);
  const rx = new CipherState(key);
  const m0 = tx.encryptWithAd(AD, new Uint8Array([0]));
  const m1 = tx.encryptWithAd(AD, new Uint8Array([1]));
  assert.deepEqual(rx.decryptWithAd(AD, m0), new Uint8Array([0]));

  const tampered = m1.slice();
  tampered[0] ^= 0x01;
  assert.throws(() => rx.decryptWithAd(AD, tampered), CryptoError);
  assert.throws(() => rx.decryptWithAd(EMPTY, m1), CryptoError); // wrong ad
  assert.throws(() => rx.decryptWithAd(AD, m1.subarray(0, 15)), CryptoError); // shorter than a tag
  assert.equal(rx.nonce, 1n);
  assert.deepEqual(rx.decryptWithAd(AD, m1), new Uint8Array([1]));
  assert.equal(rx.nonce, 2n);
});

Deno.test("CipherState: without a key, data passes through unchanged (§5.1)", () => {
  const cs = new CipherState();
  const data = new Uint8Array([9, 8, 7]);
  assert.equal(cs.hasKey(), false);
  assert.equal(cs.encryptWithAd(AD, data), data);
  assert.equal(cs.decryptWithAd(AD, data), data);
  assert.equal(cs.nonce, 0n);
  assert.throws(() => cs.rekey(), CryptoError);
});

Deno.test("CipherState: initializeKey copies the key and resets the nonce", () => {
  const key = randomBytes(32);
  const cs = new CipherState();
  cs.initializeKey(key);
  cs.encryptWithAd(EMPTY, EMPTY);
  cs.initializeKey(key);
  assert.equal(cs.nonce, 0n);
  const expected = chachaSeal(key, nonceBytes(0n), EMPTY);
  key.fill(0); // the caller wiping its copy must not change ours
  assert.deepEqual(cs.encryptWithAd(EMPTY, EMPTY), expected);
  cs.initializeKey(undefined);
  assert.equal(cs.hasKey(), false);
});

Deno.test("CipherState: Rekey is the first 32 bytes of ENCRYPT(k, 2^64-1, zerolen, zeros) (§4.2)", () => {
  const key = randomBytes(32);
  const tx = new CipherState(key);
  const rx = new CipherState(key);
  tx.encryptWithAd(EMPTY, EMPTY);
  rx.decryptWithAd(EMPTY, new CipherState(key).encryptWithAd(EMPTY, EMPTY));
  tx.rekey();
  rx.rekey();
  assert.equal(tx.nonce, 1n, "rekey does not reset n (§11.3)");
  const newKey = chachaSeal(key, nonceBytes(NOISE_MAX_NONCE), new Uint8Array(32)).subarray(0, 32);
  const sealed = tx.encryptWithAd(AD, new Uint8Array([5]));
  assert.deepEqual(sealed, chachaSeal(newKey, nonceBytes(1n), new Uint8Array([5]), AD));
  assert.deepEqual(rx.decryptWithAd(AD, sealed), new Uint8Array([5]));
  const old = new CipherState(key);
  old.setNonce(2n);
  assert.throws(
    () => rx.decryptWithAd(AD, old.encryptWithAd(AD, new Uint8Array([6]))),
    CryptoError,
  );
});

Deno.test("CipherState: bad arguments throw RangeError naming the value", () => {
  const cs = new CipherState();
  assert.throws(() => cs.initializeKey(new Uint8Array(31)), /key must be 32 bytes, got 31/);
  assert.throws(() => cs.setNonce(-1n), RangeError);
  assert.throws(() => cs.setNonce(NOISE_MAX_NONCE + 1n), /nonce must be 0\.\.2\^64-1/);
  cs.setNonce(NOISE_MAX_NONCE);
  assert.equal(cs.nonce, NOISE_MAX_NONCE);
});

Deno.test("CipherState: close() wipes the key, is idempotent, and refuses further use", () => {
  const cs = new CipherState(randomBytes(32));
  cs.close();
  cs.close();
  assert.equal(cs.closed, true);
  assert.equal(cs.hasKey(), false);
  assert.throws(() => cs.encryptWithAd(EMPTY, EMPTY), /closed/);
  assert.throws(() => cs.decryptWithAd(EMPTY, new Uint8Array(16)), /closed/);
  assert.throws(() => cs.initializeKey(randomBytes(32)), /closed/);
});
