import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalizeError, canonicalize, canonicalizeBounded, MAX_CANONICAL_DEPTH } from './canonical.ts';

const json = fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: 'binary' }));

/** Same value with -0 read back as 0, which is the one thing JSON cannot carry. */
const withoutNegativeZero = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Deep copy with every object's members inserted in a pseudo-random order. */
function reorder(value: unknown, seed: number): unknown {
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries)
      Object.defineProperty(out, k, { value: walk(x), enumerable: true, writable: true });
    return out;
  };
  return walk(value);
}

/**
 * An independent, deliberately naive RFC 8785 serializer: escapes strings code unit by code
 * unit from the RFC's rules and sorts names with an explicit code-unit comparison.
 */
function referenceJcs(value: unknown): string {
  const str = (s: string): string => {
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else if (c === 0x08) out += '\\b';
      else if (c === 0x09) out += '\\t';
      else if (c === 0x0a) out += '\\n';
      else if (c === 0x0c) out += '\\f';
      else if (c === 0x0d) out += '\\r';
      else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
      else out += s[i];
    }
    return `${out}"`;
  };
  const compareCodeUnits = (a: string, b: string): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = a.charCodeAt(i) - b.charCodeAt(i);
      if (d !== 0) return d;
    }
    return a.length - b.length;
  };
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '0' : String(value);
  if (typeof value === 'string') return str(value);
  if (Array.isArray(value)) return `[${value.map(referenceJcs).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const names = Object.keys(obj).sort(compareCodeUnits);
  return `{${names.map((k) => `${str(k)}:${referenceJcs(obj[k])}`).join(',')}}`;
}

describe('canonicalize properties', () => {
  it('parses back to a value deep-equal to its input', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(JSON.parse(canonicalize(value))).toEqual(withoutNegativeZero(value));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order in which object members were inserted', () => {
    fc.assert(
      fc.property(json, fc.integer(), (value, seed) => {
        expect(canonicalize(reorder(value, seed))).toBe(canonicalize(value));
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent: canonicalizing its own parsed output changes nothing', () => {
    fc.assert(
      fc.property(json, (value) => {
        const once = canonicalize(value);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with an independent naive RFC 8785 serializer', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalize(value)).toBe(referenceJcs(value));
      }),
      { numRuns: 500 },
    );
  });

  it('serializes every finite double to text that reads back as the same double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(Object.is(Number(canonicalize(n)), n === 0 ? 0 : n)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects any string holding an unpaired surrogate', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.integer({ min: 0xd800, max: 0xdfff }),
        fc.string({ unit: 'binary' }),
        (before, surrogate, after) => {
          const s = `${before}x${String.fromCharCode(surrogate)}x${after}`;
          expect(() => canonicalize({ s })).toThrow(CanonicalizeError);
          expect(() => canonicalize({ [s]: 1 })).toThrow(CanonicalizeError);
        },
      ),
    );
  });
});

describe('canonicalize fast path', () => {
  it('writes exactly what the reference writer writes, for any JSON value', () => {
    const keyish = fc.oneof(
      fc.string(),
      fc.constantFrom('0', '1', '10', '9', '__proto__', 'toJSON', 'a', 'é', '\u{1F600}'),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(keyish, tie('node'), { maxKeys: 5 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalize(v)).toBe(canonicalizeBounded(v, MAX_CANONICAL_DEPTH, Number.POSITIVE_INFINITY));
      }),
      { numRuns: 500 },
    );
  });
});
