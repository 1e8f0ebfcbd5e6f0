import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Hash } from './merkle.ts';
import { evaluateRules, type RuleReading } from './rules.ts';
import type { Route, Rule } from './schemas.ts';

const route: Route = {
  waypoints: [
    { latE7: 500_000_000, lngE7: 80_000_000 },
    { latE7: 510_000_000, lngE7: 80_000_000 },
  ],
};
const devices = [1, 2, 3].map((d) => `0x${String(d).repeat(64)}` as Hash);
const readings = fc
  .array(
    fc.record({
      device: fc.constantFrom(...devices),
      at: fc.integer({ min: 0, max: 500 }).map((m) => m * 60_000),
      tempMc: fc.integer({ min: -5_000, max: 15_000 }),
      shockMg: fc.integer({ min: 0, max: 8_000 }),
    }),
    { maxLength: 80 },
  )
  .map((rs) => {
    const seen = new Set<string>();
    return rs
      .filter((x) => (seen.has(`${x.device}${x.at}`) ? false : seen.add(`${x.device}${x.at}`) !== undefined))
      .map(
        (x, i): RuleReading => ({
          ...x,
          seq: x.at / 60_000,
          recordId: `0x${(i + 1).toString(16).padStart(64, '0')}` as Hash,
        }),
      );
  });
const rules: Rule[] = [
  { kind: 'temperature', minMc: 2_000, maxMc: 8_000, toleranceSeconds: 0 },
  { kind: 'shock', maxMg: 4_000 },
  { kind: 'temperature', minMc: 2_000, maxMc: 8_000, toleranceSeconds: 1_800 },
];

describe('evaluateRules (properties)', () => {
  it('is independent of the order of its input', () => {
    fc.assert(
      fc.property(readings, fc.integer(), (rs, seed) => {
        const shuffled = [...rs].sort((a, b) => ((a.at * 31 + seed) % 97) - ((b.at * 31 + seed) % 97));
        expect(evaluateRules(rules, route, shuffled)).toEqual(evaluateRules(rules, route, rs));
      }),
      { numRuns: 200 },
    );
  });

  it('never lets two breaches of one rule overlap, and keeps them sorted', () => {
    fc.assert(
      fc.property(readings, (rs) => {
        const out = evaluateRules(rules, route, rs);
        for (let i = 1; i < out.length; i++) {
          const a = out[i - 1]!;
          const b = out[i]!;
          if (a.ruleIndex === b.ruleIndex) expect(b.startAt).toBeGreaterThan(a.endAt ?? a.lastAt);
          else expect(b.ruleIndex).toBeGreaterThan(a.ruleIndex);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('puts every reading that breaks a zero-tolerance rule in a breach, and only such readings', () => {
    fc.assert(
      fc.property(readings, (rs) => {
        const out = evaluateRules(rules, route, rs);
        const hot = new Set(rs.filter((x) => x.tempMc! > 8_000 || x.tempMc! < 2_000).map((x) => x.recordId));
        const inBreach = new Set(out.filter((b) => b.ruleIndex === 0).flatMap((b) => b.readings));
        expect(inBreach).toEqual(hot);
        const shocks = new Set(rs.filter((x) => x.shockMg! > 4_000).map((x) => x.recordId));
        expect(new Set(out.filter((b) => b.ruleIndex === 1).flatMap((b) => b.readings))).toEqual(shocks);
      }),
      { numRuns: 200 },
    );
  });

  it('reports with a tolerance only breaches also reported without one', () => {
    fc.assert(
      fc.property(readings, (rs) => {
        const out = evaluateRules(rules, route, rs);
        const strict = new Set(out.filter((b) => b.ruleIndex === 0).flatMap((b) => b.readings));
        for (const b of out.filter((x) => x.ruleIndex === 2)) {
          expect(b.durationMs).toBeGreaterThanOrEqual(1_800_000);
          for (const id of b.readings) expect(strict.has(id)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
