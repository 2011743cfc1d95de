/**
 * PROTOCOL §2 step 3 with advertised keys (mDNS, PROTOCOL §11): the dialer
 * refuses a responder whose keys differ from the advertised ones, before it
 * sends message 3, so the responder never gets a link.
 */
import assert from "node:assert/strict";
import { memoryPair } from "./transport.ts";
import { HandshakeError, initiate, respond } from "./handshake.ts";
import { respondAndWelcome, testIdentity } from "./_test_identity.ts";
import { CloseCode } from "./close_codes.ts";
import { randomBytes } from "../crypto/mod.ts";

Deno.test("expected keys: the advertised keys let the handshake through", async () => {
  const [a, b] = memoryPair();
  const alice = await testIdentity();
  const bob = await testIdentity();
  const [ra] = await Promise.all([
    initiate(a, alice, {
      expectedPeerId: bob.peerId,
      expectedKeys: { ed25519: bob.signing.publicKey, x25519: bob.agreement.publicKey },
    }),
    respondAndWelcome(b, bob),
  ]);
  assert.equal(ra.remote.peerId, bob.peerId);
  a.close();
});

Deno.test("expected keys: other keys under the right peer id are refused (4003)", async () => {
  const alice = await testIdentity();
  const bob = await testIdentity();
  const wrong = [
    { ed25519: randomBytes(32), x25519: bob.agreement.publicKey },
    { ed25519: bob.signing.publicKey, x25519: randomBytes(32) },
  ];
  for (const expectedKeys of wrong) {
    const [a, b] = memoryPair();
    const resp = respond(b, bob).then(() => "completed", () => "failed");
    await assert.rejects(
      initiate(a, alice, { expectedPeerId: bob.peerId, expectedKeys }),
      (e: unknown) =>
        e instanceof HandshakeError && e.failure === "identity_mismatch" &&
        e.code === CloseCode.IdentityMismatch && /differ from the advertised/.test(e.message),
    );
    assert.equal(await resp, "failed", "the responder never completes the handshake");
  }
});
