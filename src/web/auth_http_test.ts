/**
 * Accounts, sessions, CSRF and the Origin/Host checks through the whole
 * HTTP app (`app.request()`, no server). The client address is what
 * `Deno.serve` would hand Hono as its environment.
 */
import assert from "node:assert/strict";
import { createHttpApp } from "./http_app.ts";
import type { ApiDeps, Principal } from "../api/ports.ts";
import { AccountService } from "../accounts/users.ts";
import { UsersRepo } from "../store/users_repo.ts";
import { Database } from "../store/sqlite.ts";
import { migrate } from "../store/migrations.ts";
import { CanopyError } from "../util/errors.ts";
import { silentLogger } from "../util/log.ts";
import { PERMISSIONS } from "../config/config.ts";

const BASE = "http://127.0.0.1:7770";
const PASSWORD = "correct horse battery";
const TOKEN = "the-setup-token";
const LOCAL = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 } };
const LAN = { remoteAddr: { transport: "tcp", hostname: "192.0.2.44", port: 50000 } };

/** Ports the tests below never reach. */
const unused = new Proxy({}, {
  get: (_t, name) => () => {
    throw new Error(`unused port method ${String(name)}`);
  },
});

function harness() {
  const db = Database.open(":memory:");
  migrate(db);
  const accounts = new AccountService(new UsersRepo(db), {
    setupToken: TOKEN,
    hash: (p) => Promise.resolve(`fake$${p}`),
    verify: (p, e) => Promise.resolve(e === `fake$${p}`),
  });
  const listeners = new Set<(e: { type: string; data: Record<string, unknown> }) => void>();
  const deps = {
    node: {
      version: "1.2.3",
      status: () => ({ peer_id: "P", running: true, connected_peers: 0, relay_policy: "off" }),
      diagnostics: () => ({ fingerprint: "F" }),
      invite: () => ({ invite_code: "canopy:x", peer_id: "P", endpoints: [] }),
    },
    keys: { ...unused, list: () => [] },
    auth: {
      fromApiKey(key: string): Principal {
        if (key !== "good-key") throw new CanopyError("unauthorized", "The API key is not valid");
        return { kind: "api_key", name: "k", permissions: new Set(PERMISSIONS) };
      },
      fromSession: (token: string) => accounts.authenticate(token),
    },
    accounts,
    events: {
      subscribe(fn: (e: { type: string; data: Record<string, unknown> }) => void) {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    },
    peers: unused,
    messages: unused,
    profiles: unused,
    channels: unused,
  } as unknown as ApiDeps;
  const app = createHttpApp(deps, silentLogger, { hostNames: ["canopy-box"] });
  const request = async (
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
    env: unknown = LOCAL,
  ) => {
    const headers = new Headers(init.headers);
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers.set("Content-Type", "application/json");
    }
    const url = path.startsWith("http") ? path : `${BASE}/api/v1${path}`;
    const res = await app.request(url, { method: init.method ?? "GET", headers, body }, env);
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, json, text };
  };
  return { db, app, accounts, request, listeners, close: () => db.close() };
}

type Harness = ReturnType<typeof harness>;

/** Sets up the account from loopback; returns the cookie and CSRF token. */
async function login(h: Harness): Promise<{ cookie: string; csrf: string }> {
  const res = await h.request("/auth/setup", {
    method: "POST",
    body: { username: "alice", password: PASSWORD },
  });
  assert.equal(res.status, 201, res.text);
  const cookie = res.headers.get("set-cookie")!.split(";")[0];
  return { cookie, csrf: res.json.csrf_token as string };
}

Deno.test("setup from a LAN address needs the setup token; from loopback it does not", async () => {
  const h = harness();
  try {
    const status = await h.request("/auth/status", {}, LAN);
    assert.equal(status.json.needs_setup, true);
    assert.equal(status.json.setup_token_required, true);
    assert.equal((await h.request("/auth/status")).json.setup_token_required, false);

    const body = { username: "alice", password: PASSWORD };
    const refused = await h.request("/auth/setup", { method: "POST", body }, LAN);
    assert.equal(refused.status, 403);
    assert.deepEqual(
      { code: refused.json.code, field: refused.json.field },
      { code: "forbidden", field: "setup_token" },
    );
    const wrong = await h.request(
      "/auth/setup",
      { method: "POST", body: { ...body, setup_token: "guess" } },
      LAN,
    );
    assert.equal(wrong.status, 403);
    // No connection info at all (another adapter, a test) counts as remote.
    const unknown = await h.request("/auth/setup", { method: "POST", body }, {});
    assert.equal(unknown.status, 403);

    const ok = await h.request(
      "/auth/setup",
      { method: "POST", body: { ...body, setup_token: TOKEN } },
      LAN,
    );
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.username, "alice");
    const again = await h.request("/auth/setup", { method: "POST", body });
    assert.equal(again.status, 409);
  } finally {
    h.close();
  }
});

Deno.test("the session cookie is HttpOnly, SameSite=Strict, Path=/, with a Max-Age", async () => {
  const h = harness();
  try {
    const res = await h.request("/auth/setup", {
      method: "POST",
      body: { username: "alice", password: PASSWORD },
    });
    const cookie = res.headers.get("set-cookie")!;
    assert.match(cookie, /^canopy_session=[A-Za-z0-9_-]{43};/);
    for (const attr of ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=604800"]) {
      assert.ok(cookie.includes(attr), `${attr} in ${cookie}`);
    }
    assert.ok(!cookie.includes("Secure"), "plain http: no Secure flag");
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.ok(!JSON.stringify(res.json).includes(cookie.split(";")[0].split("=")[1]));
  } finally {
    h.close();
  }
});

Deno.test("a session works wherever a key does; state changes need its CSRF token", async () => {
  const h = harness();
  try {
    const { cookie, csrf } = await login(h);
    const keys = await h.request("/keys", { headers: { Cookie: cookie } });
    assert.equal(keys.status, 200, keys.text);
    const info = await h.request("/info", { headers: { Cookie: cookie } });
    assert.equal(info.json.fingerprint, "F", "a session sees diagnostics");

    const status = await h.request("/auth/status", { headers: { Cookie: cookie } });
    assert.equal(status.json.logged_in, true);
    assert.equal(status.json.csrf_token, csrf);

    const body = { old_password: PASSWORD, new_password: "a brand new password" };
    const noCsrf = await h.request("/auth/password", {
      method: "POST",
      body,
      headers: { Cookie: cookie },
    });
    assert.equal(noCsrf.status, 403);
    assert.match(noCsrf.json.error as string, /X-CSRF-Token/);
    const badCsrf = await h.request("/auth/password", {
      method: "POST",
      body,
      headers: { Cookie: cookie, "X-CSRF-Token": csrf.slice(1) + "x" },
    });
    assert.equal(badCsrf.status, 403);
    const changed = await h.request("/auth/password", {
      method: "POST",
      body,
      headers: { Cookie: cookie, "X-CSRF-Token": csrf },
    });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.json, { changed: true, sessions_revoked: 0 });

    // An API key needs no CSRF token, but cannot change the password.
    const byKey = await h.request("/auth/password", {
      method: "POST",
      body,
      headers: { "X-API-Key": "good-key" },
    });
    assert.equal(byKey.status, 403);
    assert.match(byKey.json.error as string, /web session/);
    assert.equal((await h.request("/auth/password", { method: "POST", body })).status, 401);
  } finally {
    h.close();
  }
});

Deno.test("logout ends the session and clears the cookie; a stale cookie is a 401", async () => {
  const h = harness();
  try {
    const { cookie, csrf } = await login(h);
    const noCsrf = await h.request("/auth/logout", { method: "POST", headers: { Cookie: cookie } });
    assert.equal(noCsrf.status, 403, "logging someone out cross-site is refused too");
    const out = await h.request("/auth/logout", {
      method: "POST",
      headers: { Cookie: cookie, "X-CSRF-Token": csrf },
    });
    assert.equal(out.status, 200);
    assert.deepEqual(out.json, { logged_out: true, session_ended: true });
    assert.match(out.headers.get("set-cookie")!, /^canopy_session=; Max-Age=0/);
    const stale = await h.request("/keys", { headers: { Cookie: cookie } });
    assert.equal(stale.status, 401);
    assert.match(stale.json.error as string, /session has ended/);
    assert.equal(
      (await h.request("/auth/status", { headers: { Cookie: cookie } })).json.logged_in,
      false,
    );
    // Public pages ignore a stale cookie.
    assert.equal((await h.request("/info", { headers: { Cookie: cookie } })).status, 200);
    const again = await h.request("/auth/logout", { method: "POST", headers: { Cookie: cookie } });
    assert.deepEqual(again.json, { logged_out: true, session_ended: false });
  } finally {
    h.close();
  }
});

Deno.test("login failures answer 401, then 429 with Retry-After", async () => {
  const h = harness();
  try {
    await login(h);
    const attempt = (password: string) =>
      h.request("/auth/login", { method: "POST", body: { username: "alice", password } }, LAN);
    for (let i = 0; i < 5; i++) {
      const res = await attempt(`wrong password ${i}`);
      assert.equal(res.status, 401);
      assert.equal(res.json.error, "Wrong username or password");
    }
    const limited = await attempt(PASSWORD);
    assert.equal(limited.status, 429);
    assert.equal(limited.json.code, "rate_limited");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  } finally {
    h.close();
  }
});

Deno.test("cross-site Origin, Sec-Fetch-Site and foreign Host names are refused", async () => {
  const h = harness();
  try {
    const { cookie, csrf } = await login(h);
    const post = (url: string, headers: Record<string, string>) =>
      h.request(url, {
        method: "POST",
        body: { old_password: PASSWORD, new_password: "another new password" },
        headers: { Cookie: cookie, "X-CSRF-Token": csrf, ...headers },
      });
    const cross = await post("/auth/password", { Origin: "http://evil.example" });
    assert.equal(cross.status, 403);
    assert.match(cross.json.error as string, /Cross-site request refused/);
    assert.equal((await post("/auth/password", { Origin: "null" })).status, 403);
    assert.equal((await post("/auth/password", { Origin: "http://127.0.0.1:9999" })).status, 403);
    assert.equal((await post("/auth/password", { "Sec-Fetch-Site": "same-site" })).status, 403);

    // DNS rebinding: the attacker's name, same-origin with itself.
    const rebound = await post("http://evil.example:7770/api/v1/auth/password", {
      Origin: "http://evil.example:7770",
    });
    assert.equal(rebound.status, 403);
    assert.match(rebound.json.error as string, /not a name of this node/);
    // Setup and login are guarded the same way.
    const rebindSetup = await h.request("http://evil.example:7770/api/v1/auth/login", {
      method: "POST",
      body: { username: "alice", password: PASSWORD },
    });
    assert.equal(rebindSetup.status, 403);
    // The event stream too.
    const stream = await h.request("http://evil.example:7770/api/v1/events", {
      headers: { Cookie: cookie },
    });
    assert.equal(stream.status, 403);

    // Our own names pass: IP literals, localhost, the machine's name.
    for (const host of ["localhost:7770", "[::1]:7770", "canopy-box:7770", "192.0.2.1:7770"]) {
      const ok = await post(`http://${host}/api/v1/auth/status`, { Origin: `http://${host}` });
      assert.notEqual(ok.status, 403, host); // 405: status is GET-only, but it got past the checks
    }
    const same = await post("/auth/password", { Origin: BASE, "Sec-Fetch-Site": "same-origin" });
    assert.equal(same.status, 200, same.text);

    // Safe methods other than the stream are not checked; scripts with a key may use any name.
    assert.equal((await h.request("http://evil.example/api/v1/health")).status, 200);
    const keyed = await h.request("http://my-nas.lan/api/v1/keys", {
      method: "POST",
      headers: { "X-API-Key": "good-key" },
      body: {},
    });
    assert.notEqual(keyed.status, 403);
  } finally {
    h.close();
  }
});

Deno.test("an open event stream ends once its session does", async () => {
  const h = harness();
  try {
    const { cookie, csrf } = await login(h);
    const { eventRoutes } = await import("../api/routes/events.ts");
    const { Hono } = await import("hono");
    // The same route with a fast heartbeat (the real one beats every 15 s).
    const deps = {
      auth: {
        fromApiKey: () => {
          throw new CanopyError("unauthorized", "no");
        },
        fromSession: (t: string) => h.accounts.authenticate(t),
      },
      events: { subscribe: () => () => {} },
    } as unknown as ApiDeps;
    const app = new Hono().route("/events", eventRoutes(deps, 20));
    const res = await app.request(`${BASE}/events`, { headers: { Cookie: cookie } });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read(); // "connected"
    const out = await h.request("/auth/logout", {
      method: "POST",
      headers: { Cookie: cookie, "X-CSRF-Token": csrf },
    });
    assert.equal(out.status, 200);
    let done = false;
    while (!done) done = (await reader.read()).done;
    assert.ok(done, "the stream closed by itself");
  } finally {
    h.close();
  }
});
