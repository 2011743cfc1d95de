/**
 * The Noise door: `Noise_*_25519_ChaChaPoly_SHA256` per the Noise Protocol
 * Framework, revision 34 (https://noiseprotocol.org/noise.html). Canopy's
 * link handshake runs `Noise_XX` on top of it (docs/PROTOCOL.md).
 *
 * ```ts
 * const alice = new HandshakeState({ pattern: "XX", initiator: true, s: aliceKey });
 * const bob = new HandshakeState({ pattern: "XX", initiator: false, s: bobKey });
 * await bob.readMessage(await alice.writeMessage());
 * await alice.readMessage(await bob.writeMessage(bobPayload));
 * await bob.readMessage(await alice.writeMessage(alicePayload));
 * const { send, receive } = alice.split();
 * ```
 * @module
 */
export { CipherState, NOISE_MAX_NONCE } from "./cipher_state.ts";
export { HASH_LENGTH, noiseHkdf, SymmetricState } from "./symmetric_state.ts";
export {
  type HandshakePattern,
  handshakePattern,
  type MessagePattern,
  parsePattern,
  PATTERN_NAMES,
  type Token,
} from "./patterns.ts";
export {
  NOISE_MAX_PROTOCOL_NAME_LENGTH,
  NOISE_SUITE,
  parseProtocolName,
  type ProtocolName,
  protocolName,
} from "./protocol_name.ts";
export { type HandshakeOptions, NOISE_PSK_LENGTH } from "./handshake_options.ts";
export {
  HandshakeState,
  NOISE_MAX_MESSAGE_LENGTH,
  type TransportCiphers,
} from "./handshake_state.ts";
