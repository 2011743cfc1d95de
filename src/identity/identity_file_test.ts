import assert from "node:assert/strict";
import { loadOrCreateIdentity } from "./identity_file.ts";
import { openIdentity, publicIdentity } from "./identity.ts";
import { CanopyError } from "../util/errors.ts";
import { equalBytes } from "../util/bytes.ts";
import { ed25519Verify } from "../crypto/mod.ts";
import { utf8 } from "../util/bytes.ts";

// Cheap KDF parameters so the passphrase tests stay fast; the format records them.
const FAST_KDF = { N: 1024, r: 8, p: 1 };

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "canopy-id-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("first load creates a 0600 file; later loads return the same identity", () =>
  withDir(async (dir) => {
    const path = `${dir}/peer_identity.json`;
    const first = await loadOrCreateIdentity(path);
    assert.equal(first.created, true);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    }
    const second = await loadOrCreateIdentity(path);
    assert.equal(second.created, false);
    assert.ok(equalBytes(first.secrets.ed25519Seed, second.secrets.ed25519Seed));
    assert.ok(equalBytes(first.secrets.x25519Secret, second.secrets.x25519Secret));
    const file = JSON.parse(await Deno.readTextFile(path));
    assert.equal(file.peer_id, publicIdentity(first.secrets).peerId);

    const identity = await openIdentity(second.secrets);
    const sig = await identity.signing.sign(utf8("hello"));
    assert.ok(await ed25519Verify(identity.ed25519PublicKey, utf8("hello"), sig));
    assert.match(identity.fingerprint, /^(\d{5} ){5}\d{5}$/);
  }));

Deno.test("loose file permissions are tightened on load", () =>
  withDir(async (dir) => {
    if (Deno.build.os === "windows") return;
    const path = `${dir}/peer_identity.json`;
    await loadOrCreateIdentity(path);
    await Deno.chmod(path, 0o644);
    await loadOrCreateIdentity(path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  }));

Deno.test("a passphrase encrypts the secrets; the wrong one or none is refused", () =>
  withDir(async (dir) => {
    const path = `${dir}/peer_identity.json`;
    const created = await loadOrCreateIdentity(path, {
      passphrase: "tree house",
      kdfParams: FAST_KDF,
    });
    const text = await Deno.readTextFile(path);
    assert.ok(!text.includes('"secrets"'));
    assert.ok(text.includes('"encrypted_secrets"'));
    const again = await loadOrCreateIdentity(path, { passphrase: "tree house" });
    assert.ok(equalBytes(again.secrets.ed25519Seed, created.secrets.ed25519Seed));
    const asked = await loadOrCreateIdentity(path, { askPassphrase: () => "tree house" });
    assert.ok(equalBytes(asked.secrets.x25519Secret, created.secrets.x25519Secret));
    await assert.rejects(
      () => loadOrCreateIdentity(path, { passphrase: "wrong" }),
      (e: unknown) => e instanceof CanopyError && /Wrong passphrase/.test(e.message),
    );
    await assert.rejects(
      () => loadOrCreateIdentity(path),
      (e: unknown) => e instanceof CanopyError && /CANOPY_PASSPHRASE/.test(e.message),
    );
  }));

Deno.test("a damaged file is reported, never silently replaced", () =>
  withDir(async (dir) => {
    const path = `${dir}/peer_identity.json`;
    await loadOrCreateIdentity(path);
    const original = await Deno.readTextFile(path);
    const file = JSON.parse(original);
    const cases: [string, string][] = [
      ["not JSON", "{oops"],
      ["unknown format", JSON.stringify({ ...file, format: "other" })],
      ["public keys do not match", JSON.stringify({ ...file, peer_id: "1111111111111111" })],
      [
        "keys of wrong length",
        JSON.stringify({ ...file, secrets: { ...file.secrets, ed25519_seed: "AAAA" } }),
      ],
    ];
    for (const [why, text] of cases) {
      await Deno.writeTextFile(path, text);
      await assert.rejects(() => loadOrCreateIdentity(path), (e: unknown) => {
        assert.ok(e instanceof CanopyError, String(e));
        assert.match(e.message, /is damaged/, why);
        return true;
      });
      assert.equal(await Deno.readTextFile(path), text, "left as it was");
    }
  }));
