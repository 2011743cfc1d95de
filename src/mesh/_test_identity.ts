/** Test support: throwaway identities for mesh unit tests. */
import { randomBytes } from "../crypto/mod.ts";
import {
  type HandshakeOptions,
  type HandshakeResult,
  type LocalIdentity,
  localIdentityFrom,
  respond,
} from "./handshake.ts";
import type { FrameConn } from "./transport.ts";
import { encodePing } from "./wire/frame.ts";

/** A fresh random local identity. */
export async function testIdentity(
  extra: Partial<Pick<LocalIdentity, "proto" | "caps" | "name">> & { endpoints?: string[] } = {},
): Promise<LocalIdentity> {
  return await localIdentityFrom(randomBytes(32), randomBytes(32), {
    proto: extra.proto,
    caps: extra.caps,
    name: extra.name,
    endpoints: () => extra.endpoints ?? ["ws://127.0.0.1:1"],
  });
}

/** `respond`, then the welcome PING a node's mesh sends once it keeps the link (PROTOCOL §2). */
export async function respondAndWelcome(
  conn: FrameConn,
  local: LocalIdentity,
  options?: HandshakeOptions,
): Promise<HandshakeResult> {
  const result = await respond(conn, local, options);
  await conn.send(result.send.encryptWithAd(new Uint8Array(0), encodePing(0)));
  return result;
}
