/**
 * Ed25519 (RFC 8032) against Wycheproof's ed25519_test.json and RFC 8032
 * §7.1, on both backends: the public functions (WebCrypto) and
 * @noble/curves directly (in its strict RFC 8032 mode, `zip215: false`).
 */
import assert from "node:assert/strict";
import { ed25519, ED25519_TORSION_SUBGROUP } from "@noble/curves/ed25519.js";
import { fromHex, toHex } from "../util/bytes.ts";
import { CryptoError } from "./crypto_error.ts";
import {
  ed25519PublicKey,
  ed25519Verify,
  generateEd25519Seed,
  importSigningKey,
} from "./ed25519.ts";

interface EddsaTest {
  tcId: number;
  flags: string[];
  msg: string;
  sig: string;
  result: "valid" | "invalid";
}
interface EddsaFile {
  numberOfTests: number;
  testGroups: { publicKey: { pk: string }; tests: EddsaTest[] }[];
}
type Verify = (pk: Uint8Array, msg: Uint8Array, sig: Uint8Array) => boolean | Promise<boolean>;

const file: EddsaFile = JSON.parse(
  await Deno.readTextFile(
    new URL("../../tests/vectors/wycheproof/ed25519_test.json", import.meta.url),
  ),
);
const cases = file.testGroups.flatMap((g) => g.tests.map((t) => ({ ...t, pk: g.publicKey.pk })));

const webcrypto: Verify = ed25519Verify;
const nobleStrict: Verify = (pk, msg, sig) => {
  try {
    return ed25519.verify(sig, msg, pk, { zip215: false });
  } catch {
    return false; // noble throws on a signature of the wrong length
  }
};

/** A copy of `bytes` with one bit flipped; the position varies with `seed`. */
function flipBit(bytes: Uint8Array, seed: number): Uint8Array {
  const out = bytes.slice();
  out[seed % out.length] ^= 1 << (seed % 8);
  return out;
}

/** Every Wycheproof case, plus a bit-flipped twin of each valid one; returns failures. */
async function check(verify: Verify): Promise<string[]> {
  const failures: string[] = [];
  for (const t of cases) {
    const [pk, msg, sig] = [fromHex(t.pk), fromHex(t.msg), fromHex(t.sig)];
    if (await verify(pk, msg, sig) !== (t.result === "valid")) {
      failures.push(`tcId ${t.tcId} (${t.result} ${t.flags})`);
    }
    if (t.result !== "valid") continue;
    if (await verify(pk, msg, flipBit(sig, t.tcId * 7))) failures.push(`tcId ${t.tcId} sig flip`);
    // An empty message has no bit to flip: a one-byte message stands in for it.
    const other = msg.length ? flipBit(msg, t.tcId * 5) : new Uint8Array(1);
    if (await verify(pk, other, sig)) failures.push(`tcId ${t.tcId} msg flip`);
  }
  return failures;
}

Deno.test("ed25519: the vector file is the one we expect", () => {
  assert.equal(cases.length, file.numberOfTests);
  assert.equal(cases.filter((t) => t.result === "invalid").length, 63);
});

Deno.test("ed25519: WebCrypto backend (ed25519Verify) on every Wycheproof vector", async () => {
  assert.deepEqual(await check(webcrypto), []);
});

Deno.test("ed25519: @noble/curves strict backend on every Wycheproof vector", async () => {
  assert.deepEqual(await check(nobleStrict), []);
});

Deno.test("ed25519: @noble's default ZIP-215 mode is too lenient for us (tcId 151)", () => {
  // Why we never call ed25519.verify without { zip215: false }: its default
  // accepts R = (x = 0, sign bit set), which RFC 8032 §5.1.3 says cannot decode.
  const t = cases.find((c) => c.tcId === 151)!;
  assert.equal(t.result, "invalid");
  assert.equal(ed25519.verify(fromHex(t.sig), fromHex(t.msg), fromHex(t.pk)), true);
  assert.equal(nobleStrict(fromHex(t.pk), fromHex(t.msg), fromHex(t.sig)), false);
});

// RFC 8032 §7.1, TEST 1, TEST 2 and TEST 3: seed → public key → signature.
const RFC8032 = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pk: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" +
      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    pk: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da" +
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    pk: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    msg: "af82",
    sig: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac" +
      "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

Deno.test("ed25519: RFC 8032 §7.1 tests 1–3 sign and verify on both backends", async () => {
  for (const v of RFC8032) {
    const [seed, msg] = [fromHex(v.seed), fromHex(v.msg)];
    assert.equal(toHex(ed25519PublicKey(seed)), v.pk);
    const key = await importSigningKey(seed);
    assert.equal(toHex(key.publicKey), v.pk);
    assert.equal(toHex(await key.sign(msg)), v.sig); // WebCrypto
    assert.equal(toHex(ed25519.sign(msg, seed)), v.sig); // @noble
    assert.equal(await webcrypto(fromHex(v.pk), msg, fromHex(v.sig)), true);
    assert.equal(await nobleStrict(fromHex(v.pk), msg, fromHex(v.sig)), true);
  }
});

Deno.test("ed25519: fresh keys sign, both backends verify, tampering fails", async () => {
  const key = await importSigningKey(generateEd25519Seed());
  const msg = crypto.getRandomValues(new Uint8Array(100));
  const sig = await key.sign(msg);
  assert.equal(await webcrypto(key.publicKey, msg, sig), true);
  assert.equal(await nobleStrict(key.publicKey, msg, sig), true);
  for (let i = 0; i < 64; i++) {
    assert.equal(await webcrypto(key.publicKey, msg, flipBit(sig, i * 9)), false, `bit ${i * 9}`);
  }
  assert.equal(await webcrypto(flipBit(key.publicKey, 3), msg, sig), false);
});

Deno.test("ed25519: small-order public keys never verify (wrapper check)", async () => {
  // With A and R in the torsion subgroup and S = 0, WebCrypto alone accepts
  // several of these for an arbitrary message; src/crypto/ed25519.ts refuses A.
  const msg = new TextEncoder().encode("forged");
  for (const a of ED25519_TORSION_SUBGROUP) {
    for (const r of ED25519_TORSION_SUBGROUP) {
      const sig = fromHex(r + "00".repeat(32));
      assert.equal(await webcrypto(fromHex(a), msg, sig), false, `A=${a} R=${r}`);
      assert.equal(await nobleStrict(fromHex(a), msg, sig), false, `noble A=${a} R=${r}`);
    }
  }
});

Deno.test("ed25519: non-canonical encodings of A and R are refused", async () => {
  const key = await importSigningKey(fromHex(RFC8032[0].seed));
  const sig = await key.sign(new Uint8Array(0));
  const nonCanonical = [
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p + 1
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // y = 2^255 - 1
    "0100000000000000000000000000000000000000000000000000000000000080", // y = 1, x = -0
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // y = -1, x = -0
  ];
  for (const hex of nonCanonical) {
    const point = fromHex(hex);
    const forged = sig.slice();
    forged.set(point, 0);
    assert.equal(await webcrypto(point, new Uint8Array(0), sig), false, `A=${hex}`);
    assert.equal(await webcrypto(key.publicKey, new Uint8Array(0), forged), false, `R=${hex}`);
    assert.throws(() => ed25519.Point.fromBytes(point, false), `noble agrees: ${hex}`);
  }
});

Deno.test("ed25519: bad lengths never verify; bad seeds throw CryptoError", async () => {
  const key = await importSigningKey(generateEd25519Seed());
  const sig = await key.sign(new Uint8Array(1));
  assert.equal(await webcrypto(key.publicKey.subarray(1), new Uint8Array(1), sig), false);
  assert.equal(await webcrypto(key.publicKey, new Uint8Array(1), sig.subarray(1)), false);
  assert.throws(() => ed25519PublicKey(new Uint8Array(31)), CryptoError);
  await assert.rejects(importSigningKey(new Uint8Array(33)), CryptoError);
});
