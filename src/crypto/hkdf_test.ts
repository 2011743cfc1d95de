/**
 * HKDF-SHA-256 (RFC 5869) against Wycheproof's hkdf_sha256_test.json: every
 * valid case gives the exact output (empty salts included, §2.2), and an
 * output longer than 255 blocks (§2.3) is a `RangeError`.
 */
import assert from "node:assert/strict";
import { fromHex, toHex } from "../util/bytes.ts";
import { HKDF_SHA256_MAX_LENGTH, hkdfSha256 } from "./hkdf.ts";

interface HkdfTest {
  tcId: number;
  flags: string[];
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  result: "valid" | "invalid";
}
interface HkdfFile {
  numberOfTests: number;
  testGroups: { tests: HkdfTest[] }[];
}

const file: HkdfFile = JSON.parse(
  await Deno.readTextFile(
    new URL("../../tests/vectors/wycheproof/hkdf_sha256_test.json", import.meta.url),
  ),
);
const tests = file.testGroups.flatMap((g) => g.tests);

Deno.test("hkdf: the vector file is the one we expect", () => {
  assert.equal(tests.length, file.numberOfTests);
  const invalid = tests.filter((t) => t.result === "invalid");
  assert.ok(invalid.length > 0 && invalid.every((t) => t.flags.includes("SizeTooLarge")));
});

Deno.test("hkdf: every valid Wycheproof case matches", () => {
  const failures: string[] = [];
  for (const t of tests.filter((t) => t.result === "valid")) {
    const got = hkdfSha256(fromHex(t.ikm), fromHex(t.salt), fromHex(t.info), t.size);
    if (toHex(got) !== t.okm) failures.push(`tcId ${t.tcId} (${t.flags})`);
  }
  assert.deepEqual(failures, []);
});

Deno.test("hkdf: SizeTooLarge cases throw RangeError naming the length", () => {
  for (const t of tests.filter((t) => t.result === "invalid")) {
    assert.throws(
      () => hkdfSha256(fromHex(t.ikm), fromHex(t.salt), fromHex(t.info), t.size),
      (e: unknown) => e instanceof RangeError && e.message.includes(String(t.size)),
      `tcId ${t.tcId}`,
    );
  }
});

Deno.test("hkdf: length bounds and an absent salt", () => {
  const ikm = fromHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  const info = new Uint8Array(0);
  assert.equal(hkdfSha256(ikm, undefined, info, HKDF_SHA256_MAX_LENGTH).length, 8160);
  assert.equal(hkdfSha256(ikm, undefined, info, 0).length, 0);
  for (const bad of [-1, 1.5, NaN, HKDF_SHA256_MAX_LENGTH + 1]) {
    assert.throws(() => hkdfSha256(ikm, undefined, info, bad), RangeError);
  }
  // RFC 5869 §2.2: no salt means HashLen zero bytes; an empty salt is the same.
  assert.deepEqual(
    hkdfSha256(ikm, undefined, info, 42),
    hkdfSha256(ikm, new Uint8Array(32), info, 42),
  );
  assert.deepEqual(
    hkdfSha256(ikm, new Uint8Array(0), info, 42),
    hkdfSha256(ikm, undefined, info, 42),
  );
  // RFC 5869 A.3 (empty salt and info).
  assert.equal(
    toHex(hkdfSha256(ikm, undefined, info, 42)),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d" +
      "9d201395faa4b61a96c8",
  );
});
