import type { EpochWindow, ModuleDeviceScore, Params } from '@groundwork/node/modules/types.ts';
import type { Db } from '@groundwork/node/store/db.ts';
import { sql } from 'kysely';
import { advanceLedger } from './meter/ledger.ts';
import { EnergyReason } from './reasons.ts';
import { energyDb } from './store/schema.ts';

/** Per-meter scoring input of an epoch: verified solar export and how many reads it came from. */
export interface GreenInput {
  greenWh: number;
  reads: number;
}

/**
 * Collects an epoch's green-reward inputs: for every meter, the solar part of
 * the export of its reads accepted by the ledger and received in the epoch
 * window (aggregated in SQL). It first brings the ledger up to date, so every
 * read the verifier judged before the epoch closed is counted exactly once.
 */
export async function collectGreenInputs(args: {
  db: Db;
  window: EpochWindow;
  params: Params;
}): Promise<Record<string, GreenInput>> {
  await advanceLedger(args.db, args.params);
  const db = energyDb(args.db);
  const rows = await db
    .selectFrom('energy_reads')
    .select([
      'device_id',
      // Casts keep PostgreSQL's sum of bigints (numeric) and count (bigint) plain integers.
      sql<string>`cast(sum(green_wh) as bigint)`.as('green'),
      sql<string>`cast(count(*) as bigint)`.as('reads'),
    ])
    .where('status', '=', 'accepted')
    .where('received_at', '>=', args.window.startMs)
    .where('received_at', '<', args.window.endMs)
    .groupBy('device_id')
    .execute();
  const inputs: Record<string, GreenInput> = {};
  for (const r of rows) inputs[r.device_id] = { greenWh: Number(r.green), reads: Number(r.reads) };
  return inputs;
}

/**
 * Scores every meter of the module for an epoch: its verified solar export in
 * Wh. The core splits the epoch pool between modules by `reward.weight.energy`
 * and within the module by these scores.
 *
 * Guarantees: one line per listed device, in the given order; score =
 * `greenWh` (0 for a meter with no input); reason `SOLAR_EXPORT_VERIFIED` when
 * the score is positive, else `NO_VERIFIED_EXPORT`; pure.
 */
export function scoreGreen(args: {
  inputs: Record<string, unknown>;
  devices: string[];
}): ModuleDeviceScore[] {
  return args.devices.map((deviceId) => {
    const input = args.inputs[deviceId] as GreenInput | undefined;
    const green = input?.greenWh ?? 0;
    return {
      deviceId,
      score: BigInt(green),
      reason: green > 0 ? EnergyReason.solarExportVerified : EnergyReason.noVerifiedExport,
      detail: { greenWh: green, reads: input?.reads ?? 0 },
    };
  });
}
