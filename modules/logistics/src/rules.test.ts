import { describe, expect, it } from 'vitest';
import type { Hash } from './merkle.ts';
import { AlertCode, evaluateRules, type RuleReading, sameBreach } from './rules.ts';
import type { Route, Rule } from './schemas.ts';

const MIN = 60_000;
const A = `0x${'a'.repeat(64)}` as Hash;
const B = `0x${'b'.repeat(64)}` as Hash;
const C = `0x${'c'.repeat(64)}` as Hash;
const route: Route = {
  waypoints: [
    { latE7: 519_244_000, lngE7: 44_777_000 }, // Rotterdam
    { latE7: 511_657_000, lngE7: 44_777_000 }, // due south, ~84 km
  ],
};
let n = 0;
function r(device: Hash, at: number, v: Partial<RuleReading>): RuleReading {
  n++;
  return { recordId: `0x${n.toString(16).padStart(64, '0')}` as Hash, device, seq: at / MIN, at, ...v };
}
const temps = (device: Hash, values: number[], step = 10 * MIN) =>
  values.map((t, i) => r(device, i * step, { tempMc: t }));
const band: Rule = { kind: 'temperature', minMc: 2_000, maxMc: 8_000, toleranceSeconds: 0 };

describe('evaluateRules', () => {
  it('reports each run of readings outside the band, ending at the first reading back inside', () => {
    const readings = temps(A, [5_000, 9_000, 9_500, 5_000, 1_000, 5_000]);
    const out = evaluateRules([band], route, readings);
    expect(out.map((b) => [b.code, b.startAt, b.lastAt, b.endAt, b.durationMs, b.worst])).toEqual([
      [AlertCode.temperatureHigh, 10 * MIN, 20 * MIN, 30 * MIN, 20 * MIN, 9_500],
      [AlertCode.temperatureLow, 40 * MIN, 40 * MIN, 50 * MIN, 10 * MIN, 1_000],
    ]);
    expect(out[0]!.readings).toEqual([readings[1]!.recordId, readings[2]!.recordId]);
    expect(out[0]!.trackers).toEqual([A]);
  });

  it('keeps an excursion shorter than the tolerance quiet and reports a longer one', () => {
    const tolerant: Rule = { ...band, toleranceSeconds: 30 * 60 };
    // 9 °C for one reading (10 minutes until back in band): within tolerance.
    expect(evaluateRules([tolerant], route, temps(A, [5_000, 9_000, 5_000]))).toEqual([]);
    // 9 °C over four readings: 40 minutes out of band.
    const long = evaluateRules([tolerant], route, temps(A, [5_000, 9_000, 9_000, 9_000, 9_000, 5_000]));
    expect(long.map((b) => [b.startAt, b.endAt, b.durationMs])).toEqual([[10 * MIN, 50 * MIN, 40 * MIN]]);
  });

  it('reports an open excursion once it has lasted the tolerance, with no end yet', () => {
    const tolerant: Rule = { ...band, toleranceSeconds: 20 * 60 };
    expect(evaluateRules([tolerant], route, temps(A, [5_000, 9_000, 9_000]))).toEqual([]);
    const open = evaluateRules([tolerant], route, temps(A, [5_000, 9_000, 9_000, 9_000]));
    expect(open.map((b) => [b.startAt, b.lastAt, b.endAt, b.durationMs])).toEqual([
      [10 * MIN, 30 * MIN, null, 20 * MIN],
    ]);
  });

  it('merges overlapping excursions of several trackers into one breach', () => {
    const out = evaluateRules([band], route, [
      ...temps(A, [5_000, 9_000, 9_000, 5_000]),
      ...temps(B, [5_000, 5_000, 10_000, 9_000, 5_000]),
      ...temps(C, [5_000, 5_000]),
    ]);
    expect(out).toHaveLength(1);
    expect(out[0]!.trackers).toEqual([A, B]);
    expect([out[0]!.startAt, out[0]!.endAt, out[0]!.worst]).toEqual([10 * MIN, 40 * MIN, 10_000]);
    expect(out[0]!.readings).toHaveLength(4);
  });

  it('reports every shock above the limit', () => {
    const shock: Rule = { kind: 'shock', maxMg: 4_000 };
    const readings = [0, 1, 2, 3, 4].map((i) =>
      r(A, i * 10 * MIN, { shockMg: [500, 7_500, 800, 4_000, 4_001][i] }),
    );
    const out = evaluateRules([shock], route, readings);
    expect(out.map((b) => [b.code, b.startAt, b.worst])).toEqual([
      [AlertCode.shock, 10 * MIN, 7_500],
      [AlertCode.shock, 40 * MIN, 4_001],
    ]);
  });

  it('reports positions farther from the route than the corridor width', () => {
    const corridor: Rule = { kind: 'corridor', widthM: 20_000, toleranceSeconds: 0 };
    const on = (at: number) => r(A, at, { lat: 51.5, lng: 4.48 });
    const off = (at: number) => r(A, at, { lat: 51.5, lng: 5.0 }); // ~36 km east of the route
    const out = evaluateRules([corridor], route, [on(0), off(10 * MIN), off(20 * MIN), on(30 * MIN)]);
    expect(out.map((b) => [b.code, b.startAt, b.endAt])).toEqual([[AlertCode.corridor, 10 * MIN, 30 * MIN]]);
    expect(out[0]!.worst).toBeGreaterThan(35_000);
    expect(out[0]!.worst).toBeLessThan(37_000);
  });

  it('reports humidity outside its band and gaps longer than the silence limit', () => {
    const rules: Rule[] = [
      { kind: 'humidity', minPm: 200, maxPm: 850, toleranceSeconds: 0 },
      { kind: 'silence', maxGapSeconds: 3_600 },
    ];
    const readings = [
      r(A, 0, { humidityPm: 500 }),
      r(A, 10 * MIN, { humidityPm: 900 }),
      r(A, 100 * MIN, { humidityPm: 500 }),
    ];
    const out = evaluateRules(rules, route, readings);
    expect(out.map((b) => [b.ruleIndex, b.code, b.startAt, b.endAt, b.worst])).toEqual([
      [0, AlertCode.humidityHigh, 10 * MIN, 100 * MIN, 900],
      [1, AlertCode.silence, 10 * MIN, 100 * MIN, 90 * MIN],
    ]);
  });

  it('ignores readings that lack the measurement a rule needs', () => {
    expect(
      evaluateRules([band], route, [r(A, 0, { humidityPm: 999 }), r(A, MIN, { shockMg: 99_999 })]),
    ).toEqual([]);
  });

  it('gives the same breaches whatever the order of the readings', () => {
    const readings = [...temps(A, [5_000, 9_000, 9_000, 5_000]), ...temps(B, [9_500, 5_000])];
    const a = evaluateRules([band], route, readings);
    const b = evaluateRules([band], route, [...readings].reverse());
    expect(b).toEqual(a);
  });

  it('matches a breach to the alert that reported it when they overlap under the same rule', () => {
    const breach = { ruleIndex: 0, startAt: 100, lastAt: 200, endAt: 300 };
    expect(sameBreach(breach, { ruleIndex: 0, startAt: 100, lastAt: 150 })).toBe(true);
    expect(sameBreach(breach, { ruleIndex: 0, startAt: 250, lastAt: 260 })).toBe(true);
    expect(sameBreach(breach, { ruleIndex: 1, startAt: 100, lastAt: 150 })).toBe(false);
    expect(sameBreach(breach, { ruleIndex: 0, startAt: 301, lastAt: 400 })).toBe(false);
  });
});
