/**
 * Tier-two verification: tests on each hotspot's whole record over the
 * look-back window, which catch what single reports cannot — a spoofed
 * location whose reports all pass the free-space bound, inflated RSSI, rings
 * of hotspots that fabricate reports for each other, replays and self-dealing.
 * Pure; see docs/COVERAGE.md for each test's physics and parameters.
 *
 * @module
 */
import type { CoverageFacts } from './facts.ts';
import type { JudgedFacts } from './judge.ts';
import type { CoverageParams } from './params.ts';
import { cellCentre, haversineM, isCell, type LatLng, modelPathLossDdb, projector } from './physics.ts';
import {
  HotspotFlag,
  type HotspotFlagCode,
  PHYSICS_VIOLATIONS,
  REPLAY_REASONS,
  WitnessReason,
} from './reasons.ts';

/** What the tests found about one hotspot. */
export interface HotspotAssessment {
  /** Fraud flags, in a fixed order; empty for a clean hotspot. */
  flags: HotspotFlagCode[];
  /** Distinct counterparts with a physically checked report, and those whose violations are attributed here. */
  links: number;
  badLinks: number;
  /** Location test: counterparts used and the likelihood-ratio statistic (0 when not run). */
  locLinks: number;
  locChi2: number;
  /** Distance from the asserted location to the best-fitting one, metres (0 when not run). */
  locOffsetM: number;
  /** Fitted level of its links at the asserted location against the path-loss model, 0.1 dB (site and cable losses). */
  locLevelDdb: number;
  /** Asymmetry test: two-way links and the median excess of this hotspot's reports, 0.1 dB. */
  asymLinks: number;
  asymDdb: number;
  /** Corroboration test: hearings expected of listening neighbours (both ways, model probabilities) and those that happened. */
  corrExpected: number;
  corrHeard: number;
  /** Size of its connected component in the witness graph (1 = alone). */
  component: number;
  /** Replayed or unchallenged beacons in the look-back. */
  replays: number;
  /** Data sessions with a linked client in the epoch. */
  selfDealt: number;
}

const FLAG_ORDER: HotspotFlagCode[] = [
  HotspotFlag.denylisted,
  HotspotFlag.physics,
  HotspotFlag.location,
  HotspotFlag.rssiAsymmetry,
  HotspotFlag.notCorroborated,
  HotspotFlag.witnessRing,
  HotspotFlag.replay,
  HotspotFlag.selfDealing,
];

/** Reports whose RSSI is a real measurement over the asserted geometry (inputs of the location and asymmetry tests). */
const MEASURED: ReadonlySet<string> = new Set(['VALID', WitnessReason.rssiTooHigh, WitnessReason.tooFar]);

interface LinkStat {
  sum: number;
  n: number;
}

/**
 * Assesses every hotspot of the facts.
 *
 * Guarantees:
 * - deterministic in (facts, verdicts, parameters); one assessment per hotspot, in order;
 * - a hotspot with no reports and no sessions gets no flag except `HOTSPOT_DENYLISTED`;
 * - flags are listed in one fixed order.
 */
export function assessHotspots(f: CoverageFacts, j: JudgedFacts, p: CoverageParams): HotspotAssessment[] {
  const n = f.hotspots.length;
  const out: HotspotAssessment[] = f.hotspots.map(() => ({
    flags: [],
    links: 0,
    badLinks: 0,
    locLinks: 0,
    locChi2: 0,
    locOffsetM: 0,
    locLevelDdb: 0,
    asymLinks: 0,
    asymDdb: 0,
    corrExpected: 0,
    corrHeard: 0,
    component: 1,
    replays: 0,
    selfDealt: 0,
  }));
  const flagged = f.hotspots.map(() => new Set<HotspotFlagCode>());
  const beaconer = (wi: number) => f.beacons[f.witnesses[wi]![1]]![1];

  // --- denylist, replays, self-dealing ---------------------------------------------------------
  f.hotspots.forEach((h, i) => {
    if (p.denylist.has(h.id.toLowerCase())) flagged[i]!.add(HotspotFlag.denylisted);
  });
  f.beacons.forEach((b, bi) => {
    if (REPLAY_REASONS.has(j.beacons[bi]!)) out[b[1]]!.replays++;
  });
  for (const s of f.sessions) if (s[3] === 1 && BigInt(s[4]) > 0n) out[s[1]]!.selfDealt++;
  out.forEach((a, i) => {
    if (a.replays >= p.replayFlagMin && p.replayFlagMin > 0) flagged[i]!.add(HotspotFlag.replay);
    if (a.selfDealt > 0) flagged[i]!.add(HotspotFlag.selfDealing);
  });

  // --- physics violations, attributed to the less credible end of each link --------------------
  const counterparts = f.hotspots.map(() => new Set<number>());
  const ambiguous = f.hotspots.map(() => new Set<number>());
  const ownFault = f.hotspots.map(() => new Set<number>());
  f.witnesses.forEach((w, wi) => {
    const v = j.witnesses[wi]!;
    if (w[1] < 0 || !(v === 'VALID' || PHYSICS_VIOLATIONS.has(v))) return;
    const wh = w[2];
    const bh = beaconer(wi);
    counterparts[wh]!.add(bh);
    counterparts[bh]!.add(wh);
    if (v === WitnessReason.snrInconsistent || v === WitnessReason.wrongFrequency) ownFault[wh]!.add(bh);
    else if (PHYSICS_VIOLATIONS.has(v)) {
      ambiguous[wh]!.add(bh);
      ambiguous[bh]!.add(wh);
    }
  });
  const rate = (i: number) => {
    const l = counterparts[i]!.size;
    return l === 0 ? 0 : new Set([...ambiguous[i]!, ...ownFault[i]!]).size / l;
  };
  const rates = f.hotspots.map((_, i) => rate(i));
  for (let i = 0; i < n; i++) {
    const bad = new Set(ownFault[i]);
    for (const c of ambiguous[i]!) if (rates[i]! >= rates[c]!) bad.add(c);
    const a = out[i]!;
    a.links = counterparts[i]!.size;
    a.badLinks = bad.size;
    if (a.badLinks >= p.physicsFlagMin && a.badLinks * 10_000 >= a.links * p.physicsFlagBps)
      flagged[i]!.add(HotspotFlag.physics);
  }

  // --- mean received level per directed link (−path loss, dB) -----------------------------------
  const directed = new Map<number, LinkStat>(); // key: witness * n + beaconer
  f.witnesses.forEach((w, wi) => {
    if (w[1] < 0 || !MEASURED.has(j.witnesses[wi]!)) return;
    const b = f.beacons[w[1]]!;
    const key = w[2] * n + b[1];
    const y = (w[4] - b[6] - w[7]) / 10;
    const s = directed.get(key);
    if (s) {
      s.sum += y;
      s.n++;
    } else directed.set(key, { sum: y, n: 1 });
  });

  // --- asymmetry: what a hotspot reports against what the other side reports --------------------
  const asym = f.hotspots.map(() => [] as number[]);
  for (const [key, s] of directed) {
    const wh = Math.floor(key / n);
    const bh = key % n;
    if (wh > bh) continue;
    const back = directed.get(bh * n + wh);
    if (!back || wh === bh) continue;
    const d = s.sum / s.n - back.sum / back.n;
    asym[wh]!.push(d);
    asym[bh]!.push(-d);
  }
  asym.forEach((list, i) => {
    const a = out[i]!;
    a.asymLinks = list.length;
    if (list.length === 0) return;
    a.asymDdb = Math.round(median(list) * 10);
    if (list.length >= p.asymMinLinks && a.asymDdb > p.asymMaxDdb) flagged[i]!.add(HotspotFlag.rssiAsymmetry);
  });

  // --- rings: small closed components of the graph of physically valid reports -----------------
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  f.witnesses.forEach((w, wi) => {
    if (j.witnesses[wi] !== 'VALID') return;
    const a = find(w[2]);
    const b = find(beaconer(wi));
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  });
  const size = new Map<number, number>();
  for (let i = 0; i < n; i++) size.set(find(i), (size.get(find(i)) ?? 0) + 1);
  for (let i = 0; i < n; i++) {
    const s = size.get(find(i))!;
    out[i]!.component = s;
    if (p.ringMaxSize >= 2 && s >= 2 && s <= p.ringMaxSize) flagged[i]!.add(HotspotFlag.witnessRing);
  }

  // --- location and corroboration: twice, the second time without the hotspots flagged the first
  const positions: (LatLng | null)[] = f.hotspots.map((h) => (isCell(h.cell) ? cellCentre(h.cell) : null));
  const neighbourLinks = f.hotspots.map(() => new Map<number, LinkStat>());
  for (const [key, s] of directed) {
    const wh = Math.floor(key / n);
    const bh = key % n;
    if (wh === bh) continue;
    for (const [x, c] of [
      [wh, bh],
      [bh, wh],
    ] as const) {
      const m = neighbourLinks[x]!;
      const t = m.get(c);
      if (t) {
        t.sum += s.sum;
        t.n += s.n;
      } else m.set(c, { sum: s.sum, n: s.n });
    }
  }
  const corr = corroborationIndex(f, j, positions, p);
  const levels = new Float64Array(n);
  const excluded = new Set<number>();
  const runPositional = (only?: ReadonlySet<number>) => {
    const todo = only ? [...only].sort((a, b) => a - b) : f.hotspots.map((_, i) => i);
    for (const i of todo) {
      const a = out[i]!;
      flagged[i]!.delete(HotspotFlag.location);
      const pos = positions[i];
      if (!pos) continue;
      const loc = locationTest(pos, neighbourLinks[i]!, positions, excluded, p);
      a.locLinks = loc.links;
      a.locChi2 = loc.chi2;
      a.locOffsetM = loc.offsetM;
      a.locLevelDdb = loc.levelDdb;
      levels[i] = loc.levelDdb / 10;
      if (loc.links >= p.locMinLinks && (loc.chi2 > p.locMaxChi2 || loc.levelDdb > p.locMaxLevelDdb))
        flagged[i]!.add(HotspotFlag.location);
    }
    for (const i of todo) {
      const a = out[i]!;
      flagged[i]!.delete(HotspotFlag.notCorroborated);
      // A hotspot nobody heard and that heard nobody claims no coverage: there is nothing to corroborate.
      if (!positions[i] || neighbourLinks[i]!.size === 0) continue;
      const c = corr.count(i, excluded, levels);
      a.corrExpected = Math.round(c.expected * 100) / 100;
      a.corrHeard = c.heard;
      if (c.expected >= p.corrMinExpected && c.heard * 10_000 < c.expected * p.corrMinBps)
        flagged[i]!.add(HotspotFlag.notCorroborated);
    }
  };
  runPositional();
  for (let i = 0; i < n; i++) if (flagged[i]!.size > 0) excluded.add(i);
  if (excluded.size > 0) {
    // The second pass clears flags that flagged neighbours caused: it re-runs the positional tests of the
    // hotspots they flagged that had a flagged counterpart or neighbour.
    const affected = new Set<number>();
    for (let i = 0; i < n; i++) {
      const f1 = flagged[i]!;
      if (!f1.has(HotspotFlag.location) && !f1.has(HotspotFlag.notCorroborated)) continue;
      if ([...neighbourLinks[i]!.keys()].some((c) => excluded.has(c)) || corr.nearAny(i, excluded))
        affected.add(i);
    }
    if (affected.size > 0) runPositional(affected);
  }

  for (let i = 0; i < n; i++) out[i]!.flags = FLAG_ORDER.filter((fl) => flagged[i]!.has(fl));
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Likelihood-ratio test of the asserted location. Each counterpart c gives
 * the mean received level y_c (−path loss, dB) of the reports between them;
 * the model says y_c = −(I + S·log10(d(P, c)/1 km)) + g + ε with the
 * hotspot's own offset g ~ N(0, σp²) and shadowing ε ~ N(0, σ²). The test
 * compares the best fit with the position P fixed at the asserted location
 * against the best fit over P anywhere within `locSearchM`:
 * χ² = J(asserted) − min_P J(P), each residual capped at `locOutlierSigma` σ for robustness.
 */
function locationTest(
  at: LatLng,
  links: Map<number, LinkStat>,
  positions: (LatLng | null)[],
  excluded: ReadonlySet<number>,
  p: CoverageParams,
): { links: number; chi2: number; offsetM: number; levelDdb: number } {
  const proj = projector(at);
  const xs: number[] = [];
  const ys: number[] = [];
  const base: number[] = [];
  const I = p.plInterceptDdb / 10;
  const S = p.plSlopeDdb / 10;
  const sigma = p.plSigmaDdb / 10;
  const ratio = (sigma * sigma) / ((p.plPriorDdb / 10) * (p.plPriorDdb / 10));
  const cap = p.locOutlierSigma * p.locOutlierSigma; // (kσ)² / σ²
  for (const [c, s] of [...links].sort((a, b) => a[0] - b[0])) {
    const pos = positions[c];
    if (!pos || excluded.has(c)) continue;
    const [x, y] = proj.toXY(pos);
    xs.push(x);
    ys.push(y);
    base.push(s.sum / s.n + I);
  }
  const k = xs.length;
  if (k === 0) return { links: 0, chi2: 0, offsetM: 0, levelDdb: 0 };
  const X = Float64Array.from(xs);
  const Y = Float64Array.from(ys);
  const B = Float64Array.from(base);
  const r = new Float64Array(k);
  const priorVar = (p.plPriorDdb / 10) ** 2;
  const halfS = S / 2;
  // J(P) with the offset g fitted: the prior-shrunk mean, then once more without the outliers.
  const fit = (px: number, py: number): [cost: number, g: number, mean: number] => {
    let sum = 0;
    for (let i = 0; i < k; i++) {
      const dx = X[i]! - px;
      const dy = Y[i]! - py;
      // log10(d / 1 km) = ½·log10(d²) − 3, with d at least 10 m.
      const v = B[i]! + halfS * Math.log10(Math.max(dx * dx + dy * dy, 100)) - 3 * S;
      r[i] = v;
      sum += v;
    }
    const mean = sum / (k + ratio);
    let g = mean;
    let inSum = 0;
    let inN = 0;
    for (let i = 0; i < k; i++) {
      const e = (r[i]! - g) / sigma;
      if (e * e < cap) {
        inSum += r[i]!;
        inN++;
      }
    }
    g = inSum / (inN + ratio);
    let j = (g * g) / priorVar;
    for (let i = 0; i < k; i++) {
      const e = (r[i]! - g) / sigma;
      j += Math.min(e * e, cap);
    }
    return [j, g, mean];
  };
  const cost = (px: number, py: number) => fit(px, py)[0];
  // The level is the prior-shrunk mean of every link (liars' links included: they are the evidence).
  const [atCost, , atLevel] = fit(0, 0);
  if (k < p.locMinLinks) return { links: k, chi2: 0, offsetM: 0, levelDdb: Math.round(atLevel * 10) };
  // Coarse grid over the search radius plus every counterpart and their centroid; refine the best three twice.
  const radius = p.locSearchM;
  const step = Math.max(250, radius / 10);
  const candidates: [number, number, number][] = [];
  const steps = Math.round(radius / step);
  for (let a = -steps; a <= steps; a++)
    for (let b = -steps; b <= steps; b++) candidates.push([a * step, b * step, cost(a * step, b * step)]);
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < k; i++) {
    candidates.push([X[i]!, Y[i]!, cost(X[i]!, Y[i]!)]);
    cx += X[i]! / k;
    cy += Y[i]! / k;
  }
  candidates.push([cx, cy, cost(cx, cy)]);
  candidates.sort((u, v) => u[2] - v[2] || u[0] - v[0] || u[1] - v[1]);
  let best: [number, number, number] = [0, 0, atCost];
  for (const [sx, sy, sc] of candidates.slice(0, 3)) {
    let cur: [number, number, number] = [sx, sy, sc];
    for (const s of [step / 5, step / 25]) {
      const [ox, oy] = cur;
      for (let a = -4; a <= 4; a++)
        for (let b = -4; b <= 4; b++) {
          if (a === 0 && b === 0) continue;
          const x = ox + a * s;
          const y = oy + b * s;
          const c = cost(x, y);
          if (c < cur[2]) cur = [x, y, c];
        }
    }
    if (cur[2] < best[2]) best = cur;
  }
  return {
    links: k,
    chi2: Math.round((atCost - best[2]) * 1000) / 1000,
    offsetM: Math.round(Math.hypot(best[0], best[1])),
    levelDdb: Math.round(atLevel * 10),
  };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/**
 * Corroboration: for each valid beacon of a hotspot, every listening hotspot
 * within `nearRadiusM` is expected to report it with the probability the
 * path-loss model gives for their asserted distance — link budget (EIRP +
 * receive gain − sensitivity) against the model loss, adjusted by both ends'
 * fitted levels, over the shadowing σ — and the hotspot is expected to report
 * theirs while it listens. A hotspot listens at t when it sent a witness
 * report within ±`activityWindowS` of t. Sensitivity = noise floor + the
 * demodulation SNR floor (`demodSnrNegDdb`).
 */
function corroborationIndex(
  f: CoverageFacts,
  j: JudgedFacts,
  positions: (LatLng | null)[],
  p: CoverageParams,
): {
  count(i: number, excluded: ReadonlySet<number>, levels: Float64Array): { expected: number; heard: number };
  nearAny(i: number, excluded: ReadonlySet<number>): boolean;
} {
  const n = f.hotspots.length;
  // Neighbours within the radius, by spatial hashing on degrees.
  const cellDeg = p.nearRadiusM / 111_000;
  const buckets = new Map<string, number[]>();
  const keyOf = (q: LatLng, dx = 0, dy = 0) =>
    `${Math.floor(q.lat / cellDeg) + dy}:${Math.floor((q.lng * Math.cos((q.lat * Math.PI) / 180)) / cellDeg) + dx}`;
  positions.forEach((q, i) => {
    if (!q) return;
    const k = keyOf(q);
    const list = buckets.get(k);
    if (list) list.push(i);
    else buckets.set(k, [i]);
  });
  const near: [number, number][][] = positions.map((q, i) => {
    if (!q) return [];
    const found: [number, number][] = [];
    for (let dx = -1; dx <= 1; dx++)
      for (let dy = -1; dy <= 1; dy++)
        for (const o of buckets.get(keyOf(q, dx, dy)) ?? []) {
          if (o === i) continue;
          const d = haversineM(q, positions[o]!);
          if (d <= p.nearRadiusM) found.push([o, d]);
        }
    return found.sort((a, b) => a[0] - b[0]);
  });
  // Declared radio of each hotspot: EIRP from its beacons, antenna gain from its reports (region limits otherwise).
  const eirp = new Float64Array(n).fill(p.maxEirpDdbm / 10);
  const gain = new Float64Array(n);
  f.beacons.forEach((b) => {
    eirp[b[1]] = b[6] / 10;
    gain[b[1]] = b[7] / 10;
  });
  // When each hotspot listened: sorted times of its witness reports.
  const listenTimes: number[][] = Array.from({ length: n }, () => []);
  const reporters = f.beacons.map(() => new Set<number>());
  f.witnesses.forEach((w, wi) => {
    listenTimes[w[2]]!.push(w[3]);
    gain[w[2]] = w[7] / 10;
    if (w[1] >= 0 && j.witnesses[wi] !== WitnessReason.self) reporters[w[1]]!.add(w[2]);
  });
  for (const t of listenTimes) t.sort((a, b) => a - b);
  const windowMs = p.activityWindowS * 1000;
  const listening = (h: number, t: number) => {
    const ts = listenTimes[h]!;
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ts[mid]! < t - windowMs) lo = mid + 1;
      else hi = mid;
    }
    return lo < ts.length && ts[lo]! <= t + windowMs;
  };
  const beaconsBy: number[][] = Array.from({ length: n }, () => []);
  f.beacons.forEach((b, bi) => {
    if (j.beacons[bi] === 'OK') beaconsBy[b[1]]!.push(bi);
  });
  const sensitivity = (p.noiseFloorDdbm - p.demodSnrNegDdb) / 10;
  const sigma = p.plSigmaDdb / 10;
  const detect = (tx: number, rx: number, d: number, levels: Float64Array) =>
    normalCdf(
      (eirp[tx]! +
        gain[rx]! -
        sensitivity -
        modelPathLossDdb(d, p.plInterceptDdb, p.plSlopeDdb) / 10 +
        levels[tx]! +
        levels[rx]!) /
        sigma,
    );
  return {
    count(i, excluded, levels) {
      let expected = 0;
      let heard = 0;
      for (const [o, d] of near[i]!) {
        if (excluded.has(o)) continue;
        // Its beacons, heard by the listening neighbour …
        const out = detect(i, o, d, levels);
        for (const bi of beaconsBy[i]!) {
          if (!listening(o, f.beacons[bi]![2])) continue;
          expected += out;
          if (reporters[bi]!.has(o)) heard++;
        }
        // … and the neighbour's beacons, heard by it while it listened.
        const back = detect(o, i, d, levels);
        for (const bi of beaconsBy[o]!) {
          if (!listening(i, f.beacons[bi]![2])) continue;
          expected += back;
          if (reporters[bi]!.has(i)) heard++;
        }
      }
      return { expected, heard };
    },
    nearAny(i, excluded) {
      return near[i]!.some(([o]) => excluded.has(o));
    },
  };
}
