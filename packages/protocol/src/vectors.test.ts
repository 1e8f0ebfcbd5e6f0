import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { canonicalize } from './canonical.ts';
import { signEnvelope, signingBytes, verifyEnvelopeSignature } from './envelope.ts';
import type { Hex } from './hex.ts';
import { fromHex, toHex } from './hex.ts';
import {
  deviceIdFromPublicKey,
  deviceIdToTokenId,
  deviceKeyFromSeed,
  keyTypeCode,
  publicKeyObject,
} from './keys.ts';
import { parseEnvelope } from './parse.ts';
import {
  encodeRegistration,
  REGISTRATION_TYPEHASH,
  registrationDigest,
  signRegistration,
  verifyRegistrationSignature,
} from './registration.ts';
import type { Envelope, UnsignedEnvelope } from './types.ts';
import { VECTORS } from './vectors.ts';

const { ed25519: ED, p256: P, registration: REG } = VECTORS;
const edKey = deviceKeyFromSeed('ed25519', fromHex(ED.seed));
const pKey = deviceKeyFromSeed('p256', fromHex(P.privateKey));
const edPublic = publicKeyObject('ed25519', fromHex(ED.publicKey));
const pPublic = publicKeyObject('p256', fromHex(P.publicKey));
const edEnvelope = ED.envelope as unknown as UnsignedEnvelope;
const pEnvelope = P.envelope as unknown as UnsignedEnvelope;

describe('ed25519 vector', () => {
  it('derives the public key, key type code, device id and token id', () => {
    expect(toHex(edKey.publicKey)).toBe(ED.publicKey);
    expect(keyTypeCode('ed25519')).toBe(ED.keyTypeCode);
    expect(edKey.deviceId).toBe(ED.deviceId);
    expect(toHex(keccak_256(fromHex(`0x01${ED.publicKey.slice(2)}`)))).toBe(ED.deviceId);
    expect(deviceIdToTokenId(ED.deviceId).toString()).toBe(ED.tokenId);
  });

  it('has exact signing bytes, as text and hex', () => {
    const bytes = signingBytes(edEnvelope);
    expect(bytes.toString('utf8')).toBe(ED.signingText);
    expect(toHex(bytes)).toBe(ED.signingBytes);
    expect(Buffer.from(ED.signingText, 'utf8').toString('hex')).toBe(ED.signingBytes.slice(2));
  });

  it('signs to the exact signature, which verifies', () => {
    const signed = signEnvelope(edEnvelope, edKey);
    expect(signed.sig).toBe(ED.signature);
    expect(verifyEnvelopeSignature(signed, 'ed25519', edPublic)).toBe(true);
  });

  it('serializes the signed envelope to the documented canonical JSON and size', () => {
    const wire = JSON.parse(ED.signedEnvelope);
    expect(canonicalize(wire)).toBe(ED.signedEnvelope);
    const parsed = parseEnvelope(wire);
    if (!parsed.ok) throw new Error(parsed.detail);
    expect(parsed.canonicalSize).toBe(ED.canonicalSize);
    expect(Buffer.byteLength(ED.signedEnvelope)).toBe(ED.canonicalSize);
    expect(verifyEnvelopeSignature(parsed.envelope, 'ed25519', edPublic, parsed.signingBytes)).toBe(true);
  });
});

describe('p256 vector', () => {
  it('derives the public key x || y, key type code and device id', () => {
    expect(toHex(pKey.publicKey)).toBe(P.publicKey);
    expect(keyTypeCode('p256')).toBe(P.keyTypeCode);
    expect(deviceIdFromPublicKey('p256', fromHex(P.publicKey))).toBe(P.deviceId);
    expect(pKey.deviceId).toBe(P.deviceId);
    expect(deviceIdToTokenId(P.deviceId).toString()).toBe(P.tokenId);
  });

  it('has exact signing bytes, as text and hex', () => {
    const bytes = signingBytes(pEnvelope);
    expect(bytes.toString('utf8')).toBe(P.signingText);
    expect(toHex(bytes)).toBe(P.signingBytes);
  });

  it('accepts the documented low-s signature and rejects its high-s twin', () => {
    const signed: Envelope = { ...pEnvelope, sig: P.signature as Hex };
    expect(verifyEnvelopeSignature(signed, 'p256', pPublic)).toBe(true);
    expect(verifyEnvelopeSignature({ ...signed, sig: P.highSSignature as Hex }, 'p256', pPublic)).toBe(false);
    expect(canonicalize(signed)).toBe(P.signedEnvelope);
  });

  it('signs to a different signature each time, every one of which verifies', () => {
    const a = signEnvelope(pEnvelope, pKey);
    expect(a.sig).not.toBe(P.signature);
    expect(verifyEnvelopeSignature(a, 'p256', pPublic)).toBe(true);
  });
});

describe('registration vector', () => {
  const digest = registrationDigest(REG);

  it('has the exact type hash, encoding and digest', () => {
    expect(REGISTRATION_TYPEHASH).toBe(REG.typehash);
    expect(toHex(encodeRegistration(REG))).toBe(REG.encoded);
    expect(toHex(digest)).toBe(REG.digest);
  });

  it('has an exact ed25519 signature by the ed25519 vector key', () => {
    expect(toHex(signRegistration(edKey.privateKey, 'ed25519', digest))).toBe(REG.ed25519Signature);
  });

  it('has a p256 signature by the p256 vector key that verifies, and a high-s twin that does not', () => {
    expect(verifyRegistrationSignature('p256', pPublic, digest, fromHex(REG.p256Signature))).toBe(true);
    expect(verifyRegistrationSignature('p256', pPublic, digest, fromHex(REG.p256HighSSignature))).toBe(false);
    expect(
      verifyRegistrationSignature('p256', pPublic, digest, signRegistration(pKey.privateKey, 'p256', digest)),
    ).toBe(true);
  });
});

describe('canonicalization vectors', () => {
  it.each(VECTORS.canonicalization.map((c) => [c.name, c.input, c.canonical]))(
    '%s',
    (_name, input, canonical) => {
      expect(canonicalize(JSON.parse(input))).toBe(canonical);
    },
  );
});
