/**
 * The TXT record of a Canopy service (PROTOCOL §11): peer id, keys (base58,
 * as in invites), protocol version and mesh port. Encoding is exact; decoding
 * is bounded and returns a reason string for anything unusable, never throws.
 * Keys are NOT checked against the peer id here: a mismatch is listed, and
 * refused at the handshake.
 * @module
 */
import { fromBase58, toBase58 } from "../util/base58.ts";
import { isPeerId } from "../identity/peer_id.ts";

/** Most TXT strings read from one record. */
export const MAX_TXT_ENTRIES = 32;
/** Longest TXT record read (bytes, all strings together). */
export const MAX_TXT_BYTES = 1300;
/** The TXT keys (PROTOCOL §11). Readers match keys case-insensitively; the first occurrence wins. */
export const TXT_KEYS = {
  peerId: "pid",
  ed25519: "epk",
  x25519: "xpk",
  version: "v",
  meshPort: "mp",
} as const;

/** What a node's TXT record says (PROTOCOL §11). */
export interface ServiceTxt {
  readonly peerId: string;
  readonly ed25519PublicKey: Uint8Array;
  readonly x25519PublicKey: Uint8Array;
  readonly protocolVersion: number;
  readonly meshPort: number;
}

/** The TXT strings of a node (PROTOCOL §11). */
export function encodeTxt(txt: ServiceTxt): string[] {
  return [
    `${TXT_KEYS.peerId}=${txt.peerId}`,
    `${TXT_KEYS.ed25519}=${toBase58(txt.ed25519PublicKey)}`,
    `${TXT_KEYS.x25519}=${toBase58(txt.x25519PublicKey)}`,
    `${TXT_KEYS.version}=${txt.protocolVersion}`,
    `${TXT_KEYS.meshPort}=${txt.meshPort}`,
  ];
}

function txtStrings(data: unknown): string[] | string {
  const items = Array.isArray(data) ? data : [data];
  if (items.length > MAX_TXT_ENTRIES) return "txt_too_many_entries";
  const out: string[] = [];
  let total = 0;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (const item of items) {
    let text: string;
    if (typeof item === "string") text = item;
    else if (item instanceof Uint8Array) {
      try {
        text = decoder.decode(item);
      } catch {
        return "txt_not_utf8";
      }
    } else return "txt_bad_type";
    total += text.length;
    if (total > MAX_TXT_BYTES) return "txt_too_long";
    out.push(text);
  }
  return out;
}

function key32(value: string | undefined): Uint8Array | undefined {
  if (value === undefined || value.length > 60) return undefined;
  try {
    const bytes = fromBase58(value);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

function smallInt(value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined || !/^[0-9]{1,5}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

/**
 * Decodes a TXT record's strings into a `ServiceTxt`, or returns why it is
 * unusable. Unknown keys are ignored. The keys are NOT checked against the
 * peer id here: a mismatch is listed, and refused at the handshake.
 */
export function decodeTxt(data: unknown): ServiceTxt | string {
  const strings = txtStrings(data);
  if (typeof strings === "string") return strings;
  const fields = new Map<string, string>();
  for (const s of strings) {
    const eq = s.indexOf("=");
    if (eq <= 0) continue; // boolean attribute or empty key (RFC 6763 §6.4)
    const key = s.slice(0, eq).toLowerCase();
    if (!fields.has(key)) fields.set(key, s.slice(eq + 1));
  }
  const peerId = fields.get(TXT_KEYS.peerId);
  if (!isPeerId(peerId)) return "txt_bad_pid";
  const ed25519PublicKey = key32(fields.get(TXT_KEYS.ed25519));
  if (!ed25519PublicKey) return "txt_bad_epk";
  const x25519PublicKey = key32(fields.get(TXT_KEYS.x25519));
  if (!x25519PublicKey) return "txt_bad_xpk";
  const protocolVersion = smallInt(fields.get(TXT_KEYS.version), 1, 65535);
  if (protocolVersion === undefined) return "txt_bad_v";
  const meshPort = smallInt(fields.get(TXT_KEYS.meshPort), 1, 65535);
  if (meshPort === undefined) return "txt_bad_mp";
  return { peerId, ed25519PublicKey, x25519PublicKey, protocolVersion, meshPort };
}
