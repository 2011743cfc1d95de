import assert from "node:assert/strict";
import { ApiKeyService, TOUCH_INTERVAL_MS } from "./api_keys.ts";
import { ApiKeysRepo } from "../store/api_keys_repo.ts";
import { Database } from "../store/sqlite.ts";
import { migrate } from "../store/migrations.ts";
import { CanopyError } from "../util/errors.ts";

function setup() {
  const db = Database.open(":memory:");
  migrate(db);
  let now = Date.UTC(2026, 0, 1);
  const clock = { advance: (ms: number) => (now += ms), now: () => now };
  const service = new ApiKeyService(new ApiKeysRepo(db), clock.now);
  return { db, service, clock, [Symbol.dispose]: () => db.close() };
}

function unauthorized(fn: () => unknown, reason: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CanopyError);
    assert.equal(e.code, "unauthorized");
    assert.match(e.message, reason);
    return true;
  });
}

Deno.test("a created key authenticates with its permissions; only its hash is stored", () => {
  using s = setup();
  const created = s.service.create({ name: " bot ", permissions: ["READ_MESSAGES"] });
  assert.equal(created.name, "bot");
  assert.match(created.key, /^cnp_[1-9A-HJ-NP-Za-km-z]{11}_[\w-]{43}$/);
  const principal = s.service.authenticate(created.key);
  assert.equal(principal.keyId, created.id);
  assert.deepEqual([...principal.permissions], ["READ_MESSAGES"]);
  const row = s.db.get<Record<string, unknown>>("SELECT * FROM api_keys");
  assert.ok(!JSON.stringify(row).includes(created.key.slice(-43)));
  assert.equal((row!.secret_hash as Uint8Array).length, 32);
});

Deno.test("wrong, malformed, revoked and expired keys are refused with their reason", () => {
  using s = setup();
  const created = s.service.create({ name: "k", permissions: [], expiresDays: 1 });
  // Change a character in the middle of the secret (the last one carries padding bits).
  const at = created.key.length - 10;
  const wrongSecret = created.key.slice(0, at) + (created.key[at] === "A" ? "B" : "A") +
    created.key.slice(at + 1);
  unauthorized(() => s.service.authenticate(wrongSecret), /not valid/);
  unauthorized(() => s.service.authenticate("cnp_11111111111_" + "A".repeat(43)), /not valid/);
  unauthorized(() => s.service.authenticate("hello"), /malformed/);
  s.clock.advance(86_400_000);
  unauthorized(() => s.service.authenticate(created.key), /expired/);
  assert.equal(s.service.list()[0].status, "expired");

  const other = s.service.create({ name: "other", permissions: [] });
  s.service.revoke(other.id);
  unauthorized(() => s.service.authenticate(other.key), /revoked/);
  assert.throws(
    () => s.service.revoke(other.id),
    (e: unknown) => (e as CanopyError).code === "conflict",
  );
  assert.throws(
    () => s.service.revoke("nope"),
    (e: unknown) => (e as CanopyError).code === "not_found",
  );
});

Deno.test("last use is recorded, at most once a minute", () => {
  using s = setup();
  const created = s.service.create({ name: "k", permissions: [] });
  assert.equal(s.service.list()[0].last_used_at, null);
  s.service.authenticate(created.key);
  const first = s.service.list()[0].last_used_at;
  assert.ok(first);
  s.clock.advance(1000);
  s.service.authenticate(created.key);
  assert.equal(s.service.list()[0].last_used_at, first);
  s.clock.advance(TOUCH_INTERVAL_MS);
  s.service.authenticate(created.key);
  assert.notEqual(s.service.list()[0].last_used_at, first);
});

Deno.test("bad creation arguments name their field", () => {
  using s = setup();
  const field = (fn: () => unknown, name: string) =>
    assert.throws(fn, (e: unknown) => (e as CanopyError).detail.field === name);
  field(() => s.service.create({ name: "  ", permissions: [] }), "name");
  field(() => s.service.create({ name: "x".repeat(101), permissions: [] }), "name");
  field(() => s.service.create({ name: "x", permissions: ["ROOT" as never] }), "permissions");
  field(() => s.service.create({ name: "x", permissions: [], expiresDays: 0 }), "expires_days");
});
