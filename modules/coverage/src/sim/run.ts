import { genesisCoverageParams, readCoverageParams } from '../params.ts';
import { evaluateCoverage } from '../score.ts';
import { CHEAT_KINDS, type CheatKind, simulateCity } from './city.ts';

export type Scenario = 'adversarial' | 'honest';

export interface SimOptions {
  seed: number;
  scenario: Scenario;
  /** Hotspots in the city, cheaters included (default 500). */
  hotspots?: number;
  /** Share of cheaters in the adversarial scenario (default 0.2). */
  cheaterShare?: number;
}

/** What `groundwork sim --module coverage` prints. */
export interface SimResult {
  hotspots: number;
  cheaters: number;
  precision: number;
  recall: number;
  honestPenalisedRate: number;
  cheaterRewardShare: number;
  byCheat: Record<CheatKind, { count: number; caught: number }>;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Runs the city simulation with the network's genesis parameters for daily
 * epochs (two days of challenges; the second day is scored) and measures the
 * module against the truth: a hotspot is caught when any fraud flag is
 * raised on it; rewards are its share of the module's epoch scores.
 */
export function runCoverageSim(o: SimOptions): SimResult & { detail: SimDetail } {
  const params = readCoverageParams(genesisCoverageParams(86_400n));
  const city = simulateCity(
    {
      seed: o.seed,
      hotspots: o.hotspots ?? 500,
      cheaterShare: o.scenario === 'honest' ? 0 : (o.cheaterShare ?? 0.2),
    },
    params,
  );
  const ev = evaluateCoverage(city.facts, params, city.epoch);
  const byCheat = Object.fromEntries(
    CHEAT_KINDS.map((k) => [k, { count: 0, caught: 0 }]),
  ) as SimResult['byCheat'];
  let cheaters = 0;
  let caught = 0;
  let flaggedTotal = 0;
  let honest = 0;
  let honestFlagged = 0;
  let total = 0n;
  let toCheaters = 0n;
  const honestFlags: Record<string, number> = {};
  city.hotspots.forEach((h, i) => {
    const o = ev.hotspots[i]!;
    const flagged = o.flags.length > 0;
    if (flagged) flaggedTotal++;
    total += o.score;
    if (h.cheat) {
      cheaters++;
      byCheat[h.cheat].count++;
      toCheaters += o.score;
      if (flagged) {
        caught++;
        byCheat[h.cheat].caught++;
      }
    } else {
      honest++;
      if (flagged) {
        honestFlagged++;
        for (const f of o.flags) honestFlags[f] = (honestFlags[f] ?? 0) + 1;
      }
    }
  });
  const share = total === 0n ? 0 : Number((toCheaters * 1_000_000n) / total) / 1_000_000;
  return {
    hotspots: city.hotspots.length,
    cheaters,
    precision: round4(flaggedTotal === 0 ? 1 : caught / flaggedTotal),
    recall: round4(cheaters === 0 ? 1 : caught / cheaters),
    honestPenalisedRate: round4(honest === 0 ? 0 : honestFlagged / honest),
    cheaterRewardShare: round4(share),
    byCheat,
    detail: {
      honestFlags,
      beacons: city.facts.beacons.length,
      witnesses: city.facts.witnesses.length,
      dataBps: Number(ev.dataBps),
    },
  };
}

export interface SimDetail {
  honestFlags: Record<string, number>;
  beacons: number;
  witnesses: number;
  dataBps: number;
}
