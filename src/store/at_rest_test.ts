import assert from "node:assert/strict";
import { AtRestCipher } from "./at_rest.ts";
import { Database } from "./sqlite.ts";
import { migrate } from "./migrations.ts";
import { SettingsRepo } from "./settings_repo.ts";
import { CryptoError, randomBytes } from "../crypto/mod.ts";
import { utf8 } from "../util/bytes.ts";

Deno.test("round trip, bound to its context", () => {
  const cipher = AtRestCipher.fromSeed(randomBytes(32));
  const blob = cipher.seal("hello at rest", "messages.body:1");
  assert.equal(cipher.openText(blob, "messages.body:1"), "hello at rest");
  assert.throws(() => cipher.open(blob, "messages.body:2"), CryptoError, "moved to another row");
  const again = cipher.seal("hello at rest", "messages.body:1");
  assert.notDeepEqual(again, blob, "random nonces: equal plaintexts give different blobs");
});

Deno.test("a different node key cannot open it", () => {
  const blob = AtRestCipher.fromSeed(randomBytes(32)).seal("secret", "c");
  assert.throws(() => AtRestCipher.fromSeed(randomBytes(32)).open(blob, "c"), CryptoError);
});

Deno.test("every tampered byte is detected", () => {
  const cipher = AtRestCipher.fromSeed(randomBytes(32));
  const blob = cipher.seal("tamper with me", "c");
  for (let i = 0; i < blob.length; i++) {
    const bad = blob.slice();
    bad[i] ^= 0x01;
    assert.throws(() => cipher.open(bad, "c"), CryptoError, `byte ${i}`);
  }
  assert.throws(() => cipher.open(blob.subarray(0, 20), "c"), CryptoError, "truncated");
});

async function filesContain(dir: string, needle: Uint8Array): Promise<string[]> {
  const hits: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const bytes = await Deno.readFile(`${dir}/${entry.name}`);
    outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
      for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
      hits.push(entry.name);
      break;
    }
  }
  return hits;
}

Deno.test("the database files never hold a stored secret in clear", async () => {
  const dir = await Deno.makeTempDir({ prefix: "canopy-atrest-" });
  const plaintext = "Plaintext canary 7f3e9c: meet at the old oak at noon";
  try {
    const db = Database.open(`${dir}/canopy.db`);
    migrate(db);
    const repo = new SettingsRepo(db, AtRestCipher.fromSeed(randomBytes(32)));
    repo.setSecret("profile.bio", plaintext);
    repo.set("relay_policy", "visible-plain-value");
    assert.equal(repo.get("profile.bio"), plaintext);

    // While the node runs the data sits in the WAL; after a checkpoint, in the main file.
    assert.deepEqual(await filesContain(dir, utf8(plaintext)), []);
    assert.deepEqual(
      await filesContain(dir, utf8("visible-plain-value")),
      ["canopy.db-wal"],
      "the search itself works",
    );
    db.checkpoint();
    db.close();
    assert.deepEqual(await filesContain(dir, utf8(plaintext)), []);
    assert.deepEqual(await filesContain(dir, utf8("meet at the old oak")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
