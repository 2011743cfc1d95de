/**
 * Web accounts against a real node process: the banner's setup URL, setup
 * from loopback, the session cookie, CSRF and Origin/Host checks, a session
 * surviving a restart, and a node with an open event stream still stopping
 * promptly on SIGTERM.
 */
import assert from "node:assert/strict";
import { call } from "../_harness/http.ts";
import { freePort } from "../_harness/cluster.ts";
import { cleanup, type SpawnedNode, spawnNode, TEST_SERVE_ARGS } from "../_harness/spawn_node.ts";

const PASSWORD = "correct horse battery staple";

/** Sends `request` as is to 127.0.0.1:`port`; returns the whole response. */
async function rawRequest(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    let text = "";
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test("accounts and sessions through a real node", async () => {
  const nodes: SpawnedNode[] = [];
  try {
    const args = [...TEST_SERVE_ARGS];
    args[args.indexOf("--port") + 1] = String(freePort());
    let node = await spawnNode({ args });
    nodes.push(node);
    const setupLine = node.stdout.find((l) => l.trimStart().startsWith("setup:"));
    assert.match(setupLine ?? "", new RegExp(`${node.baseUrl}/setup\\?token=[\\w-]{24}$`));

    const status = await call(`${node.apiUrl}/auth/status`);
    assert.equal(status.json.needs_setup, true);
    assert.equal(status.json.setup_token_required, false, "127.0.0.1 is loopback");

    const setup = await call(`${node.apiUrl}/auth/setup`, {
      body: { username: "alice", password: PASSWORD },
      headers: { Origin: node.baseUrl },
    });
    assert.equal(setup.status, 201, setup.text);
    const setCookie = setup.headers.get("set-cookie")!;
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const cookie = setCookie.split(";")[0];
    const csrf = setup.json.csrf_token as string;

    // The session reaches guarded routes; state changes need the CSRF token and our Origin.
    const peers = await call(`${node.apiUrl}/p2p/peers`, { headers: { Cookie: cookie } });
    assert.equal(peers.status, 200, peers.text);
    const keyBody = { name: "from-session" };
    const noCsrf = await call(`${node.apiUrl}/keys`, {
      body: keyBody,
      headers: { Cookie: cookie },
    });
    assert.equal(noCsrf.status, 403);
    const crossSite = await call(`${node.apiUrl}/keys`, {
      body: keyBody,
      headers: { Cookie: cookie, "X-CSRF-Token": csrf, Origin: "http://evil.example" },
    });
    assert.equal(crossSite.status, 403);
    // fetch() will not send a foreign Host, so this one is written by hand (DNS rebinding).
    const rebound = await rawRequest(
      node.httpPort,
      [
        "POST /api/v1/keys HTTP/1.1",
        `Host: rebind.example:${node.httpPort}`,
        `Origin: http://rebind.example:${node.httpPort}`,
        `Cookie: ${cookie}`,
        `X-CSRF-Token: ${csrf}`,
        "Content-Type: application/json",
        "Content-Length: 2",
        "Connection: close",
        "",
        "{}",
      ].join("\r\n"),
    );
    assert.match(rebound, /^HTTP\/1\.1 403/);
    assert.match(rebound, /not a name of this node/);
    const created = await call(`${node.apiUrl}/keys`, {
      body: keyBody,
      headers: { Cookie: cookie, "X-CSRF-Token": csrf, Origin: node.baseUrl },
    });
    assert.equal(created.status, 201, created.text);

    // A second setup is refused; a wrong password is a 401.
    const again = await call(`${node.apiUrl}/auth/setup`, {
      body: { username: "mallory", password: PASSWORD },
    });
    assert.equal(again.status, 409);
    const wrong = await call(`${node.apiUrl}/auth/login`, {
      body: { username: "alice", password: "not it at all" },
    });
    assert.equal(wrong.status, 401);

    // With an event stream open, SIGTERM still stops the node at once, and the session survives.
    const abort = new AbortController();
    const stream = await fetch(`${node.apiUrl}/events`, {
      headers: { Cookie: cookie },
      signal: abort.signal,
    });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    await reader.read();
    const started = Date.now();
    assert.equal(await node.stop("SIGTERM"), 0);
    assert.ok(Date.now() - started < 10_000, "the open stream did not hold the node up");
    while (!(await reader.read().catch(() => ({ done: true }))).done) { /* drain */ }
    abort.abort();

    node = await spawnNode({ dir: node.dir, args });
    nodes.push(node);
    assert.ok(!node.stdout.some((l) => l.includes("setup:")), "no setup URL once set up");
    const after = await call(`${node.apiUrl}/auth/status`, { headers: { Cookie: cookie } });
    assert.equal(after.json.logged_in, true);
    assert.equal(after.json.csrf_token, csrf);
    const out = await call(`${node.apiUrl}/auth/logout`, {
      method: "POST",
      headers: { Cookie: cookie, "X-CSRF-Token": csrf, Origin: node.baseUrl },
    });
    assert.equal(out.status, 200);
    const gone = await call(`${node.apiUrl}/p2p/peers`, { headers: { Cookie: cookie } });
    assert.equal(gone.status, 401);
  } finally {
    await cleanup(nodes);
  }
});
