/**
 * Stable codes for errors thrown by this package. Thrown errors mean a caller bug or bad
 * local input (a key, a value to sign); a bad envelope from the network is never thrown,
 * it is a {@link ReasonCode} verdict from `parseEnvelope`.
 */
export type ProtocolErrorCode =
  | 'CANONICALIZE_UNSUPPORTED'
  | 'INVALID_ENVELOPE'
  | 'INVALID_KEY'
  | 'INVALID_ARGUMENT'
  | 'DEVICE_KEY_MISMATCH';

/** Base error of `@groundwork/protocol`: a stable `code`, a short message and an optional `cause`. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
