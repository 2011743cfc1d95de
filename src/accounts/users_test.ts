import assert from "node:assert/strict";
import { CanopyError } from "../util/errors.ts";
import { Database } from "../store/sqlite.ts";
import { migrate } from "../store/migrations.ts";
import { UsersRepo } from "../store/users_repo.ts";
import { sha256 } from "../crypto/mod.ts";
import { fromBase64Url } from "../util/base64url.ts";
import { AccountService, type AccountServiceOptions, type ClientInfo } from "./users.ts";

const LOCAL: ClientInfo = { address: "127.0.0.1", loopback: true };
const REMOTE: ClientInfo = { address: "192.0.2.10", loopback: false };
const PASSWORD = "correct horse battery";
const TOKEN = "setup-token-123";

/** A fast stand-in for scrypt (the real one is tested in src/crypto and below). */
const fakeHash = {
  hash: (p: string) => Promise.resolve(`fake$${p}`),
  verify: (p: string, e: string) => Promise.resolve(e === `fake$${p}`),
};

function service(options: Partial<AccountServiceOptions> = {}) {
  const db = Database.open(":memory:");
  migrate(db);
  let now = 10_000_000;
  const repo = new UsersRepo(db);
  const accounts = new AccountService(repo, {
    setupToken: TOKEN,
    now: () => now,
    ...fakeHash,
    ...options,
  });
  return { db, repo, accounts, advance: (ms: number) => (now += ms), close: () => db.close() };
}

async function rejects(p: Promise<unknown> | (() => unknown), code: string): Promise<CanopyError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    assert.ok(e instanceof CanopyError, String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  throw new Error(`expected a ${code} error`);
}

Deno.test("setup: loopback needs no token; a remote address needs the right one", async () => {
  const t = service();
  try {
    assert.equal(t.accounts.status(undefined, REMOTE).setup_token_required, true);
    assert.equal(t.accounts.status(undefined, LOCAL).setup_token_required, false);
    const missing = await rejects(
      t.accounts.setup({ username: "alice", password: PASSWORD }, REMOTE),
      "forbidden",
    );
    assert.equal(missing.detail.field, "setup_token");
    assert.match(missing.message, /setup token/);
    await rejects(
      t.accounts.setup({ username: "alice", password: PASSWORD, setupToken: "nope" }, REMOTE),
      "forbidden",
    );
    assert.equal(t.accounts.needsSetup(), true);
    const grant = await t.accounts.setup(
      { username: " alice ", password: PASSWORD, setupToken: TOKEN },
      REMOTE,
    );
    assert.equal(grant.username, "alice");
    assert.equal(t.accounts.needsSetup(), false);
    // Once an account exists, setup is over, from anywhere.
    await rejects(t.accounts.setup({ username: "bob", password: PASSWORD }, LOCAL), "conflict");
    const status = t.accounts.status(grant.token, REMOTE);
    assert.deepEqual(
      { ...status, expires_at: undefined },
      {
        needs_setup: false,
        setup_token_required: false,
        logged_in: true,
        username: "alice",
        csrf_token: grant.csrfToken,
        expires_at: undefined,
        idle_timeout_seconds: 12 * 3600,
        min_password_length: 10,
      },
    );
  } finally {
    t.close();
  }
});

Deno.test("setup validates the username and a password of at least 10 characters", async () => {
  const t = service();
  try {
    const short = await rejects(
      t.accounts.setup({ username: "alice", password: "123456789" }, LOCAL),
      "validation_failed",
    );
    assert.equal(short.detail.field, "password");
    assert.match(short.message, /at least 10/);
    // Ten characters, counted as characters, not UTF-16 units.
    await t.accounts.setup({ username: "émile", password: "🌲🌲🌲🌲🌲🌲🌲🌲🌲🌲" }, LOCAL);
    const t2 = service();
    try {
      for (const username of ["", "a b", "x".repeat(65), 5]) {
        const e = await rejects(
          t2.accounts.setup({ username, password: PASSWORD }, LOCAL),
          "validation_failed",
        );
        assert.equal(e.detail.field, "username");
      }
    } finally {
      t2.close();
    }
  } finally {
    t.close();
  }
});

Deno.test("login: right password opens a session, wrong ones are counted and then slowed", async () => {
  const t = service({ throttle: { freePerAccount: 3, freePerAddress: 100 } });
  try {
    await t.accounts.setup({ username: "Alice", password: PASSWORD }, LOCAL);
    const ok = await t.accounts.login({ username: "alice", password: PASSWORD }, REMOTE);
    assert.equal(ok.username, "Alice", "names match case-insensitively");
    const wrong = await rejects(
      t.accounts.login({ username: "alice", password: "wrong password" }, REMOTE),
      "unauthorized",
    );
    assert.equal(wrong.message, "Wrong username or password");
    // An unknown name gives the same answer.
    const unknown = await rejects(
      t.accounts.login({ username: "mallory", password: PASSWORD }, REMOTE),
      "unauthorized",
    );
    assert.equal(unknown.message, wrong.message);
    await rejects(t.accounts.login({ username: "alice", password: "x2" }, REMOTE), "unauthorized");
    await rejects(t.accounts.login({ username: "alice", password: "x3" }, REMOTE), "unauthorized");
    // Locked now, even with the right password.
    const locked = await rejects(
      t.accounts.login({ username: "alice", password: PASSWORD }, REMOTE),
      "rate_limited",
    );
    assert.ok((locked.detail.retryAfter ?? 0) >= 1);
    t.advance(locked.detail.retryAfter! * 1000);
    await t.accounts.login({ username: "alice", password: PASSWORD }, REMOTE);
  } finally {
    t.close();
  }
});

Deno.test("sessions: stored hashed, idle timeout slides with use, absolute cap, logout", async () => {
  const idleMs = 60 * 60_000;
  const maxAgeMs = 5 * idleMs;
  const t = service({ idleMs, maxAgeMs });
  try {
    const grant = await t.accounts.setup({ username: "alice", password: PASSWORD }, LOCAL);
    assert.match(grant.token, /^[A-Za-z0-9_-]{43}$/);
    const raw = t.db.all<{ id_hash: Uint8Array }>("SELECT id_hash FROM sessions");
    assert.deepEqual(raw.map((r) => [...r.id_hash]), [[...sha256(fromBase64Url(grant.token))]]);

    // Used every 50 minutes, it lives on past the idle timeout…
    for (let i = 0; i < 5; i++) {
      t.advance(50 * 60_000);
      assert.equal(t.accounts.authenticate(grant.token).name, "alice");
    }
    // …until its absolute end.
    t.advance(maxAgeMs - 250 * 60_000);
    const expired = await rejects(() => t.accounts.authenticate(grant.token), "unauthorized");
    assert.match(expired.message, /expired/);
    assert.equal(t.accounts.status(grant.token, LOCAL).logged_in, false);

    // Left alone for longer than the idle timeout, a session ends.
    const idle = await t.accounts.login({ username: "alice", password: PASSWORD }, LOCAL);
    t.advance(idleMs);
    await rejects(() => t.accounts.authenticate(idle.token), "unauthorized");

    const live = await t.accounts.login({ username: "alice", password: PASSWORD }, LOCAL);
    assert.equal(t.accounts.logout(live.token), true);
    assert.equal(t.accounts.logout(live.token), false);
    await rejects(() => t.accounts.authenticate(live.token), "unauthorized");
    await rejects(() => t.accounts.authenticate("not a token"), "unauthorized");
  } finally {
    t.close();
  }
});

Deno.test("change password: needs the current one, ends every other session", async () => {
  const t = service();
  try {
    const mine = await t.accounts.setup({ username: "alice", password: PASSWORD }, LOCAL);
    const other = await t.accounts.login({ username: "alice", password: PASSWORD }, REMOTE);
    const wrong = await rejects(
      t.accounts.changePassword(mine.token, {
        old_password: "not the password",
        new_password: "a brand new password",
      }, LOCAL),
      "forbidden",
    );
    assert.equal(wrong.detail.field, "old_password");
    const short = await rejects(
      t.accounts.changePassword(
        mine.token,
        { old_password: PASSWORD, new_password: "short" },
        LOCAL,
      ),
      "validation_failed",
    );
    assert.equal(short.detail.field, "new_password");
    const done = await t.accounts.changePassword(mine.token, {
      old_password: PASSWORD,
      new_password: "a brand new password",
    }, LOCAL);
    assert.deepEqual(done, { sessions_revoked: 1 });
    assert.equal(t.accounts.authenticate(mine.token).name, "alice", "this session stays");
    await rejects(() => t.accounts.authenticate(other.token), "unauthorized");
    await rejects(
      t.accounts.login({ username: "alice", password: PASSWORD }, LOCAL),
      "unauthorized",
    );
    await t.accounts.login({ username: "alice", password: "a brand new password" }, LOCAL);
  } finally {
    t.close();
  }
});

Deno.test("with real scrypt: setup stores a self-describing hash that login verifies", async () => {
  const db = Database.open(":memory:");
  migrate(db);
  try {
    const accounts = new AccountService(new UsersRepo(db), { setupToken: TOKEN });
    await accounts.setup({ username: "alice", password: PASSWORD }, LOCAL);
    const row = db.get<{ password_hash: string }>("SELECT password_hash FROM users");
    assert.match(row!.password_hash, /^scrypt\$32768\$8\$1\$/);
    assert.ok(!row!.password_hash.includes(PASSWORD));
    await accounts.login({ username: "alice", password: PASSWORD }, LOCAL);
    await rejects(
      accounts.login({ username: "alice", password: "x" + PASSWORD }, LOCAL),
      "unauthorized",
    );
  } finally {
    db.close();
  }
});
