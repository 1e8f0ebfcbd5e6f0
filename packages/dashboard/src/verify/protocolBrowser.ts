/**
 * The browser-safe part of `@groundwork/protocol`, which the dashboard build
 * aliases that package to (see vite.config.ts).
 *
 * Why: the package's barrel (`packages/protocol/src/index.ts`) also evaluates
 * `keys.ts` and `signature.ts`, which import `node:crypto` and call
 * `Buffer.from(...)` at module top level (keys.ts lines 37–41, signature.ts
 * line 10). Vite externalizes `node:crypto` with a warning, so the build
 * passes, but in a browser `Buffer` is undefined and loading the module
 * throws — taking `computeEpoch` (which only needs `canonicalize`) with it.
 * Everything re-exported here is pure and imports nothing from Node; `toHex`
 * and `fromHex` are re-implemented without `Buffer` (same results, same errors).
 *
 * @module
 */
export {
  CanonicalizeError,
  type CanonicalizeProblem,
  canonicalize,
  MAX_CANONICAL_DEPTH,
} from '../../../protocol/src/canonical.ts';
export { ProtocolError, type ProtocolErrorCode } from '../../../protocol/src/errors.ts';
export {
  INGEST_PATH,
  IngestErrorCode,
  type IngestErrorResponse,
  type IngestRequest,
  type IngestResponse,
  type IngestResult,
} from '../../../protocol/src/http.ts';
export { LIMITS } from '../../../protocol/src/limits.ts';
export { isReasonCode, REASONS, ReasonCode } from '../../../protocol/src/reasons.ts';
export {
  type Envelope,
  KIND_PATTERN,
  moduleIdOfKind,
  type UnsignedEnvelope,
} from '../../../protocol/src/types.ts';

import { ProtocolError } from '../../../protocol/src/errors.ts';

export type Hex = `0x${string}`;

const HEX_BODY = /^(?:[0-9a-fA-F]{2})*$/;

/** Encode bytes as `0x` + lowercase hex (as packages/protocol/src/hex.ts, without Buffer). */
export function toHex(bytes: Uint8Array): Hex {
  let out = '0x';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out as Hex;
}

/** Decode `0x`-prefixed hex (as packages/protocol/src/hex.ts, without Buffer). */
export function fromHex(hex: string, length?: number): Uint8Array {
  if (typeof hex !== 'string' || !hex.startsWith('0x') || !HEX_BODY.test(hex.slice(2))) {
    throw new ProtocolError('INVALID_ARGUMENT', 'expected 0x-prefixed hex with an even number of digits');
  }
  const bytes = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  if (length !== undefined && bytes.length !== length) {
    throw new ProtocolError('INVALID_ARGUMENT', `expected ${length} bytes of hex, got ${bytes.length}`);
  }
  return bytes;
}
