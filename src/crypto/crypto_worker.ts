/**
 * The worker side of `CryptoPool`: Ed25519 verification and signing in
 * batches, off the main thread.
 *
 *   in:  { kind: "init", seed }                       (signing key, once)
 *        { id, kind: "verify", items: [publicKey, message, signature][] }
 *        { id, kind: "sign", items: message[] }
 *   out: { id, results: boolean[] | Uint8Array[] }
 * @module
 */
/// <reference lib="deno.worker" />
import { ed25519Verify, importSigningKey, type SigningKey } from "./ed25519.ts";

let signing: Promise<SigningKey> | undefined;

type Job =
  | { kind: "init"; seed: Uint8Array }
  | { id: number; kind: "verify"; items: [Uint8Array, Uint8Array, Uint8Array][] }
  | { id: number; kind: "sign"; items: Uint8Array[] };

self.onmessage = async (e: MessageEvent<Job>) => {
  const job = e.data;
  if (job.kind === "init") {
    signing = importSigningKey(job.seed);
    job.seed.fill(0);
    return;
  }
  if (job.kind === "verify") {
    const results = await Promise.all(job.items.map(([p, m, s]) => ed25519Verify(p, m, s)));
    self.postMessage({ id: job.id, results });
    return;
  }
  const key = await signing!;
  const results = await Promise.all(job.items.map((m) => key.sign(m)));
  self.postMessage({ id: job.id, results });
};
