import assert from "node:assert/strict";
import { RecordCache } from "./cache.ts";

Deno.test("cache: records live for their TTL from the last time they were received", () => {
  const c = new RecordCache<string>();
  assert.equal(c.put("a", "g", "A", 10, 0), "new");
  assert.equal(c.remaining("a", 4_000), 6);
  assert.equal(c.put("a", "g", "A", 10, 5_000), "refreshed");
  assert.deepEqual(c.sweep(14_999), []);
  assert.deepEqual(c.sweep(15_000).map((e) => e.key), ["a"]);
  assert.equal(c.size, 0);
});

Deno.test("cache: TTL 0 is a goodbye and removes at once", () => {
  const c = new RecordCache<string>();
  c.put("a", "g", "A", 120, 0);
  assert.equal(c.put("a", "g", "A", 0, 1), "removed");
  assert.equal(c.put("a", "g", "A", 0, 2), "absent");
  assert.deepEqual(c.group("g", 3), []);
});

Deno.test("cache: a cache-flush record retires older records of its group a second later", () => {
  const c = new RecordCache<string>();
  c.put("old", "srv|x", "port 1", 120, 0);
  c.put("other", "srv|y", "port 9", 120, 0);
  // The restarted instance announces port 2 with the flush bit, 10 s later.
  c.put("new", "srv|x", "port 2", 120, 10_000);
  c.flush("srv|x", 10_000, new Set(["new"]));
  assert.deepEqual(c.group("srv|x", 10_000).map((e) => e.value), ["port 2", "port 1"]);
  c.sweep(11_000);
  assert.deepEqual(c.group("srv|x", 11_000).map((e) => e.value), ["port 2"]);
  assert.equal(c.group("srv|y", 11_000).length, 1, "other groups are untouched");
});

Deno.test("cache: records received within the last second survive a flush (multi-packet answers)", () => {
  const c = new RecordCache<string>();
  c.put("a1", "addr|h", "10.0.0.1", 120, 10_000);
  c.put("a2", "addr|h", "10.0.0.2", 120, 10_500);
  c.flush("addr|h", 10_500, new Set(["a2"]));
  c.sweep(20_000);
  assert.equal(c.group("addr|h", 20_000).length, 2);
});

Deno.test("cache: bounded — a full cache refuses new records after sweeping expired ones", () => {
  const c = new RecordCache<number>(2);
  c.put("a", "g", 1, 1, 0);
  c.put("b", "g", 2, 10, 0);
  assert.equal(c.put("c", "g", 3, 10, 500), "full");
  assert.equal(c.put("c", "g", 3, 10, 1_000), "new", "a expired, so c fits");
  assert.equal(c.put("b", "g", 2, 10, 1_000), "refreshed", "refreshing is always allowed");
  assert.throws(() => new RecordCache(0), RangeError);
});

Deno.test("cache: groups list the most recently received first", () => {
  const c = new RecordCache<string>();
  c.put("a", "g", "first", 60, 0);
  c.put("b", "g", "second", 60, 1);
  assert.deepEqual(c.group("g", 2).map((e) => e.value), ["second", "first"]);
  c.put("a", "g", "first", 60, 3);
  assert.deepEqual(c.group("g", 4).map((e) => e.value), ["first", "second"]);
  assert.equal(c.entries(4).length, 2);
});
