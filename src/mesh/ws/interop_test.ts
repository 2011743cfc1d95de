import assert from "node:assert/strict";
import { dialWs } from "./client.ts";
import { CLOSE } from "./close.ts";
import { pattern, startServer, TEST_PATH } from "./_testing.ts";

const SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20];

/** Deno's built-in client, with its events as promises. */
function builtinClient(url: string, protocols?: string) {
  const ws = new WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  const messages: (Uint8Array | string)[] = [];
  const waiting: ((m: Uint8Array | string) => void)[] = [];
  ws.onmessage = (e) => {
    const m = typeof e.data === "string" ? e.data : new Uint8Array(e.data);
    const w = waiting.shift();
    if (w) w(m);
    else messages.push(m);
  };
  const opened = new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("WebSocket error"));
  });
  const closed = new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
  return {
    ws,
    opened,
    closed,
    next: () => {
      const m = messages.shift();
      return m !== undefined
        ? Promise.resolve(m)
        : new Promise<Uint8Array | string>((r) => waiting.push(r));
    },
  };
}

Deno.test("interop: Deno's WebSocket client ↔ our server, both ways, client closes", async () => {
  const ts = startServer({ protocol: "canopy.mesh.v1" });
  const c = builtinClient(ts.url, "canopy.mesh.v1");
  await c.opened;
  assert.equal(c.ws.protocol, "canopy.mesh.v1");
  const server = await ts.next();
  for (const n of SIZES) {
    c.ws.send(pattern(n, n));
    assert.deepEqual(await server.receive(), pattern(n, n), `builtin → ours ${n}`);
    await server.send(pattern(n, n + 1));
    assert.deepEqual(await c.next(), pattern(n, n + 1), `ours → builtin ${n}`);
  }
  const receiving = server.receive();
  c.ws.close(4000, "from deno");
  assert.equal(await receiving, null);
  assert.deepEqual(await server.closed, { code: 4000, reason: "from deno", byPeer: true });
  const event = await c.closed;
  assert.equal(event.code, 4000);
  assert.equal(event.wasClean, true);
  await ts.close();
});

Deno.test("interop: our server closes a Deno WebSocket client cleanly", async () => {
  const ts = startServer();
  const c = builtinClient(ts.url);
  await c.opened;
  const server = await ts.next();
  server.close(4001, "from canopy");
  const event = await c.closed;
  assert.equal(event.code, 4001);
  assert.equal(event.reason, "from canopy");
  assert.equal(event.wasClean, true);
  assert.deepEqual(await server.closed, { code: 4001, reason: "from canopy", byPeer: false });
  await ts.close();
});

Deno.test("interop: a text message from Deno's client is refused with 1003", async () => {
  const ts = startServer();
  const c = builtinClient(ts.url);
  await c.opened;
  const server = await ts.next();
  const receiving = server.receive();
  c.ws.send("hello");
  assert.equal(await receiving, null);
  assert.equal((await c.closed).code, CLOSE.unsupportedData);
  assert.equal((await server.closed).code, CLOSE.unsupportedData);
  await ts.close();
});

Deno.test("interop: our client ↔ Deno.serve + upgradeWebSocket, both ways, we close", async () => {
  let serverClosed!: (e: CloseEvent) => void;
  const closedOnServer = new Promise<CloseEvent>((r) => serverClosed = r);
  const paths: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    paths.push(new URL(req.url).pathname);
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (e) => {
      const m = new Uint8Array(e.data as ArrayBuffer);
      socket.send(m.map((b) => b ^ 0xff)); // echo, inverted: proves it went through the peer
    };
    socket.onclose = serverClosed;
    return response;
  });
  const client = await dialWs(`ws://127.0.0.1:${server.addr.port}`, { defaultPath: TEST_PATH });
  assert.deepEqual(paths, [TEST_PATH]);
  for (const n of SIZES) {
    const m = pattern(n, n);
    await client.send(m);
    assert.deepEqual(await client.receive(), m.map((b) => b ^ 0xff), `${n} bytes`);
  }
  const rtt = await client.ping();
  assert.ok(rtt >= 0);
  client.close(4002, "from canopy");
  assert.deepEqual(await client.closed, { code: 4002, reason: "from canopy", byPeer: false });
  const event = await closedOnServer;
  assert.equal(event.code, 4002);
  assert.equal(event.reason, "from canopy");
  await server.shutdown();
});

Deno.test("interop: Deno.serve closing its WebSocket is seen by our client", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = () => socket.close(4003, "from deno");
    return response;
  });
  const client = await dialWs(`ws://127.0.0.1:${server.addr.port}${TEST_PATH}`);
  assert.equal(await client.receive(), null);
  assert.deepEqual(await client.closed, { code: 4003, reason: "from deno", byPeer: true });
  await server.shutdown();
});
