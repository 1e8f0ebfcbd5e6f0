import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Address, Hex } from 'viem';
import type { EpochWindow, GroundworkModule, Params } from '../modules/types.ts';
import type { ComputeRewardsOutput } from '../rewards/computeRewards.ts';
import { serializeRewardOutput } from '../rewards/computeRewards.ts';
import type { Db } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { BUNDLE_FORMAT, type BundleInputs, computeEpoch, type EpochBundle, hashBundle } from './bundle.ts';

/**
 * Streams the epoch's accepted contributions (device, seq, sig), ordered by
 * device then seq, into SHA-256 — the bundle's `inputsDigest`, binding the
 * published inputs to the signed envelopes they came from (docs/REWARDS.md).
 * SHA-256 (native in node:crypto) rather than keccak: it never goes on chain,
 * and at a million devices hashing speed matters.
 */
export async function digestInputs(
  db: Db,
  startMs: number,
  endMs: number,
): Promise<{ digest: Hex; count: number }> {
  const h = createHash('sha256');
  let count = 0;
  const rows = await db
    .selectFrom('contributions as c')
    .innerJoin('envelopes as e', 'e.id', 'c.envelope_id')
    .select(['c.device_id', 'e.seq', 'e.sig'])
    .where('c.at', '>=', startMs)
    .where('c.at', '<', endMs)
    .orderBy('c.device_id')
    .orderBy('e.seq')
    .execute();
  for (const r of rows) {
    h.update(`${r.device_id}:${r.seq}:${r.sig}\n`, 'utf8');
    count++;
  }
  return { digest: `0x${h.digest('hex')}`, count };
}

/**
 * Gathers everything an epoch's rewards depend on, from the store: every
 * module's active devices with their beneficiaries and its SQL-aggregated
 * inputs, the previous cumulative amounts and the inputs digest.
 */
export async function collectEpochInputs(o: {
  db: Db;
  modules: readonly GroundworkModule[];
  window: EpochWindow;
  params: Params;
  paramsBlock: number;
  pool: bigint;
  chainId: number;
  contracts: { distributor: Address; parameters: Address; schedule: Address; registry: Address };
}): Promise<BundleInputs> {
  const { db, window, params } = o;
  const bundleModules: BundleInputs['modules'] = [];
  for (const m of o.modules) {
    const devices = await db
      .selectFrom('devices')
      .select(['device_id', 'operator'])
      .where('module', '=', m.id)
      .where('active', '=', 1)
      .orderBy('device_id')
      .execute();
    const inputs = await m.collectInputs({ db, window, params });
    bundleModules.push({
      id: m.id,
      weight: (params.get(`reward.weight.${m.id}`) ?? 0n).toString(),
      devices: devices.map((d) => ({ deviceId: d.device_id, beneficiary: d.operator })),
      inputs,
    });
  }
  const prev = await db
    .selectFrom('cumulative')
    .select(['account', 'amount'])
    .where('epoch', '=', window.epoch - 1)
    .orderBy('account')
    .execute();
  const { digest, count } = await digestInputs(db, window.startMs, window.endMs);
  return {
    format: BUNDLE_FORMAT,
    chainId: o.chainId,
    contracts: {
      distributor: o.contracts.distributor,
      parameters: o.contracts.parameters,
      schedule: o.contracts.schedule,
      registry: o.contracts.registry,
    },
    epoch: window.epoch,
    window: { startMs: window.startMs, endMs: window.endMs },
    paramsBlock: o.paramsBlock,
    params: Object.fromEntries(
      [...params].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString()]),
    ),
    pool: o.pool.toString(),
    inputsDigest: digest,
    envelopeCount: count,
    modules: bundleModules,
    previousCumulative: prev.map((p) => ({ account: p.account, cumulativeAmount: p.amount })),
  };
}

/** Runs the pure epoch computation and assembles the bundle with its hash. */
export function finishEpoch(
  inputs: BundleInputs,
  modules: readonly GroundworkModule[],
): { bundle: EpochBundle; output: ComputeRewardsOutput; root: Hex; total: bigint; bundleHash: Hex } {
  const { output, root, total } = computeEpoch(inputs, modules);
  const bundle: EpochBundle = {
    ...inputs,
    result: serializeRewardOutput(output),
    root,
    total: total.toString(),
  };
  return { bundle, output, root, total, bundleHash: hashBundle(bundle) };
}

/** Writes an epoch's reward lines and cumulative amounts, in chunks, inside the caller's transaction. */
export async function persistRewards(
  trx: Transaction<Database>,
  epoch: number,
  output: ComputeRewardsOutput,
): Promise<void> {
  for (let i = 0; i < output.lines.length; i += 2000) {
    await trx
      .insertInto('reward_lines')
      .values(
        output.lines.slice(i, i + 2000).map((l) => ({
          epoch,
          module: l.module,
          device_id: l.deviceId,
          beneficiary: l.beneficiary,
          score: l.score.toString(),
          amount: l.amount.toString(),
          reason: l.reason,
          detail: l.detail ? JSON.stringify(l.detail) : null,
        })),
      )
      .execute();
  }
  for (let i = 0; i < output.cumulative.length; i += 5000) {
    await trx
      .insertInto('cumulative')
      .values(
        output.cumulative
          .slice(i, i + 5000)
          .map((c) => ({ epoch, account: c.account.toLowerCase(), amount: c.cumulativeAmount.toString() })),
      )
      .execute();
  }
}
