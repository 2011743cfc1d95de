import assert from "node:assert/strict";
import { dialWs } from "./client.ts";
import { CLOSE } from "./close.ts";
import { OPCODE } from "./frame.ts";
import { acceptKey, parseHead } from "./handshake.ts";
import { serveWs } from "./server.ts";
import {
  clientFrame,
  rawRequest,
  readToEnd,
  startServer,
  TEST_PATH,
  type TestServer,
} from "./_testing.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ=="; // §1.3's sample nonce

function upgrade(path = TEST_PATH, extra = "", version = "13", key = KEY): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
    `Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
    `Sec-WebSocket-Version: ${version}\r\n${extra}\r\n`;
}

/** Sends `request` raw and returns the status line, header fields and body. */
async function ask(ts: TestServer, request: string) {
  const conn = await rawRequest(ts.server.port, request);
  const bytes = await readToEnd(conn, 64 * 1024);
  const text = new TextDecoder().decode(bytes);
  const end = text.indexOf("\r\n\r\n");
  const head = parseHead(bytes.subarray(0, end === -1 ? bytes.length : end));
  return { status: head?.startLine ?? "", headers: head?.headers, body: text.slice(end + 4) };
}

/** The server still upgrades a real client after whatever the test did. */
async function assertStillServing(ts: TestServer) {
  const client = await dialWs(ts.url);
  const server = await ts.next();
  const receiving = server.receive();
  client.close();
  assert.equal(await receiving, null);
  await client.closed;
}

Deno.test("server: §1.3 sample key gets the §1.3 accept value, with the offered subprotocol", async () => {
  assert.equal(await acceptKey(KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  const ts = startServer({ protocol: "canopy.mesh.v1", closeTimeoutMs: 100 });
  const conn = await rawRequest(
    ts.server.port,
    upgrade(TEST_PATH, "Sec-WebSocket-Protocol: chat, canopy.mesh.v1\r\n"),
  );
  const server = await ts.next();
  server.close();
  const text = new TextDecoder().decode(await readToEnd(conn));
  assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(text, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  assert.match(text, /\r\nSec-WebSocket-Protocol: canopy\.mesh\.v1\r\n/);
  await server.closed;
  await ts.close();
});

Deno.test("server: plain HTTP gets a small plain answer and the server keeps serving", async () => {
  const ts = startServer();
  const root = await ask(ts, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  assert.match(root.status, /^HTTP\/1\.1 404 /);
  const plain = await ask(ts, `GET ${TEST_PATH} HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n`);
  assert.match(plain.status, /^HTTP\/1\.1 426 /);
  assert.equal(plain.headers?.get("upgrade"), "websocket");
  assert.match(plain.body, /WebSocket/);
  const post = await ask(ts, `POST ${TEST_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
  assert.match(post.status, /^HTTP\/1\.1 405 /);
  // And through a real HTTP client, as `curl http://host:7771/` would.
  const res = await fetch(`http://127.0.0.1:${ts.server.port}/`);
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
  await res.body?.cancel();
  await assertStillServing(ts);
  await ts.close(); // waits for every handshake, so the counters are final
  assert.equal(ts.server.drops.wrong_path, 2);
  assert.equal(ts.server.drops.not_upgrade, 1);
});

Deno.test("server: bad upgrade requests are refused with the right status (§4.2.1)", async () => {
  const ts = startServer();
  const cases: [string, string, RegExp][] = [
    ["version 8", upgrade(TEST_PATH, "", "8"), / 426 /],
    ["short key", upgrade(TEST_PATH, "", "13", "c2hvcnQ="), / 400 /],
    ["two keys", upgrade(TEST_PATH, `Sec-WebSocket-Key: ${KEY}\r\n`), / 400 /],
    ["no Host", upgrade().replace("Host: 127.0.0.1\r\n", ""), / 400 /],
    ["HTTP/1.0", upgrade().replace("HTTP/1.1", "HTTP/1.0"), / 400 /],
    ["folded header", upgrade(TEST_PATH, "X-A: 1\r\n  folded\r\n"), / 400 /],
    ["bare LF", upgrade(TEST_PATH, "X-A: 1\nX-B: 2\r\n"), / 400 /],
    ["garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", / 400 /],
    ["absolute URI", upgrade(`http://127.0.0.1${TEST_PATH}`), / 400 /],
  ];
  for (const [name, request, status] of cases) {
    const r = await ask(ts, request);
    assert.match(r.status, status, name);
  }
  assert.equal(
    (await ask(ts, upgrade(TEST_PATH, "", "8"))).headers?.get("sec-websocket-version"),
    "13",
  );
  await assertStillServing(ts);
  await ts.close();
});

Deno.test("server: an oversized request head is refused with 431", async () => {
  const ts = startServer({ maxHeaderBytes: 1024 });
  const r = await ask(ts, upgrade(TEST_PATH, `X-Pad: ${"a".repeat(2000)}\r\n`));
  assert.match(r.status, /^HTTP\/1\.1 431 /);
  await assertStillServing(ts);
  await ts.close();
  assert.equal(ts.server.drops.header_too_large, 1);
});

Deno.test("server: a connection that never sends its request is dropped at the deadline", async () => {
  const ts = startServer({ handshakeTimeoutMs: 100 });
  const silent = await Deno.connect({ hostname: "127.0.0.1", port: ts.server.port });
  const half = await rawRequest(ts.server.port, "GET /canopy/mesh HTTP/1.1\r\nHost: x\r\n");
  assert.equal((await readToEnd(silent)).length, 0);
  assert.equal((await readToEnd(half)).length, 0);
  await assertStillServing(ts);
  await ts.close();
  assert.equal(ts.server.drops.timeout, 2);
});

Deno.test("server: port probes (connect, then close) are counted and harmless", async () => {
  const ts = startServer();
  for (let i = 0; i < 5; i++) {
    (await Deno.connect({ hostname: "127.0.0.1", port: ts.server.port })).close();
  }
  await assertStillServing(ts);
  await ts.close();
  assert.equal(ts.server.drops.closed_early, 5);
});

Deno.test("server: pending connections beyond the cap are closed at once", async () => {
  const ts = startServer({ maxPendingConnections: 2, handshakeTimeoutMs: 200 });
  const idle = [];
  for (let i = 0; i < 2; i++) {
    idle.push(await Deno.connect({ hostname: "127.0.0.1", port: ts.server.port }));
  }
  const third = await Deno.connect({ hostname: "127.0.0.1", port: ts.server.port });
  assert.equal((await readToEnd(third)).length, 0);
  assert.equal(ts.server.drops.too_many_pending, 1);
  for (const c of idle) await readToEnd(c); // dropped at their deadline
  await assertStillServing(ts);
  await ts.close();
});

Deno.test("server: frames sent right behind the request (before the 101) are not lost", async () => {
  const ts = startServer({ closeTimeoutMs: 100 });
  const bytes = new TextEncoder().encode(upgrade());
  const frame = clientFrame(OPCODE.binary, [7, 8, 9]);
  const both = new Uint8Array(bytes.length + frame.length);
  both.set(bytes);
  both.set(frame, bytes.length);
  const conn = await rawRequest(ts.server.port, both);
  const server = await ts.next();
  assert.deepEqual(await server.receive(), Uint8Array.of(7, 8, 9));
  server.close();
  await readToEnd(conn);
  await ts.close();
});

Deno.test("server: an onConnection that throws closes that connection with 1011", async () => {
  const errors: unknown[] = [];
  const server = serveWs({
    hostname: "127.0.0.1",
    port: 0,
    path: TEST_PATH,
    onConnection: () => {
      throw new Error("handler bug");
    },
    onError: (e) => errors.push(e),
  });
  const client = await dialWs(`ws://127.0.0.1:${server.port}${TEST_PATH}`);
  assert.equal(await client.receive(), null);
  assert.deepEqual(await client.closed, {
    code: CLOSE.internalError,
    reason: "internal error",
    byPeer: true,
  });
  assert.match(String(errors[0]), /handler bug/);
  await server.close();
});

Deno.test("server: a busy port throws AddrInUse; close() is idempotent", async () => {
  const ts = startServer();
  assert.throws(
    () =>
      serveWs({ hostname: "127.0.0.1", port: ts.server.port, path: "/", onConnection: () => {} }),
    Deno.errors.AddrInUse,
  );
  await Promise.all([ts.close(), ts.close()]);
  assert.throws(() => startServer({ path: "no-slash" }), RangeError);
});

Deno.test("server: close() also ends connections still in their handshake", async () => {
  const ts = startServer();
  const conn = await rawRequest(ts.server.port, "GET /canopy/mesh HTTP/1.1\r\n");
  const closing = ts.close();
  assert.equal((await readToEnd(conn)).length, 0);
  await closing;
});
