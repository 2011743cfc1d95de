/** Test support: throwaway identities for mesh unit tests. */
import { importAgreementKey, importSigningKey, randomBytes } from "../crypto/mod.ts";
import { peerIdOf } from "../identity/peer_id.ts";
import { bindingMessage, type LocalIdentity } from "./handshake.ts";

/** A fresh random local identity. */
export async function testIdentity(
  extra: Partial<Pick<LocalIdentity, "proto" | "caps" | "name">> & { endpoints?: string[] } = {},
): Promise<LocalIdentity> {
  const signing = await importSigningKey(randomBytes(32));
  const agreement = await importAgreementKey(randomBytes(32));
  const bind = await signing.sign(bindingMessage(agreement.publicKey));
  return {
    peerId: peerIdOf(signing.publicKey),
    signing,
    agreement,
    bind,
    proto: extra.proto,
    caps: extra.caps,
    name: extra.name,
    endpoints: () => extra.endpoints ?? ["ws://127.0.0.1:1"],
  };
}
