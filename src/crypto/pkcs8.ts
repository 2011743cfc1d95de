/**
 * PKCS#8 wrapping of a raw 32-byte private key for the curves of RFC 8410
 * (§7), which is how WebCrypto imports Ed25519 and X25519 private keys.
 * @module
 */
import { fromHex } from "../util/bytes.ts";

/** The last arc of each curve's object identifier, 1.3.101.x (RFC 8410 §3), in hex. */
export const CURVE_OID = { x25519: "6e", ed25519: "70" } as const;

/** The DER of a OneAsymmetricKey holding `raw`. The caller zeroes it after import. */
export function pkcs8PrivateKey(oid: string, raw: Uint8Array): Uint8Array<ArrayBuffer> {
  // SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.x }, OCTET STRING { OCTET STRING raw } }
  const prefix = fromHex(`302e020100300506032b65${oid}04220420`);
  const der = new Uint8Array(prefix.length + raw.length);
  der.set(prefix);
  der.set(raw, prefix.length);
  return der;
}
