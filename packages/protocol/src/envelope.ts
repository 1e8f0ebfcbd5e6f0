import type { KeyObject } from 'node:crypto';
import { CanonicalizeError, canonicalize } from './canonical.ts';
import { ProtocolError } from './errors.ts';
import { toHex } from './hex.ts';
import type { DeviceKey, KeyType } from './keys.ts';
import { checkEnvelope } from './parse.ts';
import type { ReasonCode } from './reasons.ts';
import { signBytes, verifyBytes } from './signature.ts';
import type { Envelope, UnsignedEnvelope } from './types.ts';

/** Thrown by {@link signEnvelope} when the envelope would be rejected by `parseEnvelope`. */
export class EnvelopeError extends ProtocolError {
  override name = 'EnvelopeError';
  readonly reason: ReasonCode;

  constructor(reason: ReasonCode, detail: string) {
    super('INVALID_ENVELOPE', `${reason}: ${detail}`);
    this.reason = reason;
  }
}

/**
 * The bytes a device signs: UTF-8 of the RFC 8785 canonical JSON of the envelope's fields
 * v, device, seq, time, kind and body (any `sig` is left out). Throws `CanonicalizeError` when
 * the body has no JSON form. On the ingest path use the `signingBytes` returned by
 * `parseEnvelope` instead of calling this again.
 *
 * @example
 * signingBytes(env).toString() // '{"body":{…},"device":"0x…","kind":"…","seq":1,"time":…,"v":1}'
 */
export function signingBytes(env: UnsignedEnvelope | Envelope): Buffer {
  const { v, device, seq, time, kind, body } = env;
  return Buffer.from(canonicalize({ v, device, seq, time, kind, body }), 'utf8');
}

/**
 * Sign an unsigned envelope with the device's key and return the envelope with `sig`.
 * Refuses (throws {@link EnvelopeError} with the reason code) anything `parseEnvelope` would
 * reject — a bad field, an extra field (including an existing `sig`), or an oversized body —
 * and throws `DEVICE_KEY_MISMATCH` when `unsigned.device` is not the key's device id.
 * P-256 signatures are randomized (and low-s); Ed25519 signatures are deterministic.
 */
export function signEnvelope(unsigned: UnsignedEnvelope, deviceKey: DeviceKey): Envelope {
  const checked = checkEnvelope(unsigned, false);
  if (!checked.ok) throw new EnvelopeError(checked.reason, checked.detail);
  if (checked.fields.device !== deviceKey.deviceId) {
    throw new ProtocolError(
      'DEVICE_KEY_MISMATCH',
      `envelope device ${checked.fields.device} is not the key's device ${deviceKey.deviceId}`,
    );
  }
  const sig = toHex(signBytes(deviceKey.privateKey, deviceKey.keyType, checked.signingBytes));
  return { ...checked.fields, sig };
}

/**
 * Verify an envelope's `sig` against the device's public key (a cached KeyObject, see
 * `publicKeyObject`). ed25519: RFC 8032 verification; p256: ECDSA-SHA256 over r || s, and a
 * high-s signature is rejected. Pass the `signingBytes` from `parseEnvelope` to avoid
 * canonicalizing again. Returns false, never throws, for any malformed `sig` or body; throws
 * only when `publicKey` is not a key of `keyType`.
 */
export function verifyEnvelopeSignature(
  env: Envelope,
  keyType: KeyType,
  publicKey: KeyObject,
  preparedSigningBytes?: Uint8Array,
): boolean {
  const sigHex = env.sig;
  if (typeof sigHex !== 'string' || sigHex.length !== 130 || !sigHex.startsWith('0x')) return false;
  // Buffer hex decoding stops at the first non-hex digit, so a bad digit shortens the result.
  const signature = Buffer.from(sigHex.slice(2), 'hex');
  if (signature.length !== 64) return false;
  let message = preparedSigningBytes;
  if (message === undefined) {
    try {
      message = signingBytes(env);
    } catch (error) {
      if (error instanceof CanonicalizeError) return false;
      throw error;
    }
  }
  return verifyBytes(keyType, publicKey, message, signature);
}
