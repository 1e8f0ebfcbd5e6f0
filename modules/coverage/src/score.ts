/**
 * The coverage epoch: verdicts, hotspot tests, witness selection, hex density
 * and data transfer combined into one integer score per hotspot. Pure: the
 * node, `verify-epoch` and the simulation all run this same function.
 *
 * @module
 */
import type { EpochWindow, ModuleDeviceScore } from '@groundwork/node/modules/types.ts';
import { assessHotspots, type HotspotAssessment } from './assess.ts';
import { hexDensityScales, SCALE_ONE } from './density.ts';
import { beaconPacket, type HexString } from './entropy.ts';
import type { CoverageFacts } from './facts.ts';
import { judgeFacts } from './judge.ts';
import type { CoverageParams } from './params.ts';
import { isCell } from './physics.ts';
import { BeaconReason, HotspotFlag, RewardReason, WitnessReason } from './reasons.ts';
import { selectWitnesses } from './select.ts';

/** Fixed-point unit of the combined score: a hotspot with the whole module pool scores 10,000 · SCORE_UNIT. */
export const SCORE_UNIT = 10n ** 18n;

/** One hotspot's earnings inputs for {@link combineScores}. */
export interface EarningRow {
  /** Coverage units × hex scale (ppm). */
  coverage: bigint;
  /** Credits its paid data transfer burned in the epoch. */
  credits: bigint;
}

/**
 * Splits the module's pool between data transfer and coverage and returns
 * each hotspot's integer score (only ratios matter to the reward engine).
 *
 * dataBps = dataShareBps · min(ΣC, full) / full (paid data earns pro rata
 * until `dataFullCredits` are paid in the epoch, then its full share);
 * coverage gets the rest. With no coverage at all, data gets everything; with
 * no paid data, coverage does. score_i = ⌊dataBps·C_i·U/ΣC⌋ + ⌊covBps·P_i·U/ΣP⌋.
 *
 * Guarantees:
 * - every score ≥ 0, and Σ scores ≤ 10,000 · SCORE_UNIT;
 * - a hotspot with no coverage and no credits scores 0;
 * - raising one hotspot's coverage (all else fixed) never lowers its score;
 * - once ΣC ≥ full, raising one hotspot's credits never lowers its score;
 * - the data part of all scores sums to at most dataBps · SCORE_UNIT and the coverage part to at most
 *   covBps · SCORE_UNIT, each short by less than one unit per hotspot;
 * - the order of rows does not matter (row i's score depends on row i and the totals).
 */
export function combineScores(
  rows: readonly EarningRow[],
  p: Pick<CoverageParams, 'dataShareBps' | 'dataFullCredits'>,
): { scores: bigint[]; dataBps: bigint; coverageBps: bigint } {
  let sumC = 0n;
  let sumP = 0n;
  for (const r of rows) {
    if (r.coverage < 0n || r.credits < 0n) throw new RangeError('earnings must be non-negative');
    sumC += r.credits;
    sumP += r.coverage;
  }
  const full = p.dataFullCredits > 0n ? p.dataFullCredits : 1n;
  const dataBps =
    sumC === 0n ? 0n : sumP === 0n ? 10_000n : (p.dataShareBps * (sumC < full ? sumC : full)) / full;
  const coverageBps = sumP === 0n ? 0n : 10_000n - dataBps;
  const scores = rows.map(
    (r) =>
      (sumC === 0n ? 0n : (dataBps * r.credits * SCORE_UNIT) / sumC) +
      (sumP === 0n ? 0n : (coverageBps * r.coverage * SCORE_UNIT) / sumP),
  );
  return { scores, dataBps, coverageBps };
}

/** The epoch's outcome for one hotspot. */
export interface HotspotOutcome extends HotspotAssessment {
  beacons: number;
  beaconsWitnessed: number;
  witnessReports: number;
  witnessesRewarded: number;
  coverageUnits: bigint;
  hexScalePpm: bigint;
  paidCredits: bigint;
  paidBytes: bigint;
  score: bigint;
  reason: string;
}

export interface CoverageEvaluation {
  /** Final verdict per beacon row; `null` for rows of the look-back outside this epoch. */
  beacons: (string | null)[];
  /** Final verdict per witness row; `null` outside this epoch. */
  witnesses: (string | null)[];
  distanceM: Int32Array;
  maxRssiDdbm: Int32Array;
  hotspots: HotspotOutcome[];
  dataBps: bigint;
  coverageBps: bigint;
}

/**
 * Runs the whole coverage epoch on its facts: tier-one checks, hotspot tests
 * over the look-back, then for the epoch's beacons (those whose witness window
 * closes inside the epoch window) fair selection of at most `maxWitnesses`
 * eligible witnesses, beacon and witness units scaled by hex density, and the
 * data/coverage split.
 *
 * A witness is eligible when it is physically valid, neither end is flagged,
 * the two hotspots have different operators and (with `reciprocity` on) the
 * beaconer also reported a beacon of the witness within the look-back.
 */
export function evaluateCoverage(
  f: CoverageFacts,
  p: CoverageParams,
  window: EpochWindow,
): CoverageEvaluation {
  const judged = judgeFacts(f, p);
  const assessed = assessHotspots(f, judged, p);
  const n = f.hotspots.length;
  const flagged = assessed.map((a) => a.flags.length > 0);
  const inRing = assessed.map((a) => a.flags.includes(HotspotFlag.witnessRing));
  const feesOk = f.hotspots.map((h) => !p.feesRequired || h.fees === 1);
  const entropy = new Map(f.entropy.map(([round, value]) => [round, value]));

  // Physically valid directed pairs in the look-back: witness·n + beaconer.
  const heard = new Set<number>();
  const hasValidWitness = new Uint8Array(f.beacons.length);
  f.witnesses.forEach((w, wi) => {
    if (judged.witnesses[wi] !== 'VALID') return;
    heard.add(w[2] * n + f.beacons[w[1]]![1]);
    hasValidWitness[w[1]] = 1;
  });

  // Hex density over interactive, unflagged hotspots.
  const interactive = new Uint8Array(n);
  f.beacons.forEach((b, bi) => {
    if (judged.beacons[bi] === 'OK' && hasValidWitness[bi]) interactive[b[1]] = 1;
  });
  f.witnesses.forEach((w, wi) => {
    if (judged.witnesses[wi] === 'VALID') interactive[w[2]] = 1;
  });
  const counted: number[] = [];
  for (let i = 0; i < n; i++)
    if (interactive[i] && !flagged[i] && isCell(f.hotspots[i]!.cell)) counted.push(i);
  const scaleOf = new Array<bigint>(n).fill(SCALE_ONE);
  const scales = hexDensityScales(
    counted.map((i) => f.hotspots[i]!.cell),
    p.hexDensity,
  );
  counted.forEach((i, k) => {
    scaleOf[i] = scales[k]!;
  });

  const inEpoch = (b: CoverageFacts['beacons'][number]) =>
    b[2] + p.witnessWindowMs >= window.startMs && b[2] + p.witnessWindowMs < window.endMs;
  const witnessesOf: number[][] = f.beacons.map(() => []);
  f.witnesses.forEach((w, wi) => {
    if (w[1] >= 0) witnessesOf[w[1]]!.push(wi);
  });

  const beaconVerdicts: (string | null)[] = f.beacons.map(() => null);
  const witnessVerdicts: (string | null)[] = f.witnesses.map(() => null);
  const stats = f.hotspots.map(() => ({
    beacons: 0,
    beaconsWitnessed: 0,
    witnessReports: 0,
    witnessesRewarded: 0,
    units: 0n,
  }));

  f.beacons.forEach((b, bi) => {
    if (!inEpoch(b)) return;
    const bh = b[1];
    stats[bh]!.beacons++;
    const tier1 = judged.beacons[bi]!;
    const eligible: string[] = [];
    const byId = new Map<string, number>();
    for (const wi of witnessesOf[bi]!) {
      const w = f.witnesses[wi]!;
      stats[w[2]]!.witnessReports++;
      const v = judged.witnesses[wi]!;
      if (v !== 'VALID') {
        witnessVerdicts[wi] = v;
        continue;
      }
      const wh = w[2];
      if (inRing[wh] && inRing[bh]) witnessVerdicts[wi] = WitnessReason.ring;
      else if (flagged[wh] || flagged[bh]) witnessVerdicts[wi] = WitnessReason.hotspotFlagged;
      else if (f.hotspots[wh]!.operator === f.hotspots[bh]!.operator)
        witnessVerdicts[wi] = WitnessReason.sameOwner;
      else if (p.reciprocity && !heard.has(bh * n + wh)) witnessVerdicts[wi] = WitnessReason.notReciprocal;
      else {
        const id = f.hotspots[wh]!.id;
        eligible.push(id);
        byId.set(id, wi);
      }
    }
    if (tier1 !== 'OK') {
      beaconVerdicts[bi] = tier1;
      return;
    }
    const e = entropy.get(b[3])! as HexString;
    const chosen = new Set(
      selectWitnesses(e, beaconPacket(e, f.hotspots[bh]!.id, b[4]), eligible, p.maxWitnesses),
    );
    for (const id of eligible) {
      const wi = byId.get(id)!;
      const wh = f.witnesses[wi]![2];
      if (chosen.has(id)) {
        witnessVerdicts[wi] = WitnessReason.rewarded;
        stats[wh]!.witnessesRewarded++;
        stats[wh]!.units += p.witnessUnits * scaleOf[wh]!;
      } else witnessVerdicts[wi] = WitnessReason.notSelected;
    }
    if (chosen.size >= Math.max(1, p.minWitnesses)) {
      beaconVerdicts[bi] = BeaconReason.witnessed;
      stats[bh]!.beaconsWitnessed++;
      if (!flagged[bh]) stats[bh]!.units += p.beaconUnits * scaleOf[bh]!;
    } else beaconVerdicts[bi] = BeaconReason.unwitnessed;
  });

  // Reports of packets no beacon carried are the epoch's when they arrived in it.
  f.witnesses.forEach((w, wi) => {
    if (w[1] < 0 && w[3] >= window.startMs && w[3] < window.endMs) {
      witnessVerdicts[wi] = judged.witnesses[wi]!;
      stats[w[2]]!.witnessReports++;
    }
  });

  // Paid data: only unflagged hotspots, only sessions with an unlinked client.
  const credits = new Array<bigint>(n).fill(0n);
  const bytes = new Array<bigint>(n).fill(0n);
  for (const s of f.sessions) {
    if (s[3] === 1) continue;
    credits[s[1]] = credits[s[1]]! + BigInt(s[4]);
    bytes[s[1]] = bytes[s[1]]! + BigInt(s[5]);
  }
  const earning = (i: number) => !flagged[i] && feesOk[i];
  const rows = f.hotspots.map((_, i) => ({
    coverage: earning(i) ? stats[i]!.units : 0n,
    credits: earning(i) ? credits[i]! : 0n,
  }));
  const { scores, dataBps, coverageBps } = combineScores(rows, p);

  const hotspots: HotspotOutcome[] = assessed.map((a, i) => {
    const s = stats[i]!;
    const score = scores[i]!;
    let reason: string;
    if (a.flags.length > 0) reason = a.flags[0]!;
    else if (!feesOk[i]) reason = RewardReason.feesUnpaid;
    else if (score === 0n) reason = RewardReason.none;
    else if (rows[i]!.coverage > 0n && rows[i]!.credits > 0n) reason = RewardReason.coverageAndData;
    else reason = rows[i]!.credits > 0n ? RewardReason.data : RewardReason.coverage;
    return {
      ...a,
      beacons: s.beacons,
      beaconsWitnessed: s.beaconsWitnessed,
      witnessReports: s.witnessReports,
      witnessesRewarded: s.witnessesRewarded,
      coverageUnits: rows[i]!.coverage,
      hexScalePpm: scaleOf[i]!,
      paidCredits: credits[i]!,
      paidBytes: bytes[i]!,
      score,
      reason,
    };
  });
  return {
    beacons: beaconVerdicts,
    witnesses: witnessVerdicts,
    distanceM: judged.distanceM,
    maxRssiDdbm: judged.maxRssiDdbm,
    hotspots,
    dataBps,
    coverageBps,
  };
}

/** The reward-line detail of a hotspot outcome (JSON-safe). */
export function outcomeDetail(o: HotspotOutcome): Record<string, string | number> {
  return {
    beacons: o.beacons,
    beaconsWitnessed: o.beaconsWitnessed,
    witnessReports: o.witnessReports,
    witnessesRewarded: o.witnessesRewarded,
    coverageUnits: o.coverageUnits.toString(),
    hexScalePpm: Number(o.hexScalePpm),
    paidCredits: o.paidCredits.toString(),
    paidBytes: o.paidBytes.toString(),
    flags: o.flags.join(','),
  };
}

/**
 * The module's `score`: one line per active device, in the order given;
 * devices without facts get a zero line.
 */
export function scoreDevices(
  f: CoverageFacts,
  p: CoverageParams,
  window: EpochWindow,
  devices: readonly string[],
): ModuleDeviceScore[] {
  const ev = evaluateCoverage(f, p, window);
  const index = new Map(f.hotspots.map((h, i) => [h.id.toLowerCase(), i]));
  return devices.map((deviceId) => {
    const i = index.get(deviceId.toLowerCase());
    if (i === undefined) {
      const denied = p.denylist.has(deviceId.toLowerCase());
      return { deviceId, score: 0n, reason: denied ? HotspotFlag.denylisted : RewardReason.none };
    }
    const o = ev.hotspots[i]!;
    return { deviceId, score: o.score, reason: o.reason, detail: outcomeDetail(o) };
  });
}
