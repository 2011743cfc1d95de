/**
 * The API app driven through `app.request()` with in-memory fakes: no
 * server, no port.
 */
import assert from "node:assert/strict";
import { createApiApp } from "./app.ts";
import { OPERATIONS } from "./openapi.ts";
import type { ApiDeps, Principal } from "./ports.ts";
import { CanopyError } from "../util/errors.ts";
import { silentLogger } from "../util/log.ts";
import type { Permission } from "../config/config.ts";

const KEYS: Record<string, Permission[]> = {
  reader: ["READ_MESSAGES"],
  admin: ["READ_MESSAGES", "WRITE_MESSAGES", "MANAGE_PEERS", "MANAGE_KEYS"],
};

function fakeDeps(): ApiDeps {
  return {
    node: {
      version: "9.9.9",
      status: () => ({ peer_id: "P", running: true, connected_peers: 0, relay_policy: "off" }),
      diagnostics: () => ({ secret_detail: 1 }),
      invite: ({ publicHost, publicPort }) => ({
        invite_code: "canopy:x",
        peer_id: "P",
        endpoints: publicHost ? [`ws://${publicHost}:${publicPort ?? 7771}`] : [],
      }),
    },
    keys: {
      create: (o) => ({
        key: "k",
        id: "id",
        name: o.name,
        permissions: [...o.permissions],
        created_at: "",
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
        status: "active",
      }),
      list: () => [],
      revoke: () => {
        throw new CanopyError("not_found", "No API key with id x");
      },
    },
    peers: {
      list: () => ({
        connected_peers: [],
        discovered_peers: [],
        total_connected: 0,
        total_discovered: 0,
      }),
      importInvite: () => Promise.resolve({}),
      connectDiscovered: () => Promise.resolve({}),
      reconnect: () => Promise.resolve({}),
      reconnectAll: () => Promise.resolve({}),
      disconnect: () => ({}),
      forget: () => ({}),
      accept: () => ({}),
      block: () => ({}),
    },
    messages: {
      sendDirect: () => Promise.resolve({ id: "00", state: "queued" }),
      sendBroadcast: () => Promise.resolve({ view: { id: "00" }, peers: 0 }),
      list: () => ({ messages: [], nextCursor: null }),
    },
    events: { subscribe: () => () => {} },
    profiles: {
      user: () => ({}),
      device: () => ({}),
      updateUser: () => Promise.resolve({}),
      updateDevice: () => Promise.resolve({}),
    },
    relay: {
      status: () => ({ relay_policy: "broker_only", active_relays: {}, routing_table: {} }),
      setPolicy: (policy) => ({ relay_policy: policy, active_relays: {}, routing_table: {} }),
      introduced: () => [],
      connectIntroduced: () => Promise.resolve({}),
    },
    channels: {
      list: () => [],
      create: () => Promise.resolve({}),
      posts: () => ({ messages: [], nextCursor: null }),
      post: () => Promise.resolve({}),
    },
    auth: {
      fromApiKey(key: string): Principal {
        const permissions = KEYS[key];
        if (!permissions) throw new CanopyError("unauthorized", "The API key is not valid");
        return { kind: "api_key", name: key, permissions: new Set(permissions) };
      },
    },
  };
}

const app = createApiApp(fakeDeps(), silentLogger);
const req = async (path: string, init: RequestInit & { key?: string } = {}) => {
  const headers = new Headers(init.headers);
  if (init.key) headers.set("X-API-Key", init.key);
  const res = await app.request(path, { ...init, headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
};

Deno.test("OpenAPI documents every route the app registers, and nothing else", () => {
  const registered = new Set(
    app.routes.filter((r) => r.method !== "ALL").map((r) =>
      `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}").replace(/\/$/, "") || "/"}`
    ),
  );
  const documented = new Set(OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`));
  assert.deepEqual([...registered].sort(), [...documented].sort());
});

Deno.test("permissions: none → 401, lacking → 403 naming it, held → 200", async () => {
  assert.equal((await req("/keys")).status, 401);
  const lacking = await req("/keys", { key: "reader" });
  assert.equal(lacking.status, 403);
  assert.deepEqual(lacking.body, {
    error: "This API key lacks the MANAGE_KEYS permission",
    code: "forbidden",
    permission: "MANAGE_KEYS",
  });
  assert.equal((await req("/keys", { key: "admin" })).status, 200);
  assert.equal((await req("/keys", { key: "nope" })).status, 401);
  const bearer = await req("/p2p/invite", { headers: { Authorization: "Bearer reader" } });
  assert.equal(bearer.status, 200);
});

Deno.test("info shows diagnostics only to a key holder", async () => {
  assert.deepEqual((await req("/info")).body, { name: "canopy", version: "9.9.9" });
  assert.equal((await req("/info", { key: "reader" })).body.secret_detail, 1);
  assert.equal((await req("/info", { key: "bad" })).status, 401);
});

Deno.test("bodies: bad JSON, non-object, empty, bad UTF-8 and oversize are each explained", async () => {
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    req("/keys", { method: "POST", key: "admin", body, headers });
  const bad = await post("{nope");
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, "invalid_json");
  assert.match(bad.body.error, /^Request body is not valid JSON/);
  assert.match((await post("[1]")).body.error, /must be a JSON object/);
  assert.match((await post("")).body.error, /empty/);
  assert.match((await post(new Uint8Array([0x7b, 0xff, 0x7d]))).body.error, /UTF-8/);
  const big = await post("x", { "Content-Length": String(5 * 1024 * 1024) });
  assert.equal(big.status, 413);
  const chunked = await post(
    new ReadableStream({
      start(c) {
        for (let i = 0; i < 3; i++) c.enqueue(new Uint8Array(512 * 1024));
        c.close();
      },
    }),
  );
  assert.equal(chunked.status, 413, "a body without Content-Length is counted as it streams");
  const field = await post(JSON.stringify({ name: 5 }));
  assert.deepEqual(field.body, {
    error: "name must be a string",
    code: "validation_failed",
    field: "name",
  });
  const perms = await post(JSON.stringify({ name: "x", permissions: ["GOD_MODE"] }));
  assert.equal(perms.body.field, "permissions");
  const created = await post(JSON.stringify({ name: "x", permissions: "read_messages" }));
  assert.equal(created.status, 201);
  assert.deepEqual(created.body.permissions, ["READ_MESSAGES"]);
});

Deno.test("unknown routes and wrong methods answer in JSON", async () => {
  const missing = await req("/does/not/exist");
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, "not_found");
  const wrong = await req("/p2p/status", { method: "DELETE" });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "GET");
  const notFound = await req("/keys/abc", { method: "DELETE", key: "admin" });
  assert.deepEqual(notFound.body, { error: "No API key with id x", code: "not_found" });
});

Deno.test("invite query: public_host/public_port validated and passed on", async () => {
  const ok = await req("/p2p/invite?public_host=198.51.100.1&public_port=7771", { key: "reader" });
  assert.deepEqual(ok.body.endpoints, ["ws://198.51.100.1:7771"]);
  const host = await req("/p2p/invite?public_host=not%20a%20host", { key: "reader" });
  assert.equal(host.status, 400);
  assert.equal(host.body.field, "public_host");
  const port = await req("/p2p/invite?public_port=0", { key: "reader" });
  assert.equal(port.body.field, "public_port");
});

Deno.test("an unexpected exception is a 500 without a stack trace", async () => {
  const deps = fakeDeps();
  const broken = createApiApp({
    ...deps,
    node: {
      ...deps.node,
      status: () => {
        throw new Error("secret internals at /home/x/file.ts:1");
      },
    },
  }, silentLogger);
  const res = await broken.request("/p2p/status");
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.code, "internal_error");
  assert.ok(!JSON.stringify(body).includes("secret internals"));
});

Deno.test("every route's auth: no key → 401, a key lacking the permission → 403", async () => {
  const all: Permission[] = ["READ_MESSAGES", "WRITE_MESSAGES", "MANAGE_PEERS", "MANAGE_KEYS"];
  const deps = fakeDeps();
  const lacking = (p: string) => `lacks-${p}`;
  const guarded = createApiApp({
    ...deps,
    auth: {
      fromApiKey(key: string): Principal {
        const missing = key.replace(/^lacks-/, "");
        return {
          kind: "api_key",
          name: key,
          permissions: new Set(all.filter((p) => p !== missing)),
        };
      },
    },
  }, silentLogger);
  let checked = 0;
  for (const op of OPERATIONS) {
    if (op.auth === "none" || op.auth === "optional") continue;
    const path = op.path.replace(/\{\w+\}/g, "x");
    const init = { method: op.method.toUpperCase(), body: op.method === "get" ? undefined : "{}" };
    const anonymous = await guarded.request(path, init);
    assert.equal(anonymous.status, 401, `${op.method} ${op.path} without a key`);
    assert.equal((await anonymous.json()).code, "unauthorized");
    if (op.auth !== "any") {
      const res = await guarded.request(path, {
        ...init,
        headers: { "X-API-Key": lacking(op.auth) },
      });
      assert.equal(res.status, 403, `${op.method} ${op.path} lacking ${op.auth}`);
      assert.equal((await res.json()).permission, op.auth);
    }
    checked++;
  }
  assert.ok(checked >= 14, `checked ${checked} guarded routes`);
});

Deno.test("a node pushing back answers 429 with Retry-After", async () => {
  const deps = fakeDeps();
  const busy = createApiApp({
    ...deps,
    messages: {
      ...deps.messages,
      sendDirect: () => Promise.reject(new CanopyError("rate_limited", "busy", { retryAfter: 1 })),
    },
  }, silentLogger);
  const res = await busy.request("/p2p/send", {
    method: "POST",
    headers: { "X-API-Key": "admin" },
    body: JSON.stringify({ content: "x", peer_id: "2vgeYcAbp2hN8pbu" }),
  });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "1");
  assert.deepEqual(await res.json(), { error: "busy", code: "rate_limited", retry_after: 1 });
});
