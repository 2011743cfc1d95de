import assert from "node:assert/strict";
import { readHead, writeAll } from "./_io.ts";
import { dialWs, parseWsUrl } from "./client.ts";
import { WsError, type WsErrorCode } from "./errors.ts";
import { CLOSE } from "./close.ts";
import { encodeFrame, OPCODE } from "./frame.ts";
import { acceptKey, parseHead } from "./handshake.ts";
import { readToEnd, startServer, TEST_PATH } from "./_testing.ts";
import { TEST_CA, TEST_CERT, TEST_KEY } from "./_test_tls.ts";

/** Accepts one TCP connection on loopback and lets `script` answer it by hand. */
function rawServer(script: (conn: Deno.TcpConn, key: string) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    try {
      const r = await readHead(conn, 8192);
      const key = r.kind === "head"
        ? parseHead(r.head)?.headers.get("sec-websocket-key") ?? ""
        : "";
      await script(conn, key);
    } finally {
      try {
        conn.close();
      } catch { /* closed by the script */ }
    }
  })();
  return {
    url: `ws://127.0.0.1:${listener.addr.port}${TEST_PATH}`,
    /** Waits for the script, then stops listening. */
    async close() {
      await done.catch(() => {});
      listener.close();
    },
  };
}

const text = (s: string) => new TextEncoder().encode(s);
const isWsError = (code: WsErrorCode, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof WsError, String(e));
  assert.equal(e.code, code, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

async function switching(conn: Deno.Conn, key: string, extra = ""): Promise<void> {
  await writeAll(
    conn,
    text(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${await acceptKey(key)}\r\n${extra}\r\n`,
    ),
  );
}

Deno.test("client: URLs resolve to host, port, Host header and path", () => {
  assert.deepEqual(parseWsUrl("ws://127.0.0.1:7771", { defaultPath: "/canopy/mesh" }), {
    secure: false,
    hostname: "127.0.0.1",
    port: 7771,
    host: "127.0.0.1:7771",
    path: "/canopy/mesh",
  });
  assert.equal(parseWsUrl("ws://h:1?a=b", { defaultPath: "/m" }).path, "/m?a=b");
  assert.equal(parseWsUrl("ws://h:1/", { defaultPath: "/m" }).path, "/");
  assert.equal(parseWsUrl("ws://h:1/x/y?z", { defaultPath: "/m" }).path, "/x/y?z");
  assert.equal(parseWsUrl("ws://h:1/x", { path: "/forced" }).path, "/forced");
  assert.equal(parseWsUrl("ws://h").path, "/");
  assert.equal(parseWsUrl("ws://h").port, 80);
  const v6 = parseWsUrl("wss://[::1]:9/p");
  assert.deepEqual([v6.secure, v6.hostname, v6.port, v6.host], [true, "::1", 9, "[::1]:9"]);
  assert.equal(parseWsUrl("wss://example.org/p").port, 443);
  for (const bad of ["http://h/", "not a url", "ws://h/#frag"]) {
    assert.throws(() => parseWsUrl(bad), isWsError("bad_url"));
  }
  assert.throws(() => parseWsUrl("ws://h", { path: "no-slash" }), isWsError("bad_url"));
});

Deno.test("client: nothing listening → 'connection refused'", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(
    dialWs(`ws://127.0.0.1:${port}/`),
    isWsError("refused", /^connection refused$/),
  );
});

Deno.test("client: a server that never answers → 'timed out after …'", async () => {
  const server = rawServer((conn) => readToEnd(conn).then(() => {}));
  await assert.rejects(
    dialWs(server.url, { timeoutMs: 100 }),
    isWsError("timeout", /^timed out after 0\.1 s$/),
  );
  await server.close();
});

Deno.test("client: an AbortSignal cancels the dial", async () => {
  const server = rawServer((conn) => readToEnd(conn).then(() => {}));
  const abort = new AbortController();
  const dialing = dialWs(server.url, { signal: abort.signal });
  setTimeout(() => abort.abort(), 20);
  await assert.rejects(dialing, isWsError("aborted"));
  await server.close();
  await assert.rejects(dialWs(server.url, { signal: AbortSignal.abort() }), isWsError("aborted"));
});

Deno.test("client: an HTTP answer that is not 101 → 'not a WebSocket endpoint (HTTP 404)'", async () => {
  const ts = startServer();
  await assert.rejects(
    dialWs(`ws://127.0.0.1:${ts.server.port}/elsewhere`),
    isWsError("not_websocket", /^not a WebSocket endpoint \(HTTP 404\)$/),
  );
  await ts.close();
});

Deno.test("client: a wrong Sec-WebSocket-Accept, an unasked extension or subprotocol are refused", async () => {
  const answers: [string, (conn: Deno.Conn, key: string) => Promise<void>, RegExp][] = [
    ["bad accept", (c) => switching(c, "AAAAAAAAAAAAAAAAAAAAAA=="), /Accept/],
    [
      "extension",
      (c, k) => switching(c, k, "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
      /extension/,
    ],
    ["subprotocol", (c, k) => switching(c, k, "Sec-WebSocket-Protocol: other\r\n"), /subprotocol/],
    [
      "no upgrade",
      (c, k) =>
        acceptKey(k).then((a) =>
          writeAll(c, text(`HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: ${a}\r\n\r\n`))
        ),
      /switch/,
    ],
    ["garbage", (c) => writeAll(c, text("SSH-2.0-OpenSSH_9.6\r\n\r\n")), /malformed/],
    ["closed", () => Promise.resolve(), /closed during/],
    [
      "huge head",
      (c) => writeAll(c, text(`HTTP/1.1 101 OK\r\nX: ${"a".repeat(9000)}`)),
      /too large/,
    ],
  ];
  for (const [name, answer, message] of answers) {
    const server = rawServer(answer);
    await assert.rejects(dialWs(server.url), isWsError("handshake_failed", message), name);
    await server.close();
  }
});

Deno.test("client: an asked subprotocol must be confirmed", async () => {
  const plain = startServer();
  await assert.rejects(
    dialWs(plain.url, { protocol: "canopy.mesh.v1" }),
    isWsError("handshake_failed", /canopy/),
  );
  await plain.close();
  const ts = startServer({ protocol: "canopy.mesh.v1" });
  const client = await dialWs(ts.url, { protocol: "canopy.mesh.v1" });
  const server = await ts.next();
  const receiving = server.receive();
  client.close();
  assert.equal(await receiving, null);
  await client.closed;
  await ts.close();
});

Deno.test("client: a masked frame from the server is a protocol error (1002, §5.1)", async () => {
  const server = rawServer(async (conn, key) => {
    await switching(conn, key);
    await writeAll(
      conn,
      encodeFrame(OPCODE.binary, Uint8Array.of(1), { mask: Uint8Array.of(1, 2, 3, 4) }),
    );
    await readToEnd(conn);
  });
  const client = await dialWs(server.url);
  assert.equal(await client.receive(), null);
  assert.deepEqual(await client.closed, {
    code: CLOSE.protocolError,
    reason: "masked server frame",
    byPeer: false,
  });
  await server.close();
});

Deno.test("client: the server dropping TCP is seen as closed with 1006", async () => {
  const server = rawServer((conn, key) => switching(conn, key)); // then closes TCP
  const client = await dialWs(server.url);
  assert.equal(await client.receive(), null);
  const info = await client.closed;
  assert.equal(info.code, CLOSE.abnormal);
  assert.equal(info.byPeer, true);
  await assert.rejects(client.send(Uint8Array.of(1)), isWsError("closed"));
  await server.close();
});

Deno.test("client: frames that arrive with the 101 are not lost", async () => {
  const server = rawServer(async (conn, key) => {
    const frame = encodeFrame(OPCODE.binary, Uint8Array.of(5, 6));
    const close = encodeFrame(OPCODE.close, Uint8Array.of(0x03, 0xe8));
    const accept = await acceptKey(key);
    const head = text(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    await writeAll(conn, Uint8Array.from([...head, ...frame, ...close]));
    await conn.read(new Uint8Array(64)); // the echoed close; then the server closes TCP (§7.1.1)
  });
  const client = await dialWs(server.url);
  assert.deepEqual(await client.receive(), Uint8Array.of(5, 6));
  assert.equal(await client.receive(), null);
  assert.deepEqual(await client.closed, { code: 1000, reason: "", byPeer: true });
  await server.close();
});

Deno.test("client: wss:// works against a TLS WebSocket server, and refuses an unknown CA", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: TEST_CERT, key: TEST_KEY, onListen: () => {} },
    (req) => {
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.binaryType = "arraybuffer";
      socket.onmessage = (e) => socket.send(e.data);
      return response;
    },
  );
  const url = `wss://127.0.0.1:${server.addr.port}${TEST_PATH}`;
  await assert.rejects(dialWs(url), isWsError("tls"));
  const client = await dialWs(url, { caCerts: [TEST_CA] });
  await client.send(Uint8Array.of(1, 2, 3));
  assert.deepEqual(await client.receive(), Uint8Array.of(1, 2, 3));
  client.close(1000, "tls done");
  assert.equal(await client.receive(), null);
  assert.equal((await client.closed).code, 1000);
  await server.shutdown();
});
