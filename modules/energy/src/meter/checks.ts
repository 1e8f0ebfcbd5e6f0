import type { ModuleVerdict } from '@groundwork/node/modules/types.ts';
import type { EnergyParams } from '../params.ts';
import { EnergyReason } from '../reasons.ts';
import type { IntervalBody, SiteBody } from '../schemas.ts';
import { clearSkyWh } from '../solar/clearSky.ts';

/** Energy a power can move in one slot, Wh (floored). */
export function slotEnergyWh(watts: number, p: Pick<EnergyParams, 'slotSeconds'>): number {
  return Math.floor((watts * p.slotSeconds) / 3600);
}

/**
 * The checks of an interval read that need nothing but the read, the time the
 * node received it, and the parameters — run by the core verifier, in
 * arrival order, so a failure shows in the device's verdict trail at once:
 *
 * 1. `INTERVAL_MISALIGNED` — `start` not on a slot boundary, or `end − start` not one slot;
 * 2. `READ_BEFORE_INTERVAL_END` — signed (`time`) before `end`;
 * 3. `SLOT_ALREADY_SETTLED` — received at or after `end + energy.settleDelaySeconds`, when the slot's books close;
 * 4. `METER_COUNTERS_MISSING` — no `wh_import_total` / `wh_export_total`;
 * 5. `METER_COUNTER_MISMATCH` — a register below the energy of its own interval;
 * 6. `ABOVE_RATED_CAPACITY` — more energy than the largest connection the network allows can move in a slot.
 *
 * The rest (site capacity, clear sky, monotonic registers, duplicates) needs
 * the meter's history: see {@link judgeInterval}.
 */
export function checkIntervalRead(
  read: { time: number; receivedAt: number; body: IntervalBody },
  p: EnergyParams,
): ModuleVerdict {
  const b = read.body;
  if (b.start % p.slotMs !== 0 || b.end - b.start !== p.slotMs) {
    return { status: 'rejected', reason: EnergyReason.intervalMisaligned };
  }
  if (read.time < b.end) return { status: 'rejected', reason: EnergyReason.readBeforeIntervalEnd };
  if (read.receivedAt >= b.end + p.settleDelayMs)
    return { status: 'rejected', reason: EnergyReason.slotAlreadySettled };
  if (b.wh_import_total === undefined || b.wh_export_total === undefined) {
    return { status: 'rejected', reason: EnergyReason.countersMissing };
  }
  if (b.wh_import_total < b.wh_import || b.wh_export_total < b.wh_export) {
    return { status: 'rejected', reason: EnergyReason.counterMismatch };
  }
  const cap = slotEnergyWh(p.maxConnectionW, p);
  if (b.wh_import > cap || b.wh_export > cap)
    return { status: 'rejected', reason: EnergyReason.aboveCapacity };
  return {
    status: 'accepted',
    reason: EnergyReason.intervalReceived,
    contribution: { slot: b.start / p.slotMs, whImport: b.wh_import, whExport: b.wh_export },
  };
}

/** A site declaration within the governed bounds: `SITE_DECLARED`, else `SITE_INVALID`. */
export function checkSiteDeclaration(body: SiteBody, p: EnergyParams): ModuleVerdict {
  if (body.connection_w > p.maxConnectionW || body.pv_wp > p.maxPvWp || body.battery_w > body.connection_w) {
    return { status: 'rejected', reason: EnergyReason.siteInvalid };
  }
  return { status: 'accepted', reason: EnergyReason.siteDeclared, contribution: { ...body } };
}

/** A meter's site as the ledger knows it. */
export interface Site {
  connectionW: number;
  pvWp: number;
  batteryW: number;
  /** From the device's asserted H3 cell; null when it asserted none. */
  location: { lat: number; lng: number } | null;
}

/** An accepted read as the ledger keeps it: slot, interval energy and registers at the slot's end. */
export interface ReadPoint {
  slot: number;
  whImport: number;
  whExport: number;
  importTotal: number;
  exportTotal: number;
}

export interface Judgement {
  status: 'accepted' | 'rejected';
  reason: string;
  detail?: string;
  /** Export the sun can account for (0 unless accepted). */
  greenWh: number;
}

/**
 * The ledger's verdict on a read that passed {@link checkIntervalRead}, given
 * the meter's site and its accepted neighbours: `prev`, the accepted read of
 * the latest earlier slot, and `next`, of the earliest later slot (a late read
 * that fills a gap has both). Checks, in order:
 *
 * 1. `SITE_NOT_DECLARED` — no site declaration received before the read;
 * 2. `DUPLICATE_READ` — the slot already has an accepted read;
 * 3. `SLOT_ALREADY_SETTLED` — the slot's settlement has been computed;
 * 4. `METER_NOT_MONOTONIC` — a register below `prev`'s or above `next`'s;
 * 5. `METER_COUNTER_MISMATCH` — next to a neighbour, a register moved by other than the interval energy; across a
 *    gap, the interval claims more than the register moved;
 * 6. `ABOVE_RATED_CAPACITY` — interval energy above the site's connection for one slot, or a register that moved
 *    across a gap by more than the connection allows for the gap's length;
 * 7. `EXPORT_ABOVE_CLEAR_SKY` — export above the clear-sky potential of the site's array at its place in the slot
 *    × `energy.clearSkyMarginBps`, plus its battery's power for a slot, plus `energy.exportToleranceWh`.
 *
 * Energy that crossed a gap is never spread over the missing slots: the gap
 * stays marked and settles as "no read".
 */
export function judgeInterval(a: {
  read: ReadPoint;
  site: Site | undefined;
  prev: ReadPoint | undefined;
  next: ReadPoint | undefined;
  duplicate: boolean;
  settled: boolean;
  p: EnergyParams;
}): Judgement {
  const { read: r, site, prev, next, p } = a;
  const reject = (reason: string, detail?: string): Judgement => ({
    status: 'rejected',
    reason,
    greenWh: 0,
    ...(detail ? { detail } : {}),
  });
  if (!site) return reject(EnergyReason.siteNotDeclared);
  if (a.duplicate) return reject(EnergyReason.duplicateRead);
  if (a.settled) return reject(EnergyReason.slotAlreadySettled);
  if (prev && (r.importTotal < prev.importTotal || r.exportTotal < prev.exportTotal)) {
    return reject(EnergyReason.notMonotonic, `registers below those of slot ${prev.slot}`);
  }
  if (next && (r.importTotal > next.importTotal || r.exportTotal > next.exportTotal)) {
    return reject(EnergyReason.notMonotonic, `registers above those of slot ${next.slot}`);
  }
  const cap = slotEnergyWh(site.connectionW, p);
  if (prev) {
    const impBefore = r.importTotal - r.whImport - prev.importTotal;
    const expBefore = r.exportTotal - r.whExport - prev.exportTotal;
    if (prev.slot === r.slot - 1 ? impBefore !== 0 || expBefore !== 0 : impBefore < 0 || expBefore < 0) {
      return reject(
        EnergyReason.counterMismatch,
        `registers moved by other than the interval since slot ${prev.slot}`,
      );
    }
    const gapSlots = r.slot - prev.slot - 1;
    if (impBefore > cap * gapSlots || expBefore > cap * gapSlots) {
      return reject(
        EnergyReason.aboveCapacity,
        `registers moved more than the connection allows over ${gapSlots} missing slots`,
      );
    }
  }
  if (next) {
    const impAfter = next.importTotal - next.whImport - r.importTotal;
    const expAfter = next.exportTotal - next.whExport - r.exportTotal;
    if (next.slot === r.slot + 1 ? impAfter !== 0 || expAfter !== 0 : impAfter < 0 || expAfter < 0) {
      return reject(EnergyReason.counterMismatch, `registers disagree with the read of slot ${next.slot}`);
    }
    const gapSlots = next.slot - r.slot - 1;
    if (impAfter > cap * gapSlots || expAfter > cap * gapSlots) {
      return reject(
        EnergyReason.aboveCapacity,
        `registers moved more than the connection allows over ${gapSlots} missing slots`,
      );
    }
  }
  if (r.whImport > cap || r.whExport > cap) {
    return reject(
      EnergyReason.aboveCapacity,
      `${Math.max(r.whImport, r.whExport)} Wh in a slot, connection allows ${cap}`,
    );
  }
  const sun = site.location
    ? clearSkyWh(site.location.lat, site.location.lng, r.slot * p.slotMs, p.slotMs, site.pvWp)
    : 0;
  const sunWithMargin = Math.floor((sun * p.clearSkyMarginBps) / 10_000);
  const allowed = sunWithMargin + slotEnergyWh(site.batteryW, p) + p.exportToleranceWh;
  if (r.whExport > allowed) {
    return reject(EnergyReason.exportAboveClearSky, `export ${r.whExport} Wh, clear sky allows ${allowed}`);
  }
  return {
    status: 'accepted',
    reason: EnergyReason.intervalOk,
    // Without a battery, all plausible export is the sun's; with one, only what the sun could have made now.
    greenWh: Math.min(r.whExport, site.batteryW === 0 ? sunWithMargin : sun),
  };
}
