import assert from "node:assert/strict";
import { decodeInvite, encodeInvite } from "./invite.ts";
import { peerIdOf } from "./peer_id.ts";
import { ed25519PublicKey, x25519PublicKey } from "../crypto/mod.ts";
import { CanopyError } from "../util/errors.ts";
import { fromHex, toHex } from "../util/bytes.ts";

interface ValidVector {
  ed25519_seed_hex: string;
  x25519_private_hex: string;
  ed25519_public_hex: string;
  x25519_public_hex: string;
  peer_id: string;
  endpoints: string[];
  invite_code: string;
}
interface InvalidVector {
  case: string;
  invite_code: string;
}

const vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("../../tests/vectors/canopy/invite_vectors.json", import.meta.url),
  ),
) as { valid: ValidVector[]; invalid: InvalidVector[] };

function reasonOf(code: string): string {
  try {
    decodeInvite(code);
  } catch (e) {
    assert.ok(e instanceof CanopyError, `expected CanopyError, got ${e}`);
    assert.equal(e.code, "invalid_invite");
    assert.equal(e.detail.field, "invite_code");
    return e.message;
  }
  assert.fail(`invite was accepted: ${code}`);
}

Deno.test("valid vectors: keys derive, decode, and re-encode to the same code", () => {
  assert.ok(vectors.valid.length >= 3);
  for (const v of vectors.valid) {
    const epk = ed25519PublicKey(fromHex(v.ed25519_seed_hex));
    const xpk = x25519PublicKey(fromHex(v.x25519_private_hex));
    assert.equal(toHex(epk), v.ed25519_public_hex);
    assert.equal(toHex(xpk), v.x25519_public_hex);
    assert.equal(peerIdOf(epk), v.peer_id);

    const invite = decodeInvite(v.invite_code);
    assert.equal(invite.peerId, v.peer_id);
    assert.equal(toHex(invite.ed25519PublicKey), v.ed25519_public_hex);
    assert.equal(toHex(invite.x25519PublicKey), v.x25519_public_hex);
    assert.deepEqual(invite.endpoints, v.endpoints);
    assert.equal(
      encodeInvite({ ed25519PublicKey: epk, x25519PublicKey: xpk, endpoints: v.endpoints }),
      v.invite_code,
    );
  }
});

Deno.test("invalid vectors: each is rejected with its own reason", () => {
  const reasons = new Map<string, string>();
  for (const v of vectors.invalid) reasons.set(v.case, reasonOf(v.invite_code));
  assert.equal(
    reasons.get("peer id does not match public key"),
    "Peer ID does not match public key",
  );
  assert.match(reasons.get("truncated while copying")!, /truncated/);
  assert.match(reasons.get("not base64url")!, /not valid base64url/);
  assert.match(reasons.get("public key of wrong length")!, /"epk" must be a 32-byte Ed25519/);
  assert.match(reasons.get("missing field xpk")!, /missing field "xpk"/);
  assert.match(reasons.get("empty")!, /empty/);
  assert.equal(new Set(reasons.values()).size, reasons.size, "reasons must differ");
});

Deno.test("copy-paste damage that loses nothing is forgiven", () => {
  const v = vectors.valid[1];
  const body = v.invite_code.slice("canopy:".length);
  const wrapped = body.replace(/(.{40})/g, "$1\n");
  for (
    const pasted of [
      `  ${v.invite_code}\n`,
      body,
      `canopy:${wrapped}`,
      `CANOPY:${body}`,
      `${v.invite_code}${"=".repeat((4 - (body.length % 4)) % 4)}`,
    ]
  ) {
    assert.equal(decodeInvite(pasted).peerId, v.peer_id, pasted);
  }
});

Deno.test("content is checked strictly", () => {
  const v = vectors.valid[0];
  const make = (body: unknown) =>
    "canopy:" +
    btoa(JSON.stringify(body)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const good = JSON.parse(atob(v.invite_code.slice(7).replace(/-/g, "+").replace(/_/g, "/")));
  assert.match(reasonOf(make({ ...good, v: 2 })), /Unsupported invite version 2/);
  assert.match(reasonOf(make({ ...good, ep: "ws://x:1" })), /"ep" must be a list/);
  assert.match(reasonOf(make({ ...good, ep: ["http://x:1"] })), /not a ws:\/\/ or wss:\/\/ URL/);
  assert.match(reasonOf(make({ ...good, xpk: "0OIl" })), /"xpk" is not valid base58/);
  assert.match(reasonOf(make([1, 2])), /JSON object/);
  assert.match(reasonOf(make({ ...good, ep: Array(17).fill("ws://a:1") })), /at most 16/);
  assert.match(reasonOf("canopy:" + "A".repeat(9000)), /too long/);
  assert.match(reasonOf(42 as unknown as string), /must be a string/);
  // Unknown fields are ignored; a display name is carried.
  assert.equal(decodeInvite(make({ ...good, name: "Ada", future: { x: 1 } })).name, "Ada");
});
