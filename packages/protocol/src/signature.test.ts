import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.ts';
import { fromHex, toHex } from './hex.ts';
import { deviceKeyFromSeed, publicKeyObject } from './keys.ts';
import { isLowS, normalizeLowS, P256_HALF_N, P256_N, signBytes, verifyBytes } from './signature.ts';

const word = (n: bigint) => n.toString(16).padStart(64, '0');
const rs = (r: bigint, s: bigint) => fromHex(`0x${word(r)}${word(s)}`);

const ed = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(1));
const p256 = deviceKeyFromSeed('p256', new Uint8Array(32).fill(2));
const edPublic = publicKeyObject('ed25519', ed.publicKey);
const p256Public = publicKeyObject('p256', p256.publicKey);
const message = new TextEncoder().encode('groundwork');

describe('low-s helpers', () => {
  it('puts the boundary exactly at floor(n / 2)', () => {
    expect(P256_HALF_N).toBe(0x7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8n);
    expect(isLowS(rs(1n, P256_HALF_N))).toBe(true);
    expect(isLowS(rs(1n, P256_HALF_N + 1n))).toBe(false);
    expect(isLowS(rs(1n, 1n))).toBe(true);
    expect(isLowS(new Uint8Array(63))).toBe(false);
  });

  it('replaces a high s by n - s and leaves a low s alone', () => {
    expect(toHex(normalizeLowS(rs(7n, P256_N - 5n)))).toBe(toHex(rs(7n, 5n)));
    expect(toHex(normalizeLowS(rs(7n, 5n)))).toBe(toHex(rs(7n, 5n)));
    expect(toHex(normalizeLowS(rs(7n, P256_HALF_N + 1n)))).toBe(toHex(rs(7n, P256_HALF_N)));
  });
});

describe('signBytes and verifyBytes', () => {
  it('signs deterministically with ed25519 and verifies', () => {
    const a = signBytes(ed.privateKey, 'ed25519', message);
    expect(a.length).toBe(64);
    expect(toHex(signBytes(ed.privateKey, 'ed25519', message))).toBe(toHex(a));
    expect(verifyBytes('ed25519', edPublic, message, a)).toBe(true);
    expect(verifyBytes('ed25519', edPublic, new TextEncoder().encode('groundworK'), a)).toBe(false);
  });

  it('signs p256 with randomized, always low-s signatures that verify', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const sig = signBytes(p256.privateKey, 'p256', message);
      expect(sig.length).toBe(64);
      expect(isLowS(sig)).toBe(true);
      expect(verifyBytes('p256', p256Public, message, sig)).toBe(true);
      seen.add(toHex(sig));
    }
    expect(seen.size).toBe(40);
  });

  it('rejects the high-s twin of a valid p256 signature that plain ECDSA accepts', () => {
    const sig = signBytes(p256.privateKey, 'p256', message);
    const s = BigInt(toHex(sig.subarray(32)));
    const twin = rs(BigInt(toHex(sig.subarray(0, 32))), P256_N - s);
    expect(
      verify('sha256', message, { key: createPublicKey(p256.privateKey), dsaEncoding: 'ieee-p1363' }, twin),
    ).toBe(true);
    expect(verifyBytes('p256', p256Public, message, twin)).toBe(false);
  });

  it('returns false for signatures of the wrong length', () => {
    expect(verifyBytes('ed25519', edPublic, message, new Uint8Array(63))).toBe(false);
    expect(verifyBytes('p256', p256Public, message, new Uint8Array(65))).toBe(false);
  });

  it('throws INVALID_KEY when the key does not match the key type', () => {
    const sig = signBytes(ed.privateKey, 'ed25519', message);
    for (const fn of [
      () => verifyBytes('p256', edPublic, message, sig),
      () => verifyBytes('ed25519', p256Public, message, sig),
      () => signBytes(ed.privateKey, 'p256', message),
    ]) {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).code).toBe('INVALID_KEY');
    }
  });
});
