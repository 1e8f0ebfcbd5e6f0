import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combineScores, type EarningRow, SCORE_UNIT } from './score.ts';

const row = fc.record({
  coverage: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  credits: fc.bigInt({ min: 0n, max: 10n ** 10n }),
});
const rows = fc.array(row, { minLength: 1, maxLength: 30 });
const params = fc.record({
  dataShareBps: fc.bigInt({ min: 0n, max: 10_000n }),
  dataFullCredits: fc.bigInt({ min: 1n, max: 10n ** 11n }),
});

const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

describe('combineScores properties', () => {
  it('scores are non-negative and sum to at most 10,000 units', () => {
    fc.assert(
      fc.property(rows, params, (rs, p) => {
        const { scores } = combineScores(rs, p);
        for (const s of scores) expect(s >= 0n).toBe(true);
        expect(sum(scores) <= 10_000n * SCORE_UNIT).toBe(true);
      }),
    );
  });

  it('a hotspot with no coverage and no credits scores 0', () => {
    fc.assert(
      fc.property(rows, params, (rs, p) => {
        const { scores } = combineScores([...rs, { coverage: 0n, credits: 0n }], p);
        expect(scores[scores.length - 1]).toBe(0n);
      }),
    );
  });

  it('more coverage never lowers a hotspot’s score', () => {
    fc.assert(
      fc.property(rows, params, fc.nat(), fc.bigInt({ min: 1n, max: 10n ** 9n }), (rs, p, k, extra) => {
        const i = k % rs.length;
        const before = combineScores(rs, p).scores[i]!;
        const more: EarningRow[] = rs.map((r, j) => (j === i ? { ...r, coverage: r.coverage + extra } : r));
        expect(combineScores(more, p).scores[i]! >= before).toBe(true);
      }),
    );
  });

  it('once the data share is full, more paid credits never lower a hotspot’s score', () => {
    fc.assert(
      fc.property(rows, params, fc.nat(), fc.bigInt({ min: 1n, max: 10n ** 9n }), (rs, p, k, extra) => {
        const total = sum(rs.map((r) => r.credits));
        fc.pre(total >= p.dataFullCredits);
        const i = k % rs.length;
        const before = combineScores(rs, p).scores[i]!;
        const more = rs.map((r, j) => (j === i ? { ...r, credits: r.credits + extra } : r));
        expect(combineScores(more, p).scores[i]! >= before).toBe(true);
      }),
    );
  });

  it('splits data and coverage by the governed share, short by less than a unit per hotspot', () => {
    fc.assert(
      fc.property(rows, params, (rs, p) => {
        const { scores, dataBps, coverageBps } = combineScores(rs, p);
        const hasC = rs.some((r) => r.credits > 0n);
        const hasP = rs.some((r) => r.coverage > 0n);
        expect(dataBps + coverageBps).toBe(hasC || hasP ? 10_000n : 0n);
        if (hasC && hasP) expect(dataBps <= p.dataShareBps).toBe(true);
        const expected = (hasC ? dataBps : 0n) * SCORE_UNIT + (hasP ? coverageBps : 0n) * SCORE_UNIT;
        expect(expected - sum(scores) < 2n * BigInt(rs.length)).toBe(true);
      }),
    );
  });

  it('does not depend on row order', () => {
    fc.assert(
      fc.property(rows, params, (rs, p) => {
        const a = combineScores(rs, p).scores;
        const b = combineScores([...rs].reverse(), p).scores;
        expect([...b].reverse()).toEqual(a);
      }),
    );
  });

  it('pays paid data more than coverage: with full data the data share is the governed 60%', () => {
    const { scores, dataBps } = combineScores(
      [
        { coverage: 1_000n, credits: 0n },
        { coverage: 0n, credits: 10_000_000n },
      ],
      { dataShareBps: 6_000n, dataFullCredits: 10_000_000n },
    );
    expect(dataBps).toBe(6_000n);
    expect(scores).toEqual([4_000n * SCORE_UNIT, 6_000n * SCORE_UNIT]);
  });
});
