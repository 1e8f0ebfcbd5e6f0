import { canonicalize } from '@groundwork/protocol';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { Address, Hex } from 'viem';
import type { EpochWindow, GroundworkModule, Params } from '../modules/types.ts';
import {
  type ComputeRewardsOutput,
  computeRewards,
  type serializeRewardOutput,
} from '../rewards/computeRewards.ts';
import { buildRewardTree } from '../rewards/merkle.ts';

export const BUNDLE_FORMAT = 'groundwork-epoch-bundle/1';

/** Everything needed to re-run an epoch: the published record of how rewards were computed. */
export interface EpochBundle {
  format: typeof BUNDLE_FORMAT;
  chainId: number;
  contracts: { distributor: Address; parameters: Address; schedule: Address; registry: Address };
  epoch: number;
  window: { startMs: number; endMs: number };
  /** Block at which `params` were read (ParameterRegistry state). */
  paramsBlock: number;
  params: Record<string, string>;
  /** The epoch's emission, EmissionSchedule.poolOf(epoch). */
  pool: string;
  /** keccak256 over the epoch's accepted envelopes, see docs/REWARDS.md. */
  inputsDigest: Hex;
  envelopeCount: number;
  modules: {
    id: string;
    weight: string;
    /** Every active device of the module at close with the account it pays. */
    devices: { deviceId: string; beneficiary: string }[];
    /** The module's per-device scoring inputs, as collected from the store. */
    inputs: Record<string, unknown>;
  }[];
  previousCumulative: { account: string; cumulativeAmount: string }[];
  result: ReturnType<typeof serializeRewardOutput>;
  root: Hex;
  /** Cumulative total of the tree (sum of all leaves). */
  total: string;
}

export type BundleInputs = Omit<EpochBundle, 'result' | 'root' | 'total'>;

/** The parameters of a bundle as the map modules read. */
export function bundleParams(b: Pick<EpochBundle, 'params'>): Params {
  return new Map(Object.entries(b.params).map(([k, v]) => [k, BigInt(v)]));
}

/**
 * Computes an epoch from its inputs — the one function both the epoch closer
 * and `verify-epoch` call, so that re-running a bundle is the same code path
 * as producing it. Pure: no I/O, no clock.
 */
export function computeEpoch(
  inputs: BundleInputs,
  modules: readonly GroundworkModule[],
): {
  output: ComputeRewardsOutput;
  root: Hex;
  total: bigint;
} {
  const params = bundleParams(inputs);
  const window: EpochWindow = { epoch: inputs.epoch, ...inputs.window };
  const byId = new Map(modules.map((m) => [m.id, m]));
  const moduleScores = inputs.modules.map((m) => {
    const module = byId.get(m.id);
    if (!module) throw new Error(`bundle names module ${m.id}, which this installation does not have`);
    const beneficiary = new Map(m.devices.map((d) => [d.deviceId, d.beneficiary]));
    const scores = module.score({
      window,
      inputs: m.inputs,
      devices: m.devices.map((d) => d.deviceId),
      params,
    });
    return {
      module: m.id,
      weight: BigInt(m.weight),
      devices: scores.map((s) => ({
        deviceId: s.deviceId as `0x${string}`,
        beneficiary: beneficiary.get(s.deviceId) as `0x${string}`,
        score: s.score,
        reason: s.reason,
        ...(s.detail ? { detail: s.detail } : {}),
      })),
    };
  });
  const previousCumulative: Record<string, bigint> = {};
  for (const p of inputs.previousCumulative)
    previousCumulative[p.account.toLowerCase()] = BigInt(p.cumulativeAmount);
  const output = computeRewards({
    epoch: inputs.epoch,
    pool: BigInt(inputs.pool),
    modules: moduleScores,
    previousCumulative,
  });
  const tree = buildRewardTree(output.cumulative);
  return { output, root: tree.root, total: output.cumulativeTotal };
}

/** keccak256 of the bundle's canonical JSON (RFC 8785): what oracles sign as `bundleHash`. */
export function hashBundle(bundle: EpochBundle): Hex {
  return `0x${Buffer.from(keccak_256(Buffer.from(canonicalize(bundle), 'utf8'))).toString('hex')}`;
}
