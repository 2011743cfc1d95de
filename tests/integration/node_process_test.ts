/**
 * A real node process on port 0 with a temporary data directory: the
 * foundation's behaviour as a user and a script see it.
 */
import assert from "node:assert/strict";
import {
  cleanup,
  runCli,
  type SpawnedNode,
  spawnNode,
  TEST_SERVE_ARGS,
} from "../_harness/spawn_node.ts";
import { call } from "../_harness/http.ts";
import { decodeInvite } from "../../src/identity/invite.ts";
import { peerIdOf } from "../../src/identity/peer_id.ts";

function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1];
}

async function createKey(dir: string, ...extra: string[]): Promise<string> {
  const out = await runCli(dir, ["keys", "create", "--name", `test-${extra.join("")}`, ...extra]);
  assert.equal(out.code, 0, out.stderr);
  const key = lastLine(out.stdout);
  assert.match(key, /^cnp_\w+_[\w-]{43}$/, "the key is alone on the last line");
  return key;
}

Deno.test("a node process: health, auth, keys, invites, limits and restart", async (t) => {
  const nodes: SpawnedNode[] = [];
  let node = await spawnNode();
  nodes.push(node);
  const dir = node.dir;
  try {
    await t.step("health and status need no key", async () => {
      const health = await call(`${node.apiUrl}/health`);
      assert.equal(health.status, 200);
      assert.equal(health.json.status, "ok");
      const status = await call(`${node.apiUrl}/p2p/status`);
      assert.equal(status.status, 200);
      assert.equal(status.json.peer_id, node.peerId);
      assert.equal(status.json.running, true);
      assert.equal(status.json.connected_peers, 0);
      assert.equal(status.json.relay_policy, "broker_only");
    });

    await t.step("info: version only without a key", async () => {
      const info = await call(`${node.apiUrl}/info`);
      assert.equal(info.status, 200);
      assert.deepEqual(Object.keys(info.json).sort(), ["name", "version"]);
    });

    await t.step("invite without a key is 401 with a JSON error", async () => {
      const res = await call(`${node.apiUrl}/p2p/invite`);
      assert.equal(res.status, 401);
      assert.equal(res.json.code, "unauthorized");
      assert.match(String(res.json.error), /X-API-Key/);
      const bad = await call(`${node.apiUrl}/p2p/invite`, { key: "cnp_notakey" });
      assert.equal(bad.status, 401);
    });

    const key = await createKey(dir);
    const admin = await createKey(dir, "--permissions", "all");

    await t.step("a key from `keys create` (node running) works, also as Bearer", async () => {
      const res = await call(`${node.apiUrl}/p2p/invite`, { key });
      assert.equal(res.status, 200, res.text);
      const bearer = await call(`${node.apiUrl}/p2p/invite`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      assert.equal(bearer.status, 200);
      const info = await call(`${node.apiUrl}/info`, { key });
      assert.equal(info.json.peer_id, node.peerId, "diagnostics with a key");
      assert.ok(info.json.memory);
    });

    await t.step("the invite decodes and its pid matches its epk", async () => {
      const res = await call<{ invite_code: string; peer_id: string; endpoints: string[] }>(
        `${node.apiUrl}/p2p/invite`,
        { key },
      );
      const invite = decodeInvite(res.json.invite_code);
      assert.equal(invite.peerId, node.peerId);
      assert.equal(res.json.peer_id, node.peerId);
      assert.equal(peerIdOf(invite.ed25519PublicKey), invite.peerId);
      assert.deepEqual(invite.endpoints, res.json.endpoints);
      assert.deepEqual(res.json.endpoints, [`ws://127.0.0.1:${node.meshPort}`]);
    });

    await t.step("public_host and public_port go first, as the guide shows", async () => {
      const res = await call<{ invite_code: string; endpoints: string[] }>(
        `${node.apiUrl}/p2p/invite?public_host=198.51.100.1&public_port=7771`,
        { key },
      );
      assert.equal(res.status, 200);
      assert.equal(res.json.endpoints[0], "ws://198.51.100.1:7771");
      assert.equal(decodeInvite(res.json.invite_code).endpoints[0], "ws://198.51.100.1:7771");
      const bad = await call(
        `${node.apiUrl}/p2p/invite?public_host=198.51.100.1&public_port=99999`,
        {
          key,
        },
      );
      assert.equal(bad.status, 400);
      assert.equal(bad.json.field, "public_port");
    });

    await t.step("a key without MANAGE_KEYS gets 403 on /keys, naming the permission", async () => {
      const res = await call(`${node.apiUrl}/keys`, { key });
      assert.equal(res.status, 403);
      assert.equal(res.json.code, "forbidden");
      assert.equal(res.json.permission, "MANAGE_KEYS");
      assert.match(String(res.json.error), /MANAGE_KEYS/);
      const ok = await call<{ keys: unknown[] }>(`${node.apiUrl}/keys`, { key: admin });
      assert.equal(ok.status, 200);
      assert.equal(ok.json.keys.length, 2);
      assert.ok(!ok.text.includes(key.slice(-43)), "secrets are never listed");
    });

    await t.step("bad JSON is a 400 naming the problem", async () => {
      const res = await call(`${node.apiUrl}/keys`, { key: admin, body: '{"name": "x",' });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, "invalid_json");
      assert.match(String(res.json.error), /not valid JSON/);
      const missing = await call(`${node.apiUrl}/keys`, {
        key: admin,
        body: { permissions: "all" },
      });
      assert.equal(missing.status, 400);
      assert.equal(missing.json.field, "name");
    });

    await t.step("a 2 MiB body is a 413, and the node keeps serving", async () => {
      const res = await call(`${node.apiUrl}/keys`, {
        key: admin,
        body: new Uint8Array(2 * 1024 * 1024).fill(0x20),
      });
      assert.equal(res.status, 413);
      assert.equal(res.json.code, "payload_too_large");
      assert.equal((await call(`${node.apiUrl}/health`)).status, 200);
    });

    await t.step("unknown routes get JSON errors; pages get security headers", async () => {
      const res = await call(`${node.apiUrl}/nope`);
      assert.equal(res.status, 404);
      assert.equal(res.json.code, "not_found");
      const page = await call(`${node.baseUrl}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    });

    await t.step("a key revoked from the CLI stops working at once", async () => {
      const created = await call<{ id: string; key: string }>(`${node.apiUrl}/keys`, {
        key: admin,
        body: { name: "short-lived" },
      });
      assert.equal(created.status, 201);
      assert.equal(
        (await call(`${node.apiUrl}/p2p/invite`, { key: created.json.key })).status,
        200,
      );
      const out = await runCli(dir, ["keys", "revoke", created.json.id]);
      assert.equal(out.code, 0, out.stderr);
      const res = await call(`${node.apiUrl}/p2p/invite`, { key: created.json.key });
      assert.equal(res.status, 401);
      assert.match(String(res.json.error), /revoked/);
    });

    await t.step("a busy port is named with the flag that changes it", async () => {
      const out = await runCli(dir, [
        ...TEST_SERVE_ARGS.map((
          a,
          i,
          all,
        ) => (all[i - 1] === "--port" ? String(node.httpPort) : a)),
      ]);
      assert.notEqual(out.code, 0);
      assert.match(
        out.stderr,
        new RegExp(`Port ${node.httpPort} .* already in use; choose another with --port`),
      );
    });

    await t.step(
      "SIGTERM shuts down cleanly; after a restart the peer id is the same",
      async () => {
        const peerId = node.peerId;
        assert.equal(await node.stop("SIGTERM"), 0);
        node = await spawnNode({ dir });
        nodes.push(node);
        assert.equal(node.peerId, peerId);
        assert.equal(
          (await call(`${node.apiUrl}/p2p/invite`, { key })).status,
          200,
          "keys persist",
        );
        assert.equal(await node.stop("SIGINT"), 0);
      },
    );
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("bad flags print one line naming the flag and exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "canopy-cli-" });
  try {
    const out = await runCli(dir, ["--relay-policy", "sometimes"]);
    assert.equal(out.code, 2);
    assert.equal(
      out.stderr.trim(),
      'canopy: --relay-policy: expected one of off, broker_only, full_relay, got "sometimes"',
    );
    const env = await runCli(dir, [], { CANOPY_PORT: "http" });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /CANOPY_PORT: expected a port number 0-65535/);
    const outside = await runCli(dir, ["keys", "list", "--data-dir", "/tmp/elsewhere"]);
    assert.equal(outside.code, 2);
    assert.match(
      outside.stderr,
      /--data-dir \/tmp\/elsewhere: this build may only read and write \.\/data/,
    );
    const version = await runCli(dir, ["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^canopy \d+\.\d+\.\d+/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
