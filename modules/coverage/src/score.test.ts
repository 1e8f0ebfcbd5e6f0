import { describe, expect, it } from 'vitest';
import { SCALE_ONE } from './density.ts';
import { parseFacts } from './facts.ts';
import { evaluateCoverage, SCORE_UNIT, scoreDevices } from './score.ts';
import { selectWitnesses } from './select.ts';
import { cellAt, FactsBuilder, id, op, testParams } from './test/factsBuilder.ts';

const T = 1_700_000_000_000;
const DAY = 86_400_000;
const window = { epoch: 2, startMs: T, endMs: T + DAY };

/** Beaconer A at the centre, n witnesses on a 1 km ring, each with its own operator. */
function star(
  n: number,
  over: Record<string, bigint> = { 'coverage.reciprocity': 0n, 'coverage.ringMaxSize': 0n },
) {
  const { p } = testParams(over);
  const f = new FactsBuilder(p);
  const A = f.hotspot(1, cellAt(0, 0));
  const ws = Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    return f.hotspot(10 + i, cellAt(1_000 * Math.cos(a), 1_000 * Math.sin(a)));
  });
  const { round, entropy } = f.round(T + 1_000, A);
  const beacon = f.beacon(A, { round, at: T + 3_000 });
  for (const w of ws) f.witness(beacon, w, { rssi: -1_050, snr: 20 });
  return { f, p, A, ws, beacon, entropy };
}

describe('evaluateCoverage', () => {
  it('rewards at most maxWitnesses per beacon, the ones the entropy ranks first', () => {
    const { f, p, ws, beacon, entropy } = star(20);
    const ev = evaluateCoverage(f.facts, p, window);
    const rewarded = ev.witnesses.filter((v) => v === 'WITNESS_REWARDED').length;
    expect(rewarded).toBe(14);
    expect(ev.witnesses.filter((v) => v === 'WITNESS_NOT_SELECTED').length).toBe(6);
    const chosen = selectWitnesses(
      entropy,
      f.packetOf(beacon),
      ws.map((w) => f.facts.hotspots[w]!.id),
      14,
    );
    ws.forEach((w, i) => {
      expect(ev.witnesses[i]).toBe(
        chosen.includes(f.facts.hotspots[w]!.id) ? 'WITNESS_REWARDED' : 'WITNESS_NOT_SELECTED',
      );
    });
    expect(ev.beacons).toEqual(['BEACON_WITNESSED']);
    // Beaconer: 400 units, each rewarded witness 100, each scaled by its hex density (21 hotspots in 3 km²).
    const [a, ...rest] = ev.hotspots;
    expect(a!.hexScalePpm < SCALE_ONE).toBe(true);
    expect(a!.coverageUnits).toBe(400n * a!.hexScalePpm);
    for (const h of rest) expect(h.coverageUnits).toBe(BigInt(h.witnessesRewarded) * 100n * h.hexScalePpm);
    expect(rest.reduce((s, h) => s + h.witnessesRewarded, 0)).toBe(14);
  });

  it('pays no witness of the same operator and no beacon heard only by its own operator', () => {
    const { f, p, A, ws } = star(2);
    for (const w of ws) f.facts.hotspots[w]!.operator = f.facts.hotspots[A]!.operator;
    const ev = evaluateCoverage(f.facts, p, window);
    expect(ev.witnesses).toEqual(['WITNESS_SAME_OWNER', 'WITNESS_SAME_OWNER']);
    expect(ev.beacons).toEqual(['BEACON_UNWITNESSED']);
    expect(ev.hotspots.map((h) => h.score)).toEqual([0n, 0n, 0n]);
  });

  it('counts a witness only when the beaconer also heard it within the look-back (reciprocity)', () => {
    const { f, A, ws } = star(2, { 'coverage.ringMaxSize': 0n });
    const { p } = testParams({ 'coverage.ringMaxSize': 0n });
    // ws[0]'s own beacon, heard by A: that pair is reciprocal; ws[1] never beacons.
    const { round } = f.round(T + 60_000, ws[0]);
    const b = f.beacon(ws[0]!, { round, at: T + 62_000 });
    f.witness(b, A, { rssi: -1_050, snr: 20 });
    const ev = evaluateCoverage(f.facts, p, window);
    expect(ev.witnesses.slice(0, 2)).toEqual(['WITNESS_REWARDED', 'WITNESS_NOT_RECIPROCAL']);
  });

  it('names a pair that only ever witnesses each other in the verdict, and pays neither', () => {
    const { f, p } = star(1, { 'coverage.reciprocity': 0n });
    const ev = evaluateCoverage(f.facts, p, window);
    expect(ev.witnesses).toEqual(['WITNESS_RING']);
    expect(ev.hotspots.map((h) => [h.flags, h.score])).toEqual([
      [['HOTSPOT_WITNESS_RING'], 0n],
      [['HOTSPOT_WITNESS_RING'], 0n],
    ]);
  });

  it('scales coverage by hex density: two hotspots in one hex earn what one would', () => {
    const { f, p, ws } = star(2);
    // Put both witnesses in the same res-12 cell.
    f.facts.hotspots[ws[1]!]!.cell = f.facts.hotspots[ws[0]!]!.cell;
    const ev = evaluateCoverage(f.facts, p, window);
    expect(ev.hotspots[ws[0]!]!.hexScalePpm).toBe(SCALE_ONE / 2n);
    expect(ev.hotspots[ws[0]!]!.coverageUnits + ev.hotspots[ws[1]!]!.coverageUnits).toBe(100n * SCALE_ONE);
  });

  it('pays nothing to a hotspot whose fees are unpaid, and says so', () => {
    const { f, p, A } = star(3);
    f.facts.hotspots[A]!.fees = 0;
    const ev = evaluateCoverage(f.facts, p, window);
    expect(ev.hotspots[A]!.score).toBe(0n);
    expect(ev.hotspots[A]!.reason).toBe('FEES_UNPAID');
    const off = evaluateCoverage(
      f.facts,
      testParams({ 'coverage.feesRequired': 0n, 'coverage.reciprocity': 0n, 'coverage.ringMaxSize': 0n }).p,
      window,
    );
    expect(off.hotspots[A]!.score > 0n).toBe(true);
  });

  it('ignores beacons whose witness window closes outside the epoch', () => {
    const { f, p } = star(3);
    const ev = evaluateCoverage(f.facts, p, { epoch: 3, startMs: T + DAY, endMs: T + 2 * DAY });
    expect(ev.beacons).toEqual([null]);
    expect(ev.hotspots.every((h) => h.score === 0n)).toBe(true);
  });

  it('pays paid bytes above coverage and nothing for sessions with a linked client', () => {
    const { f, p, ws } = star(3);
    f.facts.sessions.push([
      '0x01',
      ws[0]!,
      '0x00000000000000000000000000000000000000c1',
      0,
      '10000',
      '240000',
    ]);
    f.facts.sessions.push(['0x02', ws[1]!, op(11), 1, '10000', '240000']);
    const ev = evaluateCoverage(f.facts, p, window);
    const h0 = ev.hotspots[ws[0]!]!;
    expect(h0.paidCredits).toBe(10_000n);
    expect(h0.paidBytes).toBe(240_000n);
    expect(h0.reason).toBe('COVERAGE_AND_DATA');
    expect(ev.hotspots[ws[1]!]!.flags).toEqual(['HOTSPOT_SELF_DEALING']);
    expect(ev.hotspots[ws[1]!]!.score).toBe(0n);
    // 10,000 credits of 10M for a full share: dataBps = 6000 · 10,000 / 10,000,000·(epoch/hour) …
    const full = p.dataFullCredits;
    expect(ev.dataBps).toBe((6_000n * 10_000n) / full);
  });
});

describe('scoreDevices', () => {
  it('gives every active device a line: scored ones with detail, silent ones zero with a reason', () => {
    const { f, p, A } = star(3);
    const parsed = parseFacts(JSON.parse(JSON.stringify(f.facts)));
    const lines = scoreDevices(parsed, p, window, [id(1), id(999)]);
    expect(lines[0]!.deviceId).toBe(id(1));
    expect(lines[0]!.reason).toBe('COVERAGE');
    expect(lines[0]!.detail).toMatchObject({
      beacons: 1,
      beaconsWitnessed: 1,
      hexScalePpm: 1_000_000,
      flags: '',
    });
    expect(lines[1]).toEqual({ deviceId: id(999), score: 0n, reason: 'NO_VERIFIED_ACTIVITY' });
    expect(lines[0]!.score <= 10_000n * SCORE_UNIT).toBe(true);
    void A;
  });

  it('refuses malformed inputs with a coded error', () => {
    expect(() => parseFacts({ v: 1 })).toThrow(/FACTS_INVALID|coverage inputs/);
    const { f } = star(1);
    const bad = JSON.parse(JSON.stringify(f.facts));
    bad.witnesses[0][2] = 99;
    expect(() => parseFacts(bad)).toThrow(/names hotspot 99/);
    expect(parseFacts({}).hotspots).toEqual([]);
  });
});
