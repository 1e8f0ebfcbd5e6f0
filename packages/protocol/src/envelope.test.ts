import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeError, signEnvelope, signingBytes, verifyEnvelopeSignature } from './envelope.ts';
import { ProtocolError } from './errors.ts';
import { type Hex, toHex } from './hex.ts';
import { type DeviceKey, deviceKeyFromSeed, type KeyType, publicKeyObject } from './keys.ts';
import { parseEnvelope } from './parse.ts';
import { isLowS, P256_HALF_N, P256_N } from './signature.ts';
import type { Envelope, UnsignedEnvelope } from './types.ts';

const keys: Record<KeyType, DeviceKey> = {
  ed25519: deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(5)),
  p256: deviceKeyFromSeed('p256', new Uint8Array(32).fill(6)),
};
const publicKeys = {
  ed25519: publicKeyObject('ed25519', keys.ed25519.publicKey),
  p256: publicKeyObject('p256', keys.p256.publicKey),
};
const otherKeys = {
  ed25519: publicKeyObject('ed25519', deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(7)).publicKey),
  p256: publicKeyObject('p256', deviceKeyFromSeed('p256', new Uint8Array(32).fill(8)).publicKey),
};

function unsignedFor(keyType: KeyType): UnsignedEnvelope {
  return {
    v: 1,
    device: keys[keyType].deviceId,
    seq: 3,
    time: 1_767_225_600_000,
    kind: 'city.noise',
    body: { dba: 61.5, window_s: 60, site: 'Rue de la Paix', tags: ['night'] },
  };
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('signingBytes', () => {
  it('is the canonical JSON of v, device, seq, time, kind and body, without sig', () => {
    const env = unsignedFor('ed25519');
    expect(signingBytes(env).toString('utf8')).toBe(
      `{"body":{"dba":61.5,"site":"Rue de la Paix","tags":["night"],"window_s":60},"device":"${env.device}",` +
        '"kind":"city.noise","seq":3,"time":1767225600000,"v":1}',
    );
    const signed = signEnvelope(env, keys.ed25519);
    expect(signingBytes(signed).equals(signingBytes(env))).toBe(true);
  });
});

describe.each(['ed25519', 'p256'] as const)('signEnvelope and verifyEnvelopeSignature with %s', (keyType) => {
  const signed = signEnvelope(unsignedFor(keyType), keys[keyType]);

  it('produces a sig of 0x and 128 lowercase hex digits that verifies', () => {
    expect(signed.sig).toMatch(/^0x[0-9a-f]{128}$/);
    expect(verifyEnvelopeSignature(signed, keyType, publicKeys[keyType])).toBe(true);
  });

  it('verifies with the signing bytes returned by parseEnvelope', () => {
    const parsed = parseEnvelope(JSON.parse(JSON.stringify(signed)));
    if (!parsed.ok) throw new Error(parsed.detail);
    expect(verifyEnvelopeSignature(parsed.envelope, keyType, publicKeys[keyType], parsed.signingBytes)).toBe(
      true,
    );
  });

  it('rejects a tampered body, seq, time or kind', () => {
    for (const tampered of [
      { ...signed, body: { ...signed.body, dba: 61.4 } },
      { ...signed, seq: 4 },
      { ...signed, time: signed.time + 1 },
      { ...signed, kind: 'city.noisy' },
    ]) {
      expect(verifyEnvelopeSignature(tampered, keyType, publicKeys[keyType])).toBe(false);
    }
  });

  it('rejects prepared signing bytes that are not those of the signed content', () => {
    const other = signingBytes({ ...signed, seq: 4 });
    expect(verifyEnvelopeSignature(signed, keyType, publicKeys[keyType], other)).toBe(false);
  });

  it("rejects the signature under another device's key", () => {
    expect(verifyEnvelopeSignature(signed, keyType, otherKeys[keyType])).toBe(false);
  });

  it('returns false, without throwing, for a malformed sig or a body with no JSON form', () => {
    const cases: Envelope[] = [
      { ...signed, sig: `${signed.sig.slice(0, -2)}zz` as Hex },
      { ...signed, sig: signed.sig.slice(0, -2) as Hex },
      { ...signed, sig: 42 as unknown as Hex },
      { ...signed, body: { x: 1n } },
    ];
    for (const env of cases) expect(verifyEnvelopeSignature(env, keyType, publicKeys[keyType])).toBe(false);
  });
});

describe('p256 specifics', () => {
  it('always signs with low s, and signing twice gives different valid signatures', () => {
    const a = signEnvelope(unsignedFor('p256'), keys.p256);
    const b = signEnvelope(unsignedFor('p256'), keys.p256);
    expect(a.sig).not.toBe(b.sig);
    for (const env of [a, b]) {
      expect(isLowS(Buffer.from(env.sig.slice(2), 'hex'))).toBe(true);
      expect(verifyEnvelopeSignature(env, 'p256', publicKeys.p256)).toBe(true);
    }
  });

  it('rejects the high-s form of a valid signature as a bad signature', () => {
    const signed = signEnvelope(unsignedFor('p256'), keys.p256);
    const s = BigInt(`0x${signed.sig.slice(66)}`);
    expect(s <= P256_HALF_N).toBe(true);
    const highS = `${signed.sig.slice(0, 66)}${(P256_N - s).toString(16).padStart(64, '0')}` as Hex;
    expect(verifyEnvelopeSignature({ ...signed, sig: highS }, 'p256', publicKeys.p256)).toBe(false);
  });
});

describe('a signature made independently from docs/PROTOCOL.md', () => {
  // The signing string built by hand, member by member, exactly as the document spells it out,
  // and signed with node:crypto directly rather than through signEnvelope.
  const handBuilt = (env: UnsignedEnvelope) =>
    `{"body":{"dba":61.5,"site":"Rue de la Paix","tags":["night"],"window_s":60},` +
    `"device":"${env.device}","kind":"${env.kind}","seq":${env.seq},"time":${env.time},"v":1}`;

  it('verifies for ed25519 and equals the signature signEnvelope makes', () => {
    const env = unsignedFor('ed25519');
    const sig = sign(null, Buffer.from(handBuilt(env), 'utf8'), keys.ed25519.privateKey);
    const wire = JSON.parse(JSON.stringify({ ...env, sig: toHex(sig) }));
    const parsed = parseEnvelope(wire);
    if (!parsed.ok) throw new Error(parsed.detail);
    expect(verifyEnvelopeSignature(parsed.envelope, 'ed25519', publicKeys.ed25519, parsed.signingBytes)).toBe(
      true,
    );
    expect(toHex(sig)).toBe(signEnvelope(env, keys.ed25519).sig);
  });

  it('verifies for p256 after normalising s by hand', () => {
    const env = unsignedFor('p256');
    const der = sign('sha256', Buffer.from(handBuilt(env), 'utf8'), {
      key: keys.p256.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    const r = der.subarray(0, 32).toString('hex');
    let s = BigInt(`0x${der.subarray(32).toString('hex')}`);
    if (s > P256_N / 2n) s = P256_N - s;
    const sig = `0x${r}${s.toString(16).padStart(64, '0')}`;
    const parsed = parseEnvelope({ ...env, sig });
    if (!parsed.ok) throw new Error(parsed.detail);
    expect(verifyEnvelopeSignature(parsed.envelope, 'p256', publicKeys.p256, parsed.signingBytes)).toBe(true);
  });
});

describe('signEnvelope refuses', () => {
  it('an envelope for another device', () => {
    const error = catchError(() => signEnvelope(unsignedFor('p256'), keys.ed25519));
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('DEVICE_KEY_MISMATCH');
  });

  it('what parseEnvelope would reject, with the reason code', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { kind: 'Noise' },
        'MALFORMED',
        'MALFORMED: field kind must match <module>.<name> (lowercase letters, digits, _ and .)',
      ],
      [{ seq: 0 }, 'MALFORMED', 'MALFORMED: field seq must be an integer from 1 to 2^53-1'],
      [{ sig: `0x${'0'.repeat(128)}` }, 'MALFORMED', 'MALFORMED: unexpected field "sig"'],
      [{ v: 2 }, 'UNSUPPORTED_VERSION', 'UNSUPPORTED_VERSION: unsupported version 2'],
      [
        { body: { p: 'x'.repeat(9000) } },
        'BODY_TOO_LARGE',
        'BODY_TOO_LARGE: canonical body is 9008 bytes, limit 8192',
      ],
    ];
    for (const [change, reason, message] of cases) {
      const error = catchError(() =>
        signEnvelope({ ...unsignedFor('ed25519'), ...change } as never, keys.ed25519),
      );
      expect(error).toBeInstanceOf(EnvelopeError);
      expect((error as EnvelopeError).reason).toBe(reason);
      expect((error as EnvelopeError).code).toBe('INVALID_ENVELOPE');
      expect((error as EnvelopeError).message).toBe(message);
    }
  });
});
