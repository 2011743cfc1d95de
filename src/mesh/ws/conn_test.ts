import assert from "node:assert/strict";
import { dialWs } from "./client.ts";
import type { WsConnWithPing } from "./conn.ts";
import { CLOSE } from "./close.ts";
import { OPCODE } from "./frame.ts";
import { WsError } from "./errors.ts";
import {
  clientFrame,
  closeOf,
  parseFrames,
  pattern,
  rawUpgrade,
  readToEnd,
  startServer,
  type TestServer,
  within,
} from "./_testing.ts";

/** A connected pair: our client, our server's side of it. Closes both and the server. */
async function pair(
  body: (client: WsConnWithPing, server: WsConnWithPing, ts: TestServer) => Promise<void>,
  options: { fragmentBytes?: number } = {},
): Promise<void> {
  const ts = startServer();
  let client: WsConnWithPing | undefined;
  let server: WsConnWithPing | undefined;
  try {
    client = await dialWs(ts.url, options);
    server = await ts.next();
    await body(client, server, ts);
  } finally {
    client?.close();
    // Reading is pull-based: the server notices the close frame when it reads.
    while (server && (await server.receive()) !== null) { /* drop */ }
    await client?.closed;
    await ts.close();
  }
}

Deno.test("conn: binary messages of every length form round trip both ways", async () => {
  await pair(async (client, server) => {
    for (const n of [0, 1, 125, 126, 127, 65535, 65536, 1 << 20]) {
      const m = pattern(n, n);
      await client.send(m);
      assert.deepEqual(await server.receive(), m, `client → server ${n}`);
      await server.send(m);
      assert.deepEqual(await client.receive(), m, `server → client ${n}`);
    }
  });
});

Deno.test("conn: many messages arrive complete and in order", async () => {
  await pair(async (client, server) => {
    const count = 2000;
    const sends = [];
    for (let i = 0; i < count; i++) sends.push(client.send(pattern(1 + (i % 300), i)));
    for (let i = 0; i < count; i++) {
      assert.deepEqual(await server.receive(), pattern(1 + (i % 300), i), `message ${i}`);
    }
    await Promise.all(sends);
  });
});

Deno.test("conn: fragmented messages are reassembled (§5.4)", async () => {
  await pair(async (client, server) => {
    const m = pattern(100_000, 7);
    await client.send(m);
    assert.deepEqual(await server.receive(), m);
    await client.send(new Uint8Array(0));
    assert.deepEqual(await server.receive(), new Uint8Array(0));
  }, { fragmentBytes: 1000 });
});

Deno.test("conn: a ping between fragments is answered and the message still assembles", async () => {
  const ts = startServer();
  const { conn, rest } = await rawUpgrade(ts.server.port);
  assert.equal(rest.length, 0);
  const server = await ts.next();
  const frames = [
    clientFrame(OPCODE.binary, [1, 2, 3], { fin: false }),
    clientFrame(OPCODE.ping, [9, 9]),
    clientFrame(OPCODE.continuation, [], { fin: false }),
    clientFrame(OPCODE.continuation, [4, 5], { fin: true }),
    clientFrame(OPCODE.close, [0x03, 0xe8]),
  ];
  for (const f of frames) await conn.write(f);
  assert.deepEqual(await server.receive(), Uint8Array.from([1, 2, 3, 4, 5]));
  assert.equal(await server.receive(), null);
  const got = parseFrames(await readToEnd(conn));
  assert.deepEqual(got.map((f) => f.opcode), [OPCODE.pong, OPCODE.close]);
  assert.deepEqual(got[0].payload, Uint8Array.from([9, 9]));
  assert.deepEqual(closeOf(got[1].payload), { code: 1000, reason: "" });
  assert.deepEqual(await server.closed, { code: 1000, reason: "", byPeer: true });
  await ts.close();
});

Deno.test("conn: ping() resolves on the pong, from either side", async () => {
  await pair(async (client, server) => {
    const receiving = server.receive(); // the server reads, so it answers pings
    const rtt = await client.ping();
    assert.ok(rtt >= 0);
    const serverPing = server.ping();
    const clientReceiving = client.receive();
    assert.ok(await serverPing >= 0);
    await client.send(Uint8Array.of(1));
    assert.deepEqual(await receiving, Uint8Array.of(1));
    client.close();
    assert.equal(await clientReceiving, null);
  });
});

Deno.test("conn: ping() times out when the peer does not read", async () => {
  await pair(async (client) => {
    await assert.rejects(
      client.ping(50),
      (e: unknown) => e instanceof WsError && e.code === "timeout",
    );
  });
});

Deno.test("conn: client close — code and reason seen on both sides", async () => {
  await pair(async (client, server) => {
    const pending = server.receive();
    client.close(4000, "done here");
    client.close(4001, "ignored: close is idempotent");
    assert.equal(await pending, null);
    assert.deepEqual(await client.closed, { code: 4000, reason: "done here", byPeer: false });
    assert.deepEqual(await server.closed, { code: 4000, reason: "done here", byPeer: true });
    assert.equal(await client.receive(), null);
    await assert.rejects(client.send(Uint8Array.of(1)), WsError);
    await assert.rejects(server.send(Uint8Array.of(1)), WsError);
  });
});

Deno.test("conn: server close — code and reason seen on both sides", async () => {
  await pair(async (client, server) => {
    const pending = client.receive();
    server.close(CLOSE.goingAway, "restarting");
    assert.equal(await pending, null);
    assert.deepEqual(await server.closed, { code: 1001, reason: "restarting", byPeer: false });
    assert.deepEqual(await client.closed, { code: 1001, reason: "restarting", byPeer: true });
  });
});

Deno.test("conn: close waits for queued sends, and the peer gets them before the close", async () => {
  await pair(async (client, server) => {
    const sent = client.send(pattern(200_000));
    client.close(1000, "after the message");
    await sent;
    assert.deepEqual(await server.receive(), pattern(200_000));
    assert.equal(await server.receive(), null);
    assert.equal((await server.closed).reason, "after the message");
  });
});

Deno.test("conn: a close frame without a code is reported as 1005 and echoed empty", async () => {
  const ts = startServer();
  const { conn } = await rawUpgrade(ts.server.port);
  const server = await ts.next();
  const receiving = server.receive();
  await conn.write(clientFrame(OPCODE.close, []));
  assert.equal(await receiving, null);
  const got = parseFrames(await readToEnd(conn));
  assert.deepEqual(got.map((f) => [f.opcode, f.payload.length]), [[OPCODE.close, 0]]);
  assert.deepEqual(await server.closed, { code: CLOSE.noStatus, reason: "", byPeer: true });
  await ts.close();
});

Deno.test("conn: an abrupt TCP close is seen as closed with 1006", async () => {
  const ts = startServer();
  const { conn } = await rawUpgrade(ts.server.port);
  const server = await ts.next();
  const receiving = server.receive();
  conn.close();
  assert.equal(await receiving, null);
  const info = await server.closed;
  assert.equal(info.code, CLOSE.abnormal);
  assert.equal(info.byPeer, true);
  await assert.rejects(server.send(Uint8Array.of(1)), WsError);
  await ts.close();
});

Deno.test("conn: a peer that never answers our close is cut off at the deadline", async () => {
  const ts = startServer({ closeTimeoutMs: 100 });
  const { conn } = await rawUpgrade(ts.server.port);
  const server = await ts.next();
  server.close(1000, "bye");
  // The raw client reads but never sends its close frame: the server closes TCP at 100 ms.
  const got = parseFrames(await readToEnd(conn));
  assert.deepEqual(closeOf(got[0].payload), { code: 1000, reason: "bye" });
  assert.deepEqual(await server.closed, { code: 1000, reason: "bye", byPeer: false });
  await ts.close();
});

Deno.test("conn: server.close() closes open connections with 1001", async () => {
  const ts = startServer();
  const client = await dialWs(ts.url);
  const server = await ts.next();
  const receiving = client.receive();
  await ts.close();
  await ts.close(); // idempotent
  assert.equal(await receiving, null);
  assert.equal((await client.closed).code, CLOSE.goingAway);
  assert.equal((await server.closed).code, CLOSE.goingAway);
});

Deno.test("conn: backpressure — unread messages stop send() from resolving, then drain in order", async () => {
  await pair(async (client, server) => {
    const size = 64 * 1024;
    let sent = 0;
    let stuck: Promise<void> | null = null;
    // Bounded: at most 2000 × 64 KiB = 125 MiB, far above any loopback socket buffers.
    for (let i = 0; i < 2000 && stuck === null; i++) {
      const p = client.send(pattern(size, i));
      sent++;
      if ((await within(p.then(() => "sent"), 300, "stuck")) === "stuck") stuck = p;
    }
    assert.ok(stuck !== null, `send() kept resolving for ${sent} unread messages`);
    for (let i = 0; i < sent; i++) {
      const m = await server.receive();
      assert.deepEqual(m, pattern(size, i), `message ${i}`);
    }
    await stuck; // written once the reader drained the socket
  });
});
