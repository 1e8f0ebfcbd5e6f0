import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshStore, insertDeviceRow, STORE_KINDS } from '../../test/helpers.ts';
import type { GroundworkModule } from '../modules/types.ts';
import type { Store } from '../store/db.ts';
import { DeviceLists } from './deviceLists.ts';
import { collectModule } from './prepare.ts';

const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const window = { epoch: 1, startMs: 0, endMs: 60_000 };

/** A module whose per-device select is whatever `rows` says, in the order given. */
const moduleOf = (rows: ReturnType<typeof sql>) =>
  ({ id: 'probe', deviceInputs: () => rows }) as unknown as GroundworkModule;

describe.each(STORE_KINDS)('collecting per-device inputs on %s', (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await freshStore(kind));
    for (const [n, module, active] of [
      [1, 'probe', 1],
      [2, 'probe', 1],
      [3, 'probe', 0],
      [4, 'probe', 1],
      [5, 'other', 1],
      [6, 'probe', 1],
    ] as const)
      await insertDeviceRow(store, id(n), { module, active });
  });
  afterEach(async () => cleanup());

  // Rows for 1, 3 (inactive), 4, 5 (another module's), 6 (SQL null) and 7 (not a device).
  const values = (order: 'asc' | 'desc') =>
    sql`select device_id, value from (
          select ${id(1)} as device_id, '{"a":[1,2]}' as value
          union all select ${id(3)}, '3'
          union all select ${id(4)}, '"four"'
          union all select ${id(5)}, '5'
          union all select ${id(6)}, null
          union all select ${id(7)}, '7') v
        order by device_id ${sql.raw(order)}`;

  for (const order of ['asc', 'desc'] as const)
    it(`aligns the rows with the active devices, rows in ${order}ending order`, async () => {
      const { devices, inputs } = await collectModule(store.db, moduleOf(values(order)), window, new Map());
      expect(devices.map((d) => d.deviceId)).toEqual([id(1), id(2), id(4), id(6)]);
      expect(inputs).toEqual([{ a: [1, 2] }, null, 'four', null]);
    });

  it('reads the kept lists in the same snapshot as the rows', async () => {
    const lists = new DeviceLists();
    await collectModule(store.db, moduleOf(values('asc')), window, new Map(), lists);
    await store.db.updateTable('devices').set({ active: 1 }).where('device_id', '=', id(3)).execute();
    const { devices, inputs } = await collectModule(
      store.db,
      moduleOf(values('asc')),
      window,
      new Map(),
      lists,
    );
    expect(devices.map((d) => d.deviceId)).toEqual([id(1), id(2), id(3), id(4), id(6)]);
    expect(inputs).toEqual([{ a: [1, 2] }, null, 3, 'four', null]);
  });
});
