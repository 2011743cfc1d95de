/**
 * The one error every cryptographic failure turns into. Its message is opaque
 * on purpose: callers learn that something failed, never which check.
 * @module
 */
export class CryptoError extends Error {
  constructor(message = "cryptographic operation failed") {
    super(message);
    this.name = "CryptoError";
  }
}
