import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.ts';
import { fromHex, toHex } from './hex.ts';
import {
  deviceIdFromPublicKey,
  deviceIdFromTokenId,
  deviceIdToTokenId,
  deviceKeyFromPrivateKey,
  deviceKeyFromSeed,
  deviceKeySeed,
  generateDeviceKey,
  isDeviceId,
  isKeyType,
  keyTypeCode,
  keyTypeFromCode,
  publicKeyObject,
  rawPublicKey,
} from './keys.ts';

// RFC 8032 §7.1 TEST 1.
const ED_SEED = '0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const ED_PUBLIC = '0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
// RFC 6979 §A.2.5: P-256 private key x and public key (Ux, Uy).
const P256_SCALAR = '0xc9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721';
const P256_PUBLIC =
  '0x60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6' +
  '7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299';

function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}

describe('key type codes', () => {
  it('maps ed25519 to 1 and p256 to 2 and back', () => {
    expect(keyTypeCode('ed25519')).toBe(1);
    expect(keyTypeCode('p256')).toBe(2);
    expect(keyTypeFromCode(1)).toBe('ed25519');
    expect(keyTypeFromCode(2)).toBe('p256');
  });

  it('rejects unknown key type codes and names', () => {
    expect(protocolError(() => keyTypeFromCode(3)).message).toBe('unknown key type code 3');
    expect(protocolError(() => keyTypeCode('secp256k1' as never)).code).toBe('INVALID_ARGUMENT');
    expect(isKeyType('p256')).toBe(true);
    expect(isKeyType('P256')).toBe(false);
  });
});

describe('deviceIdFromPublicKey', () => {
  it('hashes the key type code byte followed by the raw ed25519 key', () => {
    expect(deviceIdFromPublicKey('ed25519', fromHex(ED_PUBLIC))).toBe(
      '0x51b746057452b9386e97bdf68ae4219609d5c3630e6ab4c70d03bcec7949f23e',
    );
  });

  it('hashes the key type code byte followed by x || y for p256', () => {
    expect(deviceIdFromPublicKey('p256', fromHex(P256_PUBLIC))).toBe(
      '0xafd5c1035dc71f33bf0859edd6a2b472111a0e3f29625be06e6285f8ab30700d',
    );
  });

  it('equals keccak256 of the preimage built by hand', () => {
    const preimage = fromHex(`0x01${ED_PUBLIC.slice(2)}`);
    expect(deviceIdFromPublicKey('ed25519', fromHex(ED_PUBLIC))).toBe(toHex(keccak_256(preimage)));
  });

  it('gives the same key bytes a different id under another key type', () => {
    const bytes = new Uint8Array(32).fill(9);
    const asEd = deviceIdFromPublicKey('ed25519', bytes);
    expect(asEd).toBe(toHex(keccak_256(new Uint8Array([1, ...bytes]))));
    expect(asEd).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('rejects raw keys of the wrong length, including a 65-byte 0x04-prefixed p256 point', () => {
    expect(protocolError(() => deviceIdFromPublicKey('ed25519', new Uint8Array(33))).message).toBe(
      'ed25519 public key must be 32 raw bytes',
    );
    const prefixed = new Uint8Array([4, ...fromHex(P256_PUBLIC)]);
    expect(protocolError(() => deviceIdFromPublicKey('p256', prefixed)).message).toBe(
      'p256 public key must be 64 raw bytes',
    );
  });
});

describe('token ids', () => {
  it('reads a device id as a uint256 and back, keeping leading zeros', () => {
    const id = '0x00000000000000000000000000000000000000000000000000000000000000ff';
    expect(deviceIdToTokenId(id)).toBe(255n);
    expect(deviceIdFromTokenId(255n)).toBe(id);
  });

  it('rejects malformed device ids and out-of-range token ids', () => {
    expect(protocolError(() => deviceIdToTokenId('0xABC' as never)).code).toBe('INVALID_ARGUMENT');
    expect(protocolError(() => deviceIdFromTokenId(1n << 256n)).code).toBe('INVALID_ARGUMENT');
    expect(protocolError(() => deviceIdFromTokenId(-1n)).code).toBe('INVALID_ARGUMENT');
    expect(isDeviceId(`0x${'A'.repeat(64)}`)).toBe(false);
    expect(isDeviceId(`0x${'a'.repeat(64)}`)).toBe(true);
  });
});

describe('deviceKeyFromSeed', () => {
  it('derives the RFC 8032 public key from an ed25519 seed', () => {
    const key = deviceKeyFromSeed('ed25519', fromHex(ED_SEED));
    expect(key.keyType).toBe('ed25519');
    expect(toHex(key.publicKey)).toBe(ED_PUBLIC);
    expect(key.deviceId).toBe('0x51b746057452b9386e97bdf68ae4219609d5c3630e6ab4c70d03bcec7949f23e');
    expect(key.privateKey.type).toBe('private');
  });

  it('derives the RFC 6979 public key from a p256 scalar', () => {
    const key = deviceKeyFromSeed('p256', fromHex(P256_SCALAR));
    expect(key.keyType).toBe('p256');
    expect(toHex(key.publicKey)).toBe(P256_PUBLIC);
    expect(key.deviceId).toBe('0xafd5c1035dc71f33bf0859edd6a2b472111a0e3f29625be06e6285f8ab30700d');
  });

  it('round-trips through deviceKeySeed for both key types', () => {
    expect(toHex(deviceKeySeed(deviceKeyFromSeed('ed25519', fromHex(ED_SEED))))).toBe(ED_SEED);
    expect(toHex(deviceKeySeed(deviceKeyFromSeed('p256', fromHex(P256_SCALAR))))).toBe(P256_SCALAR);
    const small = new Uint8Array(32);
    small[31] = 1;
    expect(toHex(deviceKeySeed(deviceKeyFromSeed('p256', small)))).toBe(`0x${'00'.repeat(31)}01`);
  });

  it('rejects p256 scalars of zero or not below the group order, and seeds of the wrong length', () => {
    expect(protocolError(() => deviceKeyFromSeed('p256', new Uint8Array(32))).message).toBe(
      'p256 private scalar must be in [1, n - 1]',
    );
    const n = fromHex('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    expect(protocolError(() => deviceKeyFromSeed('p256', n)).code).toBe('INVALID_KEY');
    expect(protocolError(() => deviceKeyFromSeed('ed25519', new Uint8Array(31))).message).toBe(
      'ed25519 seed must be 32 bytes',
    );
  });
});

describe('generateDeviceKey', () => {
  it.each(['ed25519', 'p256'] as const)(
    'makes a %s key whose device id matches its public key',
    (keyType) => {
      const key = generateDeviceKey(keyType);
      expect(key.keyType).toBe(keyType);
      expect(key.publicKey.length).toBe(keyType === 'ed25519' ? 32 : 64);
      expect(key.deviceId).toBe(deviceIdFromPublicKey(keyType, key.publicKey));
      const again = deviceKeyFromSeed(keyType, deviceKeySeed(key));
      expect(again.deviceId).toBe(key.deviceId);
    },
  );
});

describe('deviceKeyFromPrivateKey and rawPublicKey', () => {
  it('wraps an imported PEM private key', () => {
    const pem = deviceKeyFromSeed('p256', fromHex(P256_SCALAR)).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    const key = deviceKeyFromPrivateKey(createPrivateKey(pem));
    expect(toHex(key.publicKey)).toBe(P256_PUBLIC);
  });

  it('reads the raw key back from a public KeyObject', () => {
    const raw = rawPublicKey(publicKeyObject('ed25519', fromHex(ED_PUBLIC)));
    expect(raw.keyType).toBe('ed25519');
    expect(toHex(raw.publicKey)).toBe(ED_PUBLIC);
  });

  it('rejects keys of other curves and public keys where a private key is needed', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    expect(protocolError(() => deviceKeyFromPrivateKey(k1.privateKey)).message).toBe(
      'unsupported key: ec secp256k1',
    );
    expect(protocolError(() => deviceKeyFromPrivateKey(k1.publicKey)).message).toBe('expected a private key');
  });
});

describe('publicKeyObject', () => {
  it('builds KeyObjects equal to the ones node:crypto derives from the private keys', () => {
    for (const [keyType, seed] of [
      ['ed25519', ED_SEED],
      ['p256', P256_SCALAR],
    ] as const) {
      const key = deviceKeyFromSeed(keyType, fromHex(seed));
      const built = publicKeyObject(keyType, key.publicKey);
      expect(built.type).toBe('public');
      expect(built.export({ format: 'jwk' })).toEqual(
        createPublicKey(key.privateKey).export({ format: 'jwk' }),
      );
      expect(toHex(rawPublicKey(built).publicKey)).toBe(toHex(key.publicKey));
    }
  });

  it('builds, from the raw bytes, the same key as node:crypto generated, for 40 random keys of each type', () => {
    // Among 40 p256 keys some coordinate likely starts with a zero byte, which the fixed-width
    // JWK coordinates must keep.
    for (const keyType of ['ed25519', 'p256'] as const) {
      for (let i = 0; i < 40; i++) {
        const pair =
          keyType === 'ed25519'
            ? generateKeyPairSync('ed25519')
            : generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const raw = rawPublicKey(pair.publicKey).publicKey;
        const built = publicKeyObject(keyType, raw);
        expect(built.export({ format: 'der', type: 'spki' }).toString('hex')).toBe(
          pair.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
        );
        const message = Buffer.from(`message ${i}`);
        const signature = sign(keyType === 'ed25519' ? null : 'sha256', message, pair.privateKey);
        expect(verify(keyType === 'ed25519' ? null : 'sha256', message, built, signature)).toBe(true);
      }
    }
  });

  it('rejects a p256 point that is not on the curve', () => {
    const error = protocolError(() => publicKeyObject('p256', new Uint8Array(64).fill(1)));
    expect(error.code).toBe('INVALID_KEY');
    expect(error.message).toBe('invalid p256 public key');
  });

  it('rejects raw keys of the wrong length', () => {
    expect(protocolError(() => publicKeyObject('ed25519', new Uint8Array(31))).code).toBe('INVALID_KEY');
  });
});
