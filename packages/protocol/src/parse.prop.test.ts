import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from './canonical.ts';
import { LIMITS } from './limits.ts';
import { parseEnvelope } from './parse.ts';
import { isReasonCode } from './reasons.ts';
import { KIND_PATTERN } from './types.ts';

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => `0x${Buffer.from(b).toString('hex')}`);

const body = fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.jsonValue({ maxDepth: 4 }), {
  maxKeys: 8,
});

const envelope = fc.record({
  v: fc.constant(1),
  device: hex(32),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  time: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  kind: fc.stringMatching(KIND_PATTERN),
  // Plain bodies, bodies near the 8192-byte body limit, and bodies over the envelope limit.
  body: fc.oneof(
    body,
    body.map((b) => ({ ...b, pad: 'é'.repeat(4090) })),
    body.map((b) => ({ ...b, pad: 'x'.repeat(16_300) })),
  ),
  sig: hex(64),
});

const FIELDS = ['v', 'device', 'seq', 'time', 'kind', 'body', 'sig'] as const;

describe('parseEnvelope properties', () => {
  it('accepts exactly the envelopes whose canonical sizes are within the limits, and reports those sizes', () => {
    fc.assert(
      fc.property(envelope, (env) => {
        const { sig: _sig, ...unsigned } = env;
        const size = Buffer.byteLength(canonicalize(env));
        const bodySize = Buffer.byteLength(canonicalize(env.body));
        const result = parseEnvelope(env);
        if (size > LIMITS.maxEnvelopeBytes) {
          expect(result.ok ? 'ok' : result.reason).toBe('ENVELOPE_TOO_LARGE');
        } else if (bodySize > LIMITS.maxBodyBytes) {
          expect(result.ok ? 'ok' : result.reason).toBe('BODY_TOO_LARGE');
        } else {
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.canonicalSize).toBe(size);
          expect(result.signingBytes.toString('utf8')).toBe(canonicalize(unsigned));
          expect(result.canonicalBody).toBe(canonicalize(env.body));
          expect(result.envelope).toEqual(env);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('takes as device and sig exactly 0x and lowercase hex digits of the right length', () => {
    // Characters around the hex ranges' edges, upper case, the prefix's, and beyond ASCII.
    const char = fc.constantFrom(...'0123456789abcdef/:`gAFGxX \u0000é\u0130\u{1F600}'.split(''));
    const near = (length: number) =>
      fc.oneof(
        fc.array(char, { minLength: length, maxLength: length }).map((cs) => cs.join('')),
        // Valid but for one character.
        fc
          .tuple(hex((length - 2) / 2), fc.nat(length - 1), char)
          .map(([h, at, c]) => h.slice(0, at) + c + h.slice(at + 1)),
      );
    const valid = (s: string, length: number) => s.length === length && /^0x[0-9a-f]*$/.test(s);
    fc.assert(
      fc.property(envelope, near(66), near(130), (env, device, sig) => {
        const ok = (e: unknown) => {
          const r = parseEnvelope(e);
          return r.ok || r.reason !== 'MALFORMED';
        };
        expect(ok({ ...env, body: {}, device })).toBe(valid(device, 66));
        expect(ok({ ...env, body: {}, sig })).toBe(valid(sig, 130));
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects as MALFORMED any envelope missing a field other than v', () => {
    fc.assert(
      fc.property(envelope, fc.constantFrom(...FIELDS.slice(1)), (env, field) => {
        const copy: Record<string, unknown> = { ...env };
        delete copy[field];
        const result = parseEnvelope(copy);
        expect(result.ok ? 'ok' : result.reason).toBe('MALFORMED');
      }),
    );
  });

  it('rejects as MALFORMED any envelope with an extra top-level field', () => {
    fc.assert(
      fc.property(
        envelope,
        fc.string().filter((k) => !(FIELDS as readonly string[]).includes(k)),
        fc.jsonValue(),
        (env, key, value) => {
          const copy: Record<string, unknown> = { ...env };
          Object.defineProperty(copy, key, { value, enumerable: true });
          const result = parseEnvelope(copy);
          expect(result.ok ? 'ok' : result.reason).toBe('MALFORMED');
        },
      ),
    );
  });

  it('never throws and always answers with a known reason, whatever the input', () => {
    const anyField = fc.oneof(fc.anything(), fc.jsonValue());
    const envelopeLike = fc.record(
      {
        v: fc.oneof(fc.constant(1), anyField),
        device: anyField,
        seq: anyField,
        time: anyField,
        kind: anyField,
        body: anyField,
        sig: anyField,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), envelopeLike), (input) => {
        const result = parseEnvelope(input);
        if (!result.ok) expect(isReasonCode(result.reason)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
