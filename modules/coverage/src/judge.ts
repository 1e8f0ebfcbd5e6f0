/**
 * Tier-one verification: every beacon and every witness report checked on its
 * own against the challenge, the clock and radio physics. Pure.
 *
 * @module
 */
import { getHexagonEdgeLengthAvg, getResolution } from 'h3-js';
import { challengedSlot, challengeSlotOf, challengeSlots, type HexString } from './entropy.ts';
import type { CoverageFacts } from './facts.ts';
import type { CoverageParams } from './params.ts';
import { cellAtRes, cellDistanceM, cellGridDistance, isCell, maxRssiDdbm } from './physics.ts';
import { BeaconReason, WitnessReason } from './reasons.ts';

/** Tier-one beacon result: a rejection reason, or `OK` (then witnessed or not, decided later). */
export type BeaconCheck = (typeof BeaconReason)[keyof typeof BeaconReason] | 'OK';
/** Tier-one witness result: a rejection reason, or `VALID` (selection and graph tests decide the rest). */
export type WitnessCheck = (typeof WitnessReason)[keyof typeof WitnessReason] | 'VALID';

export interface JudgedFacts {
  beacons: BeaconCheck[];
  witnesses: WitnessCheck[];
  /** Asserted distance beaconer ↔ witness, metres (-1 when not computed). */
  distanceM: Int32Array;
  /** The free-space bound the RSSI was held to, 0.1 dBm (0 when not computed). */
  maxRssiDdbm: Int32Array;
}

/** Whether `cell` lies inside the region cell (any resolution at or above the region's). */
export function inRegion(cell: string, regionCell: string): boolean {
  if (regionCell === '') return true;
  try {
    return cellAtRes(cell, getResolution(regionCell)) === regionCell;
  } catch {
    return false;
  }
}

/** Whether a frequency is on the region's plan: inside the band and on the channel raster. */
export function onFrequencyPlan(frequencyKhz: number, p: CoverageParams): boolean {
  return (
    frequencyKhz >= p.freqMinKhz &&
    frequencyKhz <= p.freqMaxKhz &&
    (p.channelStepKhz === 0 || frequencyKhz % p.channelStepKhz === 0)
  );
}

/**
 * Checks every beacon and witness of the facts, each on its own.
 *
 * Beacon checks, first failure wins: denylisted → asserted location →
 * entropy known and issued before the beacon arrived → entropy not older than
 * `entropyLifeS` → one beacon per challenge → the round challenged this
 * hotspot → frequency plan → region → EIRP and gain within the region's
 * limits.
 *
 * Witness checks, first failure wins: packet of a known beacon → not the
 * beaconer itself → not a repeat → not denylisted → asserted location →
 * beacon valid → arrived within `witnessWindowMs` of the beacon and
 * `witnessSpreadMs` of the first witness → beacon's frequency → region →
 * declared gain → at least `minDistanceCells` H3 cells apart → at most
 * `maxDistanceM` → RSSI within the free-space bound → SNR consistent with
 * RSSI over the noise floor → (valid; same-operator witnesses are valid
 * physics but never paid, see `score`).
 *
 * Guarantees:
 * - deterministic: the same facts and parameters give the same verdicts;
 * - one verdict per beacon and per witness, in input order;
 * - a witness of a rejected beacon is never `VALID`.
 */
export function judgeFacts(f: CoverageFacts, p: CoverageParams): JudgedFacts {
  const entropy = new Map<number, { value: string; issuedAt: number }>();
  for (const [round, value, issuedAt] of f.entropy) entropy.set(round, { value, issuedAt });
  const slots = challengeSlots(p.beaconIntervalS, p.entropySeconds);
  const slotCache = new Map<string, number>();
  const slotOfRound = new Map<number, number>();
  const cellOk = f.hotspots.map((h) => isCell(h.cell));
  const regionOk = f.hotspots.map((h, i) => cellOk[i] && inRegion(h.cell, p.regionCell));
  const denied = f.hotspots.map((h) => p.denylist.has(h.id.toLowerCase()));

  const beacons: BeaconCheck[] = f.beacons.map((b) => {
    const [, hi, receivedAt, round, , frequencyKhz, eirp, gain, dup] = b;
    const h = f.hotspots[hi]!;
    if (denied[hi]) return BeaconReason.denylisted;
    if (!cellOk[hi]) return BeaconReason.noLocation;
    const e = entropy.get(round);
    if (!e || receivedAt < e.issuedAt) return BeaconReason.entropyUnknown;
    if (receivedAt - e.issuedAt > p.entropyLifeS * 1000) return BeaconReason.entropyStale;
    if (dup === 1) return BeaconReason.duplicate;
    if (dup === 2) return BeaconReason.extra;
    let slot = slotCache.get(h.id);
    if (slot === undefined) slotCache.set(h.id, (slot = challengeSlotOf(h.id, slots)));
    let roundSlot = slotOfRound.get(round);
    if (roundSlot === undefined)
      slotOfRound.set(round, (roundSlot = challengedSlot(e.value as HexString, slots)));
    if (slot !== roundSlot) return BeaconReason.notChallenged;
    if (!onFrequencyPlan(frequencyKhz, p)) return BeaconReason.wrongFrequency;
    if (!regionOk[hi]) return BeaconReason.wrongRegion;
    if (eirp > p.maxEirpDdbm || gain > p.maxGainDdbi || gain < -p.maxGainDdbi)
      return BeaconReason.powerInvalid;
    return 'OK';
  });

  // First arrival among the witnesses inside the beacon window: the reference of the spread check.
  const firstWitness = new Float64Array(f.beacons.length).fill(Number.POSITIVE_INFINITY);
  for (const w of f.witnesses) {
    const bi = w[1];
    if (bi < 0) continue;
    const b = f.beacons[bi]!;
    if (Math.abs(w[3] - b[2]) <= p.witnessWindowMs && w[3] < firstWitness[bi]!) firstWitness[bi] = w[3];
  }
  // Beyond this distance two cells are certainly more than minDistanceCells apart: skip the grid walk.
  const gridBoundM = (p.minDistanceCells + 2) * 2 * getHexagonEdgeLengthAvg(p.distanceRes, 'm');

  const distanceM = new Int32Array(f.witnesses.length).fill(-1);
  const maxRssi = new Int32Array(f.witnesses.length);
  const witnesses: WitnessCheck[] = f.witnesses.map((w, wi) => {
    const [, bi, hi, receivedAt, rssi, snr, frequencyKhz, gain, dup] = w;
    if (bi < 0) return WitnessReason.unknownBeacon;
    const b = f.beacons[bi]!;
    const bh = b[1];
    if (bh === hi) return WitnessReason.self;
    if (dup === 1) return WitnessReason.duplicate;
    if (denied[hi]) return WitnessReason.denylisted;
    if (!cellOk[hi]) return WitnessReason.noLocation;
    if (beacons[bi] !== 'OK') return WitnessReason.beaconInvalid;
    if (Math.abs(receivedAt - b[2]) > p.witnessWindowMs || receivedAt - firstWitness[bi]! > p.witnessSpreadMs)
      return WitnessReason.outsideWindow;
    if (Math.abs(frequencyKhz - b[5]) > p.freqTolKhz) return WitnessReason.wrongFrequency;
    if (!regionOk[hi]) return WitnessReason.wrongRegion;
    if (gain > p.maxGainDdbi || gain < -p.maxGainDdbi) return WitnessReason.gainInvalid;
    const wc = f.hotspots[hi]!.cell;
    const bc = f.hotspots[bh]!.cell;
    const d = cellDistanceM(wc, bc);
    distanceM[wi] = d;
    if (d < gridBoundM && cellGridDistance(wc, bc, p.distanceRes) < p.minDistanceCells)
      return WitnessReason.tooClose;
    if (d > p.maxDistanceM) return WitnessReason.tooFar;
    const bound = maxRssiDdbm({
      eirpDdbm: b[6],
      rxGainDdbi: gain,
      distanceM: d,
      frequencyKhz: b[5],
      marginDdb: p.fsplMarginDdb,
    });
    maxRssi[wi] = bound;
    if (rssi > bound) return WitnessReason.rssiTooHigh;
    if (snr > rssi - p.noiseFloorDdbm + p.snrTolDdb) return WitnessReason.snrInconsistent;
    return 'VALID';
  });
  return { beacons, witnesses, distanceM, maxRssiDdbm: maxRssi };
}
