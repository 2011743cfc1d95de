/**
 * Ed25519 on worker threads. Deno's WebCrypto signs and verifies on the
 * calling thread, and a node signs every envelope it writes and verifies
 * every one it receives: under load that is a third of the main thread
 * (bench/catchup.ts, bench/mesh.ts profiles). The pool batches requests
 * made in the same turn of the event loop, hands them to its workers, and
 * answers in order. With no workers it works on the calling thread.
 * @module
 */
import { ed25519PublicKey, ed25519Verify, importSigningKey, type SigningKey } from "./ed25519.ts";

/** Most operations sent to a worker in one message. */
export const CRYPTO_BATCH = 256;

type Kind = "verify" | "sign";
type Item = [Uint8Array, Uint8Array, Uint8Array] | Uint8Array;

interface Batch {
  kind: Kind;
  items: Item[];
  resolves: ((result: unknown) => void)[];
}

/** A pool of crypto workers. */
export class CryptoPool {
  readonly #workers: Worker[] = [];
  readonly #inflight = new Map<number, { batch: Batch; done: (results: unknown[]) => void }>();
  readonly #pending = new Map<Kind, Batch>();
  readonly #seed?: Uint8Array;
  #localKey?: Promise<SigningKey>;
  #next = 0;
  #id = 0;
  #closed = false;
  #broken = false;

  /**
   * Starts `size` workers (0: everything on the calling thread). With
   * `signingSeed`, `signingKey()` signs with that Ed25519 key on the workers.
   */
  constructor(size: number, options: { signingSeed?: Uint8Array } = {}) {
    this.#seed = options.signingSeed?.slice();
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./crypto_worker.ts", import.meta.url).href, {
        type: "module",
      });
      worker.onmessage = (e: MessageEvent<{ id: number; results: unknown[] }>) => {
        this.#inflight.get(e.data.id)?.done(e.data.results);
        this.#inflight.delete(e.data.id);
      };
      // A worker that fails (it should not) must not lose answers: redo them here.
      worker.onerror = (e) => {
        e.preventDefault();
        this.#broken = true;
        for (const [id, { batch, done }] of this.#inflight) {
          this.#inflight.delete(id);
          Promise.all(batch.items.map((item) => this.#local(batch.kind, item))).then(done);
        }
      };
      if (this.#seed) worker.postMessage({ kind: "init", seed: this.#seed.slice() });
      this.#workers.push(worker);
    }
  }

  #local(kind: Kind, item: Item): Promise<unknown> {
    if (kind === "verify") {
      const [p, m, s] = item as [Uint8Array, Uint8Array, Uint8Array];
      return ed25519Verify(p, m, s);
    }
    this.#localKey ??= importSigningKey(this.#seed!);
    return this.#localKey.then((k) => k.sign(item as Uint8Array));
  }

  #enqueue<T>(kind: Kind, item: Item): Promise<T> {
    if (this.#workers.length === 0 || this.#closed || this.#broken) {
      return this.#local(kind, item) as Promise<T>;
    }
    return new Promise<T>((resolve) => {
      let batch = this.#pending.get(kind);
      if (!batch) {
        batch = { kind, items: [], resolves: [] };
        this.#pending.set(kind, batch);
        queueMicrotask(() => this.#send(kind));
      }
      batch.items.push(item);
      batch.resolves.push(resolve as (r: unknown) => void);
      if (batch.items.length >= CRYPTO_BATCH) this.#send(kind);
    });
  }

  #send(kind: Kind): void {
    const batch = this.#pending.get(kind);
    this.#pending.delete(kind);
    if (!batch || batch.items.length === 0) return;
    if (this.#closed) {
      batch.resolves.forEach((r) => r(kind === "verify" ? false : undefined));
      return;
    }
    const id = ++this.#id;
    this.#inflight.set(id, {
      batch,
      done: (results) => batch.resolves.forEach((r, i) => r(results[i])),
    });
    this.#workers[this.#next++ % this.#workers.length].postMessage({
      id,
      kind,
      items: batch.items,
    });
  }

  /** Verifies a signature; never throws (a malformed input is simply invalid). */
  async verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    return (await this.#enqueue<boolean>("verify", [
      publicKey.slice(),
      message.slice(),
      signature.slice(),
    ])) ===
      true;
  }

  /** A signing key that signs on the workers (needs `signingSeed`). */
  signingKey(): SigningKey {
    if (!this.#seed) throw new Error("bug: CryptoPool has no signing seed");
    const publicKey = ed25519PublicKey(this.#seed);
    return {
      publicKey,
      sign: async (message) => {
        const sig = await this.#enqueue<Uint8Array | undefined>("sign", message.slice());
        if (!sig) throw new Error("the crypto pool is closed");
        return sig;
      },
    };
  }

  /** Stops the workers; pending verifications answer false, pending signatures fail. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    for (const { batch, done } of this.#inflight.values()) {
      done(batch.items.map(() => (batch.kind === "verify" ? false : undefined)));
    }
    this.#inflight.clear();
    for (const kind of [...this.#pending.keys()]) this.#send(kind);
    this.#seed?.fill(0);
  }
}
