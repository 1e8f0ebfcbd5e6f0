import { InputError, type ParameterSpec, type Params } from '@groundwork/node';

/** Parameter keys this module reads from ParameterRegistry (all ≤ 31 ASCII characters). */
export const LOGISTICS_PARAMS = {
  weight: 'reward.weight.logistics',
  slotSeconds: 'logistics.slotSeconds',
  onTimeSeconds: 'logistics.onTimeSeconds',
  tempTolMc: 'logistics.tempTolMc',
  positionTolM: 'logistics.positionTolM',
  maxBackfillSeconds: 'logistics.maxBackfillSeconds',
  anchorMinSeconds: 'logistics.anchorMinSeconds',
  anchorLoadRecords: 'logistics.anchorLoadRecords',
  anchorMaxRecords: 'logistics.anchorMaxRecords',
  sessionSeconds: 'logistics.sessionSeconds',
} as const;

/** The governed numbers of the logistics module with their genesis values. */
export const LOGISTICS_PARAMETERS: ParameterSpec[] = [
  {
    key: LOGISTICS_PARAMS.weight,
    genesis: 10_000n,
    description: 'Share of each epoch pool for logistics trackers (relative weight).',
  },
  {
    key: LOGISTICS_PARAMS.slotSeconds,
    // A quarter of an hour (a common logger interval), or a tenth of a short test epoch.
    genesis: ({ epochSeconds }) =>
      epochSeconds >= 3_600n ? 900n : epochSeconds >= 10n ? epochSeconds / 10n : 1n,
    description: 'Reward slot: a tracker earns at most once per slot of measurement time, seconds.',
  },
  {
    key: LOGISTICS_PARAMS.onTimeSeconds,
    genesis: 900n,
    description:
      'A reading is delivered on time when it reaches the node within this many seconds of its measurement.',
  },
  {
    key: LOGISTICS_PARAMS.tempTolMc,
    genesis: 2_000n,
    description:
      'Neighbour consistency: largest difference, milli-°C, between a tracker and the median of its shipment in a slot.',
  },
  {
    key: LOGISTICS_PARAMS.positionTolM,
    genesis: 10_000n,
    description:
      'Neighbour consistency: largest distance, metres, between a tracker and the median position of its shipment in a slot.',
  },
  {
    key: LOGISTICS_PARAMS.maxBackfillSeconds,
    genesis: 7n * 86_400n,
    description:
      'Oldest measurement accepted (and earliest shipment start), seconds before receipt: trackers back-fill buffered readings.',
  },
  {
    key: LOGISTICS_PARAMS.anchorMinSeconds,
    genesis: 300n,
    description:
      'Under load, anchor at most this often, seconds (besides the anchor at every epoch boundary).',
  },
  {
    key: LOGISTICS_PARAMS.anchorLoadRecords,
    genesis: 10_000n,
    description:
      'Unanchored records that count as load: anchor before the epoch ends once this many are waiting.',
  },
  {
    key: LOGISTICS_PARAMS.anchorMaxRecords,
    genesis: 250_000n,
    description:
      'Most records in one anchored Merkle tree (a round anchors several trees if more are waiting).',
  },
  {
    key: LOGISTICS_PARAMS.sessionSeconds,
    genesis: 43_200n,
    description: 'Lifetime of an API session token issued after Sign-In with Ethereum, seconds.',
  },
];

/**
 * The module's parameters that ParameterRegistry does not hold. Genesis
 * values are written when a network is created; a network the module joins
 * later has none until governance sets them, and the module then stands
 * still (verdict / reward reason `PARAMETERS_UNSET`) rather than crash the
 * node's shared verifier or epoch closer.
 */
export function missingParams(
  params: Params,
  keys: readonly string[] = Object.values(LOGISTICS_PARAMS),
): string[] {
  return keys.filter((k) => !params.has(k));
}

/** A parameter as a number, or a 503 `PARAMETERS_UNSET` for an API request that needs it. */
export function apiParam(params: Params, key: string): number {
  const v = params.get(key);
  if (v === undefined)
    throw new InputError('PARAMETERS_UNSET', `governance has not set ${key} in ParameterRegistry yet`, 503);
  return Number(v);
}

/** Reason code when a parameter the module needs is not set. */
export const PARAMETERS_UNSET = 'PARAMETERS_UNSET';
