import assert from "node:assert/strict";
import { CryptoPool } from "./crypto_pool.ts";
import { ed25519Verify, importSigningKey, randomBytes } from "./mod.ts";

Deno.test("the pool verifies like the calling thread, in order, and flipped bytes fail", async () => {
  const pool = new CryptoPool(2);
  try {
    const key = await importSigningKey(randomBytes(32));
    const items = await Promise.all(Array.from({ length: 600 }, async (_, i) => {
      const msg = randomBytes(50 + i);
      const sig = await key.sign(msg);
      if (i % 3 === 1) sig[5] ^= 1;
      if (i % 3 === 2) msg[0] ^= 1;
      return { msg, sig, ok: i % 3 === 0 };
    }));
    const results = await Promise.all(items.map((x) => pool.verify(key.publicKey, x.msg, x.sig)));
    assert.deepEqual(results, items.map((x) => x.ok));
    assert.equal(
      await pool.verify(new Uint8Array(3), new Uint8Array(1), new Uint8Array(64)),
      false,
    );
  } finally {
    pool.close();
  }
});

Deno.test("the pool signs with its key: signatures verify, and match the calling thread's", async () => {
  const seed = randomBytes(32);
  const pool = new CryptoPool(1, { signingSeed: seed });
  try {
    const key = pool.signingKey();
    const local = await importSigningKey(seed);
    assert.deepEqual(key.publicKey, local.publicKey);
    const messages = Array.from({ length: 300 }, (_, i) => randomBytes(10 + i));
    const sigs = await Promise.all(messages.map((m) => key.sign(m)));
    for (let i = 0; i < messages.length; i++) {
      assert.ok(await ed25519Verify(key.publicKey, messages[i], sigs[i]));
      assert.deepEqual(sigs[i], await local.sign(messages[i]), "Ed25519 is deterministic");
    }
  } finally {
    pool.close();
  }
});

Deno.test("after close, verification answers false and signing fails (never hangs)", async () => {
  const pool = new CryptoPool(1, { signingSeed: randomBytes(32) });
  const key = await importSigningKey(randomBytes(32));
  const msg = randomBytes(10);
  const pending = pool.verify(key.publicKey, msg, await key.sign(msg));
  const signing = pool.signingKey().sign(msg);
  pool.close();
  assert.equal(await pending, false);
  await assert.rejects(signing, /closed/);
  const zero = new CryptoPool(0, { signingSeed: randomBytes(32) });
  assert.equal(
    await zero.verify(key.publicKey, msg, await key.sign(msg)),
    true,
    "no workers: same thread",
  );
  const s = await zero.signingKey().sign(msg);
  assert.ok(await ed25519Verify(zero.signingKey().publicKey, msg, s));
  zero.close();
});
