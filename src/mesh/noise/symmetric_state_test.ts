import assert from "node:assert/strict";
import { CryptoError, hkdfSha256, randomBytes, sha256 } from "../../crypto/mod.ts";
import { concatBytes, utf8 } from "../../util/bytes.ts";
import { noiseHkdf, SymmetricState } from "./symmetric_state.ts";

Deno.test("noiseHkdf: same bytes as RFC 5869 with salt = ck and empty info (§4.3)", () => {
  for (const ikmLength of [0, 32, 100]) {
    const ck = randomBytes(32);
    const ikm = randomBytes(ikmLength);
    const rfc = hkdfSha256(ikm, ck, new Uint8Array(0), 96);
    assert.deepEqual(concatBytes(...noiseHkdf(ck, ikm, 2)), rfc.subarray(0, 64));
    assert.deepEqual(concatBytes(...noiseHkdf(ck, ikm, 3)), rfc);
  }
  assert.throws(() => noiseHkdf(new Uint8Array(32), new Uint8Array(0), 4 as 2), RangeError);
});

Deno.test("SymmetricState: a protocol name of ≤ 32 bytes is zero-padded, a longer one hashed (§5.2)", () => {
  const short = "Noise_XX_25519_ChaChaPoly_SHA256"; // exactly 32 bytes
  const padded = new Uint8Array(32);
  padded.set(utf8(short));
  assert.deepEqual(new SymmetricState(short).getHandshakeHash(), padded);

  const nn = new Uint8Array(32);
  nn.set(utf8("Noise_N_25519_ChaChaPoly_SHA256"));
  assert.deepEqual(new SymmetricState("Noise_N_25519_ChaChaPoly_SHA256").getHandshakeHash(), nn);

  const long = "Noise_XXpsk3_25519_ChaChaPoly_SHA256";
  assert.deepEqual(new SymmetricState(long).getHandshakeHash(), sha256(utf8(long)));
});

Deno.test("SymmetricState: MixHash is h = HASH(h ‖ data)", () => {
  const ss = new SymmetricState("Noise_NN_25519_ChaChaPoly_SHA256");
  const h0 = ss.getHandshakeHash();
  ss.mixHash(utf8("prologue"));
  assert.deepEqual(ss.getHandshakeHash(), sha256(concatBytes(h0, utf8("prologue"))));
});

Deno.test("SymmetricState: before MixKey, EncryptAndHash is the identity that still hashes", () => {
  const ss = new SymmetricState("Noise_NN_25519_ChaChaPoly_SHA256");
  const h0 = ss.getHandshakeHash();
  const data = utf8("in the clear");
  assert.equal(ss.hasKey(), false);
  assert.deepEqual(ss.encryptAndHash(data), data);
  assert.deepEqual(ss.getHandshakeHash(), sha256(concatBytes(h0, data)));
});

Deno.test("SymmetricState: two sides with the same inputs agree; a tampered twin fails", () => {
  const a = new SymmetricState("Noise_NN_25519_ChaChaPoly_SHA256");
  const b = new SymmetricState("Noise_NN_25519_ChaChaPoly_SHA256");
  const ikm = randomBytes(32);
  for (const ss of [a, b]) {
    ss.mixKey(ikm);
    ss.mixKeyAndHash(ikm);
  }
  const sealed = a.encryptAndHash(utf8("payload"));
  const tampered = sealed.slice();
  tampered[3] ^= 0x80;
  const c = new SymmetricState("Noise_NN_25519_ChaChaPoly_SHA256");
  c.mixKey(ikm);
  c.mixKeyAndHash(ikm);
  assert.throws(() => c.decryptAndHash(tampered), CryptoError);
  assert.deepEqual(b.decryptAndHash(sealed), utf8("payload"));
  assert.deepEqual(a.getHandshakeHash(), b.getHandshakeHash());

  const [a1, a2] = a.split();
  const [b1, b2] = b.split();
  const empty = new Uint8Array(0);
  assert.deepEqual(b1.decryptWithAd(empty, a1.encryptWithAd(empty, utf8("1→2"))), utf8("1→2"));
  assert.deepEqual(a2.decryptWithAd(empty, b2.encryptWithAd(empty, utf8("2→1"))), utf8("2→1"));
  assert.throws(() => a2.decryptWithAd(empty, a1.encryptWithAd(empty, utf8("x"))), CryptoError);
});
