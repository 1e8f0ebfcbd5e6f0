import type { Store } from '@groundwork/node';
import { deviceKeyFromSeed } from '@groundwork/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedDevice } from '../../../packages/node/test/helpers.ts';
import { LOGISTICS_PARAMS } from './params.ts';
import { collectTrackerInputs, findInconsistent, maxSlots, ScoreReason, scoreTrackers } from './score.ts';
import { createShipment } from './shipments.ts';
import { freshLogisticsStore, genesisParams, storeReading } from './testHelpers.ts';

const params = genesisParams(3600n, {
  [LOGISTICS_PARAMS.slotSeconds]: 600n,
  [LOGISTICS_PARAMS.onTimeSeconds]: 900n,
});
const window = { epoch: 1, startMs: 1_767_225_600_000, endMs: 1_767_225_600_000 + 3_600_000 };
const key = (n: number) => deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(n));

describe('findInconsistent', () => {
  const cell = (device: string, tempMc: number | null, lat: number | null = null) => ({
    shipment: 's',
    slot: 1,
    device,
    onTime: true,
    tempMc,
    lat,
    lng: lat === null ? null : 4,
  });

  it('flags the tracker far from the median of three, and no one when only two disagree', () => {
    expect(findInconsistent([cell('a', 5_000), cell('b', 5_500), cell('c', 12_000)], 2_000, 10_000)).toEqual(
      new Set(['c|s|1']),
    );
    expect(findInconsistent([cell('a', 5_000), cell('b', 12_000)], 2_000, 10_000)).toEqual(new Set());
  });

  it('flags a tracker reporting a position far from its neighbours', () => {
    const out = findInconsistent(
      [cell('a', null, 51.0), cell('b', null, 51.01), cell('c', null, 52.0)],
      2_000,
      10_000,
    );
    expect(out).toEqual(new Set(['c|s|1']));
  });
});

describe('scoreTrackers', () => {
  const input = (
    o: Partial<{ slots: number; onTime: number; inconsistent: number; earned: number; unassigned: number }>,
  ) => ({
    slots: 0,
    onTime: 0,
    inconsistent: 0,
    earned: 0,
    unassigned: 0,
    ...o,
  });

  it('pays earned slots and explains every line with a reason', () => {
    const out = scoreTrackers({
      window,
      params,
      devices: ['ok', 'partial', 'late', 'bad', 'idle', 'silent'],
      inputs: {
        ok: input({ slots: 6, onTime: 6, earned: 6 }),
        partial: input({ slots: 6, onTime: 4, inconsistent: 1, earned: 3 }),
        late: input({ slots: 3 }),
        bad: input({ slots: 2, onTime: 2, inconsistent: 2 }),
        idle: input({ unassigned: 40 }),
      },
    });
    expect(out.map((s) => [s.deviceId, s.score, s.reason])).toEqual([
      ['ok', 6n, ScoreReason.ok],
      ['partial', 3n, ScoreReason.partial],
      ['late', 0n, ScoreReason.late],
      ['bad', 0n, ScoreReason.inconsistent],
      ['idle', 0n, ScoreReason.noShipment],
      ['silent', 0n, ScoreReason.none],
    ]);
    expect(out[1]!.detail).toEqual({ slots: 6, onTime: 4, inconsistent: 1, unassigned: 0 });
  });

  it('never pays more slots than the window holds', () => {
    const cap = maxSlots(window, params);
    expect(cap).toBe(6 + 2 + 1);
    const [s] = scoreTrackers({
      window,
      params,
      devices: ['x'],
      inputs: { x: input({ slots: 1e6, onTime: 1e6, earned: 1e6 }) },
    });
    expect(s!.score).toBe(BigInt(cap));
  });

  it('treats malformed inputs as nothing earned', () => {
    const [s] = scoreTrackers({
      window,
      params,
      devices: ['x'],
      inputs: { x: { slots: -3, earned: 'many' } },
    });
    expect([s!.score, s!.reason]).toEqual([0n, ScoreReason.none]);
  });
});

describe('collectTrackerInputs', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const shipper = '0x00000000000000000000000000000000000000aa';
  beforeEach(async () => {
    ({ store, cleanup } = await freshLogisticsStore());
  });
  afterEach(async () => cleanup());

  it('counts on-time, consistent slots on a shipment and readings on none, per tracker', async () => {
    const [a, b, c, idle] = [key(1), key(2), key(3), key(4)];
    for (const k of [a, b, c, idle]) await seedDevice(store, k, { module: 'logistics', operator: shipper });
    await createShipment(
      store.db,
      params,
      shipper,
      {
        reference: 'PO-1',
        trackers: [a.deviceId, b.deviceId, c.deviceId],
        parties: [{ account: '0x00000000000000000000000000000000000000bb', role: 'receiver' }],
        route: { waypoints: [{ latE7: 510_000_000, lngE7: 40_000_000 }] },
        rules: [],
        startAt: window.startMs - 3_600_000,
      },
      window.startMs,
    );
    const t = window.startMs;
    let seq = 1;
    // Slot 0: all three agree, on time. Slot 1: c reads 14 °C (inconsistent). Slot 2: b is late (20 min).
    for (const [k, slot, temp, delay] of [
      [a, 0, 5_000, 1_000],
      [b, 0, 5_200, 1_000],
      [c, 0, 4_900, 1_000],
      [a, 1, 5_000, 1_000],
      [b, 1, 5_100, 1_000],
      [c, 1, 14_000, 1_000],
      [a, 2, 5_000, 1_000],
      [b, 2, 5_000, 1_200_000],
    ] as const) {
      const at = t + slot * 600_000 + 60_000;
      await storeReading(store, k, seq++, { at, tempMc: temp }, at + delay);
    }
    await storeReading(store, idle, seq++, { at: t + 60_000, tempMc: 5_000 }, t + 61_000);
    const inputs = await collectTrackerInputs(store.db, window, params);
    expect(inputs).toEqual({
      [a.deviceId]: { slots: 3, onTime: 3, inconsistent: 0, earned: 3, unassigned: 0 },
      [b.deviceId]: { slots: 3, onTime: 2, inconsistent: 0, earned: 2, unassigned: 0 },
      [c.deviceId]: { slots: 2, onTime: 2, inconsistent: 1, earned: 1, unassigned: 0 },
      [idle.deviceId]: { slots: 0, onTime: 0, inconsistent: 0, earned: 0, unassigned: 1 },
    });
  });
});
