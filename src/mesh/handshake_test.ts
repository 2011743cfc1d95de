import assert from "node:assert/strict";
import { memoryPair } from "./transport.ts";
import { HandshakeError, initiate, negotiate, respond } from "./handshake.ts";
import { respondAndWelcome, testIdentity } from "./_test_identity.ts";
import { CloseCode } from "./close_codes.ts";
import type { FrameConn } from "./transport.ts";

function rejectsWith(p: Promise<unknown>, failure: string, code?: number) {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HandshakeError, String(e));
    assert.equal(e.failure, failure, e.message);
    if (code !== undefined) assert.equal(e.code, code);
    return true;
  });
}

Deno.test("both sides learn each other's verified identity and can talk", async () => {
  const [a, b] = memoryPair();
  const alice = await testIdentity({ name: "Alice", endpoints: ["ws://10.0.0.1:7771"] });
  const bob = await testIdentity({ name: "Bob" });
  const [ra, rb] = await Promise.all([
    initiate(a, alice, { expectedPeerId: bob.peerId }),
    respondAndWelcome(b, bob),
  ]);
  assert.equal(ra.remote.peerId, bob.peerId);
  assert.equal(rb.remote.peerId, alice.peerId);
  assert.deepEqual(rb.remote.endpoints, ["ws://10.0.0.1:7771"]);
  assert.equal(rb.remote.name, "Alice");
  assert.equal(ra.remote.version, 1);
  assert.deepEqual(ra.remote.x25519PublicKey, bob.agreement.publicKey);
  const ct = ra.send.encryptWithAd(new Uint8Array(0), new Uint8Array([1, 2, 3]));
  assert.deepEqual(rb.receive.decryptWithAd(new Uint8Array(0), ct), new Uint8Array([1, 2, 3]));
  a.close();
});

Deno.test("a responder whose keys do not match the expected peer id is refused", async () => {
  const [a, b] = memoryPair();
  const alice = await testIdentity();
  const mallory = await testIdentity();
  const expected = (await testIdentity()).peerId;
  const resp = respond(b, mallory).catch((e) => e);
  await rejectsWith(
    initiate(a, alice, { expectedPeerId: expected }),
    "identity_mismatch",
    CloseCode.IdentityMismatch,
  )
    .then(async () => {
      const err = await resp;
      assert.ok(err instanceof HandshakeError);
    });
  const info = await b.closed;
  assert.equal(info.code, CloseCode.IdentityMismatch);
  assert.match(info.reason, new RegExp(`expected peer ${expected}`));
});

Deno.test("an identity whose binding signature is wrong is refused", async () => {
  const [a, b] = memoryPair();
  const alice = await testIdentity();
  const bob = await testIdentity();
  const forged = { ...bob, bind: alice.bind }; // Bob claims a binding made for another key
  const resp = respond(b, forged).catch(() => {});
  await rejectsWith(initiate(a, alice), "bad_binding");
  await resp;
});

Deno.test("blocked peers are refused at the handshake", async () => {
  const [a, b] = memoryPair();
  const alice = await testIdentity();
  const bob = await testIdentity();
  const init = initiate(a, alice).catch(() => {});
  await rejectsWith(
    respond(b, bob, { isBlocked: (p) => p === alice.peerId }),
    "blocked",
    CloseCode.Blocked,
  );
  await init;
  assert.equal((await a.closed).code, CloseCode.Blocked);
});

Deno.test("versions: too old and unknown are told apart", async () => {
  assert.equal(negotiate([1, 3], [2, 5]), 3);
  assert.throws(
    () => negotiate([2, 3], [1, 1]),
    (e: unknown) => (e as HandshakeError).failure === "too_old",
  );
  assert.throws(
    () => negotiate([1, 1], [2, 2]),
    (e: unknown) => (e as HandshakeError).failure === "unknown_version",
  );

  const [a, b] = memoryPair();
  const old = await testIdentity({ proto: [0, 0] });
  const init = initiate(a, old).catch((e) => e);
  await rejectsWith(respond(b, await testIdentity()), "too_old", CloseCode.TooOld);
  assert.equal((await a.closed).code, CloseCode.TooOld);

  const oldSide = await init;
  assert.equal(oldSide.failure, "unknown_version", "the old node learns its peer is newer");

  // A newer initiator: the responder sees an unknown version, the initiator a peer too old.
  const [c, d] = memoryPair();
  const future = await testIdentity({ proto: [7, 9] });
  const init2 = initiate(c, future).catch((e) => e);
  await rejectsWith(respond(d, await testIdentity()), "unknown_version", CloseCode.UnknownVersion);
  const err = await init2;
  assert.equal(err.failure, "too_old");
});

/** Records what one side sends, for replay. */
function recording(conn: FrameConn, log: Uint8Array[]): FrameConn {
  return {
    remoteAddr: conn.remoteAddr,
    closed: conn.closed,
    close: (c, r) => conn.close(c, r),
    receive: () => conn.receive(),
    send: (d) => {
      log.push(d.slice());
      return conn.send(d);
    },
  };
}

Deno.test("a recorded handshake replayed to the responder is refused", async () => {
  const alice = await testIdentity();
  const bob = await testIdentity();
  const sent: Uint8Array[] = [];
  const [a, b] = memoryPair();
  await Promise.all([initiate(recording(a, sent), alice), respondAndWelcome(b, bob)]);
  a.close();
  assert.equal(sent.length, 2);

  // The attacker replays message 1, gets a fresh message 2, then replays message 3.
  const [x, y] = memoryPair();
  const resp = respond(y, bob);
  await x.send(sent[0]);
  const fresh = await x.receive();
  assert.ok(fresh);
  await x.send(sent[1]);
  await rejectsWith(resp, "decrypt", CloseCode.Decrypt);
});

Deno.test("a silent peer times out", async () => {
  const [a, b] = memoryPair();
  await rejectsWith(
    respond(b, await testIdentity(), { timeoutMs: 30 }),
    "timeout",
    CloseCode.HandshakeTimeout,
  );
  a.close();
});

Deno.test("garbage instead of a handshake message is refused", async () => {
  const [a, b] = memoryPair();
  const resp = respond(b, await testIdentity());
  await a.send(new Uint8Array(10));
  await rejectsWith(resp, "decrypt");
});
