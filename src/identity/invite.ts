/**
 * Invite codes (SPEC §3): `canopy:` + unpadded base64url of the compact JSON
 * `{"v":1,"pid":…,"epk":…,"xpk":…,"ep":[…]}`, keys in base58btc. This is the
 * Canopy 0.4 format; optional extra fields (`name`) are allowed and ignored by
 * readers that do not know them.
 *
 * Decoding forgives copy-paste damage that loses nothing (whitespace, line
 * breaks, a missing prefix, `=` padding) and is strict about content: every
 * failure is a `CanopyError("invalid_invite")` with its own reason.
 * @module
 */
import { CanopyError } from "../util/errors.ts";
import { fromBase64Url, toBase64Url } from "../util/base64url.ts";
import { fromBase58, toBase58 } from "../util/base58.ts";
import { fromUtf8, utf8 } from "../util/bytes.ts";
import { peerIdOf } from "./peer_id.ts";

/** The prefix of every invite code. */
export const INVITE_PREFIX = "canopy:";
/** The invite format version we write and read. */
export const INVITE_VERSION = 1;
/** Most endpoints an invite may carry. */
export const MAX_INVITE_ENDPOINTS = 16;
/** Longest invite code we try to decode (characters), well above any real one. */
export const MAX_INVITE_LENGTH = 8192;
/** Longest endpoint URL (characters). */
export const MAX_ENDPOINT_LENGTH = 300;
/** Longest display name carried in an invite (characters). */
export const MAX_INVITE_NAME_LENGTH = 100;

/** What an invite says about a peer. */
export interface Invite {
  readonly peerId: string;
  readonly ed25519PublicKey: Uint8Array;
  readonly x25519PublicKey: Uint8Array;
  /** `ws://host:port` or `wss://host:port` URLs, most preferred first. */
  readonly endpoints: readonly string[];
  /** Optional display name. */
  readonly name?: string;
}

/** Encodes an invite. The field order matches Canopy 0.4 byte for byte. */
export function encodeInvite(invite: Omit<Invite, "peerId"> & { peerId?: string }): string {
  const body: Record<string, unknown> = {
    v: INVITE_VERSION,
    pid: invite.peerId ?? peerIdOf(invite.ed25519PublicKey),
    epk: toBase58(invite.ed25519PublicKey),
    xpk: toBase58(invite.x25519PublicKey),
    ep: [...invite.endpoints],
  };
  if (invite.name !== undefined && invite.name !== "") body.name = invite.name;
  return INVITE_PREFIX + toBase64Url(utf8(JSON.stringify(body)));
}

function fail(reason: string): never {
  throw new CanopyError("invalid_invite", reason, { field: "invite_code" });
}

/** Decodes and checks an invite code; throws `CanopyError("invalid_invite")`. */
export function decodeInvite(code: unknown): Invite {
  if (typeof code !== "string") fail("invite_code must be a string");
  if (code.length > MAX_INVITE_LENGTH) {
    fail(`Invite code is too long (${code.length} characters, at most ${MAX_INVITE_LENGTH})`);
  }
  let text = code.replace(/\s+/g, "");
  if (text.toLowerCase().startsWith(INVITE_PREFIX)) text = text.slice(INVITE_PREFIX.length);
  if (text === "") fail("Invite code is empty");
  if (!/^[A-Za-z0-9_\-+/]*=*$/.test(text)) {
    fail("Invite code is not valid base64url (it contains characters outside A-Z a-z 0-9 - _)");
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text);
  } catch {
    fail("Invite code has an impossible length; it was probably truncated while copying");
  }
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes));
  } catch {
    fail("Invite code does not decode to JSON; it was probably truncated while copying");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    fail("Invite code does not decode to a JSON object");
  }
  const body = json as Record<string, unknown>;
  for (const field of ["v", "pid", "epk", "xpk", "ep"]) {
    if (!(field in body)) fail(`Invite code is missing field "${field}"`);
  }
  if (body.v !== INVITE_VERSION) {
    fail(`Unsupported invite version ${JSON.stringify(body.v)} (this node reads version 1)`);
  }
  const ed25519PublicKey = key(body, "epk", "Ed25519");
  const x25519PublicKey = key(body, "xpk", "X25519");
  if (typeof body.pid !== "string") fail('Invite field "pid" must be a string');
  const endpoints = endpointsOf(body.ep);
  let name: string | undefined;
  if (body.name !== undefined) {
    if (typeof body.name !== "string" || body.name.length > MAX_INVITE_NAME_LENGTH) {
      fail(`Invite field "name" must be a string of at most ${MAX_INVITE_NAME_LENGTH} characters`);
    }
    name = body.name;
  }
  if (peerIdOf(ed25519PublicKey) !== body.pid) fail("Peer ID does not match public key");
  return { peerId: body.pid, ed25519PublicKey, x25519PublicKey, endpoints, name };
}

function key(body: Record<string, unknown>, field: string, kind: string): Uint8Array {
  const value = body[field];
  if (typeof value !== "string") fail(`Invite field "${field}" must be a base58 string`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase58(value);
  } catch {
    fail(`Invite field "${field}" is not valid base58`);
  }
  if (bytes.length !== 32) {
    fail(
      `Invite field "${field}" must be a 32-byte ${kind} public key, got ${bytes.length} bytes`,
    );
  }
  return bytes;
}

function endpointsOf(value: unknown): string[] {
  if (!Array.isArray(value)) fail('Invite field "ep" must be a list of ws:// URLs');
  if (value.length > MAX_INVITE_ENDPOINTS) {
    fail(`Invite has ${value.length} endpoints; at most ${MAX_INVITE_ENDPOINTS} are allowed`);
  }
  return value.map((ep, i) => {
    if (typeof ep !== "string" || ep.length > MAX_ENDPOINT_LENGTH) {
      fail(`Invite endpoint ${i + 1} must be a URL string of at most ${MAX_ENDPOINT_LENGTH} chars`);
    }
    if (!isEndpoint(ep)) fail(`Invite endpoint ${i + 1} ("${ep}") is not a ws:// or wss:// URL`);
    return ep;
  });
}

/** True for `ws://host:port` / `wss://host:port` URLs with an explicit host. */
export function isEndpoint(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "ws:" || url.protocol === "wss:") && url.hostname !== "";
  } catch {
    return false;
  }
}
