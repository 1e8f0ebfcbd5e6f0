/**
 * Why ingest rejected an envelope. The strings are stable: they are stored with verdicts,
 * returned by the API and counted in metrics. Listed in the order the node checks them.
 */
export const ReasonCode = {
  MALFORMED: 'MALFORMED',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  ENVELOPE_TOO_LARGE: 'ENVELOPE_TOO_LARGE',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  UNKNOWN_DEVICE: 'UNKNOWN_DEVICE',
  DEVICE_INACTIVE: 'DEVICE_INACTIVE',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  SEQ_REPLAYED: 'SEQ_REPLAYED',
  CLOCK_SKEW: 'CLOCK_SKEW',
  UNKNOWN_KIND: 'UNKNOWN_KIND',
  MODULE_MISMATCH: 'MODULE_MISMATCH',
  BODY_INVALID: 'BODY_INVALID',
} as const;

/** One of the {@link ReasonCode} strings. */
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** One-line meaning of every {@link ReasonCode}, as documented in docs/PROTOCOL.md. */
export const REASONS: Readonly<Record<ReasonCode, string>> = {
  MALFORMED:
    'not a JSON object, a field missing or of the wrong type, an extra field, bad hex, bad kind syntax, or a body that has no canonical JSON form',
  UNSUPPORTED_VERSION: 'v is a number other than 1',
  ENVELOPE_TOO_LARGE: 'canonical JSON of the envelope (sig included) exceeds 16384 bytes',
  BODY_TOO_LARGE: 'canonical JSON of the body exceeds 8192 bytes',
  UNKNOWN_DEVICE: 'no device with this id is registered on chain',
  DEVICE_INACTIVE: 'the device is registered but deactivated on chain',
  BAD_SIGNATURE: 'sig does not verify under the registered device key (or is a high-s P-256 signature)',
  SEQ_REPLAYED: 'seq is not strictly greater than the last accepted seq of this device',
  CLOCK_SKEW: '|time - receivedAt| exceeds the governed maximum skew ingest.maxSkewMs',
  UNKNOWN_KIND: "no module on this node handles the kind's module id, or that module declares no such kind",
  MODULE_MISMATCH: "the kind's module is not the module the device is registered for",
  BODY_INVALID: "the module's schema for this kind rejects the body",
};

/** True when `value` is one of the {@link ReasonCode} strings. */
export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.hasOwn(REASONS, value);
}
