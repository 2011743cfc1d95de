/**
 * Ed25519 verification on worker threads. Deno's WebCrypto verifies on the
 * calling thread, and a node verifies every envelope it receives, so under
 * load the main thread spends a third of its time there (bench/catchup.ts
 * profile). The pool batches requests made in the same turn of the event
 * loop and hands them to workers; results come back in order.
 * @module
 */
import { ed25519Verify } from "./ed25519.ts";

/** Most signatures sent to a worker in one message. */
export const VERIFY_BATCH = 256;

interface Pending {
  items: [Uint8Array, Uint8Array, Uint8Array][];
  resolves: ((ok: boolean) => void)[];
}

/** A pool of verification workers; falls back to the calling thread when it has none. */
export class VerifyPool {
  readonly #workers: Worker[] = [];
  readonly #inflight = new Map<number, { batch: Pending; done: (results: boolean[]) => void }>();
  #broken = false;
  #next = 0;
  #id = 0;
  #pending: Pending | undefined;
  #closed = false;

  /** Starts `size` workers (0: verify on the calling thread). */
  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./verify_worker.ts", import.meta.url).href, {
        type: "module",
      });
      worker.onmessage = (e: MessageEvent<{ id: number; results: boolean[] }>) => {
        this.#inflight.get(e.data.id)?.done(e.data.results);
        this.#inflight.delete(e.data.id);
      };
      // A worker that fails (it should not) must not lose answers: redo them here.
      worker.onerror = (e) => {
        e.preventDefault();
        this.#broken = true;
        for (const [id, { batch, done }] of this.#inflight) {
          this.#inflight.delete(id);
          Promise.all(batch.items.map(([p, m, sig]) => ed25519Verify(p, m, sig))).then(done);
        }
      };
      this.#workers.push(worker);
    }
  }

  /** Verifies a signature; never throws (a malformed input is simply invalid). */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (this.#workers.length === 0 || this.#closed || this.#broken) {
      return ed25519Verify(publicKey, message, signature);
    }
    return new Promise((resolve) => {
      if (!this.#pending) {
        this.#pending = { items: [], resolves: [] };
        queueMicrotask(() => this.#send());
      }
      this.#pending.items.push([publicKey.slice(), message.slice(), signature.slice()]);
      this.#pending.resolves.push(resolve);
      if (this.#pending.items.length >= VERIFY_BATCH) this.#send();
    });
  }

  #send(): void {
    const batch = this.#pending;
    this.#pending = undefined;
    if (!batch || batch.items.length === 0) return;
    if (this.#closed) {
      batch.resolves.forEach((r) => r(false));
      return;
    }
    const id = ++this.#id;
    this.#inflight.set(id, {
      batch,
      done: (results) => batch.resolves.forEach((r, i) => r(results[i] === true)),
    });
    const worker = this.#workers[this.#next++ % this.#workers.length];
    worker.postMessage({ id, items: batch.items });
  }

  /** Stops the workers; pending verifications resolve false. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    for (const { done } of this.#inflight.values()) done([]);
    this.#inflight.clear();
    this.#pending?.resolves.forEach((r) => r(false));
    this.#pending = undefined;
  }
}
