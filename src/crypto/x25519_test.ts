/**
 * X25519 (RFC 7748) against Wycheproof's x25519_test.json, on both backends:
 * the public functions (WebCrypto) and @noble/curves directly.
 *
 * Policy (src/crypto/x25519.ts): an all-zero shared secret (RFC 7748 §6.1)
 * throws `CryptoError`; every other public key, including the "acceptable"
 * twist, non-canonical and small-subgroup ones, gives the RFC 7748 §5 result.
 */
import assert from "node:assert/strict";
import { x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { fromHex, toHex } from "../util/bytes.ts";
import { CryptoError } from "./crypto_error.ts";
import {
  generateEphemeralKey,
  generateX25519Secret,
  importAgreementKey,
  x25519,
  x25519PublicKey,
} from "./x25519.ts";

interface XdhTest {
  tcId: number;
  flags: string[];
  public: string;
  private: string;
  shared: string;
  result: "valid" | "acceptable" | "invalid";
}
interface XdhFile {
  numberOfTests: number;
  testGroups: { tests: XdhTest[] }[];
}

const file: XdhFile = JSON.parse(
  await Deno.readTextFile(
    new URL("../../tests/vectors/wycheproof/x25519_test.json", import.meta.url),
  ),
);
const tests = file.testGroups.flatMap((g) => g.tests);
const ZERO = "00".repeat(32);

/** Runs `agree` over every vector; returns a line per disagreement with the policy. */
async function check(
  agree: (secret: Uint8Array, peer: Uint8Array) => Uint8Array | Promise<Uint8Array>,
  isPolicyError: (e: unknown) => boolean,
): Promise<string[]> {
  const failures: string[] = [];
  for (const t of tests) {
    let got: string;
    try {
      got = toHex(await agree(fromHex(t.private), fromHex(t.public)));
    } catch (e) {
      got = isPolicyError(e) ? "refused" : `threw ${e}`;
    }
    const want = t.shared === ZERO ? "refused" : t.shared;
    if (got !== want) failures.push(`tcId ${t.tcId} (${t.result} ${t.flags}): ${got}`);
  }
  return failures;
}

Deno.test("x25519: the vector file is the one we expect", () => {
  assert.equal(tests.length, file.numberOfTests);
  assert.ok(tests.every((t) => t.result !== "invalid"), "x25519 has only valid/acceptable");
  assert.equal(tests.filter((t) => t.shared === ZERO).length, 31);
});

Deno.test("x25519: WebCrypto backend follows the policy on every Wycheproof vector", async () => {
  assert.deepEqual(await check(x25519, (e) => e instanceof CryptoError), []);
});

Deno.test("x25519: an imported key agrees exactly like the one-shot function", async () => {
  const failures: string[] = [];
  for (const t of tests.filter((t) => t.shared !== ZERO).slice(0, 64)) {
    const key = await importAgreementKey(fromHex(t.private));
    if (toHex(await key.agree(fromHex(t.public))) !== t.shared) failures.push(`tcId ${t.tcId}`);
  }
  assert.deepEqual(failures, []);
});

Deno.test("x25519: @noble/curves backend follows the policy on every Wycheproof vector", async () => {
  // noble refuses the all-zero secret with a plain Error; any throw counts.
  const failures = await check((s, p) => nobleX25519.getSharedSecret(s, p), () => true);
  assert.deepEqual(failures, []);
});

Deno.test("x25519: RFC 7748 §6.1 Alice and Bob", async () => {
  const alice = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const bob = fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  const alicePub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
  const bobPub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
  const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  assert.equal(toHex(x25519PublicKey(alice)), alicePub);
  assert.equal(toHex(x25519PublicKey(bob)), bobPub);
  assert.equal(toHex(await x25519(alice, fromHex(bobPub))), shared);
  assert.equal(toHex(await x25519(bob, fromHex(alicePub))), shared);
});

Deno.test("x25519: public keys from @noble match WebCrypto's for the same secret", async () => {
  for (let i = 0; i < 16; i++) {
    const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
      "deriveBits",
    ]) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    assert.deepEqual(x25519PublicKey(pkcs8.subarray(pkcs8.length - 32)), raw);
  }
});

Deno.test("x25519: ephemeral and imported keys agree in both directions", async () => {
  const a = await importAgreementKey(generateX25519Secret());
  const b = await generateEphemeralKey();
  assert.equal(b.publicKey.length, 32);
  assert.deepEqual(await a.agree(b.publicKey), await b.agree(a.publicKey));
  assert.notDeepEqual(await a.agree(b.publicKey), new Uint8Array(32));
});

Deno.test("x25519: wrong lengths are refused with CryptoError", async () => {
  const key = await importAgreementKey(generateX25519Secret());
  for (const n of [0, 31, 33, 64]) {
    await assert.rejects(key.agree(new Uint8Array(n).fill(9)), CryptoError);
    assert.throws(() => x25519PublicKey(new Uint8Array(n)), CryptoError);
  }
});
