/**
 * `peer_identity.json` (SPEC §2, §10): the node's private keys, written once
 * with mode 0600 and never overwritten. With a passphrase the secrets are
 * sealed with XChaCha20-Poly1305 under a key stretched by scrypt.
 * This file is an adapter: it is the only part of identity/ that does I/O.
 * @module
 */
import {
  deriveKeyFromPassphrase,
  SCRYPT_N,
  SCRYPT_P,
  SCRYPT_R,
  type ScryptParams,
} from "../crypto/password.ts";
import { randomBytes, xchachaOpen, xchachaSeal } from "../crypto/mod.ts";
import { fromBase58, toBase58 } from "../util/base58.ts";
import { fromBase64Url, toBase64Url } from "../util/base64url.ts";
import { equalBytes, fromUtf8, utf8 } from "../util/bytes.ts";
import { CanopyError } from "../util/errors.ts";
import { generateIdentitySecrets, type IdentitySecrets, publicIdentity } from "./identity.ts";

/** File format marker. */
export const IDENTITY_FORMAT = "canopy-identity";
/** File format version. */
export const IDENTITY_FILE_VERSION = 1;

interface IdentityFile {
  format: string;
  version: number;
  peer_id: string;
  ed25519_public_key: string;
  x25519_public_key: string;
  created_at: string;
  secrets?: { ed25519_seed: string; x25519_private_key: string };
  encrypted_secrets?: {
    kdf: "scrypt";
    n: number;
    r: number;
    p: number;
    salt: string;
    nonce: string;
    ciphertext: string;
  };
}

/** Options of `loadOrCreateIdentity`. */
export interface IdentityFileOptions {
  /** Encrypts a new file, and is required to read an encrypted one. */
  passphrase?: string;
  /** Asked for the passphrase when the file is encrypted and none was given. */
  askPassphrase?: () => string | undefined;
  /** KDF parameters for a new encrypted file (tests lower them). */
  kdfParams?: Required<ScryptParams>;
}

function corrupt(path: string, why: string): CanopyError {
  return new CanopyError("unavailable", `${path} is damaged (${why}); restore it from a backup`);
}

/** Reads the identity at `path`, creating it first when absent. */
export async function loadOrCreateIdentity(
  path: string,
  options: IdentityFileOptions = {},
): Promise<{ secrets: IdentitySecrets; created: boolean }> {
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (text === undefined) {
    const secrets = generateIdentitySecrets();
    await writeIdentity(path, secrets, options);
    return { secrets, created: true };
  }
  await ensurePrivate(path);
  return { secrets: await parseIdentity(path, text, options), created: false };
}

async function parseIdentity(
  path: string,
  text: string,
  options: IdentityFileOptions,
): Promise<IdentitySecrets> {
  let file: IdentityFile;
  try {
    file = JSON.parse(text);
  } catch {
    throw corrupt(path, "not JSON");
  }
  if (file?.format !== IDENTITY_FORMAT || file.version !== IDENTITY_FILE_VERSION) {
    throw corrupt(path, "unknown format or version");
  }
  let seed: Uint8Array;
  let xsecret: Uint8Array;
  try {
    if (file.secrets) {
      seed = fromBase64Url(file.secrets.ed25519_seed);
      xsecret = fromBase64Url(file.secrets.x25519_private_key);
    } else if (file.encrypted_secrets) {
      const enc = file.encrypted_secrets;
      const passphrase = options.passphrase ?? options.askPassphrase?.();
      if (!passphrase) {
        throw new CanopyError(
          "unauthorized",
          `${path} is protected by a passphrase; set CANOPY_PASSPHRASE or run canopy in a terminal`,
        );
      }
      const key = await deriveKeyFromPassphrase(passphrase, fromBase64Url(enc.salt), {
        N: enc.n,
        r: enc.r,
        p: enc.p,
      });
      let plain: Uint8Array;
      try {
        plain = xchachaOpen(
          key,
          fromBase64Url(enc.nonce),
          fromBase64Url(enc.ciphertext),
          utf8(file.peer_id),
        );
      } catch {
        throw new CanopyError("unauthorized", `Wrong passphrase for ${path}`);
      }
      const inner = JSON.parse(fromUtf8(plain));
      seed = fromBase64Url(inner.ed25519_seed);
      xsecret = fromBase64Url(inner.x25519_private_key);
    } else {
      throw corrupt(path, "no secrets");
    }
  } catch (e) {
    if (e instanceof CanopyError) throw e;
    throw corrupt(path, "unreadable secrets");
  }
  if (seed.length !== 32 || xsecret.length !== 32) throw corrupt(path, "keys of wrong length");
  const secrets = { ed25519Seed: seed, x25519Secret: xsecret };
  const pub = publicIdentity(secrets);
  if (
    pub.peerId !== file.peer_id ||
    !equalBytes(pub.ed25519PublicKey, fromBase58(file.ed25519_public_key)) ||
    !equalBytes(pub.x25519PublicKey, fromBase58(file.x25519_public_key))
  ) {
    throw corrupt(path, "public keys do not match the private keys");
  }
  return secrets;
}

/** Writes a new identity file atomically with mode 0600; never replaces one. */
export async function writeIdentity(
  path: string,
  secrets: IdentitySecrets,
  options: IdentityFileOptions = {},
): Promise<void> {
  const pub = publicIdentity(secrets);
  const file: IdentityFile = {
    format: IDENTITY_FORMAT,
    version: IDENTITY_FILE_VERSION,
    peer_id: pub.peerId,
    ed25519_public_key: toBase58(pub.ed25519PublicKey),
    x25519_public_key: toBase58(pub.x25519PublicKey),
    created_at: new Date().toISOString(),
  };
  const inner = {
    ed25519_seed: toBase64Url(secrets.ed25519Seed),
    x25519_private_key: toBase64Url(secrets.x25519Secret),
  };
  if (options.passphrase) {
    const params = options.kdfParams ?? { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P };
    const salt = randomBytes(16);
    const nonce = randomBytes(24);
    const key = await deriveKeyFromPassphrase(options.passphrase, salt, params);
    const ct = xchachaSeal(key, nonce, utf8(JSON.stringify(inner)), utf8(pub.peerId));
    file.encrypted_secrets = {
      kdf: "scrypt",
      n: params.N,
      r: params.r,
      p: params.p,
      salt: toBase64Url(salt),
      nonce: toBase64Url(nonce),
      ciphertext: toBase64Url(ct),
    };
  } else {
    file.secrets = inner;
  }
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(file, null, 2) + "\n", { mode: 0o600 });
  await ensurePrivate(tmp);
  try {
    await Deno.link(tmp, path); // fails if `path` exists: an identity is never replaced
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** Makes sure the file is readable by its owner only (POSIX). */
async function ensurePrivate(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const info = await Deno.stat(path);
  if (info.mode !== null && (info.mode & 0o077) !== 0) await Deno.chmod(path, 0o600);
}
