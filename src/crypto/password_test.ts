/**
 * Password hashing and passphrase keys (src/crypto/password.ts). The
 * known answers come from an independent scrypt: Python's hashlib.scrypt
 * (OpenSSL 3.0), salt = bytes 0..15.
 */
import assert from "node:assert/strict";
import { toHex } from "../util/bytes.ts";
import {
  deriveKeyFromPassphrase,
  hashPassword,
  SCRYPT_N,
  SCRYPT_P,
  SCRYPT_R,
  verifyPassword,
} from "./password.ts";

const PASSWORD = "correct horse battery staple";
// hashlib.scrypt(PASSWORD, salt=bytes(range(16)), n=1024, r=8, p=1, dklen=32)
const KAT_1024 =
  "scrypt$1024$8$1$AAECAwQFBgcICQoLDA0ODw$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S_AXJlRU";
// The same with our default parameters.
const KAT_DEFAULT =
  "scrypt$32768$8$1$AAECAwQFBgcICQoLDA0ODw$eo40JB24mNWRdcaWU4xBdGepdf_laQaEJfFhiNMVnFg";
// hashlib.scrypt(NFC("café au lait"), …same…)
const KAT_CAFE =
  "scrypt$1024$8$1$AAECAwQFBgcICQoLDA0ODw$0E-lFStNlwv94ZI5abnWTijvLJf0c6z3vHy5OjP8y2U";

Deno.test("password: hash, then verify the right and a wrong password", async () => {
  const encoded = await hashPassword(PASSWORD);
  const parts = encoded.split("$");
  assert.deepEqual(parts.slice(0, 4), ["scrypt", `${SCRYPT_N}`, `${SCRYPT_R}`, `${SCRYPT_P}`]);
  assert.match(parts[4], /^[\w-]{22}$/); // 16-byte salt
  assert.match(parts[5], /^[\w-]{43}$/); // 32-byte hash
  assert.equal(await verifyPassword(PASSWORD, encoded), true);
  assert.equal(await verifyPassword(PASSWORD + " ", encoded), false);
  assert.equal(await verifyPassword("", encoded), false);
  assert.notEqual(await hashPassword(PASSWORD), encoded, "a fresh salt every time");
});

Deno.test("password: known answers from an independent scrypt", async () => {
  assert.equal(await verifyPassword(PASSWORD, KAT_1024), true);
  assert.equal(await verifyPassword(PASSWORD, KAT_DEFAULT), true);
  assert.equal(await verifyPassword("Correct horse battery staple", KAT_1024), false);
});

Deno.test("password: composed and decomposed accents are the same password", async () => {
  assert.equal(await verifyPassword("caf\u00e9 au lait", KAT_CAFE), true); // NFC
  assert.equal(await verifyPassword("cafe\u0301 au lait", KAT_CAFE), true); // NFD
  assert.equal(await verifyPassword("cafe au lait", KAT_CAFE), false);
});

Deno.test("password: a tampered hash, salt or parameter fails", async () => {
  const [, N, r, p, salt, hash] = KAT_1024.split("$");
  const make = (...f: string[]) => ["scrypt", ...f].join("$");
  const flip = (s: string, at: number) =>
    s.slice(0, at) + (s[at] === "A" ? "B" : "A") + s.slice(at + 1);
  const tampered = [
    make(N, r, p, salt, flip(hash, 0)),
    make(N, r, p, salt, flip(hash, 20)),
    make(N, r, p, flip(salt, 5), hash),
    make("2048", r, p, salt, hash),
    make(N, "9", p, salt, hash),
    make(N, r, "2", salt, hash),
  ];
  for (const encoded of tampered) {
    assert.equal(await verifyPassword(PASSWORD, encoded), false, encoded);
  }
});

Deno.test("password: malformed encodings are false, not errors", async () => {
  const [, N, r, p, salt, hash] = KAT_1024.split("$");
  const make = (...f: string[]) => f.join("$");
  const malformed = [
    "",
    "scrypt",
    KAT_1024 + "$",
    "$" + KAT_1024,
    KAT_1024.replace("scrypt", "SCRYPT"),
    KAT_1024.replace("scrypt", "argon2id"),
    make("scrypt", N, r, p, hash), // field missing
    make("scrypt", N, r, p, salt, hash, hash), // field extra
    make("scrypt", "01024", r, p, salt, hash), // leading zero
    make("scrypt", "1000", r, p, salt, hash), // N not a power of two
    make("scrypt", "1", r, p, salt, hash), // N too small
    make("scrypt", "0x400", r, p, salt, hash),
    make("scrypt", N, "0", p, salt, hash),
    make("scrypt", N, "-8", p, salt, hash),
    make("scrypt", N, "8.0", p, salt, hash),
    make("scrypt", N, r, p, salt + "=", hash), // padding
    make("scrypt", N, r, p, salt.replace("A", "+"), hash), // standard base64
    make("scrypt", N, r, p, salt, hash.slice(0, -1) + "V"), // non-canonical last char
    make("scrypt", N, r, p, salt.slice(0, 11), hash), // salt of 8 bytes
    make("scrypt", N, r, p, salt, hash.slice(0, 16)), // hash of 12 bytes
    make("scrypt", N, r, p, salt, hash.repeat(3)), // hash of 96 bytes
    make("scrypt", N, r, p, "", hash),
    make("scrypt", N, r, p, salt, ""),
    KAT_1024 + "\n",
    " " + KAT_1024,
  ];
  for (const encoded of malformed) {
    assert.equal(await verifyPassword(PASSWORD, encoded), false, JSON.stringify(encoded));
  }
  // Not strings at all (say, a null column).
  assert.equal(await verifyPassword(PASSWORD, null as unknown as string), false);
  assert.equal(await verifyPassword(undefined as unknown as string, KAT_1024), false);
});

Deno.test("password: stored parameters beyond the work bounds are refused at once", async () => {
  const [, , , , salt, hash] = KAT_1024.split("$");
  const tooMuch = [
    [2 ** 21, 8, 1], // N above 2^20
    [2 ** 20, 32, 1], // 4 GiB of memory
    [2 ** 16, 8, 64], // N·r·p = 2^25
    [2 ** 10, 2 ** 20, 1], // r huge
    [2 ** 10, 8, 2 ** 30], // p huge
    [2 ** 40, 8, 1],
  ];
  for (const [N, r, p] of tooMuch) {
    const started = performance.now();
    assert.equal(await verifyPassword(PASSWORD, `scrypt$${N}$${r}$${p}$${salt}$${hash}`), false);
    assert.ok(performance.now() - started < 50, `N=${N} r=${r} p=${p} was not refused at once`);
  }
});

Deno.test("password: deriveKeyFromPassphrase", async () => {
  const salt = new TextEncoder().encode("canopy-identity-salt");
  const params = { N: 1024, r: 8, p: 1 };
  const key = await deriveKeyFromPassphrase("pass phrase", salt, params);
  // hashlib.scrypt(b"pass phrase", salt=b"canopy-identity-salt", n=1024, r=8, p=1, dklen=32)
  assert.equal(toHex(key), "8b30415ca46b83b51151c6046b3d2d15f40887e788892eda7fdd249f20b8a93e");
  assert.notDeepEqual(await deriveKeyFromPassphrase("pass phrase!", salt, params), key);
  const defaults = await deriveKeyFromPassphrase("pass phrase", salt);
  assert.equal(defaults.length, 32);
  assert.notDeepEqual(defaults, key);
});

Deno.test("password: deriveKeyFromPassphrase names the bad argument", async () => {
  const salt = new Uint8Array(16);
  const cases: [() => Promise<unknown>, RegExp][] = [
    [() => deriveKeyFromPassphrase("x", new Uint8Array(15)), /salt .*got 15 bytes/],
    [() => deriveKeyFromPassphrase(42 as unknown as string, salt), /passphrase .*got number/],
    [() => deriveKeyFromPassphrase("x", salt, { N: 1000 }), /params\.N .*got 1000/],
    [() => deriveKeyFromPassphrase("x", salt, { N: 2 ** 21 }), /params\.N .*got 2097152/],
    [() => deriveKeyFromPassphrase("x", salt, { r: 0 }), /params\.r .*got 0/],
    [() => deriveKeyFromPassphrase("x", salt, { p: 1.5 }), /params\.p .*got 1.5/],
    [() => deriveKeyFromPassphrase("x", salt, { N: 2 ** 20, r: 64 }), /params\.N·r·p/],
  ];
  for (const [fn, message] of cases) {
    await assert.rejects(fn, (e: unknown) => e instanceof RangeError && message.test(e.message));
  }
});
