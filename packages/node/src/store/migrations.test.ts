import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { STORE_KINDS, TEST_PG_URL } from '../../test/helpers.ts';
import { openPostgresStore, openSqliteStore, pgSessionOptions, type Store } from './db.ts';
import { coreMigrations } from './migrations.ts';
import type { Database } from './schema.ts';

const dev = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const envelope = (device: string, seq: number) => ({
  device_id: device,
  seq,
  time: 1000 + seq,
  received_at: 2000 + seq,
  kind: 'uptime.heartbeat',
  body: '{"uptimeSeconds":1}',
  sig: `0x${'ab'.repeat(64)}`,
});

describe.each(STORE_KINDS)('migration 0004 on %s', (kind) => {
  it('drops the (device_id, seq) index of envelopes and keeps every row and the id sequence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-mig-'));
    const schema = `gw_test_${randomBytes(6).toString('hex')}`;
    // A store as it was before 0004: the first three core migrations, and envelopes in it.
    const old =
      kind === 'sqlite'
        ? new Kysely<Database>({
            dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'node.sqlite')) }),
          })
        : new Kysely<Database>({
            dialect: new PostgresDialect({
              pool: new pg.Pool({ connectionString: TEST_PG_URL, max: 1, options: pgSessionOptions(schema) }),
            }),
          });
    let store: Store | undefined;
    try {
      if (kind === 'postgres') await sql.raw(`create schema ${schema}`).execute(old);
      const { '0004_envelopes_without_device_index': _, ...before } = coreMigrations(kind);
      const migrated = await new Migrator({
        db: old,
        provider: { getMigrations: async () => before },
        ...(kind === 'postgres' ? { migrationTableSchema: schema } : {}),
      }).migrateToLatest();
      expect(migrated.error).toBeUndefined();
      await old
        .insertInto('envelopes')
        .values([envelope(dev(1), 1), envelope(dev(1), 2), envelope(dev(2), 1)])
        .execute();
      await expect(
        old
          .insertInto('envelopes')
          .values(envelope(dev(1), 2))
          .execute(),
      ).rejects.toThrow(/unique|duplicate/i);
      await old.destroy();

      store =
        kind === 'sqlite'
          ? await openSqliteStore(join(dir, 'node.sqlite'))
          : await openPostgresStore(TEST_PG_URL!, [], schema);
      const rows = await store.db
        .selectFrom('envelopes')
        .select(['id', 'device_id', 'seq'])
        .orderBy('id')
        .execute();
      expect(rows.map((r) => [Number(r.id), r.device_id, Number(r.seq)])).toEqual([
        [1, dev(1), 1],
        [2, dev(1), 2],
        [3, dev(2), 1],
      ]);
      // Ids go on after the copied rows; the table no longer refuses a (device, seq) pair
      // itself (device_seq does, at ingest).
      const next = await store.db
        .insertInto('envelopes')
        .values(envelope(dev(1), 2))
        .returning('id')
        .executeTakeFirstOrThrow();
      // (PostgreSQL's sequence also spent a value on the refused insert above.)
      expect(Number(next.id)).toBe(kind === 'sqlite' ? 4 : 5);
      const indexes =
        kind === 'sqlite'
          ? (await sql<{ name: string }>`select name from pragma_index_list('envelopes')`.execute(store.db))
              .rows
          : (
              await sql<{ name: string }>`select indexname as name from pg_indexes
                where schemaname = ${schema} and tablename = 'envelopes'`.execute(store.db)
            ).rows;
      expect(indexes.map((i) => i.name).sort()).toEqual(
        kind === 'sqlite' ? ['envelopes_received_at'] : ['envelopes_pkey', 'envelopes_received_at'],
      );
    } finally {
      await store?.close();
      if (kind === 'postgres') {
        const c = new pg.Client({ connectionString: TEST_PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(TEST_PG_URL)('migration 0008 on postgres', () => {
  it('gives every device id and account column the bytewise collation "C", and keeps the rows', async () => {
    const schema = `gw_test_${randomBytes(6).toString('hex')}`;
    let store: Store | undefined;
    try {
      store = await openPostgresStore(TEST_PG_URL!, [], schema);
      const columns = await sql<{ table_name: string; column_name: string; collation_name: string | null }>`
        select table_name, column_name, collation_name from information_schema.columns
        where table_schema = ${schema} and column_name in ('device_id', 'operator', 'account')
        order by table_name, column_name`.execute(store.db);
      expect(columns.rows.map((c) => `${c.table_name}.${c.column_name} ${c.collation_name}`)).toEqual([
        'claims.account C',
        'contributions.device_id C',
        'cumulative.account C',
        'device_seq.device_id C',
        'devices.device_id C',
        'devices.operator C',
        'envelopes.device_id C',
        'rejections.device_id C',
        'reward_lines.device_id C',
        'verdicts.device_id C',
      ]);
      // The primary key still refuses a duplicate id under the new collation.
      const device = {
        device_id: dev(7),
        key_type: 1,
        public_key: `0x${'11'.repeat(32)}`,
        module: 'uptime',
        h3_cell: '8a392ad5a6dffff',
        operator: `0x${'aa'.repeat(20)}`,
        active: 1,
        registered_block: 1,
      };
      await store.db.insertInto('devices').values(device).execute();
      await expect(store.db.insertInto('devices').values(device).execute()).rejects.toThrow(/duplicate/i);
    } finally {
      await store?.close();
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  });
});
