import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.ts';
import { toHex } from './hex.ts';
import { deviceKeyFromSeed, publicKeyObject } from './keys.ts';
import {
  encodeRegistration,
  REGISTRATION_TYPEHASH,
  registrationDigest,
  signRegistration,
  verifyRegistrationSignature,
} from './registration.ts';
import { P256_N } from './signature.ts';

const params = {
  chainId: 31337n,
  registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  operator: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  nonce: 0n,
} as const;

function argumentError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError && error.code === 'INVALID_ARGUMENT') return error.message;
    throw error;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('registrationDigest', () => {
  it('uses keccak256("GroundworkDeviceRegistration") as the first word', () => {
    expect(REGISTRATION_TYPEHASH).toBe('0xf9c0dd5ca816f8e0a086c27e77234a781323dd7a86e8e5790e68abb0f3e8a448');
    expect(REGISTRATION_TYPEHASH).toBe(
      toHex(keccak_256(new TextEncoder().encode('GroundworkDeviceRegistration'))),
    );
  });

  it('abi-encodes five 32-byte words with addresses left-padded', () => {
    expect(toHex(encodeRegistration(params))).toBe(
      `0x${[
        'f9c0dd5ca816f8e0a086c27e77234a781323dd7a86e8e5790e68abb0f3e8a448',
        '0000000000000000000000000000000000000000000000000000000000007a69',
        '0000000000000000000000005fbdb2315678afecb367f032d93f642f64180aa3',
        '000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266',
        '0000000000000000000000000000000000000000000000000000000000000000',
      ].join('')}`,
    );
  });

  it('hashes the encoding to the documented digest, for bigint and number inputs alike', () => {
    const expected = '0xb0d3039f20bca3dbf466672adf7cfef3a2777c69e28f0e4c843ad3a83ef18d8f';
    expect(toHex(registrationDigest(params))).toBe(expected);
    expect(toHex(registrationDigest({ ...params, chainId: 31337, nonce: 0 }))).toBe(expected);
  });

  it('changes with every input', () => {
    const base = toHex(registrationDigest(params));
    const variants = [
      { ...params, chainId: 1n },
      { ...params, registry: '0x0000000000000000000000000000000000000001' as const },
      { ...params, operator: '0x0000000000000000000000000000000000000001' as const },
      { ...params, nonce: 1n },
    ];
    const digests = new Set(variants.map((p) => toHex(registrationDigest(p))));
    expect(digests.size).toBe(4);
    expect(digests.has(base)).toBe(false);
  });

  it('rejects malformed addresses and out-of-range integers', () => {
    expect(argumentError(() => registrationDigest({ ...params, registry: '0x1234' }))).toBe(
      'registry must be a 20-byte 0x address',
    );
    expect(argumentError(() => registrationDigest({ ...params, nonce: -1n }))).toBe(
      'nonce must be a uint256 (bigint or safe integer)',
    );
    expect(argumentError(() => registrationDigest({ ...params, chainId: 1.5 }))).toBe(
      'chainId must be a uint256 (bigint or safe integer)',
    );
    expect(argumentError(() => registrationDigest({ ...params, chainId: 1n << 256n }))).toBe(
      'chainId must be a uint256 (bigint or safe integer)',
    );
  });
});

describe('signRegistration', () => {
  const digest = registrationDigest(params);

  it('signs the 32 digest bytes with ed25519, deterministically', () => {
    const key = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(1));
    const sig = signRegistration(key.privateKey, 'ed25519', digest);
    expect(sig.length).toBe(64);
    expect(toHex(signRegistration(key.privateKey, 'ed25519', digest))).toBe(toHex(sig));
    const pub = publicKeyObject('ed25519', key.publicKey);
    expect(verifyRegistrationSignature('ed25519', pub, digest, sig)).toBe(true);
    expect(
      verifyRegistrationSignature('ed25519', pub, registrationDigest({ ...params, nonce: 1n }), sig),
    ).toBe(false);
  });

  it('signs with p256 ECDSA-SHA256, low s, and rejects the high-s twin', () => {
    const key = deviceKeyFromSeed('p256', new Uint8Array(32).fill(2));
    const pub = publicKeyObject('p256', key.publicKey);
    const sig = signRegistration(key.privateKey, 'p256', digest);
    expect(verifyRegistrationSignature('p256', pub, digest, sig)).toBe(true);
    const s = BigInt(toHex(sig.subarray(32)));
    const twin = new Uint8Array(sig);
    twin.set(Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
    expect(verifyRegistrationSignature('p256', pub, digest, twin)).toBe(false);
  });

  it('refuses a digest that is not 32 bytes', () => {
    const key = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(1));
    expect(argumentError(() => signRegistration(key.privateKey, 'ed25519', new Uint8Array(33)))).toBe(
      'registration digest must be 32 bytes',
    );
  });
});
