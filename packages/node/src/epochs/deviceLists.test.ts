import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshStore, insertDeviceRow, STORE_KINDS, TEST_PG_URL } from '../../test/helpers.ts';
import type { Store } from '../store/db.ts';
import { DeviceLists } from './deviceLists.ts';
import { refreshDeviceLists } from './prepare.ts';

const MODULES = [{ id: 'uptime' }, { id: 'energy' }] as unknown as Parameters<typeof refreshDeviceLists>[2];
const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const account = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;

describe.each(STORE_KINDS)('device lists on %s', (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await freshStore(kind));
  });
  afterEach(async () => cleanup());

  const insert = (n: number, module: string, operator: number, active = 1) =>
    insertDeviceRow(store, id(n), { module, operator: account(operator), active });
  const stamps = async () =>
    Object.fromEntries(
      (await store.db.selectFrom('devices').select(['device_id', 'change_seq']).execute()).map((r) => [
        r.device_id,
        Number(r.change_seq),
      ]),
    );
  const resets = async () =>
    Number((await store.db.selectFrom('devices_resets').select('n').executeTakeFirstOrThrow()).n);
  /** What a list loaded whole from the store holds now. */
  const fresh = async (module: string) => {
    const lists = new DeviceLists();
    expect(await refreshDeviceLists(store.db, lists, MODULES)).toEqual({ kind: 'full', modules: 2 });
    return lists.get(module);
  };

  it('stamps inserts and changes of module, operator, active or location in order, and counts deletes', async () => {
    await insert(1, 'uptime', 1);
    await insert(2, 'uptime', 1);
    const first = await stamps();
    expect(first[id(2)]).toBeGreaterThan(first[id(1)]!);
    await store.db
      .updateTable('devices')
      .set({ operator: account(9) })
      .where('device_id', '=', id(1))
      .execute();
    const second = await stamps();
    expect(second[id(1)]).toBeGreaterThan(first[id(2)]!);
    expect(second[id(2)]).toBe(first[id(2)]);
    // A location change stamps too (migration 0010: the ingest workers' directory mirrors it).
    await store.db
      .updateTable('devices')
      .set({ h3_cell: '8a392ad5a6c7fff' })
      .where('device_id', '=', id(1))
      .execute();
    const third = await stamps();
    expect(third[id(1)]).toBeGreaterThan(second[id(1)]!);
    expect(third[id(2)]).toBe(first[id(2)]);
    await store.db.updateTable('devices').set({ active: 0 }).where('device_id', '=', id(2)).execute();
    expect((await stamps())[id(2)]).toBeGreaterThan(third[id(1)]!);
    expect(await resets()).toBe(0);
    await store.db.deleteFrom('devices').where('device_id', '=', id(2)).execute();
    expect(await resets()).toBe(1);
  });

  it('lists active devices per module in id order and then reads only what changed', async () => {
    await insert(5, 'uptime', 1);
    await insert(3, 'uptime', 2);
    await insert(4, 'uptime', 1, 0);
    await insert(7, 'energy', 3);
    const lists = new DeviceLists();
    expect(await refreshDeviceLists(store.db, lists, MODULES)).toEqual({ kind: 'full', modules: 2 });
    const before = lists.get('uptime');
    expect(before).toEqual([
      { deviceId: id(3), beneficiary: account(2) },
      { deviceId: id(5), beneficiary: account(1) },
    ]);
    expect(lists.get('energy')).toEqual([{ deviceId: id(7), beneficiary: account(3) }]);

    // Nothing changed: nothing read, the same arrays.
    expect(await refreshDeviceLists(store.db, lists, MODULES)).toEqual({ kind: 'none' });
    expect(lists.get('uptime')).toBe(before);

    await insert(1, 'uptime', 4); // new, first in order
    await store.db
      .updateTable('devices')
      .set({ operator: account(8) })
      .where('device_id', '=', id(5))
      .execute();
    await store.db.updateTable('devices').set({ active: 1 }).where('device_id', '=', id(4)).execute();
    await store.db.updateTable('devices').set({ module: 'energy' }).where('device_id', '=', id(3)).execute();
    await store.db.updateTable('devices').set({ active: 0 }).where('device_id', '=', id(7)).execute();
    expect(await refreshDeviceLists(store.db, lists, MODULES)).toEqual({ kind: 'delta', devices: 5 });
    expect(lists.get('uptime')).toEqual([
      { deviceId: id(1), beneficiary: account(4) },
      { deviceId: id(4), beneficiary: account(1) },
      { deviceId: id(5), beneficiary: account(8) },
    ]);
    expect(lists.get('energy')).toEqual([{ deviceId: id(3), beneficiary: account(2) }]);
    expect(lists.get('uptime')).toEqual(await fresh('uptime'));
    // A list handed out before is what it was: a bundle holding it keeps what it read.
    expect(before).toEqual([
      { deviceId: id(3), beneficiary: account(2) },
      { deviceId: id(5), beneficiary: account(1) },
    ]);

    // A delete leaves no row to stamp: the lists are read whole again.
    await store.db.deleteFrom('devices').where('device_id', '=', id(4)).execute();
    expect(await refreshDeviceLists(store.db, lists, MODULES)).toEqual({ kind: 'full', modules: 2 });
    expect(lists.get('uptime').map((d) => d.deviceId)).toEqual([id(1), id(5)]);
  });

  it('matches a whole read after every round of random changes', async () => {
    let state = 0x9e3779b9;
    const rand = (n: number) => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state % n;
    };
    const modules = ['uptime', 'energy'];
    const known: number[] = [];
    const lists = new DeviceLists();
    for (let round = 0; round < 12; round++) {
      for (let k = 0; k < 6; k++) {
        const op = known.length === 0 ? 0 : rand(5);
        const n = known[rand(Math.max(1, known.length))]!;
        if (op === 0) {
          const fresh = 1 + rand(1000);
          if (known.includes(fresh)) continue;
          known.push(fresh);
          await insert(fresh, modules[rand(2)]!, rand(5), rand(4) === 0 ? 0 : 1);
        } else if (op === 1)
          await store.db
            .updateTable('devices')
            .set({ operator: account(rand(5)) })
            .where('device_id', '=', id(n))
            .execute();
        else if (op === 2)
          await store.db
            .updateTable('devices')
            .set({ active: rand(2) })
            .where('device_id', '=', id(n))
            .execute();
        else if (op === 3)
          await store.db
            .updateTable('devices')
            .set({ module: modules[rand(2)]! })
            .where('device_id', '=', id(n))
            .execute();
        else
          await store.db
            .updateTable('devices')
            .set({ h3_cell: '8a392ad5a6c7fff' })
            .where('device_id', '=', id(n))
            .execute();
      }
      const read = await refreshDeviceLists(store.db, lists, MODULES);
      // Whole lists the first time only: no delete happens here.
      expect(read.kind === 'full').toBe(round === 0);
      for (const m of modules) expect(lists.get(m), `${m} after round ${round}`).toEqual(await fresh(m));
    }
    expect(known.length).toBeGreaterThan(10);
  });
});

describe.skipIf(!TEST_PG_URL)('device stamps on PostgreSQL', () => {
  it('are taken in commit order: a second writer waits for the first to commit', async () => {
    const { store, cleanup } = await freshStore('postgres');
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]!.s;
    const client = () =>
      new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
    const [a, b] = [client(), client()];
    await a.connect();
    await b.connect();
    const insert = (c: pg.Client, n: number) =>
      c.query(
        `insert into devices (device_id, key_type, public_key, module, h3_cell, operator, active, registered_block)
         values ($1, 1, '0x11', 'uptime', '8a392ad5a6dffff', $2, 1, 1)`,
        [id(n), account(1)],
      );
    try {
      await a.query('begin');
      await insert(a, 1);
      await b.query('begin');
      const second = insert(b, 2).then(() => b.query('commit'));
      // b's stamp waits on a's transaction-level lock.
      for (let i = 0; ; i++) {
        const waiting = await store.db
          .selectFrom(sql<{ granted: boolean; locktype: string }>`pg_locks`.as('l'))
          .select(['granted'])
          .where('locktype', '=', 'advisory')
          .where('granted', '=', false)
          .execute();
        if (waiting.length > 0) break;
        if (i === 100) throw new Error('the second writer never waited for the lock');
        await new Promise((r) => setTimeout(r, 20));
      }
      await a.query('commit');
      await second;
      const rows = await store.db
        .selectFrom('devices')
        .select(['device_id', 'change_seq'])
        .orderBy('device_id')
        .execute();
      expect(rows.map((r) => r.device_id)).toEqual([id(1), id(2)]);
      expect(Number(rows[1]!.change_seq)).toBeGreaterThan(Number(rows[0]!.change_seq));
    } finally {
      await a.end();
      await b.end();
      await cleanup();
    }
  });
});
