import fc from 'fast-check';
import { cellToParent, getResolution } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { hexDensityScales, SCALE_ONE } from './density.ts';
import { GENESIS_HEX_DENSITY, type HexDensityLevel } from './params.ts';
import { cellAt } from './test/factsBuilder.ts';

const LEVELS: HexDensityLevel[] = Object.entries(GENESIS_HEX_DENSITY).map(([res, [target, max, nbrs]]) => ({
  res: Number(res),
  target,
  max,
  nbrs,
}));

/** Hotspots piled into a few spots of a small area: many share res-10 hexes, some share res-8 ones. */
const cells = fc
  .array(
    fc.record({
      x: fc.integer({ min: 0, max: 12 }),
      y: fc.integer({ min: 0, max: 12 }),
      jitter: fc.integer({ min: 0, max: 20 }),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((pts) => pts.map((q) => cellAt(q.x * 90 + q.jitter, q.y * 90 + q.jitter)));

describe('hexDensityScales properties', () => {
  it('every scale is in [0, 1,000,000]', () => {
    fc.assert(
      fc.property(cells, (cs) => {
        for (const s of hexDensityScales(cs, LEVELS)) {
          expect(s >= 0n && s <= SCALE_ONE).toBe(true);
        }
      }),
    );
  });

  it('the hotspots of any hex never earn more than its maximum, however many pile in', () => {
    fc.assert(
      fc.property(cells, (cs) => {
        const scales = hexDensityScales(cs, LEVELS);
        for (const lv of LEVELS) {
          const sum = new Map<string, bigint>();
          cs.forEach((c, i) => {
            const hex = getResolution(c) > lv.res ? cellToParent(c, lv.res) : c;
            sum.set(hex, (sum.get(hex) ?? 0n) + scales[i]!);
          });
          for (const total of sum.values()) expect(total <= BigInt(lv.max) * SCALE_ONE).toBe(true);
        }
      }),
    );
  });

  it('adding a hotspot to a hex never raises the scale of those already in it', () => {
    fc.assert(
      fc.property(cells, fc.nat(), (cs, k) => {
        const pick = cs[k % cs.length]!;
        const before = hexDensityScales(cs, LEVELS);
        const after = hexDensityScales([...cs, pick], LEVELS);
        cs.forEach((c, i) => {
          if (cellToParent(c, 10) === cellToParent(pick, 10)) expect(after[i]! <= before[i]!).toBe(true);
        });
      }),
    );
  });

  it('does not depend on the order of the cells', () => {
    fc.assert(
      fc.property(cells, fc.nat(), (cs, seed) => {
        const order = cs
          .map((_, i) => i)
          .sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101));
        const direct = hexDensityScales(cs, LEVELS);
        const shuffled = hexDensityScales(
          order.map((i) => cs[i]!),
          LEVELS,
        );
        order.forEach((i, k) => {
          expect(shuffled[k]).toBe(direct[i]);
        });
      }),
    );
  });

  it('gives full scale to well-spread hotspots and halves two in one res-10 hex', () => {
    expect(hexDensityScales([cellAt(0, 0), cellAt(3_000, 0)], LEVELS)).toEqual([SCALE_ONE, SCALE_ONE]);
    expect(hexDensityScales([cellAt(0, 0), cellAt(1, 1)], LEVELS)).toEqual([SCALE_ONE / 2n, SCALE_ONE / 2n]);
  });
});
