import type { Params, SimulatedReading } from '@groundwork/node/modules/types.ts';
import { readEnergyParams } from './params.ts';

/** Slots of a UTC day during which a `groundwork up` meter exports (10:00–16:00 UTC). */
const EXPORT_FROM = 40;
const EXPORT_SLOTS = 24;
const lastSent = new Map<number, number>();

/**
 * What a meter of the `groundwork up` fleet sends next: its site declaration,
 * or, once a slot has ended that it has not reported, that slot's read. Its
 * consumption is flat and it exports a little around midday, with registers
 * that follow from the slot number alone, so a restarted fleet continues them.
 * (The energy demo with households, a market and settlement is `groundwork sim
 * --module energy`.)
 */
export function nextFleetReading(deviceIndex: number, now: number, params: Params): SimulatedReading {
  const p = readEnergyParams(params);
  const slot = Math.floor(now / p.slotMs) - 1;
  const last = lastSent.get(deviceIndex);
  // First the site declaration (a read before it would be refused), then every slot once it has ended.
  if (last === undefined || last >= slot) {
    if (last === undefined) lastSent.set(deviceIndex, -1);
    return { kind: 'energy.site', body: { connection_w: 11_000, pv_wp: 4_000, battery_w: 0 } };
  }
  lastSent.set(deviceIndex, slot);
  const perDay = 86_400_000 / p.slotMs;
  const importWh = 100 + ((deviceIndex * 37) % 200);
  const exportWh = 50 + ((deviceIndex * 13) % 100);
  const exportingSlots = (s: number) =>
    Math.floor(s / perDay) * EXPORT_SLOTS +
    Math.min(EXPORT_SLOTS, Math.max(0, (s % perDay) + 1 - EXPORT_FROM));
  const exporting = exportingSlots(slot) - exportingSlots(slot - 1);
  return {
    kind: 'energy.interval',
    body: {
      start: slot * p.slotMs,
      end: (slot + 1) * p.slotMs,
      wh_import: importWh,
      wh_export: exporting * exportWh,
      wh_import_total: 1_000_000 + slot * importWh,
      wh_export_total: exportingSlots(slot) * exportWh,
    },
  };
}
