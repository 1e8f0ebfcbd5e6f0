import { type GroundworkModule, requireParam } from '@groundwork/node/modules/types.ts';
import { dialectOf } from '@groundwork/node/store/db.ts';
import { sql } from 'kysely';
import { z } from 'zod';

/** Parameter keys this module reads from ParameterRegistry. */
export const UPTIME_PARAMS = {
  weight: 'reward.weight.uptime',
  heartbeatSeconds: 'uptime.heartbeatSeconds',
} as const;

/** Reason codes of the uptime module. */
export const UptimeReason = {
  heartbeatOk: 'HEARTBEAT_OK',
  full: 'UPTIME_FULL',
  partial: 'UPTIME_PARTIAL',
  none: 'NO_HEARTBEATS',
} as const;

const heartbeatBody = z
  .object({
    uptimeSeconds: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    firmware: z.string().max(32).optional(),
  })
  .strict();

/** Per-device scoring input: how many heartbeat slots of the epoch had at least one accepted heartbeat. */
export interface UptimeInput {
  slots: number;
}

/**
 * Number of heartbeat slots in an epoch window: ceil(length / interval).
 * @example expectedSlots(0, 3_600_000, 60n) === 60
 */
export function expectedSlots(startMs: number, endMs: number, heartbeatSeconds: bigint): number {
  const interval = Number(heartbeatSeconds) * 1000;
  return Math.ceil((endMs - startMs) / interval);
}

/**
 * The `uptime` module: a device proves it is alive by sending signed
 * heartbeats; its verified uptime in an epoch (heartbeat slots covered, slot
 * = `uptime.heartbeatSeconds` of node time) is its score. It is the template
 * for every other module.
 */
const uptime: GroundworkModule = {
  id: 'uptime',
  description:
    'Devices earn for verified uptime: one heartbeat per slot, slots covered per epoch is the score.',
  kinds: {
    heartbeat: { body: heartbeatBody, description: 'I am alive: seconds since boot, optional firmware tag.' },
  },
  parameters: [
    {
      key: UPTIME_PARAMS.weight,
      genesis: 10_000n,
      description: 'Share of each epoch pool for uptime (relative weight).',
    },
    {
      key: UPTIME_PARAMS.heartbeatSeconds,
      // A minute, or a tenth of a short (test) epoch so an epoch still has ten slots.
      genesis: ({ epochSeconds }) =>
        epochSeconds >= 600n ? 60n : epochSeconds >= 10n ? epochSeconds / 10n : 1n,
      description: 'Length of one heartbeat slot, seconds.',
    },
  ],

  verify() {
    // Authentication, replay, skew and body schema are checked at ingest;
    // slot accounting happens at scoring, so every heartbeat that reached
    // here is a contribution.
    return { status: 'accepted', reason: UptimeReason.heartbeatOk, contribution: {} };
  },

  async collectInputs({ db, window, params }) {
    const slotMs = Number(requireParam(params, UPTIME_PARAMS.heartbeatSeconds)) * 1000;
    // Aggregated in SQL — one entry per device, never a loop over contributions —
    // and returned as one JSON object, so a million devices cost one parse.
    const slots = sql`count(distinct (at - ${sql.lit(window.startMs)}) / ${sql.lit(slotMs)})`;
    const perDevice = sql`select device_id, ${slots} as n from contributions
      where module = 'uptime' and at >= ${window.startMs} and at < ${window.endMs} group by device_id`;
    const { rows } =
      dialectOf(db) === 'sqlite'
        ? await sql<{ j: string | null }>`select json_group_object(device_id, json_object('slots', n)) as j
            from (${perDevice})`.execute(db)
        : await sql<{
            j: string | null;
          }>`select json_object_agg(device_id, json_build_object('slots', n) order by device_id)::text as j
            from (${perDevice}) t`.execute(db);
    return JSON.parse(rows[0]?.j ?? '{}') as Record<string, UptimeInput>;
  },

  score({ window, inputs, devices, params }) {
    const expected = expectedSlots(
      window.startMs,
      window.endMs,
      requireParam(params, UPTIME_PARAMS.heartbeatSeconds),
    );
    return devices.map((deviceId) => {
      const slots = Math.min((inputs[deviceId] as UptimeInput | undefined)?.slots ?? 0, expected);
      const reason =
        slots === 0 ? UptimeReason.none : slots >= expected ? UptimeReason.full : UptimeReason.partial;
      return { deviceId, score: BigInt(slots), reason, detail: { slots, expectedSlots: expected } };
    });
  },

  simulate: {
    intervalMs: (params) => Number(requireParam(params, UPTIME_PARAMS.heartbeatSeconds)) * 500,
    next: ({ now }) => ({
      kind: 'uptime.heartbeat',
      body: { uptimeSeconds: Math.floor(now / 1000) % 86_400, firmware: 'sim-1.0' },
    }),
  },
};

export default uptime;
