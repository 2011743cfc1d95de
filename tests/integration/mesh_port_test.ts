/**
 * The mesh port of a real node process, hit the way a broken or hostile peer
 * would (PROTOCOL §1, §2, §8): an oversized frame is refused from its header
 * alone, plain HTTP gets an HTTP answer, garbage instead of a handshake is
 * dropped and counted, and a node that is not the peer an invite names is
 * refused with a diagnostic. After each, the node keeps serving.
 */
import assert from "node:assert/strict";
import { decodeInvite, encodeInvite } from "../../src/identity/invite.ts";
import { generateIdentitySecrets, publicIdentity } from "../../src/identity/identity.ts";
import { api, inviteOf, link, startNodes, type TestNode, waitFor } from "../_harness/cluster.ts";
import { call } from "../_harness/http.ts";
import { cleanup } from "../_harness/spawn_node.ts";
import {
  clientFrame,
  clientFrameHeader,
  closeOf,
  closeQuietly,
  hangUpServer,
  MESH_SUBPROTOCOL,
  OP,
  parseServerFrames,
  rawUpgrade,
  readToEof,
  readUntil,
  send,
} from "./_raw_ws.ts";

/** The node's drop counters (`/api/v1/info` diagnostics, `mesh.drops`). */
async function drops(node: TestNode): Promise<Record<string, number>> {
  const res = await api<{ mesh: { drops: Record<string, number> } }>(node, "/info");
  assert.equal(res.status, 200, res.text);
  assert.ok(res.json.mesh?.drops, `no mesh.drops in /info: ${res.text}`);
  return res.json.mesh.drops;
}

/** The node answers its API and says it is running. */
async function assertServing(node: TestNode): Promise<void> {
  const health = await call(`${node.apiUrl}/health`);
  assert.equal(health.status, 200, health.text);
  const status = await api(node, "/p2p/status");
  assert.equal(status.status, 200, status.text);
  assert.equal(status.json.running, true);
  assert.equal(status.json.peer_id, node.peerId);
}

/**
 * Sends `bytes` after a valid upgrade, answers the node's close frame as a
 * client should (RFC 6455 §5.5.1) unless told not to, and returns the frames
 * the node sent until it closed TCP.
 */
async function afterUpgrade(node: TestNode, bytes: Uint8Array, answerClose = true) {
  const { conn, rest, headers } = await rawUpgrade(node.meshPort);
  try {
    assert.equal(headers.get("sec-websocket-protocol"), MESH_SUBPROTOCOL);
    await send(conn, bytes);
    const first = await readUntil(conn, (b) => hasClose(concat(rest, b)), 20_000);
    assert.equal(first.timedOut, false, "the node sent no close frame");
    let all = concat(rest, first.bytes);
    if (!first.eof && answerClose) {
      const close = parseServerFrames(all).find((f) => f.opcode === OP.close)!;
      await send(conn, clientFrame(OP.close, close.payload.subarray(0, 2))).catch(() => {});
      const read = await readToEof(conn);
      assert.equal(read.timedOut, false, "the node never closed the connection");
      all = concat(all, read.bytes);
    } else if (!first.eof) {
      const read = await readToEof(conn);
      assert.equal(read.timedOut, false, "the node kept the connection open");
      all = concat(all, read.bytes);
    }
    return parseServerFrames(all);
  } finally {
    closeQuietly(conn);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** True once `bytes` hold a complete close frame. */
function hasClose(bytes: Uint8Array): boolean {
  try {
    return parseServerFrames(bytes).some((f) => f.opcode === OP.close);
  } catch {
    return false; // a frame is still incomplete
  }
}

/** Waits for a drop counter to reach `target`; fails at once, with its stderr, if the node exits. */
async function untilCounted(node: TestNode, reason: string, target: number): Promise<void> {
  let exit: Deno.CommandStatus | undefined;
  void node.exited.then((s) => (exit = s));
  await waitFor(`${reason} = ${target}`, async () => {
    if (exit) return true;
    return ((await drops(node))[reason] ?? 0) === target;
  });
  assert.equal(exit, undefined, `the node exited (${exit?.code}):\n${node.stderr()}`);
}

Deno.test("mesh port: a frame header announcing 2 MiB closes the link with 1009, payload unsent", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a] = await startNodes(nodes, 1);
    // Only the 14 header bytes of a masked binary frame with a 64-bit length of 2 MiB: the
    // node must answer from the header, without waiting for (or allocating) the payload.
    const header = clientFrameHeader(OP.binary, 2 * 1024 * 1024);
    assert.equal(header.length, 14);
    assert.equal(header[1], 0x80 | 127);
    // Nothing more is sent, not even an answer to the close frame: the node closes TCP itself.
    const frames = await afterUpgrade(a, header, false);
    const closes = frames.filter((f) => f.opcode === OP.close);
    assert.equal(closes.length, 1, `frames: ${JSON.stringify(frames.map((f) => f.opcode))}`);
    assert.equal(frames.at(-1)!.opcode, OP.close, "the close frame is the last thing sent");
    assert.equal(closeOf(closes[0].payload).code, 1009);

    await assertServing(a);
    const [b] = await startNodes(nodes, 1);
    await link(a, b);
    const peers = await api<{ connected_peers: string[] }>(a, "/p2p/peers");
    assert.deepEqual(peers.json.connected_peers, [b.peerId]);
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("mesh port: plain HTTP gets an HTTP error and the node keeps running", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a] = await startNodes(nodes, 1);
    const mesh = `http://127.0.0.1:${a.meshPort}`;
    const root = await call(`${mesh}/`);
    assert.ok(root.status >= 400 && root.status < 500, `GET /: ${root.status}`);
    assert.ok(root.text.length > 0, "a short text answer");
    const noUpgrade = await call(`${mesh}/canopy/mesh`);
    assert.equal(noUpgrade.status, 426, noUpgrade.text);
    assert.equal(noUpgrade.headers.get("upgrade")?.toLowerCase(), "websocket");
    const post = await call(`${mesh}/canopy/mesh`, { body: "hello" });
    assert.ok(post.status >= 400 && post.status < 500, `POST: ${post.status}`);
    await assertServing(a);
    // The mesh port itself still upgrades.
    const { conn, headers } = await rawUpgrade(a.meshPort);
    try {
      assert.equal(headers.get("sec-websocket-protocol"), MESH_SUBPROTOCOL);
      await send(conn, clientFrame(OP.close, new Uint8Array([0x03, 0xe8])));
      const frames = parseServerFrames((await readToEof(conn)).bytes);
      assert.deepEqual(frames.map((f) => f.opcode), [OP.close]);
    } finally {
      closeQuietly(conn);
    }
    await assertServing(a);
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("mesh port: garbage instead of a Noise handshake is dropped and counted", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a] = await startNodes(nodes, 1);
    const before = await drops(a);
    const count = (d: Record<string, number>, k: string) => d[k] ?? 0;

    // Shorter than an ephemeral key: message 1 cannot even be read (PROTOCOL §8: 4002).
    const short = await afterUpgrade(a, clientFrame(OP.binary, new Uint8Array(10).fill(0xab)));
    assert.deepEqual(short.map((f) => f.opcode), [OP.close]);
    assert.equal(closeOf(short[0].payload).code, 4002);
    await untilCounted(a, "handshake_decrypt", count(before, "handshake_decrypt") + 1);

    // Long enough, but the "hello" after the key is not JSON (PROTOCOL §8: 4001).
    const junk = await afterUpgrade(a, clientFrame(OP.binary, new Uint8Array(100).fill(0xff)));
    assert.deepEqual(junk.map((f) => f.opcode), [OP.close]);
    assert.equal(closeOf(junk[0].payload).code, 4001);
    await untilCounted(a, "handshake_malformed", count(before, "handshake_malformed") + 1);

    await assertServing(a);
    const links = await api<{ mesh: { links: unknown[] } }>(a, "/info");
    assert.deepEqual(links.json.mesh.links, [], "no link was made from garbage");
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("mesh port: a node presenting keys other than the invite's peer id is refused", async () => {
  const nodes: TestNode[] = [];
  try {
    const [a, b] = await startNodes(nodes, 2);
    // An invite that is consistent in itself (C's pid, epk and xpk) but points at A's port.
    const real = decodeInvite(await inviteOf(a));
    const c = publicIdentity(generateIdentitySecrets());
    const forged = encodeInvite({
      ed25519PublicKey: c.ed25519PublicKey,
      x25519PublicKey: c.x25519PublicKey,
      endpoints: real.endpoints,
    });
    assert.equal(decodeInvite(forged).peerId, c.peerId);

    const before = await drops(b);
    const res = await api<{
      status: string;
      peer_id: string;
      endpoints: string[];
      message: string;
      errors: { endpoint: string; error: string }[];
    }>(b, "/p2p/invite/import", { invite_code: forged });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, "imported_not_connected");
    assert.equal(res.json.peer_id, c.peerId);
    assert.deepEqual(res.json.endpoints, [`ws://127.0.0.1:${a.meshPort}`]);
    assert.equal(res.json.errors.length, 1, res.text);
    const [attempt] = res.json.errors;
    assert.equal(attempt.endpoint, `ws://127.0.0.1:${a.meshPort}`);
    assert.match(attempt.error, new RegExp(`expected peer ${c.peerId}`), attempt.error);
    assert.match(attempt.error, new RegExp(a.peerId), "names the id that answered");

    assert.equal(
      (await drops(b)).handshake_identity_mismatch ?? 0,
      (before.handshake_identity_mismatch ?? 0) + 1,
    );
    // No link either way, and B records why for the UI.
    const peersB = await api<{ connected_peers: string[]; peers: Record<string, unknown>[] }>(
      b,
      "/p2p/peers",
    );
    assert.deepEqual(peersB.json.connected_peers, []);
    const cView = peersB.json.peers.find((p) => p.peer_id === c.peerId);
    assert.ok(cView, res.text);
    assert.equal(cView.connected, false);
    assert.match(String(cView.last_error), new RegExp(c.peerId));
    const peersA = await api<{ connected_peers: string[] }>(a, "/p2p/peers");
    assert.deepEqual(peersA.json.connected_peers, []);
    await assertServing(a);
    await assertServing(b);
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("mesh port: a peer that leaves in the middle of the handshake does not take the node down", async () => {
  // Regression: the mesh closed the failed connection with the code it had
  // *received* (1006 for a dropped TCP connection, 1005 for a close frame
  // without a code); both are reserved (RFC 6455 §7.4.1), the WebSocket layer
  // throws RangeError on them, and the rejection ended the process.
  const nodes: TestNode[] = [];
  try {
    const [a] = await startNodes(nodes, 1);
    const closedBefore = (await drops(a)).handshake_closed ?? 0;

    // 1. Upgrade, then drop TCP without a close frame.
    const dropped = await rawUpgrade(a.meshPort);
    closeQuietly(dropped.conn);
    await untilCounted(a, "handshake_closed", closedBefore + 1);
    await assertServing(a);

    // 2. Upgrade, then a close frame with no status code (seen as 1005).
    const quiet = await afterUpgrade(a, clientFrame(OP.close, new Uint8Array(0)));
    assert.equal(quiet.at(-1)?.opcode, OP.close);
    await untilCounted(a, "handshake_closed", closedBefore + 2);
    await assertServing(a);
  } finally {
    await cleanup(nodes);
  }
});

Deno.test("dialing: a peer that hangs up in the middle of the handshake is reported, not fatal", async () => {
  // Regression, dialer side of the previous test: the received 1006 was passed
  // to close(), which threw out of the dial; the import answered 500 and no
  // retry was scheduled (and a background reconnect would have ended the process).
  const nodes: TestNode[] = [];
  const fake = hangUpServer();
  try {
    const [b] = await startNodes(nodes, 1);
    const c = publicIdentity(generateIdentitySecrets());
    const endpoint = `ws://127.0.0.1:${fake.port}`;
    const invite = encodeInvite({
      ed25519PublicKey: c.ed25519PublicKey,
      x25519PublicKey: c.x25519PublicKey,
      endpoints: [endpoint],
    });
    const res = await api<{ status: string; errors: { endpoint: string; error: string }[] }>(
      b,
      "/p2p/invite/import",
      { invite_code: invite },
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, "imported_not_connected");
    assert.equal(res.json.errors[0]?.endpoint, endpoint, res.text);
    assert.equal((await drops(b)).handshake_closed, 1);
    // The automatic redial (SPEC §6) meets the same hang-up and the node stays up.
    await waitFor("a redial", () => fake.accepted >= 2);
    await untilCounted(b, "handshake_closed", 2);
    await assertServing(b);
  } finally {
    await cleanup(nodes);
    await fake.close();
  }
});
