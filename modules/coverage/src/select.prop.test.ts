import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectWitnesses } from './select.ts';

const hex = (n: number) =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
const ids = fc.array(hex(32), { maxLength: 40 });

describe('selectWitnesses properties', () => {
  it('returns min(max, distinct eligible) distinct ids, all eligible', () => {
    fc.assert(
      fc.property(hex(32), hex(16), ids, fc.integer({ min: 0, max: 50 }), (e, packet, eligible, max) => {
        const chosen = selectWitnesses(e, packet, eligible, max);
        expect(chosen.length).toBe(Math.min(max, new Set(eligible).size));
        expect(new Set(chosen).size).toBe(chosen.length);
        for (const c of chosen) expect(eligible).toContain(c);
      }),
    );
  });

  it('does not depend on the order of the eligible witnesses', () => {
    fc.assert(
      fc.property(hex(32), hex(16), ids, fc.integer({ min: 0, max: 20 }), (e, packet, eligible, max) => {
        const a = selectWitnesses(e, packet, eligible, max);
        const b = selectWitnesses(e, packet, [...eligible].reverse(), max);
        expect(b).toEqual(a);
      }),
    );
  });

  it('raising the maximum only adds witnesses', () => {
    fc.assert(
      fc.property(hex(32), hex(16), ids, fc.integer({ min: 0, max: 20 }), (e, packet, eligible, max) => {
        const small = selectWitnesses(e, packet, eligible, max);
        const large = selectWitnesses(e, packet, eligible, max + 1);
        for (const c of small) expect(large).toContain(c);
      }),
    );
  });

  it('gives every witness the same odds: each of 20 is chosen about 14/20 of the time over many beacons', () => {
    const eligible = Array.from({ length: 20 }, (_, i) => `0x${(i + 1).toString(16).padStart(64, '0')}`);
    const counts = new Map<string, number>();
    for (let b = 0; b < 2_000; b++) {
      const e = `0x${b.toString(16).padStart(64, '0')}`;
      for (const c of selectWitnesses(e, '0x01', eligible, 14)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    for (const id of eligible) {
      const share = (counts.get(id) ?? 0) / 2_000;
      expect(share).toBeGreaterThan(0.65);
      expect(share).toBeLessThan(0.75);
    }
  });
});
