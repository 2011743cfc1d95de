/**
 * The arguments of HandshakeState's Initialize() (Noise spec rev. 34, §5.3),
 * checked against the pattern in one place: which keys the pattern needs
 * (§7.1 pre-messages and "s" tokens), and how many psks (§9).
 * @module
 */
import {
  type AgreementKey,
  generateEphemeralKey,
  importAgreementKey,
  X25519_KEY_LENGTH,
  x25519PublicKey,
} from "../../crypto/mod.ts";
import { type HandshakePattern, handshakePattern } from "./patterns.ts";
import { parseProtocolName, protocolName } from "./protocol_name.ts";

/** Length of a psk (§9.1). */
export const NOISE_PSK_LENGTH = 32;

const DH_LENGTH = X25519_KEY_LENGTH;

/** Arguments of §5.3 Initialize(), plus injected collaborators. */
export interface HandshakeOptions {
  /**
   * The pattern: a name with modifiers (`"XX"`, `"XXpsk3"`), a full protocol
   * name (`"Noise_XX_25519_ChaChaPoly_SHA256"`), or a parsed pattern.
   */
  pattern: string | HandshakePattern;
  /** Whether this side sends the first message. */
  initiator: boolean;
  /** Bytes both sides must agree on, hashed first (§6). Default: empty. */
  prologue?: Uint8Array;
  /**
   * Local static key pair: an imported key, or a 32-byte private key.
   * Required when the pattern sends it or has it in a pre-message; otherwise ignored.
   */
  s?: AgreementKey | Uint8Array;
  /**
   * A fixed local ephemeral: used by an "e" pre-message, or instead of a fresh
   * key for the "e" token. Only for test vectors and pre-message patterns;
   * reusing an ephemeral destroys forward secrecy. Default: none.
   */
  e?: AgreementKey | Uint8Array;
  /**
   * The remote static public key, accepted only when the pattern has it in a
   * pre-message (IK, NK, KK, …). In XX it is learnt from the handshake: compare
   * `remoteStaticPublicKey` afterwards to pin a peer.
   */
  rs?: Uint8Array;
  /** The remote ephemeral public key, accepted only when the pattern has it in a pre-message. */
  re?: Uint8Array;
  /** One 32-byte key per "psk" token, in token order (§9). Default: none. */
  psks?: readonly Uint8Array[];
  /** Makes ephemeral keys. Default: `generateEphemeralKey` (WebCrypto, non-extractable). */
  generateEphemeral?: () => Promise<AgreementKey>;
}

/** Options after checking: defaults applied, keys copied, secrets wrapped. */
export interface ResolvedHandshakeOptions {
  readonly protocolName: string;
  readonly pattern: HandshakePattern;
  readonly initiator: boolean;
  readonly prologue: Uint8Array;
  readonly s: AgreementKey | undefined;
  readonly e: AgreementKey | undefined;
  readonly rs: Uint8Array | undefined;
  readonly re: Uint8Array | undefined;
  /** Copies, so that the handshake may wipe them. */
  readonly psks: Uint8Array[];
  readonly generateEphemeral: () => Promise<AgreementKey>;
}

/** Checks `options` against the pattern. Throws `RangeError` naming the option at fault. */
export function resolveHandshakeOptions(options: HandshakeOptions): ResolvedHandshakeOptions {
  let name: string;
  let pattern: HandshakePattern;
  if (typeof options.pattern === "string") {
    ({ name, pattern } = options.pattern.startsWith("Noise_")
      ? parseProtocolName(options.pattern)
      : { name: protocolName(options.pattern), pattern: handshakePattern(options.pattern) });
  } else {
    pattern = options.pattern;
    name = protocolName(pattern.name);
  }
  const initiator = options.initiator;
  if (typeof initiator !== "boolean") {
    throw new RangeError(`HandshakeState: initiator must be a boolean, got ${initiator}`);
  }
  const prologue = options.prologue ?? new Uint8Array(0);
  if (!(prologue instanceof Uint8Array)) {
    throw new RangeError("HandshakeState: prologue must be a Uint8Array");
  }
  const ownPre = initiator ? pattern.initiatorPreMessage : pattern.responderPreMessage;
  const remotePre = initiator ? pattern.responderPreMessage : pattern.initiatorPreMessage;
  const sendsStatic = pattern.messages.some((m) =>
    m.fromInitiator === initiator && m.tokens.includes("s")
  );
  const psks = options.psks ?? [];
  if (psks.length !== pattern.pskCount || psks.some((k) => k?.length !== NOISE_PSK_LENGTH)) {
    throw new RangeError(
      `HandshakeState: psks must be ${pattern.pskCount} keys of ${NOISE_PSK_LENGTH} bytes, ` +
        `got ${psks.length}`,
    );
  }
  return {
    protocolName: name,
    pattern,
    initiator,
    prologue,
    s: agreementKey("s", options.s, ownPre.includes("s") || sendsStatic),
    e: agreementKey("e", options.e, ownPre.includes("e")),
    rs: preMessageKey("rs", options.rs, remotePre.includes("s")),
    re: preMessageKey("re", options.re, remotePre.includes("e")),
    psks: psks.map((k) => k.slice()),
    generateEphemeral: options.generateEphemeral ?? generateEphemeralKey,
  };
}

function agreementKey(
  field: string,
  key: AgreementKey | Uint8Array | undefined,
  required: boolean,
): AgreementKey | undefined {
  if (key === undefined) {
    if (required) throw new RangeError(`HandshakeState: the pattern needs ${field}, got none`);
    return undefined;
  }
  if (!(key instanceof Uint8Array)) {
    if (key.publicKey?.length !== DH_LENGTH || typeof key.agree !== "function") {
      throw new RangeError(`HandshakeState: ${field} must be an AgreementKey or 32 bytes`);
    }
    return key;
  }
  if (key.length !== DH_LENGTH) {
    throw new RangeError(
      `HandshakeState: ${field} must be a 32-byte private key, got ${key.length} bytes`,
    );
  }
  // Imported lazily, on the first DH, so that the constructor stays synchronous.
  const secret = key.slice();
  let imported: Promise<AgreementKey> | undefined;
  return {
    publicKey: x25519PublicKey(secret),
    agree: async (peer) => {
      imported ??= importAgreementKey(secret).finally(() => secret.fill(0));
      return await (await imported).agree(peer);
    },
  };
}

function preMessageKey(
  field: string,
  key: Uint8Array | undefined,
  inPreMessage: boolean,
): Uint8Array | undefined {
  if (!inPreMessage) {
    if (key === undefined) return undefined;
    const hint = field === "rs" ? "; to pin a peer, compare remoteStaticPublicKey afterwards" : "";
    throw new RangeError(`HandshakeState: ${field} is only for a key in a pre-message${hint}`);
  }
  if (!(key instanceof Uint8Array) || key.length !== DH_LENGTH) {
    throw new RangeError(
      `HandshakeState: the pattern needs ${field} (32 bytes), got ${key?.length}`,
    );
  }
  return key.slice();
}
