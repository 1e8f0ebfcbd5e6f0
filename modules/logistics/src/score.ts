import {
  type Db,
  type EpochWindow,
  type ModuleDeviceScore,
  type Params,
  requireParam,
} from '@groundwork/node';
import { sql } from 'kysely';
import { distanceM } from './geo.ts';
import { LOGISTICS_PARAMS, missingParams, PARAMETERS_UNSET } from './params.ts';
import { catchUp } from './processor.ts';
import { ldb } from './store.ts';

const SCORE_PARAMS = [
  LOGISTICS_PARAMS.slotSeconds,
  LOGISTICS_PARAMS.onTimeSeconds,
  LOGISTICS_PARAMS.tempTolMc,
  LOGISTICS_PARAMS.positionTolM,
];

/** Reason codes of tracker rewards. */
export const ScoreReason = {
  ok: 'TRACKING_OK',
  partial: 'TRACKING_PARTIAL',
  late: 'READINGS_LATE',
  inconsistent: 'READINGS_INCONSISTENT',
  noShipment: 'NO_SHIPMENT',
  none: 'NO_READINGS',
} as const;

/** Per-tracker scoring input of one epoch (it goes into the public epoch bundle). */
export interface TrackerInput {
  /** Distinct slots (of measurement time) with a reading on a shipment. */
  slots: number;
  /** Of those, slots with a reading delivered on time. */
  onTime: number;
  /** Slots where the tracker disagreed with the median of at least two other trackers of its shipment. */
  inconsistent: number;
  /** Slots both on time and not inconsistent: what earns. */
  earned: number;
  /** Readings received this epoch while on no shipment (they earn nothing). */
  unassigned: number;
}

/** One tracker's aggregate in one slot of one shipment. */
export interface SlotCell {
  shipment: string;
  slot: number;
  device: string;
  onTime: boolean;
  tempMc: number | null;
  lat: number | null;
  lng: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Neighbour consistency: within one shipment and slot, a tracker whose mean
 * temperature is more than `tempTolMc` from the median of the shipment's
 * trackers — or whose mean position is more than `positionTolM` from their
 * median position — is inconsistent. Needs at least three trackers with the
 * measurement: with two, a disagreement cannot be pinned on either.
 *
 * Returns the keys `device|shipment|slot` of inconsistent cells.
 */
export function findInconsistent(
  cells: readonly SlotCell[],
  tempTolMc: number,
  positionTolM: number,
): Set<string> {
  const groups = new Map<string, SlotCell[]>();
  for (const c of cells) {
    const k = `${c.shipment}|${c.slot}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const bad = new Set<string>();
  for (const g of groups.values()) {
    const temps = g.filter((c) => c.tempMc !== null);
    if (temps.length >= 3) {
      const m = median(temps.map((c) => c.tempMc!));
      for (const c of temps)
        if (Math.abs(c.tempMc! - m) > tempTolMc) bad.add(`${c.device}|${c.shipment}|${c.slot}`);
    }
    const pos = g.filter((c) => c.lat !== null && c.lng !== null);
    if (pos.length >= 3) {
      const mid = { lat: median(pos.map((c) => c.lat!)), lng: median(pos.map((c) => c.lng!)) };
      for (const c of pos)
        if (distanceM({ lat: c.lat!, lng: c.lng! }, mid) > positionTolM)
          bad.add(`${c.device}|${c.shipment}|${c.slot}`);
    }
  }
  return bad;
}

/**
 * Aggregates the epoch's readings per (tracker, shipment, slot) in SQL —
 * readings are counted in the epoch in which the node received them — then
 * checks neighbour consistency per slot. Catches up with record processing
 * first, so every reading received in the window is attached.
 */
export async function collectTrackerInputs(
  core: Db,
  window: EpochWindow,
  params: Params,
): Promise<Record<string, TrackerInput>> {
  await catchUp(core, params);
  if (missingParams(params, SCORE_PARAMS).length > 0) return {};
  const db = ldb(core);
  const slotMs = Number(requireParam(params, LOGISTICS_PARAMS.slotSeconds)) * 1000;
  const onTimeMs = Number(requireParam(params, LOGISTICS_PARAMS.onTimeSeconds)) * 1000;
  // Literal integers (not bound parameters, which SQLite binds as REAL) keep the division integral.
  const rows = await db
    .selectFrom('logistics_readings')
    .select([
      'device_id',
      'shipment_id',
      sql<number>`at / ${sql.lit(slotMs)}`.as('slot'),
      sql<number>`count(*)`.as('n'),
      sql<number>`min(received_at - at)`.as('min_delay'),
      sql<number>`sum(temp_mc)`.as('t_sum'),
      sql<number>`count(temp_mc)`.as('t_n'),
      sql<number>`sum(lat_e7)`.as('lat_sum'),
      sql<number>`sum(lng_e7)`.as('lng_sum'),
      sql<number>`count(lat_e7)`.as('p_n'),
    ])
    .where('received_at', '>=', window.startMs)
    .where('received_at', '<', window.endMs)
    .groupBy(['device_id', 'shipment_id', sql`at / ${sql.lit(slotMs)}`])
    .execute();
  const inputs: Record<string, TrackerInput> = {};
  const get = (d: string) =>
    (inputs[d] ??= { slots: 0, onTime: 0, inconsistent: 0, earned: 0, unassigned: 0 });
  const cells: SlotCell[] = [];
  for (const r of rows) {
    if (r.shipment_id === null) {
      get(r.device_id).unassigned += Number(r.n);
      continue;
    }
    const tn = Number(r.t_n);
    const pn = Number(r.p_n);
    cells.push({
      shipment: r.shipment_id,
      slot: Number(r.slot),
      device: r.device_id,
      onTime: Number(r.min_delay) <= onTimeMs,
      tempMc: tn > 0 ? Number(r.t_sum) / tn : null,
      lat: pn > 0 ? Number(r.lat_sum) / pn / 1e7 : null,
      lng: pn > 0 ? Number(r.lng_sum) / pn / 1e7 : null,
    });
  }
  const bad = findInconsistent(
    cells,
    Number(requireParam(params, LOGISTICS_PARAMS.tempTolMc)),
    Number(requireParam(params, LOGISTICS_PARAMS.positionTolM)),
  );
  // A tracker earns at most once per slot, even across two shipments in one slot: keep its best cell.
  const best = new Map<string, { onTime: boolean; consistent: boolean }>();
  for (const c of cells) {
    const k = `${c.device}|${c.slot}`;
    const consistent = !bad.has(`${c.device}|${c.shipment}|${c.slot}`);
    const prev = best.get(k);
    const score = (c.onTime ? 2 : 0) + (consistent ? 1 : 0);
    if (!prev || score > (prev.onTime ? 2 : 0) + (prev.consistent ? 1 : 0))
      best.set(k, { onTime: c.onTime, consistent });
  }
  for (const [k, v] of best) {
    const i = get(k.slice(0, k.indexOf('|')));
    i.slots++;
    if (v.onTime) i.onTime++;
    if (!v.consistent) i.inconsistent++;
    if (v.onTime && v.consistent) i.earned++;
  }
  return Object.fromEntries(Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The most slots a tracker can earn in a window: its slots plus those an on-time delay reaches back into. */
export function maxSlots(window: EpochWindow, params: Params): number {
  const slotMs = Number(requireParam(params, LOGISTICS_PARAMS.slotSeconds)) * 1000;
  const onTimeMs = Number(requireParam(params, LOGISTICS_PARAMS.onTimeSeconds)) * 1000;
  return Math.ceil((window.endMs - window.startMs) / slotMs) + Math.ceil(onTimeMs / slotMs) + 1;
}

function asInput(x: unknown): TrackerInput {
  const i = (x ?? {}) as Partial<TrackerInput>;
  const nat = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0);
  return {
    slots: nat(i.slots),
    onTime: nat(i.onTime),
    inconsistent: nat(i.inconsistent),
    earned: nat(i.earned),
    unassigned: nat(i.unassigned),
  };
}

/**
 * Scores trackers: one point per slot of a shipment in which the tracker
 * delivered a reading on time and agreed with its neighbours.
 *
 * Guarantees:
 * - every device listed gets exactly one line, in the order given;
 * - 0 ≤ score ≤ min(earned, slots, maxSlots(window));
 * - more earned slots (the rest equal) never score less;
 * - a tracker with no reading on a shipment scores 0, with reason NO_SHIPMENT or NO_READINGS;
 * - while a parameter it needs is unset, every tracker scores 0 with reason PARAMETERS_UNSET.
 */
export function scoreTrackers(args: {
  window: EpochWindow;
  inputs: Record<string, unknown>;
  devices: string[];
  params: Params;
}): ModuleDeviceScore[] {
  if (missingParams(args.params, SCORE_PARAMS).length > 0)
    return args.devices.map((deviceId) => ({ deviceId, score: 0n, reason: PARAMETERS_UNSET }));
  const cap = maxSlots(args.window, args.params);
  return args.devices.map((deviceId) => {
    const i = asInput(args.inputs[deviceId]);
    const earned = Math.min(i.earned, i.slots, cap);
    const reason =
      i.slots === 0
        ? i.unassigned > 0
          ? ScoreReason.noShipment
          : ScoreReason.none
        : earned === i.slots
          ? ScoreReason.ok
          : earned > 0
            ? ScoreReason.partial
            : i.onTime === 0
              ? ScoreReason.late
              : ScoreReason.inconsistent;
    return {
      deviceId,
      score: BigInt(earned),
      reason,
      detail: { slots: i.slots, onTime: i.onTime, inconsistent: i.inconsistent, unassigned: i.unassigned },
    };
  });
}
