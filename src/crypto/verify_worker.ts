/**
 * The worker side of `VerifyPool`: verifies batches of Ed25519 signatures
 * off the main thread. Messages in: `{ id, items: [publicKey, message, signature][] }`;
 * out: `{ id, results: boolean[] }`.
 * @module
 */
/// <reference lib="deno.worker" />
import { ed25519Verify } from "./ed25519.ts";

self.onmessage = async (
  e: MessageEvent<{ id: number; items: [Uint8Array, Uint8Array, Uint8Array][] }>,
) => {
  const { id, items } = e.data;
  const results = await Promise.all(items.map(([pub, msg, sig]) => ed25519Verify(pub, msg, sig)));
  self.postMessage({ id, results });
};
