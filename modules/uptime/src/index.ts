import {
  type GroundworkModule,
  type ModuleDeviceScore,
  requireParam,
} from '@groundwork/node/modules/types.ts';
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

/**
 * The module's inputs: per active device (aligned with the sorted device
 * list), how many heartbeat slots of the epoch had at least one accepted
 * heartbeat — `null` for a device that sent none.
 */
export type UptimeInputs = (number | null)[];

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

  deviceInputs({ window, params }) {
    const slotMs = Number(requireParam(params, UPTIME_PARAMS.heartbeatSeconds)) * 1000;
    // Aggregated in SQL — one row per device, never a loop over contributions.
    // The value is the count as canonical JSON text (a decimal integer).
    return sql<{ device_id: string; value: string }>`select device_id,
        cast(count(distinct (at - ${sql.lit(window.startMs)}) / ${sql.lit(slotMs)}) as text) as value
      from contributions
      where module = 'uptime' and at >= ${window.startMs} and at < ${window.endMs}
      group by device_id`;
  },

  score({ window, inputs, devices, params }) {
    const expected = expectedSlots(
      window.startMs,
      window.endMs,
      requireParam(params, UPTIME_PARAMS.heartbeatSeconds),
    );
    // Bundles written before the inputs were per device hold `{"<deviceId>": {"slots": n}}`.
    const slotsOf = Array.isArray(inputs)
      ? (inputs as UptimeInputs)
      : devices.map((d) => (inputs as Record<string, { slots?: number } | undefined>)[d]?.slots ?? null);
    if (slotsOf.length !== devices.length)
      throw new Error(`uptime inputs: expected one slot count per device (${devices.length})`);
    // One bigint and one detail per possible score, shared by every device with that
    // score (a million devices, a handful of distinct values; nobody mutates them).
    const scores = Array.from({ length: expected + 1 }, (_, i) => BigInt(i));
    const details = Array.from({ length: expected + 1 }, (_, slots) => ({ expectedSlots: expected, slots }));
    const out = new Array<ModuleDeviceScore>(devices.length);
    for (let i = 0; i < devices.length; i++) {
      const v = slotsOf[i] ?? 0;
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`uptime inputs[${i}]: not a slot count`);
      const slots = Math.min(v, expected);
      const reason =
        slots === 0 ? UptimeReason.none : slots >= expected ? UptimeReason.full : UptimeReason.partial;
      // Detail keys in sorted order: the reward function then keeps the object as it is.
      out[i] = {
        deviceId: devices[i]!,
        score: scores[slots]!,
        reason,
        detail: details[slots]!,
      };
    }
    return out;
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
