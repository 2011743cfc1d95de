/**
 * Noise SymmetricState (Noise spec rev. 34, §5.2) with SHA-256 (§12.5) and
 * the Noise HKDF (§4.3).
 * @module
 */
import { hmacSha256, sha256 } from "../../crypto/mod.ts";
import { CipherState } from "./cipher_state.ts";

/** HASHLEN for SHA-256 (§4.3, §12.5). */
export const HASH_LENGTH = 32;

const EMPTY = new Uint8Array(0);
const BYTE_1 = new Uint8Array([0x01]);

/**
 * §4.3 HKDF(chaining_key, input_key_material, num_outputs) with HMAC-SHA256.
 * Noise's shape: `temp_key = HMAC(ck, ikm)`, then `output1 = HMAC(temp_key,
 * 0x01)`, `output2 = HMAC(temp_key, output1 ‖ 0x02)`, `output3 =
 * HMAC(temp_key, output2 ‖ 0x03)`. (With two outputs this equals RFC 5869
 * with salt `ck`, empty info and 64 bytes of output.)
 */
export function noiseHkdf(
  chainingKey: Uint8Array,
  inputKeyMaterial: Uint8Array,
  numOutputs: 2 | 3,
): Uint8Array[] {
  if (numOutputs !== 2 && numOutputs !== 3) {
    throw new RangeError(`noiseHkdf: numOutputs must be 2 or 3, got ${numOutputs}`);
  }
  const tempKey = hmacSha256(chainingKey, inputKeyMaterial);
  const outputs = [hmacSha256(tempKey, BYTE_1)];
  const block = new Uint8Array(HASH_LENGTH + 1);
  for (let i = 2; i <= numOutputs; i++) {
    block.set(outputs[i - 2]);
    block[HASH_LENGTH] = i;
    outputs.push(hmacSha256(tempKey, block));
  }
  block.fill(0);
  tempKey.fill(0);
  return outputs;
}

/**
 * The chaining key `ck`, the handshake hash `h` and the CipherState they key
 * (§5.2). Only HandshakeState uses it; it is exported for tests and for
 * protocols layered on Noise primitives.
 */
export class SymmetricState {
  #ck: Uint8Array;
  #h: Uint8Array;
  readonly #cipher = new CipherState();

  /**
   * §5.2 InitializeSymmetric(protocol_name): `h` is the name zero-padded to
   * HASHLEN when it fits, otherwise HASH(name); `ck = h`; no cipher key.
   */
  constructor(protocolName: string) {
    const name = new TextEncoder().encode(protocolName);
    if (name.length <= HASH_LENGTH) {
      this.#h = new Uint8Array(HASH_LENGTH);
      this.#h.set(name);
    } else {
      this.#h = sha256(name);
    }
    this.#ck = this.#h.slice();
  }

  /** §5.2 MixKey(ikm): `ck, temp_k = HKDF(ck, ikm, 2)`; InitializeKey(temp_k). */
  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, tempK] = noiseHkdf(this.#ck, inputKeyMaterial, 2);
    this.#replaceCk(ck);
    this.#cipher.initializeKey(tempK); // HASHLEN is 32: no truncation needed.
    tempK.fill(0);
  }

  /** §5.2 MixHash(data): `h = HASH(h ‖ data)`. */
  mixHash(data: Uint8Array): void {
    const input = new Uint8Array(HASH_LENGTH + data.length);
    input.set(this.#h);
    input.set(data, HASH_LENGTH);
    this.#h = sha256(input);
  }

  /**
   * §5.2 MixKeyAndHash(ikm), used for "psk" tokens (§9.2):
   * `ck, temp_h, temp_k = HKDF(ck, ikm, 3)`; MixHash(temp_h); InitializeKey(temp_k).
   */
  mixKeyAndHash(inputKeyMaterial: Uint8Array): void {
    const [ck, tempH, tempK] = noiseHkdf(this.#ck, inputKeyMaterial, 3);
    this.#replaceCk(ck);
    this.mixHash(tempH);
    this.#cipher.initializeKey(tempK);
    tempK.fill(0);
  }

  /** §5.2 GetHandshakeHash(): a copy of `h`. */
  getHandshakeHash(): Uint8Array {
    return this.#h.slice();
  }

  /** §5.2 HasKey() of the inner CipherState. */
  hasKey(): boolean {
    return this.#cipher.hasKey();
  }

  /** §5.2 EncryptAndHash(plaintext): EncryptWithAd(h, plaintext), then MixHash(ciphertext). */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.#cipher.encryptWithAd(this.#h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /**
   * §5.2 DecryptAndHash(ciphertext): DecryptWithAd(h, ciphertext), then
   * MixHash(ciphertext). Throws `CryptoError` when authentication fails.
   */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.#cipher.decryptWithAd(this.#h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /**
   * §5.2 Split(): `temp_k1, temp_k2 = HKDF(ck, zerolen, 2)`; returns
   * `[c1, c2]` (c1 encrypts initiator → responder). Wipes `ck` and the
   * handshake cipher key; `h` stays readable.
   */
  split(): [CipherState, CipherState] {
    const [k1, k2] = noiseHkdf(this.#ck, EMPTY, 2);
    const pair: [CipherState, CipherState] = [new CipherState(k1), new CipherState(k2)];
    k1.fill(0);
    k2.fill(0);
    this.#ck.fill(0);
    this.#cipher.close();
    return pair;
  }

  /** Wipes `ck`, `h` and the cipher key; for a failed handshake. Idempotent. */
  wipe(): void {
    this.#ck.fill(0);
    this.#h.fill(0);
    this.#cipher.close();
  }

  #replaceCk(ck: Uint8Array): void {
    this.#ck.fill(0);
    this.#ck = ck;
  }
}
