import assert from "node:assert/strict";
import { CanopyError } from "../util/errors.ts";
import { Database } from "../store/sqlite.ts";
import { migrate } from "../store/migrations.ts";
import { UsersRepo } from "../store/users_repo.ts";
import { addressKey, FAILURE_MEMORY_MS, LoginThrottle } from "./login_throttle.ts";

function setup(options: ConstructorParameters<typeof LoginThrottle>[1] = {}) {
  const db = Database.open(":memory:");
  migrate(db);
  let now = 1_000_000;
  const throttle = new LoginThrottle(new UsersRepo(db), { now: () => now, ...options });
  return {
    db,
    throttle,
    advance: (ms: number) => (now += ms),
    fail: (s: { account?: string; address?: string }) => throttle.begin(s)("failure"),
  };
}

function retryAfterOf(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof CanopyError && e.code === "rate_limited", String(e));
    return e.detail.retryAfter;
  }
}

Deno.test("addressKey: IPv4 as is, IPv4-mapped unwrapped, IPv6 grouped by /64", () => {
  assert.equal(addressKey("192.0.2.7"), "192.0.2.7");
  assert.equal(addressKey("::ffff:192.0.2.7"), "192.0.2.7");
  assert.equal(addressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:db8:1:2::9"), "2001:db8:1:2::/64");
  assert.equal(addressKey("[2001:0db8::1]"), "2001:db8:0:0::/64");
  assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
});

Deno.test("an account gets free failures, then a window that doubles up to the cap", () => {
  const t = setup({ freePerAccount: 3, freePerAddress: 100, baseMs: 1000, maxMs: 8000 });
  try {
    const who = { account: "alice" };
    for (let i = 0; i < 3; i++) t.fail(who);
    assert.equal(retryAfterOf(() => t.throttle.begin(who)), 1);
    t.advance(1000);
    t.fail(who); // 4th failure: 2 s
    assert.equal(retryAfterOf(() => t.throttle.begin(who)), 2);
    t.advance(2000);
    t.fail(who); // 5th: 4 s
    t.advance(4000);
    t.fail(who); // 6th: 8 s (cap)
    t.advance(8000);
    t.fail(who); // 7th: still 8 s
    assert.equal(retryAfterOf(() => t.throttle.begin(who)), 8);
    // Names are compared case-insensitively; other accounts are not affected.
    assert.ok(retryAfterOf(() => t.throttle.begin({ account: "ALICE" })));
    assert.equal(retryAfterOf(() => t.throttle.begin({ account: "bob" })("abandoned")), undefined);
    // A success forgives the account.
    t.advance(8000);
    t.throttle.begin(who)("success");
    assert.equal(t.throttle.waitSeconds(who), 0);
  } finally {
    t.db.close();
  }
});

Deno.test("an address is slowed across every account it tries", () => {
  const t = setup({ freePerAccount: 100, freePerAddress: 4 });
  try {
    for (let i = 0; i < 4; i++) t.fail({ account: `user${i}`, address: "192.0.2.1" });
    assert.ok(retryAfterOf(() => t.throttle.begin({ account: "new", address: "192.0.2.1" })));
    // Another address is fine, and so is success on an account (the address keeps its record).
    assert.equal(t.throttle.waitSeconds({ account: "new", address: "192.0.2.2" }), 0);
  } finally {
    t.db.close();
  }
});

Deno.test("attempts in flight count as failures until they end", () => {
  const t = setup({ freePerAccount: 2 });
  try {
    const who = { account: "alice", address: "192.0.2.1" };
    const first = t.throttle.begin(who);
    const second = t.throttle.begin(who);
    assert.ok(retryAfterOf(() => t.throttle.begin(who)), "a third parallel guess waits");
    first("abandoned");
    second("abandoned");
    assert.equal(t.throttle.waitSeconds(who), 0, "abandoned attempts leave no trace");
  } finally {
    t.db.close();
  }
});

Deno.test("failures are forgotten after a day, and survive in the database until then", () => {
  const t = setup({ freePerAccount: 1 });
  try {
    t.fail({ account: "alice" });
    assert.ok(t.throttle.waitSeconds({ account: "alice" }) > 0);
    const again = new LoginThrottle(new UsersRepo(t.db), {
      freePerAccount: 1,
      now: () => 1_000_000,
    });
    assert.ok(again.waitSeconds({ account: "alice" }) > 0, "a restart keeps the count");
    t.advance(FAILURE_MEMORY_MS + 1);
    assert.equal(t.throttle.waitSeconds({ account: "alice" }), 0);
  } finally {
    t.db.close();
  }
});
