import type { ParameterSpec, Params } from '@groundwork/node/modules/types.ts';
import { CoverageError } from './errors.ts';

/**
 * Keys of every governed number the coverage module reads (ParameterRegistry,
 * ≤ 31 ASCII chars). Units are in the key: `Ddb`/`Ddbm`/`Ddbi` are tenths of
 * dB/dBm/dBi, `Khz` kHz, `M` metres, `S` seconds, `Ms` milliseconds, `Bps`
 * basis points (1/10,000). Negative physical values are stored negated (`Neg`).
 */
export const COVERAGE_PARAMS = {
  weight: 'reward.weight.coverage',
  // Challenges and entropy
  entropySeconds: 'coverage.entropySeconds',
  entropyLifeS: 'coverage.entropyLifeS',
  beaconIntervalS: 'coverage.beaconIntervalS',
  // Witness checks
  witnessWindowMs: 'coverage.witnessWindowMs',
  witnessSpreadMs: 'coverage.witnessSpreadMs',
  minDistanceCells: 'coverage.minDistanceCells',
  distanceRes: 'coverage.distanceRes',
  maxDistanceM: 'coverage.maxDistanceM',
  freqMinKhz: 'coverage.freqMinKhz',
  freqMaxKhz: 'coverage.freqMaxKhz',
  channelStepKhz: 'coverage.channelStepKhz',
  freqTolKhz: 'coverage.freqTolKhz',
  regionCell: 'coverage.regionCell',
  maxEirpDdbm: 'coverage.maxEirpDdbm',
  maxGainDdbi: 'coverage.maxGainDdbi',
  fsplMarginDdb: 'coverage.fsplMarginDdb',
  noiseFloorNegDdbm: 'coverage.noiseFloorNegDdbm',
  snrTolDdb: 'coverage.snrTolDdb',
  demodSnrNegDdb: 'coverage.demodSnrNegDdb',
  reciprocity: 'coverage.reciprocity',
  // Rewards per beacon
  maxWitnesses: 'coverage.maxWitnesses',
  minWitnesses: 'coverage.minWitnesses',
  beaconUnits: 'coverage.beaconUnits',
  witnessUnits: 'coverage.witnessUnits',
  // Hotspot-level tests over the look-back window
  lookbackS: 'coverage.lookbackS',
  activityWindowS: 'coverage.activityWindowS',
  physicsFlagMin: 'coverage.physicsFlagMin',
  physicsFlagBps: 'coverage.physicsFlagBps',
  plInterceptDdb: 'coverage.plInterceptDdb',
  plSlopeDdb: 'coverage.plSlopeDdb',
  plSigmaDdb: 'coverage.plSigmaDdb',
  plPriorDdb: 'coverage.plPriorDdb',
  locMinLinks: 'coverage.locMinLinks',
  locMaxChi2: 'coverage.locMaxChi2',
  locMaxLevelDdb: 'coverage.locMaxLevelDdb',
  locOutlierSigma: 'coverage.locOutlierSigma',
  locSearchM: 'coverage.locSearchM',
  asymMaxDdb: 'coverage.asymMaxDdb',
  asymMinLinks: 'coverage.asymMinLinks',
  nearRadiusM: 'coverage.nearRadiusM',
  corrMinExpected: 'coverage.corrMinExpected',
  corrMinBps: 'coverage.corrMinBps',
  ringMaxSize: 'coverage.ringMaxSize',
  replayFlagMin: 'coverage.replayFlagMin',
  // Data transfer and credits
  dataShareBps: 'coverage.dataShareBps',
  dataFullCredits: 'coverage.dataFullCredits',
  bytesPerCredit: 'coverage.bytesPerCredit',
  maxBytesPerS: 'coverage.maxBytesPerS',
  feesRequired: 'coverage.feesRequired',
  onboardFee: 'coverage.onboardFee',
  assertFee: 'coverage.assertFee',
} as const;

/** Denylisted devices: `coverage.deny.<n>` = device id as uint256 (0 = slot cleared). */
export const DENY_PREFIX = 'coverage.deny.';

/** HIP-17 hex density parameters per H3 resolution r: `coverage.hex<r>.target|max|nbrs`. */
export const hexParamKey = (res: number, what: 'target' | 'max' | 'nbrs') => `coverage.hex${res}.${what}`;

/** Genesis hex density table: resolution → [target, max, neighbours] (HIP-17 style, see docs/COVERAGE.md). */
export const GENESIS_HEX_DENSITY: Readonly<Record<number, readonly [number, number, number]>> = {
  4: [500, 1000, 2],
  5: [100, 200, 4],
  6: [25, 100, 4],
  7: [5, 20, 4],
  8: [2, 4, 2],
  9: [1, 2, 2],
  10: [1, 1, 2],
};

type Network = { epochSeconds: bigint };
const entropyRule = ({ epochSeconds }: Network) =>
  epochSeconds >= 600n ? 60n : epochSeconds >= 10n ? epochSeconds / 10n : 1n;
const beaconRule = (n: Network) => {
  if (n.epochSeconds >= 86_400n) return 21_600n;
  const quarter = n.epochSeconds / 4n;
  const e = entropyRule(n);
  return quarter > e ? quarter : e;
};
const clamp = (v: bigint, lo: bigint, hi: bigint) => (v < lo ? lo : v > hi ? hi : v);

const P = COVERAGE_PARAMS;

/** Every parameter the module declares, with its genesis value and meaning (also the table in docs/COVERAGE.md). */
export const COVERAGE_PARAMETER_SPECS: ParameterSpec[] = [
  {
    key: P.weight,
    genesis: 10_000n,
    description: 'Share of each epoch pool for coverage (relative weight).',
  },
  {
    key: P.entropySeconds,
    genesis: entropyRule,
    description: 'A new challenge entropy round every this many seconds.',
  },
  {
    key: P.entropyLifeS,
    genesis: (n) => 3n * entropyRule(n),
    description: 'A beacon must reach the node within this many seconds of its entropy being issued.',
  },
  {
    key: P.beaconIntervalS,
    genesis: beaconRule,
    description:
      'Mean seconds between challenges of one hotspot (challenge odds per round = entropy/interval).',
  },
  {
    key: P.witnessWindowMs,
    genesis: 4_000n,
    description: 'A witness report must arrive within this many ms of the beacon (either order).',
  },
  {
    key: P.witnessSpreadMs,
    genesis: 1_500n,
    description: 'A witness report must arrive within this many ms after the first witness of the beacon.',
  },
  {
    key: P.minDistanceCells,
    genesis: 8n,
    description: 'Witness and beaconer must be at least this many H3 cells apart (at distanceRes).',
  },
  { key: P.distanceRes, genesis: 11n, description: 'H3 resolution of the minimum-distance check.' },
  { key: P.maxDistanceM, genesis: 100_000n, description: 'Witness farther than this (metres) is rejected.' },
  { key: P.freqMinKhz, genesis: 863_000n, description: 'Lowest beacon frequency of the region plan, kHz.' },
  { key: P.freqMaxKhz, genesis: 870_000n, description: 'Highest beacon frequency of the region plan, kHz.' },
  { key: P.channelStepKhz, genesis: 100n, description: 'Beacon frequencies lie on this raster, kHz.' },
  {
    key: P.freqTolKhz,
    genesis: 10n,
    description: 'A witness must report the beacon frequency within this tolerance, kHz.',
  },
  {
    key: P.regionCell,
    genesis: 0n,
    description: 'H3 cell (uint64) containing the region; 0 = no region restriction.',
  },
  {
    key: P.maxEirpDdbm,
    genesis: 160n,
    description: 'Largest beacon EIRP the region allows, 0.1 dBm (EU868: 16 dBm).',
  },
  { key: P.maxGainDdbi, genesis: 120n, description: 'Largest antenna gain a hotspot may declare, 0.1 dBi.' },
  {
    key: P.fsplMarginDdb,
    genesis: 60n,
    description: 'Measurement margin above the free-space bound, 0.1 dB.',
  },
  {
    key: P.noiseFloorNegDdbm,
    genesis: 1_170n,
    description: 'Receiver noise floor, negated, 0.1 dBm (1170 = −117 dBm: 125 kHz, NF 6 dB).',
  },
  {
    key: P.snrTolDdb,
    genesis: 30n,
    description: 'An SNR above RSSI − noise floor + this, 0.1 dB, is inconsistent.',
  },
  {
    key: P.demodSnrNegDdb,
    genesis: 125n,
    description: 'Lowest SNR a beacon is demodulated at, negated, 0.1 dB (125 = −12.5 dB: LoRa SF9).',
  },
  {
    key: P.reciprocity,
    genesis: 1n,
    description:
      '1: a witness counts only if the beaconer also heard the witness within the look-back; 0: off.',
  },
  { key: P.maxWitnesses, genesis: 14n, description: 'At most this many witnesses are rewarded per beacon.' },
  {
    key: P.minWitnesses,
    genesis: 1n,
    description: 'A beacon earns its beaconer only with at least this many rewarded witnesses.',
  },
  { key: P.beaconUnits, genesis: 400n, description: 'Coverage units a beaconer earns per witnessed beacon.' },
  { key: P.witnessUnits, genesis: 100n, description: 'Coverage units each rewarded witness earns.' },
  {
    key: P.lookbackS,
    genesis: ({ epochSeconds }) => (epochSeconds >= 86_400n ? 172_800n : 2n * epochSeconds),
    description: 'Hotspot-level tests use the reports of this many seconds before the epoch end.',
  },
  {
    key: P.activityWindowS,
    genesis: (n) => clamp(beaconRule(n) / 12n, entropyRule(n), 1_800n),
    description: 'A hotspot counts as listening at time t if it reported a witness within ± this.',
  },
  {
    key: P.physicsFlagMin,
    genesis: 3n,
    description: 'Flag a hotspot with at least this many physics violations attributed to it …',
  },
  {
    key: P.physicsFlagBps,
    genesis: 3_000n,
    description: '… that are at least this share of its links (bps).',
  },
  {
    key: P.plInterceptDdb,
    genesis: 1_240n,
    description: 'Path-loss model: typical loss at 1 km incl. building and site losses, 0.1 dB.',
  },
  { key: P.plSlopeDdb, genesis: 376n, description: 'Path-loss model: loss per decade of distance, 0.1 dB.' },
  { key: P.plSigmaDdb, genesis: 80n, description: 'Path-loss model: shadowing standard deviation, 0.1 dB.' },
  {
    key: P.plPriorDdb,
    genesis: 50n,
    description: "Path-loss model: spread allowed for a hotspot's own level (site, cable), 0.1 dB.",
  },
  {
    key: P.locMinLinks,
    genesis: 5n,
    description: 'Location test needs at least this many distinct counterparts.',
  },
  {
    key: P.locMaxChi2,
    genesis: 45n,
    description: 'Flag when the asserted location fits this much worse than the best (likelihood ratio).',
  },
  {
    key: P.locMaxLevelDdb,
    genesis: 100n,
    description:
      'Flag when its links are on average this much stronger than the model allows at the asserted distances, 0.1 dB.',
  },
  {
    key: P.locOutlierSigma,
    genesis: 3n,
    description: 'Location test: a link counts at most this many σ against a location (robustness to liars).',
  },
  { key: P.locSearchM, genesis: 30_000n, description: 'Location test searches this radius, metres.' },
  {
    key: P.asymMaxDdb,
    genesis: 80n,
    description: 'Flag a hotspot whose reports are this much stronger than the reverse links, 0.1 dB.',
  },
  {
    key: P.asymMinLinks,
    genesis: 3n,
    description: 'Asymmetry test needs at least this many two-way links.',
  },
  {
    key: P.nearRadiusM,
    genesis: 1_500n,
    description:
      'Corroboration looks at listening hotspots within this distance of the asserted location, metres.',
  },
  {
    key: P.corrMinExpected,
    genesis: 6n,
    description:
      'Corroboration test needs at least this many expected hearings (sum of model probabilities).',
  },
  {
    key: P.corrMinBps,
    genesis: 1_500n,
    description: 'Flag a hotspot heard/hearing less than this share of the hearings the model expects (bps).',
  },
  {
    key: P.ringMaxSize,
    genesis: 8n,
    description: 'A closed group of 2..this hotspots that only witness each other is flagged; 0 = off.',
  },
  {
    key: P.replayFlagMin,
    genesis: 2n,
    description: 'Flag a hotspot with at least this many replayed/unchallenged beacons.',
  },
  {
    key: P.dataShareBps,
    genesis: 6_000n,
    description: 'Share of the module pool paid for data transfer when fully used (bps).',
  },
  {
    key: P.dataFullCredits,
    genesis: ({ epochSeconds }) => (10_000_000n * epochSeconds) / 3_600n || 1n,
    description: 'Credits paid per epoch at which the data share is full (below: pro rata).',
  },
  { key: P.bytesPerCredit, genesis: 24n, description: 'Bytes of data transfer one credit pays for.' },
  {
    key: P.maxBytesPerS,
    genesis: 12_500_000n,
    description: 'A session reporting more bytes per second than this is implausible.',
  },
  {
    key: P.feesRequired,
    genesis: 1n,
    description: '1: a hotspot earns only after paying its onboarding and location fees in credits.',
  },
  { key: P.onboardFee, genesis: 4_000_000n, description: 'Onboarding fee, credits ($40).' },
  { key: P.assertFee, genesis: 1_000_000n, description: 'Location assertion fee, credits ($10).' },
  ...Object.entries(GENESIS_HEX_DENSITY).flatMap(([res, [target, max, nbrs]]) => [
    {
      key: hexParamKey(Number(res), 'target'),
      genesis: BigInt(target),
      description: `Hex density: target hotspots per resolution-${res} hex.`,
    },
    {
      key: hexParamKey(Number(res), 'max'),
      genesis: BigInt(max),
      description: `Hex density: maximum hotspots per resolution-${res} hex.`,
    },
    {
      key: hexParamKey(Number(res), 'nbrs'),
      genesis: BigInt(nbrs),
      description: `Hex density: occupied neighbours at resolution ${res} before the limit rises.`,
    },
  ]),
];

/** One resolution's HIP-17 numbers. */
export interface HexDensityLevel {
  res: number;
  target: number;
  max: number;
  nbrs: number;
}

/** The governed numbers as the pure functions use them (plain numbers; every value is small). */
export interface CoverageParams {
  entropySeconds: number;
  entropyLifeS: number;
  beaconIntervalS: number;
  witnessWindowMs: number;
  witnessSpreadMs: number;
  minDistanceCells: number;
  distanceRes: number;
  maxDistanceM: number;
  freqMinKhz: number;
  freqMaxKhz: number;
  channelStepKhz: number;
  freqTolKhz: number;
  /** H3 index (hex string) of the region, or '' for none. */
  regionCell: string;
  maxEirpDdbm: number;
  maxGainDdbi: number;
  fsplMarginDdb: number;
  noiseFloorDdbm: number;
  snrTolDdb: number;
  demodSnrNegDdb: number;
  reciprocity: boolean;
  maxWitnesses: number;
  minWitnesses: number;
  beaconUnits: bigint;
  witnessUnits: bigint;
  lookbackS: number;
  activityWindowS: number;
  physicsFlagMin: number;
  physicsFlagBps: number;
  plInterceptDdb: number;
  plSlopeDdb: number;
  plSigmaDdb: number;
  plPriorDdb: number;
  locMinLinks: number;
  locMaxChi2: number;
  locMaxLevelDdb: number;
  locOutlierSigma: number;
  locSearchM: number;
  asymMaxDdb: number;
  asymMinLinks: number;
  nearRadiusM: number;
  corrMinExpected: number;
  corrMinBps: number;
  ringMaxSize: number;
  replayFlagMin: number;
  dataShareBps: bigint;
  dataFullCredits: bigint;
  bytesPerCredit: bigint;
  maxBytesPerS: number;
  feesRequired: boolean;
  onboardFee: bigint;
  assertFee: bigint;
  /** Hex density levels, ascending resolution. */
  hexDensity: HexDensityLevel[];
  /** Denylisted device ids, lowercase 0x-hex of 32 bytes. */
  denylist: ReadonlySet<string>;
}

function need(params: Params, key: string): bigint {
  const v = params.get(key);
  if (v === undefined)
    throw new CoverageError('PARAM_MISSING', `parameter ${key} is not set in ParameterRegistry`);
  return v;
}

function small(params: Params, key: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = need(params, key);
  if (v > BigInt(max))
    throw new CoverageError('PARAM_OUT_OF_RANGE', `parameter ${key} = ${v} exceeds ${max}`);
  return Number(v);
}

/**
 * Reads and checks every coverage parameter from the governed set.
 * Throws `CoverageError('PARAM_MISSING' | 'PARAM_OUT_OF_RANGE')` naming the key.
 */
export function readCoverageParams(params: Params): CoverageParams {
  const hexDensity: HexDensityLevel[] = [];
  for (let res = 0; res <= 15; res++) {
    if (!params.has(hexParamKey(res, 'target'))) continue;
    const level = {
      res,
      target: small(params, hexParamKey(res, 'target')),
      max: small(params, hexParamKey(res, 'max')),
      nbrs: small(params, hexParamKey(res, 'nbrs'), 1000),
    };
    if (level.target < 1 || level.max < level.target)
      throw new CoverageError(
        'PARAM_OUT_OF_RANGE',
        `hex density at resolution ${res} needs 1 <= target <= max (got ${level.target}, ${level.max})`,
      );
    hexDensity.push(level);
  }
  const denylist = new Set<string>();
  for (const [k, v] of params) {
    if (k.startsWith(DENY_PREFIX) && v !== 0n) denylist.add(`0x${v.toString(16).padStart(64, '0')}`);
  }
  const region = need(params, P.regionCell);
  const out: CoverageParams = {
    entropySeconds: small(params, P.entropySeconds),
    entropyLifeS: small(params, P.entropyLifeS),
    beaconIntervalS: small(params, P.beaconIntervalS),
    witnessWindowMs: small(params, P.witnessWindowMs),
    witnessSpreadMs: small(params, P.witnessSpreadMs),
    minDistanceCells: small(params, P.minDistanceCells, 10_000),
    distanceRes: small(params, P.distanceRes, 15),
    maxDistanceM: small(params, P.maxDistanceM),
    freqMinKhz: small(params, P.freqMinKhz),
    freqMaxKhz: small(params, P.freqMaxKhz),
    channelStepKhz: small(params, P.channelStepKhz),
    freqTolKhz: small(params, P.freqTolKhz),
    regionCell: region === 0n ? '' : region.toString(16),
    maxEirpDdbm: small(params, P.maxEirpDdbm, 10_000),
    maxGainDdbi: small(params, P.maxGainDdbi, 10_000),
    fsplMarginDdb: small(params, P.fsplMarginDdb, 10_000),
    noiseFloorDdbm: -small(params, P.noiseFloorNegDdbm, 10_000),
    snrTolDdb: small(params, P.snrTolDdb, 10_000),
    demodSnrNegDdb: small(params, P.demodSnrNegDdb, 10_000),
    reciprocity: need(params, P.reciprocity) !== 0n,
    maxWitnesses: small(params, P.maxWitnesses, 10_000),
    minWitnesses: small(params, P.minWitnesses, 10_000),
    beaconUnits: need(params, P.beaconUnits),
    witnessUnits: need(params, P.witnessUnits),
    lookbackS: small(params, P.lookbackS),
    activityWindowS: small(params, P.activityWindowS),
    physicsFlagMin: small(params, P.physicsFlagMin),
    physicsFlagBps: small(params, P.physicsFlagBps, 10_000),
    plInterceptDdb: small(params, P.plInterceptDdb, 100_000),
    plSlopeDdb: small(params, P.plSlopeDdb, 100_000),
    plSigmaDdb: Math.max(1, small(params, P.plSigmaDdb, 100_000)),
    plPriorDdb: Math.max(1, small(params, P.plPriorDdb, 100_000)),
    locMinLinks: small(params, P.locMinLinks),
    locMaxChi2: small(params, P.locMaxChi2),
    locMaxLevelDdb: small(params, P.locMaxLevelDdb, 100_000),
    locOutlierSigma: Math.max(1, small(params, P.locOutlierSigma, 100)),
    locSearchM: small(params, P.locSearchM, 1_000_000),
    asymMaxDdb: small(params, P.asymMaxDdb, 100_000),
    asymMinLinks: small(params, P.asymMinLinks),
    nearRadiusM: small(params, P.nearRadiusM, 1_000_000),
    corrMinExpected: small(params, P.corrMinExpected),
    corrMinBps: small(params, P.corrMinBps, 10_000),
    ringMaxSize: small(params, P.ringMaxSize, 1_000_000),
    replayFlagMin: small(params, P.replayFlagMin),
    dataShareBps: need(params, P.dataShareBps),
    dataFullCredits: need(params, P.dataFullCredits),
    bytesPerCredit: need(params, P.bytesPerCredit),
    maxBytesPerS: small(params, P.maxBytesPerS),
    feesRequired: need(params, P.feesRequired) !== 0n,
    onboardFee: need(params, P.onboardFee),
    assertFee: need(params, P.assertFee),
    hexDensity,
    denylist,
  };
  if (out.dataShareBps > 10_000n)
    throw new CoverageError('PARAM_OUT_OF_RANGE', `${P.dataShareBps} must be at most 10000`);
  if (out.dataFullCredits === 0n || out.bytesPerCredit === 0n)
    throw new CoverageError('PARAM_OUT_OF_RANGE', `${P.dataFullCredits} and ${P.bytesPerCredit} must be > 0`);
  if (out.entropySeconds === 0 || out.beaconIntervalS === 0)
    throw new CoverageError('PARAM_OUT_OF_RANGE', `${P.entropySeconds} and ${P.beaconIntervalS} must be > 0`);
  return out;
}

/** The genesis parameter set for a network with the given epoch length (what `ensureNetwork` writes). */
export function genesisCoverageParams(epochSeconds: bigint): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const s of COVERAGE_PARAMETER_SPECS)
    m.set(s.key, typeof s.genesis === 'function' ? s.genesis({ epochSeconds }) : s.genesis);
  return m;
}
