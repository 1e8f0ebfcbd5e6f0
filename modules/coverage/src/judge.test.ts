import { describe, expect, it } from 'vitest';
import { judgeFacts } from './judge.ts';
import { fsplDdb, maxRssiDdbm } from './physics.ts';
import { cellAt, FactsBuilder, id, testParams } from './test/factsBuilder.ts';

const T = 1_700_000_000_000;

/** A city block: A at the origin, B 800 m east, C 100 m east (too close), F 150 km east (too far). */
function world(over: Record<string, bigint> = {}) {
  const { p } = testParams(over);
  const f = new FactsBuilder(p);
  const A = f.hotspot(1, cellAt(0, 0));
  const B = f.hotspot(2, cellAt(800, 0));
  const C = f.hotspot(3, cellAt(100, 0));
  const F = f.hotspot(4, cellAt(150_000, 0));
  const { round } = f.round(T, A);
  const beacon = f.beacon(A, { round, at: T + 5_000 });
  return { f, p, A, B, C, F, beacon, round };
}

describe('judgeFacts: beacons', () => {
  it('accepts a challenged beacon within its entropy lifespan', () => {
    const { f, p } = world();
    expect(judgeFacts(f.facts, p).beacons).toEqual(['OK']);
  });

  it('rejects a beacon whose round is unknown or issued after the beacon arrived', () => {
    const { f, p, A } = world();
    f.beacon(A, { round: 999, at: T + 6_000 });
    f.beacon(A, { round: 1, at: T - 1 });
    expect(judgeFacts(f.facts, p).beacons.slice(1)).toEqual([
      'BEACON_ENTROPY_UNKNOWN',
      'BEACON_ENTROPY_UNKNOWN',
    ]);
  });

  it('rejects a beacon that arrives after the entropy lifespan as stale, even a resend', () => {
    const { f, p, A, round } = world();
    f.beacon(A, { round, at: T + p.entropyLifeS * 1000 + 1, dup: 1 });
    f.beacon(A, { round, at: T + p.entropyLifeS * 1000, dup: 1 });
    expect(judgeFacts(f.facts, p).beacons.slice(1)).toEqual(['BEACON_ENTROPY_STALE', 'BEACON_DUPLICATE']);
  });

  it('tells an identical resend from a second, different beacon for one challenge', () => {
    const { f, p, A, round } = world();
    f.beacon(A, { round, at: T + 7_000, dup: 1 });
    f.beacon(A, { round, at: T + 8_000, nonce: `0x${'cd'.repeat(16)}`, dup: 2 });
    expect(judgeFacts(f.facts, p).beacons.slice(1)).toEqual(['BEACON_DUPLICATE', 'BEACON_EXTRA']);
  });

  it('rejects a beacon in a round that did not challenge the hotspot', () => {
    const { f, p, B } = world();
    const { round } = f.round(T + 60_000, B, false);
    f.beacon(B, { round, at: T + 61_000 });
    expect(judgeFacts(f.facts, p).beacons[1]).toBe('BEACON_NOT_CHALLENGED');
  });

  it('rejects frequencies off the plan, power above the region limit, locations outside the region', () => {
    const { f, p, A } = world();
    const r1 = f.round(T + 60_000, A).round;
    f.beacon(A, { round: r1, at: T + 61_000, freq: 868_150 });
    const r2 = f.round(T + 120_000, A).round;
    f.beacon(A, { round: r2, at: T + 121_000, freq: 915_000 });
    const r3 = f.round(T + 180_000, A).round;
    f.beacon(A, { round: r3, at: T + 181_000, eirp: p.maxEirpDdbm + 1 });
    const v = judgeFacts(f.facts, p).beacons;
    expect(v.slice(1)).toEqual(['BEACON_WRONG_FREQUENCY', 'BEACON_WRONG_FREQUENCY', 'BEACON_POWER_INVALID']);
    // A region far away (a res-3 cell in Australia) puts everybody out of region.
    const elsewhere = testParams({ 'coverage.regionCell': BigInt('0x83be8dfffffffff') });
    expect(judgeFacts(f.facts, elsewhere.p).beacons[0]).toBe('BEACON_WRONG_REGION');
  });

  it('rejects beacons of denylisted or unlocated hotspots', () => {
    const { f } = world();
    const denied = testParams({ 'coverage.deny.0': BigInt(id(1)) });
    expect(judgeFacts(f.facts, denied.p).beacons[0]).toBe('BEACON_DENYLISTED');
    f.facts.hotspots[0]!.cell = '';
    expect(judgeFacts(f.facts, denied.p).beacons[0]).toBe('BEACON_DENYLISTED');
    expect(judgeFacts(f.facts, testParams().p).beacons[0]).toBe('BEACON_NO_LOCATION');
  });
});

describe('judgeFacts: witnesses', () => {
  it('accepts a physically plausible witness', () => {
    const { f, p, B, beacon } = world();
    f.witness(beacon, B, { rssi: -1_050, snr: 20 });
    const j = judgeFacts(f.facts, p);
    expect(j.witnesses).toEqual(['VALID']);
    expect(j.distanceM[0]).toBeGreaterThan(780);
    expect(j.distanceM[0]).toBeLessThan(820);
    expect(j.maxRssiDdbm[0]).toBe(
      maxRssiDdbm({
        eirpDdbm: 160,
        rxGainDdbi: 30,
        distanceM: j.distanceM[0]!,
        frequencyKhz: 868_100,
        marginDdb: p.fsplMarginDdb,
      }),
    );
  });

  it('rejects self-witnessing, repeats, denylisted and unlocated witnesses', () => {
    const { f, B, A, beacon } = world();
    f.witness(beacon, A);
    f.witness(beacon, B, { dup: 1 });
    f.witness(beacon, B);
    const { p } = testParams({ 'coverage.deny.3': BigInt(id(2)) });
    expect(judgeFacts(f.facts, p).witnesses).toEqual([
      'WITNESS_SELF',
      'WITNESS_DUPLICATE',
      'WITNESS_DENYLISTED',
    ]);
    f.facts.hotspots[B]!.cell = '';
    expect(judgeFacts(f.facts, testParams().p).witnesses[2]).toBe('WITNESS_NO_LOCATION');
  });

  it('rejects witnesses of unknown packets and of rejected beacons', () => {
    const { f, p, A, B } = world();
    const late = f.beacon(A, { round: 1, at: T + p.entropyLifeS * 1000 + 10 });
    f.witness(late, B);
    f.witness(-1, B, { at: T });
    expect(judgeFacts(f.facts, p).witnesses).toEqual(['WITNESS_BEACON_INVALID', 'WITNESS_UNKNOWN_BEACON']);
  });

  it('rejects witnesses outside the timing window, after the beacon or after the first witness', () => {
    const { f, p, B, C, beacon } = world();
    const b = f.facts.beacons[beacon]!;
    f.witness(beacon, C, { at: b[2] + 100 });
    f.witness(beacon, B, { at: b[2] + 100 + p.witnessSpreadMs + 1 });
    f.witness(beacon, B, { at: b[2] - p.witnessWindowMs - 1 });
    const w = judgeFacts(f.facts, p).witnesses;
    expect(w[1]).toBe('WITNESS_OUTSIDE_WINDOW');
    expect(w[2]).toBe('WITNESS_OUTSIDE_WINDOW');
  });

  it('rejects a witness on another frequency', () => {
    const { f, p, B, beacon } = world();
    f.witness(beacon, B, { freq: 868_100 + p.freqTolKhz + 1 });
    f.witness(beacon, B, { freq: 868_100 + p.freqTolKhz });
    expect(judgeFacts(f.facts, p).witnesses).toEqual(['WITNESS_WRONG_FREQUENCY', 'VALID']);
  });

  it('rejects witnesses closer than the minimum H3 distance and farther than the maximum', () => {
    const { f, p, C, F, beacon } = world();
    f.witness(beacon, C);
    f.witness(beacon, F, { rssi: -1_300 });
    expect(judgeFacts(f.facts, p).witnesses).toEqual(['WITNESS_TOO_CLOSE', 'WITNESS_TOO_FAR']);
  });

  it('rejects an RSSI above what free-space path loss allows over the asserted distance', () => {
    const { f, p, B, beacon } = world();
    const bound = judgeFacts(
      (() => {
        f.witness(beacon, B, { rssi: -1_000 });
        return f.facts;
      })(),
      p,
    ).maxRssiDdbm[0]!;
    f.witness(beacon, B, { rssi: bound + 1 });
    f.witness(beacon, B, { rssi: bound });
    // The last two repeat the first report's packet: mark them fresh to test the bound alone.
    f.facts.witnesses[1]![8] = 0;
    f.facts.witnesses[2]![8] = 0;
    const w = judgeFacts(f.facts, p).witnesses;
    expect(w[1]).toBe('WITNESS_RSSI_TOO_HIGH');
    expect(w[2]).toBe('VALID');
  });

  it('rejects an SNR higher than the RSSI over the noise floor allows', () => {
    const { f, p, B, beacon } = world();
    const rssi = -1_100;
    f.witness(beacon, B, { rssi, snr: rssi - p.noiseFloorDdbm + p.snrTolDdb + 1 });
    f.witness(beacon, B, { rssi, snr: rssi - p.noiseFloorDdbm + p.snrTolDdb });
    expect(judgeFacts(f.facts, p).witnesses).toEqual(['WITNESS_SNR_INCONSISTENT', 'VALID']);
  });

  it('rejects an antenna gain above the governed maximum', () => {
    const { f, p, B, beacon } = world();
    f.witness(beacon, B, { gain: p.maxGainDdbi + 1 });
    expect(judgeFacts(f.facts, p).witnesses).toEqual(['WITNESS_GAIN_INVALID']);
  });

  it('reads every threshold from the parameters: a larger margin admits a stronger RSSI', () => {
    const { f, p, B, beacon } = world();
    f.witness(beacon, B, { rssi: -1_000 });
    const bound = judgeFacts(f.facts, p).maxRssiDdbm[0]!;
    f.facts.witnesses[0]![4] = bound + 50;
    expect(judgeFacts(f.facts, p).witnesses).toEqual(['WITNESS_RSSI_TOO_HIGH']);
    const wider = testParams({ 'coverage.fsplMarginDdb': BigInt(p.fsplMarginDdb + 50) });
    expect(judgeFacts(f.facts, wider.p).witnesses).toEqual(['VALID']);
  });
});

describe('free-space path loss', () => {
  it('matches 20·log10(d_km) + 20·log10(f_MHz) + 32.44', () => {
    expect(fsplDdb(1_000, 868_000)).toBe(Math.round(10 * (20 * Math.log10(868) + 32.44)));
    expect(fsplDdb(10_000, 868_000) - fsplDdb(1_000, 868_000)).toBe(200);
    expect(fsplDdb(1_000, 915_000)).toBe(917);
    expect(fsplDdb(0, 868_000)).toBe(fsplDdb(1, 868_000));
  });
});
