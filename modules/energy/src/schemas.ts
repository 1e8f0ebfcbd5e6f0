import { z } from 'zod';

const wh = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Body of `energy.interval`: one 15-minute interval read of a meter.
 *
 * - `start`, `end`: the interval, ms since the Unix epoch (one slot: `end − start` = slot length, `start` on a
 *   slot boundary);
 * - `wh_import`, `wh_export`: energy imported from and exported to the grid during the interval, Wh;
 * - `wh_import_total`, `wh_export_total`: the meter's cumulative import and export registers at `end`, Wh.
 *
 * The registers are optional in the schema, so the protocol's test vector (PROTOCOL.md §11.2, which predates
 * them) is well-formed, but the meter ledger rejects a read without them (`METER_COUNTERS_MISSING`): every
 * kWh settled must be backed by registers that only ever go up.
 */
export const intervalBody = z
  .object({
    start: ms,
    end: ms,
    wh_import: wh,
    wh_export: wh,
    wh_import_total: wh.optional(),
    wh_export_total: wh.optional(),
  })
  .strict();

export type IntervalBody = z.infer<typeof intervalBody>;

/**
 * Body of `energy.site`: what the meter's site is rated for, as commissioned. It takes effect for the reads the
 * node receives after it; a later declaration replaces it.
 *
 * - `connection_w`: rated capacity of the grid connection, W (import and export each);
 * - `pv_wp`: solar array, W peak (0: none);
 * - `battery_w`: battery inverter power that may export without the sun, W (0: none).
 */
export const siteBody = z
  .object({
    connection_w: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    pv_wp: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    battery_w: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  })
  .strict();

export type SiteBody = z.infer<typeof siteBody>;
