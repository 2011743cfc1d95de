import assert from "node:assert/strict";
import { backoffDelay } from "./backoff.ts";

Deno.test("backoff doubles from 2 s to a 60 s cap", () => {
  const delays = Array.from({ length: 8 }, (_, i) => backoffDelay(i, { jitter: 0 }));
  assert.deepEqual(delays, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
});

Deno.test("jitter stays within its fraction and under the cap", () => {
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(2, { random: Math.random });
    assert.ok(d >= 6400 && d <= 9600, String(d));
    assert.ok(backoffDelay(10) <= 60000);
  }
  assert.equal(backoffDelay(0, { random: () => 1 }), 2400);
  assert.equal(backoffDelay(0, { random: () => 0 }), 1600);
});
