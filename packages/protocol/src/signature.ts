import { type KeyObject, sign, verify } from 'node:crypto';
import { ProtocolError } from './errors.ts';
import type { KeyType } from './keys.ts';

/** Order n of the P-256 base point. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** floor(n / 2): the largest s a low-s P-256 signature may carry. */
export const P256_HALF_N = P256_N >> 1n;

const HALF_N_BYTES = Buffer.from(P256_HALF_N.toString(16).padStart(64, '0'), 'hex');
const P1363 = 'ieee-p1363' as const;

// A key of the wrong type does not always make node:crypto throw (ed25519 parameters with an EC
// key just return false), so the pairing is checked explicitly; the getter is cached and cheap.
function checkKeyType(keyType: KeyType, key: KeyObject): void {
  const actual = key.asymmetricKeyType;
  if (keyType === 'ed25519' ? actual === 'ed25519' : keyType === 'p256' && actual === 'ec') return;
  throw new ProtocolError('INVALID_KEY', `expected a ${String(keyType)} key, got ${String(actual)}`);
}

/**
 * True when a 64-byte P-256 signature r || s has s <= n/2. Verifiers reject high-s so that a
 * signature has exactly one valid encoding.
 */
export function isLowS(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return Buffer.compare(signature.subarray(32, 64), HALF_N_BYTES) <= 0;
}

/** Return a 64-byte P-256 signature r || s with s replaced by n - s when s is high. */
export function normalizeLowS(signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) throw new ProtocolError('INVALID_ARGUMENT', 'p256 signature must be 64 bytes');
  const out = new Uint8Array(signature);
  if (isLowS(out)) return out;
  const s = BigInt(`0x${Buffer.from(out.subarray(32)).toString('hex')}`);
  out.set(Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}

/**
 * Sign a message with a device key, in the protocol's encoding: ed25519 → the 64-byte
 * RFC 8032 signature over `message`; p256 → ECDSA over SHA-256(`message`), 64 bytes r || s
 * (IEEE P1363), normalised to low s. P-256 signing is randomized: two calls differ, both verify.
 */
export function signBytes(privateKey: KeyObject, keyType: KeyType, message: Uint8Array): Uint8Array {
  checkKeyType(keyType, privateKey);
  if (keyType === 'ed25519') return new Uint8Array(sign(null, message, privateKey));
  return normalizeLowS(sign('sha256', message, { key: privateKey, dsaEncoding: P1363 }));
}

/**
 * Verify a 64-byte protocol signature (see {@link signBytes}) against a public KeyObject of
 * the given type. Returns false for a wrong length and, for p256, for a high-s signature.
 * Throws only when `publicKey` is not a key of `keyType` (a caller bug).
 */
export function verifyBytes(
  keyType: KeyType,
  publicKey: KeyObject,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  checkKeyType(keyType, publicKey);
  if (signature.length !== 64) return false;
  if (keyType === 'ed25519') return verify(null, message, publicKey, signature);
  if (!isLowS(signature)) return false;
  return verify('sha256', message, { key: publicKey, dsaEncoding: P1363 }, signature);
}
