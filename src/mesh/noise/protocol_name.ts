/**
 * Noise protocol names (Noise spec rev. 34, §8): `Noise_<pattern>_<dh>_<cipher>_<hash>`.
 * Only `25519` (§12.1), `ChaChaPoly` (§12.3) and `SHA256` (§12.5) are
 * implemented, so every other suite is refused rather than misread.
 * @module
 */
import { type HandshakePattern, handshakePattern } from "./patterns.ts";

/** The one suite this implementation speaks, as it appears in protocol names. */
export const NOISE_SUITE = "25519_ChaChaPoly_SHA256";

/** The longest protocol name accepted (§8 sets 255 bytes). */
export const NOISE_MAX_PROTOCOL_NAME_LENGTH = 255;

/** A protocol name taken apart. */
export interface ProtocolName {
  /** The full name, e.g. `"Noise_XX_25519_ChaChaPoly_SHA256"`. */
  readonly name: string;
  /** The handshake pattern it names, modifiers applied. */
  readonly pattern: HandshakePattern;
}

/**
 * Parses a full protocol name, e.g. `"Noise_XXpsk3_25519_ChaChaPoly_SHA256"`.
 * Throws `RangeError` for another prefix, an unsupported DH, cipher or hash
 * function, or an unknown pattern.
 */
export function parseProtocolName(name: string): ProtocolName {
  if (name.length > NOISE_MAX_PROTOCOL_NAME_LENGTH) {
    throw new RangeError(`parseProtocolName: name longer than 255 bytes (${name.length})`);
  }
  const parts = name.split("_");
  if (parts.length !== 5 || parts[0] !== "Noise") {
    throw new RangeError(
      `parseProtocolName: expected Noise_<pattern>_<dh>_<cipher>_<hash>, got "${name}"`,
    );
  }
  const suite = parts.slice(2).join("_");
  if (suite !== NOISE_SUITE) {
    throw new RangeError(`parseProtocolName: only ${NOISE_SUITE} is supported, got "${suite}"`);
  }
  return { name, pattern: handshakePattern(parts[1]) };
}

/** The protocol name for a pattern name with our suite: `Noise_<pattern>_25519_ChaChaPoly_SHA256`. */
export function protocolName(patternName: string): string {
  return `Noise_${patternName}_${NOISE_SUITE}`;
}
