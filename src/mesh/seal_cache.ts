/**
 * End-to-end sealing with short-lived ephemeral reuse (PROTOCOL §6): a
 * sender keeps one ephemeral key per recipient for a window (10 minutes or
 * 10,000 boxes) and a receiver caches the key derived for each ephemeral,
 * so the X25519 work is paid once per window, not once per message. Nonces
 * stay random per box.
 * @module
 */
import {
  type AgreementKey,
  generateEphemeralKey,
  openWithKey,
  sealedBoxEphemeral,
  sealedBoxKey,
  sealWithKey,
} from "../crypto/mod.ts";

/** Longest reuse of a sending ephemeral (ms). */
export const EPHEMERAL_TTL_MS = 10 * 60_000;
/** Most boxes sealed under one ephemeral. */
export const EPHEMERAL_MAX_USES = 10_000;
/** Receiving keys cached (one per sender ephemeral). */
export const OPEN_CACHE_SIZE = 1024;

interface SendKey {
  readonly eph: Uint8Array;
  readonly key: Uint8Array;
  readonly createdAt: number;
  uses: number;
}

/** Seals to recipients and opens boxes addressed to `self`. */
export class SealCache {
  #send = new Map<string, Promise<SendKey>>();
  #open = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly self: AgreementKey,
    private readonly now: () => number = Date.now,
  ) {}

  async #sendKey(recipient: Uint8Array): Promise<SendKey> {
    const id = String.fromCharCode(...recipient);
    const cached = this.#send.get(id);
    if (cached) {
      const k = await cached;
      if (k.uses < EPHEMERAL_MAX_USES && this.now() - k.createdAt < EPHEMERAL_TTL_MS) return k;
      if (this.#send.get(id) === cached) this.#send.delete(id);
    }
    let fresh = this.#send.get(id);
    if (!fresh) {
      fresh = (async () => {
        const eph = await generateEphemeralKey();
        const key = sealedBoxKey(await eph.agree(recipient), eph.publicKey, recipient);
        return { eph: eph.publicKey, key, createdAt: this.now(), uses: 0 };
      })();
      fresh.catch(() => this.#send.delete(id));
      this.#send.set(id, fresh);
    }
    return await fresh;
  }

  /** Seals `plaintext` to `recipient` (X25519 public key), bound to `aad`. */
  async seal(recipient: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const k = await this.#sendKey(recipient);
    k.uses++;
    return sealWithKey(k.key, k.eph, plaintext, aad);
  }

  /** Opens a box sealed to us; throws `CryptoError` on any failure. */
  async open(box: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const eph = sealedBoxEphemeral(box);
    const id = String.fromCharCode(...eph);
    let key = this.#open.get(id);
    if (!key) {
      key = this.self.agree(eph).then((shared) =>
        sealedBoxKey(shared, eph.slice(), this.self.publicKey)
      );
      key.catch(() => this.#open.delete(id));
      if (this.#open.size >= OPEN_CACHE_SIZE) this.#open.delete(this.#open.keys().next().value!);
      this.#open.set(id, key);
    }
    return openWithKey(await key, box, aad);
  }

  /** Forgets every cached key. */
  clear(): void {
    this.#send.clear();
    this.#open.clear();
  }
}
