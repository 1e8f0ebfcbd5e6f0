export {
  CanonicalizeError,
  type CanonicalizeProblem,
  canonicalize,
  MAX_CANONICAL_DEPTH,
} from './canonical.ts';
export { EnvelopeError, signEnvelope, signingBytes, verifyEnvelopeSignature } from './envelope.ts';
export { ProtocolError, type ProtocolErrorCode } from './errors.ts';
export { fromHex, type Hex, toHex } from './hex.ts';
export {
  INGEST_PATH,
  IngestErrorCode,
  type IngestErrorResponse,
  type IngestRequest,
  type IngestResponse,
  type IngestResult,
} from './http.ts';
export {
  type DeviceId,
  type DeviceKey,
  deviceIdFromPublicKey,
  deviceIdFromTokenId,
  deviceIdToTokenId,
  deviceKeyFromPrivateKey,
  deviceKeyFromSeed,
  deviceKeySeed,
  generateDeviceKey,
  isDeviceId,
  isKeyType,
  KEY_TYPES,
  type KeyType,
  keyTypeCode,
  keyTypeFromCode,
  PUBLIC_KEY_LENGTH,
  publicKeyObject,
  rawPublicKey,
} from './keys.ts';
export { LIMITS } from './limits.ts';
export { type ParseEnvelopeResult, parseEnvelope } from './parse.ts';
export { isReasonCode, REASONS, ReasonCode } from './reasons.ts';
export {
  type Address,
  encodeRegistration,
  REGISTRATION_TYPEHASH,
  type RegistrationDigestParameters,
  registrationDigest,
  signRegistration,
  verifyRegistrationSignature,
} from './registration.ts';
export { isLowS, normalizeLowS, P256_HALF_N, P256_N, signBytes, verifyBytes } from './signature.ts';
export { type Envelope, KIND_PATTERN, moduleIdOfKind, type UnsignedEnvelope } from './types.ts';
export { VECTORS } from './vectors.ts';
