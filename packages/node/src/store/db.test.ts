import { sql } from 'kysely';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { freshStore, TEST_PG_URL } from '../../test/helpers.ts';
import { openSqliteStore } from './db.ts';
import { coreMigrations } from './migrations.ts';

describe.skipIf(!TEST_PG_URL)('PostgreSQL store', () => {
  it('opens in a new schema while another schema of the database already holds a store', async () => {
    // Kysely's migrator looked for its tables in every schema: the second store found
    // the first's, skipped creating its own, and failed with "kysely_migration_lock does not exist".
    const first = await freshStore('postgres');
    try {
      const second = await freshStore('postgres');
      try {
        const { rows } = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(
          second.store.db,
        );
        expect(Number(rows[0]!.n)).toBeGreaterThan(0);
        const settings = await sql<{ jit: string }>`show jit`.execute(second.store.db);
        expect(settings.rows[0]!.jit).toBe('off');
      } finally {
        await second.cleanup();
      }
    } finally {
      await first.cleanup();
    }
  });
});

describe('store migrations', () => {
  it('log each migration as it starts and once applied, and leave the aggregates their covering index', async () => {
    const logged: { msg: string; migration: string; seconds?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const store = await openSqliteStore(':memory:', [], { log });
    try {
      const names = Object.keys(coreMigrations('sqlite'));
      expect(logged.map((l) => `${l.msg} ${l.migration}`)).toEqual(
        names.flatMap((n) => [`applying store migration ${n}`, `store migration applied ${n}`]),
      );
      expect(
        logged.filter((l) => l.msg === 'store migration applied').every((l) => typeof l.seconds === 'number'),
      ).toBe(true);
      const { rows } = await sql<{ name: string }>`select name from sqlite_master
        where type = 'index' and tbl_name = 'contributions' and name like 'contributions_%' order by name`.execute(
        store.db,
      );
      expect(rows.map((r) => r.name)).toEqual(['contributions_at', 'contributions_module_at_device']);
      const list = await sql<{ detail: string }>`explain query plan select device_id, operator from devices
        where module = 'uptime' and active = 1 order by device_id`.execute(store.db);
      expect(list.rows.map((r) => r.detail).join(' | ')).toContain(
        'USING COVERING INDEX devices_module_list',
      );
      const plan = await sql<{
        detail: string;
      }>`explain query plan select device_id, count(*) from contributions
        where module = 'uptime' and at >= 0 and at < 60000 group by device_id`.execute(store.db);
      expect(plan.rows.map((r) => r.detail).join(' | ')).toContain(
        'USING COVERING INDEX contributions_module_at_device',
      );
    } finally {
      await store.close();
    }
  });
});
