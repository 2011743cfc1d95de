/**
 * The link handshake (PROTOCOL §2): Noise_XX with hello/identity payloads,
 * version negotiation, the Ed25519 binding of the Noise static key, and the
 * expected-peer check. Produces the two transport CipherStates.
 * @module
 */
import {
  type AgreementKey,
  CryptoError,
  ed25519Verify,
  importAgreementKey,
  importSigningKey,
  type SigningKey,
} from "../crypto/mod.ts";
import { peerIdOf } from "../identity/peer_id.ts";
import { fromBase64Url, toBase64Url } from "../util/base64url.ts";
import { concatBytes, equalBytes, fromUtf8, utf8 } from "../util/bytes.ts";
import { isEndpoint } from "../identity/invite.ts";
import { type CipherState, HandshakeState } from "./noise/mod.ts";
import type { FrameConn } from "./transport.ts";
import { decodeFrame } from "./wire/frame.ts";
import { CloseCode } from "./close_codes.ts";

/** Noise prologue (PROTOCOL §2). */
export const PROLOGUE = utf8("canopy-mesh");
/** Protocol versions this build speaks (PROTOCOL §9). */
export const PROTO_RANGE: readonly [number, number] = [1, 1];
/** Capabilities of version 1 (PROTOCOL §9). */
export const CAPABILITIES: readonly string[] = [
  "chat",
  "receipts",
  "sync",
  "profiles",
  "channels",
  "intro",
  "broker",
  "relay",
];
/** Deadline for the whole handshake (PROTOCOL §2). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
const BIND_DOMAIN = utf8("canopy-mesh/static-key\0");
const EMPTY = new Uint8Array(0);
const MAX_ENDPOINTS = 16;

/** The bytes an identity signs to bind its X25519 key (PROTOCOL §2). */
export function bindingMessage(x25519PublicKey: Uint8Array): Uint8Array {
  return concatBytes(BIND_DOMAIN, x25519PublicKey);
}

/** Verifies a binding signature. */
export function verifyBinding(
  ed25519PublicKey: Uint8Array,
  x25519PublicKey: Uint8Array,
  bind: Uint8Array,
): Promise<boolean> {
  return ed25519Verify(ed25519PublicKey, bindingMessage(x25519PublicKey), bind);
}

/** This node, as the handshake presents it. */
export interface LocalIdentity {
  readonly peerId: string;
  readonly signing: SigningKey;
  readonly agreement: AgreementKey;
  /** Ed25519 signature over `bindingMessage(agreement.publicKey)`, computed once. */
  readonly bind: Uint8Array;
  readonly proto?: readonly [number, number];
  readonly caps?: readonly string[];
  readonly name?: string;
  /** Our advertised endpoints, sent to peers we dial. */
  endpoints(): string[];
}

/** A local identity from raw private keys: imports them and signs the binding once. */
export async function localIdentityFrom(
  ed25519Seed: Uint8Array,
  x25519Secret: Uint8Array,
  rest: Omit<LocalIdentity, "peerId" | "signing" | "agreement" | "bind">,
): Promise<LocalIdentity> {
  const [signing, agreement] = await Promise.all([
    importSigningKey(ed25519Seed),
    importAgreementKey(x25519Secret),
  ]);
  const bind = await signing.sign(bindingMessage(agreement.publicKey));
  return { peerId: peerIdOf(signing.publicKey), signing, agreement, bind, ...rest };
}

/** Who is on the other end of a finished handshake. */
export interface RemoteIdentity {
  readonly peerId: string;
  readonly ed25519PublicKey: Uint8Array;
  readonly x25519PublicKey: Uint8Array;
  readonly bind: Uint8Array;
  readonly version: number;
  readonly caps: readonly string[];
  readonly endpoints: readonly string[];
  readonly name?: string;
}

/** A finished handshake. */
export interface HandshakeResult {
  readonly remote: RemoteIdentity;
  readonly initiator: boolean;
  readonly send: CipherState;
  readonly receive: CipherState;
}

/** Why a handshake failed; `code` is the close code sent (PROTOCOL §8). */
export type HandshakeFailure =
  | "closed"
  | "timeout"
  | "malformed"
  | "decrypt"
  | "identity_mismatch"
  | "bad_binding"
  | "blocked"
  | "too_old"
  | "unknown_version";

/** A handshake that did not complete. */
export class HandshakeError extends Error {
  constructor(
    readonly failure: HandshakeFailure,
    readonly code: number,
    message: string,
    readonly peerId?: string,
  ) {
    super(message);
    this.name = "HandshakeError";
  }
}

interface Hello {
  proto: [number, number];
  caps: string[];
}

function parseJson(bytes: Uint8Array): Record<string, unknown> {
  try {
    const v = JSON.parse(fromUtf8(bytes));
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v;
  } catch { /* fall through */ }
  throw new HandshakeError(
    "malformed",
    CloseCode.Malformed,
    "handshake payload is not a JSON object",
  );
}

function helloOf(p: Record<string, unknown>): Hello {
  const proto = p.proto;
  if (
    !Array.isArray(proto) || proto.length !== 2 ||
    !proto.every((n) => Number.isInteger(n) && n >= 0) ||
    proto[0] > proto[1]
  ) {
    throw new HandshakeError(
      "malformed",
      CloseCode.Malformed,
      "handshake has no valid proto range",
    );
  }
  const caps = Array.isArray(p.caps)
    ? p.caps.filter((c): c is string => typeof c === "string").slice(0, 64)
    : [];
  return { proto: [proto[0], proto[1]], caps };
}

/** Negotiates a version (PROTOCOL §2 step 1); throws with "too_old"/"unknown_version". */
export function negotiate(
  ours: readonly [number, number],
  theirs: readonly [number, number],
): number {
  const v = Math.min(ours[1], theirs[1]);
  if (v >= Math.max(ours[0], theirs[0])) return v;
  if (theirs[1] < ours[0]) {
    throw new HandshakeError(
      "too_old",
      CloseCode.TooOld,
      `peer too old: it speaks protocol ${theirs[0]}-${theirs[1]}, we need ${ours[0]}-${ours[1]}`,
    );
  }
  throw new HandshakeError(
    "unknown_version",
    CloseCode.UnknownVersion,
    `peer speaks an unknown protocol version ${theirs[0]}-${theirs[1]} (we speak ${ours[0]}-${
      ours[1]
    })`,
  );
}

async function identityOf(
  p: Record<string, unknown>,
  remoteStatic: Uint8Array,
): Promise<{ peerId: string; epk: Uint8Array; bind: Uint8Array; name?: string }> {
  let epk: Uint8Array;
  let bind: Uint8Array;
  try {
    epk = fromBase64Url(String(p.epk));
    bind = fromBase64Url(String(p.bind));
  } catch {
    throw new HandshakeError(
      "malformed",
      CloseCode.Malformed,
      "handshake identity is not base64url",
    );
  }
  if (epk.length !== 32 || bind.length !== 64) {
    throw new HandshakeError(
      "malformed",
      CloseCode.Malformed,
      "handshake identity has wrong lengths",
    );
  }
  const peerId = peerIdOf(epk);
  if (!(await verifyBinding(epk, remoteStatic, bind))) {
    throw new HandshakeError(
      "bad_binding",
      CloseCode.Decrypt,
      `peer ${peerId} did not prove its keys belong together`,
      peerId,
    );
  }
  const name = typeof p.name === "string" && p.name.length <= 100 ? p.name : undefined;
  return { peerId, epk, bind, name };
}

function endpointsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((e): e is string => typeof e === "string" && e.length <= 300 && isEndpoint(e))
    .slice(0, MAX_ENDPOINTS);
}

function identityPayload(local: LocalIdentity): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    epk: toBase64Url(local.signing.publicKey),
    bind: toBase64Url(local.bind),
  };
  if (local.name) payload.name = local.name;
  return payload;
}

async function receiveWithin(conn: FrameConn, deadline: Promise<never>): Promise<Uint8Array> {
  const msg = await Promise.race([conn.receive(), deadline]);
  if (msg === null) throw peerClosed(await conn.closed);
  return msg;
}

/** What the peer's close during our handshake tells us (the view flips: its "too old" is our "unknown"). */
function peerClosed(info: { code: number; reason: string }): HandshakeError {
  const said = info.reason ? `: ${info.reason}` : "";
  switch (info.code) {
    case CloseCode.TooOld:
      return new HandshakeError(
        "unknown_version",
        info.code,
        `peer speaks a newer, unknown protocol version${said}`,
      );
    case CloseCode.UnknownVersion:
      return new HandshakeError("too_old", info.code, `peer too old${said}`);
    case CloseCode.Blocked:
      return new HandshakeError("blocked", info.code, `peer refused the link (blocked)${said}`);
    default:
      return new HandshakeError(
        "closed",
        info.code,
        `connection closed during the handshake (${info.code}${said})`,
      );
  }
}

async function withDeadline<T>(
  conn: FrameConn,
  timeoutMs: number,
  hs: HandshakeState,
  run: (deadline: Promise<never>) => Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HandshakeError(
            "timeout",
            CloseCode.HandshakeTimeout,
            `handshake timed out after ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
  });
  deadline.catch(() => {});
  try {
    return await run(deadline);
  } catch (e) {
    hs.close();
    const err = e instanceof HandshakeError
      ? e
      : e instanceof CryptoError
      ? new HandshakeError("decrypt", CloseCode.Decrypt, "handshake message failed to decrypt")
      : e instanceof RangeError
      ? new HandshakeError("malformed", CloseCode.Malformed, `bad handshake message: ${e.message}`)
      : e;
    if (err instanceof HandshakeError && err.failure !== "closed") {
      conn.close(err.code, err.message.slice(0, 120));
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Options of `initiate` / `respond`. */
export interface HandshakeOptions {
  /** The peer id the dialer expects (PROTOCOL §2 step 3). */
  readonly expectedPeerId?: string;
  /**
   * Keys the dialer was told the peer has (e.g. by an mDNS TXT record): the
   * responder must present exactly these (PROTOCOL §2 step 3).
   */
  readonly expectedKeys?: { readonly ed25519?: Uint8Array; readonly x25519?: Uint8Array };
  /** Responder: refuse these peers (PROTOCOL §2 step 4). */
  readonly isBlocked?: (peerId: string) => boolean;
  readonly timeoutMs?: number;
}

/** A Noise_XX handshake with our prologue and static key (PROTOCOL §2). */
function xx(local: LocalIdentity, initiator: boolean): HandshakeState {
  return new HandshakeState({ pattern: "XX", initiator, prologue: PROLOGUE, s: local.agreement });
}

/** The remote identity of a finished handshake. */
function remoteOf(
  id: { peerId: string; epk: Uint8Array; bind: Uint8Array; name?: string },
  rs: Uint8Array,
  version: number,
  caps: readonly string[],
  endpoints: readonly string[],
): RemoteIdentity {
  return {
    peerId: id.peerId,
    ed25519PublicKey: id.epk,
    x25519PublicKey: rs.slice(),
    bind: id.bind,
    version,
    caps,
    endpoints,
    name: id.name,
  };
}

/** Runs the initiator side over `conn`. */
export function initiate(
  conn: FrameConn,
  local: LocalIdentity,
  options: HandshakeOptions = {},
): Promise<HandshakeResult> {
  const hs = xx(local, true);
  const proto = local.proto ?? PROTO_RANGE;
  return withDeadline(conn, options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS, hs, async (deadline) => {
    await conn.send(
      await hs.writeMessage(utf8(JSON.stringify({ proto, caps: local.caps ?? CAPABILITIES }))),
    );
    const p2 = parseJson(await hs.readMessage(await receiveWithin(conn, deadline)));
    const hello = helloOf(p2);
    const version = negotiate(proto, hello.proto);
    const rs = hs.remoteStaticPublicKey!;
    const id = await identityOf(p2, rs);
    if (options.expectedPeerId && id.peerId !== options.expectedPeerId) {
      throw new HandshakeError(
        "identity_mismatch",
        CloseCode.IdentityMismatch,
        `expected peer ${options.expectedPeerId} at ${conn.remoteAddr.hostname}:${conn.remoteAddr.port}, ` +
          `but it presented peer id ${id.peerId}`,
        id.peerId,
      );
    }
    const keys = options.expectedKeys;
    if (
      keys && ((keys.ed25519 && !equalBytes(keys.ed25519, id.epk)) ||
        (keys.x25519 && !equalBytes(keys.x25519, rs)))
    ) {
      throw new HandshakeError(
        "identity_mismatch",
        CloseCode.IdentityMismatch,
        `peer ${id.peerId} at ${conn.remoteAddr.hostname}:${conn.remoteAddr.port} presented ` +
          "keys that differ from the advertised ones",
        id.peerId,
      );
    }
    await conn.send(
      await hs.writeMessage(
        utf8(JSON.stringify({ ...identityPayload(local), ep: local.endpoints() })),
      ),
    );
    const { send, receive } = hs.split();
    // PROTOCOL §2: the link is up once the responder's welcome PING arrives; a
    // responder that refuses us (blocked, duplicate) closes instead.
    const welcome = decodeFrame(receive.decryptWithAd(EMPTY, await receiveWithin(conn, deadline)));
    if (typeof welcome === "string" || welcome.type !== "ping") {
      throw new HandshakeError(
        "malformed",
        CloseCode.Malformed,
        "expected the responder's welcome",
      );
    }
    return { initiator: true, send, receive, remote: remoteOf(id, rs, version, hello.caps, []) };
  });
}

/** Runs the responder side over `conn`. */
export function respond(
  conn: FrameConn,
  local: LocalIdentity,
  options: HandshakeOptions = {},
): Promise<HandshakeResult> {
  const hs = xx(local, false);
  const proto = local.proto ?? PROTO_RANGE;
  return withDeadline(conn, options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS, hs, async (deadline) => {
    const hello = helloOf(parseJson(await hs.readMessage(await receiveWithin(conn, deadline))));
    const version = negotiate(proto, hello.proto);
    await conn.send(
      await hs.writeMessage(
        utf8(
          JSON.stringify({ proto, caps: local.caps ?? CAPABILITIES, ...identityPayload(local) }),
        ),
      ),
    );
    const p3 = parseJson(await hs.readMessage(await receiveWithin(conn, deadline)));
    const rs = hs.remoteStaticPublicKey!;
    const id = await identityOf(p3, rs);
    if (options.isBlocked?.(id.peerId)) {
      throw new HandshakeError(
        "blocked",
        CloseCode.Blocked,
        `peer ${id.peerId} is blocked`,
        id.peerId,
      );
    }
    const { send, receive } = hs.split();
    return {
      initiator: false,
      send,
      receive,
      remote: remoteOf(id, rs, version, hello.caps, endpointsOf(p3.ep)),
    };
  });
}
