import { deviceKeyFromSeed } from '@groundwork/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectModule } from '../../../packages/node/src/epochs/prepare.ts';
import type { Store } from '../../../packages/node/src/store/db.ts';
import { freshStore, insertDeviceRow, STORE_KINDS } from '../../../packages/node/test/helpers.ts';
import uptime, { expectedSlots, UPTIME_PARAMS } from './index.ts';

const params = new Map<string, bigint>([
  [UPTIME_PARAMS.heartbeatSeconds, 60n],
  [UPTIME_PARAMS.weight, 10_000n],
]);
const window = { epoch: 1, startMs: 1_000_000, endMs: 1_000_000 + 600_000 };
const a = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(1)).deviceId;
const b = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(2)).deviceId;
const silent = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(3)).deviceId;

describe.each(STORE_KINDS)('uptime module on %s', (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await freshStore(kind));
  });
  afterEach(async () => cleanup());

  async function contribute(deviceId: string, at: number, id: number) {
    await store.db
      .insertInto('contributions')
      .values({ envelope_id: id, module: 'uptime', device_id: deviceId, at, data: '{}' })
      .execute();
  }

  const register = (deviceId: string, module: string, active: number) =>
    insertDeviceRow(store, deviceId, { module, active });

  it('counts distinct heartbeat slots per active device inside the window only, aligned with the devices', async () => {
    const inactive = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(4)).deviceId;
    const other = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(5)).deviceId;
    for (const d of [a, b, silent]) await register(d, 'uptime', 1);
    await register(inactive, 'uptime', 0);
    await register(other, 'energy', 1);
    let id = 1;
    await contribute(inactive, window.startMs, id++);
    // a: slots 0, 0 (again), 1, 9 → 3 slots; one before and one at the window end do not count.
    for (const at of [0, 30_000, 60_000, 599_999]) await contribute(a, window.startMs + at, id++);
    await contribute(a, window.startMs - 1, id++);
    await contribute(a, window.endMs, id++);
    // b: every slot.
    for (let s = 0; s < 10; s++) await contribute(b, window.startMs + s * 60_000 + 5, id++);
    const { devices, inputs } = await collectModule(store.db, uptime, window, params);
    const sorted = [a, b, silent].sort();
    expect(devices).toEqual(sorted.map((deviceId) => ({ deviceId, beneficiary: `0x${'ab'.repeat(20)}` })));
    const slotsOf: Record<string, number | null> = { [a]: 3, [b]: 10, [silent]: null };
    expect(inputs).toEqual(sorted.map((d) => slotsOf[d]));
  });

  it('scores slots covered, with a reason, and gives silent devices a zero line', () => {
    const scores = uptime.score({
      window,
      inputs: [3, 12, null],
      devices: [a, b, silent],
      params,
    });
    expect(scores).toEqual([
      { deviceId: a, score: 3n, reason: 'UPTIME_PARTIAL', detail: { slots: 3, expectedSlots: 10 } },
      { deviceId: b, score: 10n, reason: 'UPTIME_FULL', detail: { slots: 10, expectedSlots: 10 } },
      { deviceId: silent, score: 0n, reason: 'NO_HEARTBEATS', detail: { slots: 0, expectedSlots: 10 } },
    ]);
    // Bundles from before per-device inputs keyed the counts by device id: they still re-run alike.
    expect(
      uptime.score({
        window,
        inputs: { [a]: { slots: 3 }, [b]: { slots: 12 } },
        devices: [a, b, silent],
        params,
      }),
    ).toEqual(uptime.score({ window, inputs: [3, 12, null], devices: [a, b, silent], params }));
    // Inputs that are not one slot count per device are refused, not misread.
    expect(() => uptime.score({ window, inputs: [3, 12], devices: [a, b, silent], params })).toThrow(
      /one slot count per device \(3\)/,
    );
    expect(() => uptime.score({ window, inputs: [3, -1, 0], devices: [a, b, silent], params })).toThrow(
      /inputs\[1\]: not a slot count/,
    );
  });

  it('derives the slot length from the epoch length at genesis', () => {
    const spec = uptime.parameters.find((p) => p.key === UPTIME_PARAMS.heartbeatSeconds)!;
    const rule = spec.genesis as (n: { epochSeconds: bigint }) => bigint;
    expect([3600n, 600n, 50n, 5n].map((epochSeconds) => rule({ epochSeconds }))).toEqual([60n, 60n, 5n, 1n]);
    expect(expectedSlots(0, 3_600_000, 60n)).toBe(60);
    expect(expectedSlots(0, 90_000, 60n)).toBe(2);
  });

  it('accepts a schema-valid heartbeat body and refuses others', () => {
    const body = uptime.kinds.heartbeat!.body;
    expect(body.safeParse({ uptimeSeconds: 5, firmware: 'v1' }).success).toBe(true);
    expect(body.safeParse({ uptimeSeconds: -1 }).success).toBe(false);
    expect(body.safeParse({ uptimeSeconds: 1, extra: true }).success).toBe(false);
  });
});
