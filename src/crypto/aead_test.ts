/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) and XChaCha20-Poly1305
 * (draft-irtf-cfrg-xchacha §2) against Wycheproof. Every valid case must
 * seal to the exact ciphertext ‖ tag and open back; its twins with one
 * flipped byte in the ciphertext, the tag or the AAD must fail. Every invalid
 * case, including a nonce of the wrong size, must fail with `CryptoError`.
 */
import assert from "node:assert/strict";
import { fromHex, toHex } from "../util/bytes.ts";
import { CryptoError } from "./crypto_error.ts";
import {
  AEAD_TAG_LENGTH,
  CHACHA_NONCE_LENGTH,
  chachaOpen,
  chachaSeal,
  XCHACHA_NONCE_LENGTH,
  xchachaOpen,
  xchachaSeal,
} from "./aead.ts";

interface AeadTest {
  tcId: number;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: "valid" | "invalid";
}
interface AeadFile {
  numberOfTests: number;
  testGroups: { ivSize: number; tests: AeadTest[] }[];
}
type Seal = (k: Uint8Array, n: Uint8Array, pt: Uint8Array, aad?: Uint8Array) => Uint8Array;
type Open = (k: Uint8Array, n: Uint8Array, ct: Uint8Array, aad?: Uint8Array) => Uint8Array;

async function load(name: string): Promise<AeadFile> {
  const url = new URL(`../../tests/vectors/wycheproof/${name}`, import.meta.url);
  return JSON.parse(await Deno.readTextFile(url));
}

/** A copy of `bytes` with one byte changed; the position and bit vary with `seed`. */
function flipByte(bytes: Uint8Array, seed: number): Uint8Array {
  const out = bytes.slice();
  out[seed % out.length] ^= 1 << (seed % 8);
  return out;
}

/** True when `fn` throws `CryptoError`. */
function refuses(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    return e instanceof CryptoError;
  }
}

function checkFile(file: AeadFile, seal: Seal, open: Open, nonceLength: number): string[] {
  const failures: string[] = [];
  let seen = 0;
  for (const group of file.testGroups) {
    for (const t of group.tests) {
      seen++;
      const [key, iv, aad, msg] = [fromHex(t.key), fromHex(t.iv), fromHex(t.aad), fromHex(t.msg)];
      const sealed = fromHex(t.ct + t.tag);
      const id = `tcId ${t.tcId} (${t.result} ${t.flags})`;
      if (group.ivSize !== nonceLength * 8) {
        if (t.result !== "invalid") failures.push(`${id}: expected an invalid nonce case`);
        if (!refuses(() => seal(key, iv, msg, aad))) failures.push(`${id}: seal accepted`);
        if (!refuses(() => open(key, iv, sealed, aad))) failures.push(`${id}: open accepted`);
        continue;
      }
      if (t.result === "invalid") {
        if (!refuses(() => open(key, iv, sealed, aad))) failures.push(`${id}: opened`);
        continue;
      }
      if (toHex(seal(key, iv, msg, aad)) !== t.ct + t.tag) failures.push(`${id}: seal differs`);
      let opened: Uint8Array | undefined;
      try {
        opened = open(key, iv, sealed, aad.length ? aad : undefined);
      } catch { /* reported below */ }
      if (!opened || toHex(opened) !== t.msg) failures.push(`${id}: open failed`);
      // Tampered twins: ciphertext (when there is one), tag, AAD (when there is one).
      const ctLen = sealed.length - AEAD_TAG_LENGTH;
      if (ctLen > 0) {
        const bad = sealed.slice();
        bad.set(flipByte(sealed.subarray(0, ctLen), t.tcId));
        if (!refuses(() => open(key, iv, bad, aad))) failures.push(`${id}: flipped ct opened`);
      }
      const badTag = sealed.slice();
      badTag.set(flipByte(sealed.subarray(ctLen), t.tcId * 3), ctLen);
      if (!refuses(() => open(key, iv, badTag, aad))) failures.push(`${id}: flipped tag opened`);
      if (aad.length > 0 && !refuses(() => open(key, iv, sealed, flipByte(aad, t.tcId * 5)))) {
        failures.push(`${id}: flipped aad opened`);
      }
    }
  }
  if (seen !== file.numberOfTests) failures.push(`saw ${seen} of ${file.numberOfTests} cases`);
  return failures;
}

Deno.test("aead: ChaCha20-Poly1305 on every Wycheproof vector, with tampered twins", async () => {
  const file = await load("chacha20_poly1305_test.json");
  assert.deepEqual(checkFile(file, chachaSeal, chachaOpen, CHACHA_NONCE_LENGTH), []);
});

Deno.test("aead: XChaCha20-Poly1305 on every Wycheproof vector, with tampered twins", async () => {
  const file = await load("xchacha20_poly1305_test.json");
  assert.deepEqual(checkFile(file, xchachaSeal, xchachaOpen, XCHACHA_NONCE_LENGTH), []);
});

Deno.test("aead: wrong key length, short ciphertext and swapped nonce are CryptoError", () => {
  const key = new Uint8Array(32);
  const n12 = new Uint8Array(12);
  const n24 = new Uint8Array(24);
  const sealed = chachaSeal(key, n12, new Uint8Array(5));
  assert.throws(() => chachaSeal(new Uint8Array(16), n12, new Uint8Array(1)), CryptoError);
  assert.throws(() => chachaOpen(key, n12, sealed.subarray(0, AEAD_TAG_LENGTH - 1)), CryptoError);
  assert.throws(() => chachaOpen(key, n24, sealed), CryptoError);
  assert.throws(() => xchachaOpen(key, n12, sealed), CryptoError);
  assert.throws(() => xchachaSeal(new Uint8Array(33), n24, new Uint8Array(1)), CryptoError);
  assert.deepEqual(chachaOpen(key, n12, sealed), new Uint8Array(5));
  // Sealed with no AAD, opened with some: fails (and vice versa).
  assert.throws(() => chachaOpen(key, n12, sealed, new Uint8Array(1)), CryptoError);
  const withAad = xchachaSeal(key, n24, new Uint8Array(5), new Uint8Array([1]));
  assert.throws(() => xchachaOpen(key, n24, withAad), CryptoError);
});
