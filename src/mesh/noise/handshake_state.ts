/**
 * Noise HandshakeState (Noise spec rev. 34, §5.3) over the 25519 DH of §12.1.
 * Asynchronous because X25519 runs on WebCrypto.
 *
 * Failure is terminal, as §5.3 asks ("the handshake fails"): a message that
 * does not authenticate, is too short or too long, or carries a bad key
 * throws `CryptoError` and wipes the state, so nothing read from a bad
 * message (a remote static key, a chaining key) stays reachable.
 * @module
 */
import {
  AEAD_TAG_LENGTH,
  type AgreementKey,
  CryptoError,
  X25519_KEY_LENGTH,
} from "../../crypto/mod.ts";
import { bug } from "../../util/errors.ts";
import type { CipherState } from "./cipher_state.ts";
import { type HandshakeOptions, resolveHandshakeOptions } from "./handshake_options.ts";
import type { HandshakePattern, Token } from "./patterns.ts";
import { SymmetricState } from "./symmetric_state.ts";

/** Largest Noise message, handshake or transport (§3). */
export const NOISE_MAX_MESSAGE_LENGTH = 65535;

const DH_LENGTH = X25519_KEY_LENGTH;
const EMPTY = new Uint8Array(0);

/** Transport CipherStates after the handshake, oriented for the caller. */
export interface TransportCiphers {
  /** Encrypts what this side sends (c1 for the initiator, c2 for the responder). */
  send: CipherState;
  /** Decrypts what this side receives. */
  receive: CipherState;
}

type Status = "ready" | "busy" | "complete" | "split" | "failed" | "closed";

/**
 * One side of a Noise handshake (§5.3). Call `writeMessage` and
 * `readMessage` in the pattern's order until `isComplete`, then `split()`.
 * Usage errors (wrong turn, concurrent calls, oversize payload) throw `Error`
 * or `RangeError` and leave the state usable; bad input from the peer throws
 * `CryptoError` and ends the handshake.
 */
export class HandshakeState {
  /** Whether this side is the initiator. */
  readonly initiator: boolean;
  /** The full protocol name hashed into `h` (§8). */
  readonly protocolName: string;
  /** The pattern being run, modifiers applied. */
  readonly pattern: HandshakePattern;
  readonly #symmetric: SymmetricState;
  readonly #generateEphemeral: () => Promise<AgreementKey>;
  readonly #psks: Uint8Array[];
  readonly #pskMode: boolean;
  #s: AgreementKey | undefined;
  #e: AgreementKey | undefined;
  #rs: Uint8Array | undefined;
  #re: Uint8Array | undefined;
  #pskIndex = 0;
  #messageIndex = 0;
  #status: Status = "ready";

  /** §5.3 Initialize(). Throws `RangeError` naming the option that is missing or wrong. */
  constructor(options: HandshakeOptions) {
    const o = resolveHandshakeOptions(options);
    this.protocolName = o.protocolName;
    this.pattern = o.pattern;
    this.initiator = o.initiator;
    this.#generateEphemeral = o.generateEphemeral;
    this.#s = o.s;
    this.#e = o.e;
    this.#rs = o.rs;
    this.#re = o.re;
    this.#psks = o.psks;
    this.#pskMode = o.pattern.pskCount > 0;
    this.#symmetric = new SymmetricState(this.protocolName);
    this.#symmetric.mixHash(o.prologue);
    // §5.3: pre-message keys are hashed, initiator's first, in listed order.
    this.#mixPreMessage(this.initiator, this.pattern.initiatorPreMessage);
    this.#mixPreMessage(!this.initiator, this.pattern.responderPreMessage);
  }

  /** Whether every handshake message was written or read (then call `split()`). */
  get isComplete(): boolean {
    return this.#status === "complete" || this.#status === "split";
  }

  /** Whether the next handshake message is this side's to write. */
  get isMyTurn(): boolean {
    const next = this.pattern.messages[this.#messageIndex];
    return this.#status === "ready" && next !== undefined && next.fromInitiator === this.initiator;
  }

  /**
   * §5.2 GetHandshakeHash(): `h`, a copy. Final once `isComplete` (both sides
   * then hold the same value: a channel binding, §11.2); before that it is the
   * running transcript hash. Throws `CryptoError` after a failure or `close()`.
   */
  get handshakeHash(): Uint8Array {
    if (this.#status === "failed" || this.#status === "closed") throw new CryptoError();
    return this.#symmetric.getHandshakeHash();
  }

  /** The remote static public key (a copy), once known; `undefined` before and after a failure. */
  get remoteStaticPublicKey(): Uint8Array | undefined {
    return this.#rs?.slice();
  }

  /**
   * §5.3 WriteMessage(payload): the next handshake message. Throws
   * `RangeError` (state unchanged) when the message would exceed 65535 bytes.
   */
  async writeMessage(payload: Uint8Array = EMPTY): Promise<Uint8Array> {
    const tokens = this.#begin(true);
    const length = this.#overhead(tokens) + payload.length;
    if (length > NOISE_MAX_MESSAGE_LENGTH) {
      throw new RangeError(
        `HandshakeState: message would be ${length} bytes, max ${NOISE_MAX_MESSAGE_LENGTH}`,
      );
    }
    this.#status = "busy";
    try {
      const out = new Uint8Array(length);
      let at = 0;
      for (const t of tokens) {
        if (t === "e") {
          this.#e ??= await this.#generateEphemeral();
          this.#assertBusy();
          out.set(this.#e.publicKey, at);
          at += DH_LENGTH;
          this.#mixPublicKey(this.#e.publicKey, "e");
        } else if (t === "s") {
          const sealed = this.#symmetric.encryptAndHash(need(this.#s).publicKey);
          out.set(sealed, at);
          at += sealed.length;
        } else {
          await this.#mixToken(t);
        }
      }
      out.set(this.#symmetric.encryptAndHash(payload), at);
      this.#end();
      return out;
    } catch (err) {
      this.#fail();
      throw err;
    }
  }

  /**
   * §5.3 ReadMessage(message): the payload of the next handshake message.
   * Throws `CryptoError`, and the handshake is over, when the message is
   * longer than 65535 bytes, too short for its tokens, or fails to decrypt.
   */
  async readMessage(message: Uint8Array): Promise<Uint8Array> {
    const tokens = this.#begin(false);
    this.#status = "busy";
    try {
      if (message.length > NOISE_MAX_MESSAGE_LENGTH || message.length < this.#overhead(tokens)) {
        throw new CryptoError();
      }
      let at = 0;
      for (const t of tokens) {
        if (t === "e") {
          this.#re = message.slice(at, at + DH_LENGTH);
          at += DH_LENGTH;
          this.#mixPublicKey(this.#re, "e");
        } else if (t === "s") {
          const length = DH_LENGTH + (this.#symmetric.hasKey() ? AEAD_TAG_LENGTH : 0);
          this.#rs = this.#symmetric.decryptAndHash(message.subarray(at, at + length)).slice();
          at += length;
        } else {
          await this.#mixToken(t);
        }
      }
      const payload = this.#symmetric.decryptAndHash(message.subarray(at)).slice();
      this.#end();
      return payload;
    } catch (err) {
      this.#fail();
      throw err;
    }
  }

  /**
   * §5.2 Split() after the last message: `send` and `receive` CipherStates for
   * this side. In one-way patterns (§7.4) only initiator → responder exists;
   * the other direction comes back closed. Callable once.
   */
  split(): TransportCiphers {
    if (this.#status !== "complete") {
      throw new Error(`noise: split() needs a complete handshake (state: ${this.#status})`);
    }
    this.#status = "split";
    const [c1, c2] = this.#symmetric.split();
    if (this.pattern.oneWay) c2.close();
    return this.initiator ? { send: c1, receive: c2 } : { send: c2, receive: c1 };
  }

  /** Abandons the handshake (e.g. on a timeout) and wipes its secrets. Idempotent. */
  close(): void {
    if (this.#status === "split" || this.#status === "closed") return;
    this.#wipe();
    this.#status = "closed";
  }

  /** Checks whose turn it is; returns the tokens of the next message. */
  #begin(writing: boolean): readonly Token[] {
    if (this.#status === "failed" || this.#status === "closed") throw new CryptoError();
    if (this.#status === "busy") throw new Error("noise: another handshake call is in progress");
    const next = this.pattern.messages[this.#messageIndex];
    if (next === undefined) throw new Error("noise: the handshake is already complete");
    if ((next.fromInitiator === this.initiator) !== writing) {
      throw new Error(`noise: not our turn to ${writing ? "write" : "read"}`);
    }
    return next.tokens;
  }

  #end(): void {
    this.#assertBusy();
    this.#messageIndex++;
    if (this.#messageIndex < this.pattern.messages.length) {
      this.#status = "ready";
      return;
    }
    this.#status = "complete";
    this.#e = undefined; // §5.3: ephemerals are not needed once the handshake ends.
    this.#re = undefined;
    for (const k of this.#psks) k.fill(0);
  }

  /** Exact bytes a message of `tokens` takes beyond its payload (keys, tags). */
  #overhead(tokens: readonly Token[]): number {
    let keyed = this.#symmetric.hasKey();
    let length = 0;
    for (const t of tokens) {
      if (t === "e") {
        length += DH_LENGTH;
        keyed ||= this.#pskMode;
      } else if (t === "s") {
        length += DH_LENGTH + (keyed ? AEAD_TAG_LENGTH : 0);
      } else {
        keyed = true;
      }
    }
    return length + (keyed ? AEAD_TAG_LENGTH : 0);
  }

  #mixPreMessage(mine: boolean, tokens: readonly ("e" | "s")[]): void {
    for (const t of tokens) {
      const key = t === "e"
        ? (mine ? this.#e?.publicKey : this.#re)
        : (mine ? this.#s?.publicKey : this.#rs);
      this.#mixPublicKey(need(key), t);
    }
  }

  /** §5.3 "e": MixHash(e.public_key), and in a PSK handshake also MixKey (§9.2). */
  #mixPublicKey(publicKey: Uint8Array, token: "e" | "s"): void {
    this.#symmetric.mixHash(publicKey);
    if (token === "e" && this.#pskMode) this.#symmetric.mixKey(publicKey);
  }

  /** §5.3 "ee", "es", "se", "ss": MixKey(DH(...)); §9.2 "psk": MixKeyAndHash(psk). */
  async #mixToken(token: Token): Promise<void> {
    if (token === "psk") {
      this.#symmetric.mixKeyAndHash(need(this.#psks[this.#pskIndex++]));
      return;
    }
    // The first letter names the initiator's key, the second the responder's.
    const [mine, theirs] = this.initiator ? [token[0], token[1]] : [token[1], token[0]];
    const local = need(mine === "e" ? this.#e : this.#s);
    const shared = await local.agree(need(theirs === "e" ? this.#re : this.#rs));
    this.#assertBusy();
    this.#symmetric.mixKey(shared);
    shared.fill(0);
  }

  #assertBusy(): void {
    if (this.#status !== "busy") throw new CryptoError(); // close() ran during an await
  }

  #fail(): void {
    if (this.#status !== "closed") this.#status = "failed";
    this.#wipe();
  }

  #wipe(): void {
    this.#symmetric.wipe();
    for (const k of this.#psks) k.fill(0);
    this.#s = this.#e = undefined;
    this.#rs = this.#re = undefined;
  }
}

function need<T>(value: T | undefined): T {
  return value ?? bug("noise: a key the pattern needs is missing");
}
