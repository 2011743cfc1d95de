import assert from "node:assert/strict";
import { VerifyPool } from "./verify_pool.ts";
import { importSigningKey, randomBytes } from "./mod.ts";

Deno.test("the pool verifies like the calling thread, in order, and flipped bytes fail", async () => {
  const pool = new VerifyPool(2);
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

Deno.test("after close, verification answers false (never hangs)", async () => {
  const pool = new VerifyPool(1);
  const key = await importSigningKey(randomBytes(32));
  const msg = randomBytes(10);
  const pending = pool.verify(key.publicKey, msg, await key.sign(msg));
  pool.close();
  assert.equal(await pending, false);
  const zero = new VerifyPool(0);
  assert.equal(
    await zero.verify(key.publicKey, msg, await key.sign(msg)),
    true,
    "no workers: same thread",
  );
  zero.close();
});
