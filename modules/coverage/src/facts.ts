/**
 * The coverage module's epoch inputs ("facts"): everything the verdicts and
 * scores are computed from, as published in the epoch bundle. The collector
 * builds them from the store, the simulation builds them from its city; the
 * same pure functions judge both.
 *
 * Rows are tuples to keep bundles small; `columns` names their fields.
 *
 * @module
 */
import { z } from 'zod';
import { CoverageError } from './errors.ts';

export const FACTS_VERSION = 1;

/** A hotspot (coverage device): id, asserted H3 cell ('' = none), operator, fees paid (1) or not (0). */
export interface HotspotFact {
  id: string;
  cell: string;
  operator: string;
  fees: 0 | 1;
}

/** [round, entropy (0x hex), issuedAt ms]. */
export type EntropyFact = [round: number, entropy: string, issuedAt: number];

/**
 * [id, hotspot index, receivedAt ms, round, nonce (0x hex), frequency kHz, EIRP 0.1 dBm, antenna gain 0.1 dBi,
 * dup: 0 first beacon for this round, 1 identical resend, 2 a different extra beacon for the same round].
 */
export type BeaconFact = [
  id: number,
  hotspot: number,
  receivedAt: number,
  round: number,
  nonce: string,
  frequencyKhz: number,
  eirpDdbm: number,
  gainDdbi: number,
  dup: 0 | 1 | 2,
];

/**
 * [id, beacon index (-1: packet matches no beacon), hotspot index, receivedAt ms, RSSI 0.1 dBm, SNR 0.1 dB,
 * frequency kHz, antenna gain 0.1 dBi, dup: 1 when the witness already reported this packet].
 */
export type WitnessFact = [
  id: number,
  beacon: number,
  hotspot: number,
  receivedAt: number,
  rssiDdbm: number,
  snrDdb: number,
  frequencyKhz: number,
  gainDdbi: number,
  dup: 0 | 1,
];

/**
 * A data session's money in the epoch: [session id, hotspot index, client address,
 * linked: 1 when the client is the hotspot's operator or its credits were bought by that operator,
 * credits debited on chain in the epoch (decimal), bytes those credits paid for (decimal)].
 */
export type SessionFact = [
  sessionId: string,
  hotspot: number,
  client: string,
  linked: 0 | 1,
  credits: string,
  bytes: string,
];

export interface CoverageFacts {
  v: typeof FACTS_VERSION;
  columns: {
    entropy: string[];
    beacons: string[];
    witnesses: string[];
    sessions: string[];
  };
  /** Reports received from here on are in the look-back; beacons of the epoch itself are chosen by the window. */
  lookbackStartMs: number;
  hotspots: HotspotFact[];
  entropy: EntropyFact[];
  beacons: BeaconFact[];
  witnesses: WitnessFact[];
  sessions: SessionFact[];
}

export const FACT_COLUMNS: CoverageFacts['columns'] = {
  entropy: ['round', 'entropy', 'issuedAt'],
  beacons: ['id', 'hotspot', 'receivedAt', 'round', 'nonce', 'frequencyKhz', 'eirpDdbm', 'gainDdbi', 'dup'],
  witnesses: [
    'id',
    'beacon',
    'hotspot',
    'receivedAt',
    'rssiDdbm',
    'snrDdb',
    'frequencyKhz',
    'gainDdbi',
    'dup',
  ],
  sessions: ['sessionId', 'hotspot', 'client', 'linked', 'credits', 'bytes'],
};

/** An empty fact set (no coverage activity). */
export function emptyFacts(lookbackStartMs = 0): CoverageFacts {
  return {
    v: FACTS_VERSION,
    columns: FACT_COLUMNS,
    lookbackStartMs,
    hotspots: [],
    entropy: [],
    beacons: [],
    witnesses: [],
    sessions: [],
  };
}

const int = z.number().int().safe();
const hexStr = z.string().regex(/^0x[0-9a-f]*$/);
const decimal = z.string().regex(/^\d{1,78}$/);

const factsSchema = z.object({
  v: z.literal(FACTS_VERSION),
  columns: z.object({
    entropy: z.array(z.string()),
    beacons: z.array(z.string()),
    witnesses: z.array(z.string()),
    sessions: z.array(z.string()),
  }),
  lookbackStartMs: int,
  hotspots: z.array(
    z.object({
      id: hexStr,
      cell: z.string().regex(/^[0-9a-f]*$/),
      operator: z.string().regex(/^0x[0-9a-f]{40}$/),
      fees: z.union([z.literal(0), z.literal(1)]),
    }),
  ),
  entropy: z.array(z.tuple([int, hexStr, int])),
  beacons: z.array(
    z.tuple([
      int,
      int.min(0),
      int,
      int,
      hexStr,
      int,
      int,
      int,
      z.union([z.literal(0), z.literal(1), z.literal(2)]),
    ]),
  ),
  witnesses: z.array(
    z.tuple([int, int.min(-1), int.min(0), int, int, int, int, int, z.union([z.literal(0), z.literal(1)])]),
  ),
  sessions: z.array(
    z.tuple([z.string(), int.min(0), z.string(), z.union([z.literal(0), z.literal(1)]), decimal, decimal]),
  ),
});

/**
 * Checks untrusted inputs (e.g. from a bundle) and returns them typed.
 * Throws `CoverageError('FACTS_INVALID')` with the first problem; indices must
 * point inside their tables.
 */
export function parseFacts(input: unknown): CoverageFacts {
  if (input && typeof input === 'object' && Object.keys(input).length === 0) return emptyFacts();
  const r = factsSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new CoverageError('FACTS_INVALID', `coverage inputs: ${i.path.join('.')}: ${i.message}`);
  }
  const f = r.data as CoverageFacts;
  const nh = f.hotspots.length;
  for (const b of f.beacons)
    if (b[1] >= nh) throw new CoverageError('FACTS_INVALID', `beacon ${b[0]} names hotspot ${b[1]} of ${nh}`);
  for (const w of f.witnesses) {
    if (w[2] >= nh)
      throw new CoverageError('FACTS_INVALID', `witness ${w[0]} names hotspot ${w[2]} of ${nh}`);
    if (w[1] >= f.beacons.length)
      throw new CoverageError('FACTS_INVALID', `witness ${w[0]} names beacon ${w[1]} of ${f.beacons.length}`);
  }
  for (const s of f.sessions)
    if (s[1] >= nh)
      throw new CoverageError('FACTS_INVALID', `session ${s[0]} names hotspot ${s[1]} of ${nh}`);
  return f;
}
