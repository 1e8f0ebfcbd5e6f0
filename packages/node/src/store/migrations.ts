import { type CreateTableBuilder, type Kysely, type Migration, sql } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Core migrations, written once with Kysely's schema builder for both
 * dialects; the only difference is how an auto-increment id is spelled.
 */
export function coreMigrations(dialect: Dialect): Record<string, Migration> {
  const autoId = (t: CreateTableBuilder<string, never>) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'bigserial', (c) => c.primaryKey())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  return {
    '0001_spine': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('devices')
          .addColumn('device_id', 'text', (c) => c.primaryKey())
          .addColumn('key_type', 'integer', (c) => c.notNull())
          .addColumn('public_key', 'text', (c) => c.notNull())
          .addColumn('module', 'text', (c) => c.notNull())
          .addColumn('h3_cell', 'text', (c) => c.notNull())
          .addColumn('operator', 'text', (c) => c.notNull())
          .addColumn('active', 'integer', (c) => c.notNull())
          .addColumn('registered_block', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('devices_operator').on('devices').column('operator').execute();

        await autoId(db.schema.createTable('envelopes'))
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('time', 'bigint', (c) => c.notNull())
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('sig', 'text', (c) => c.notNull())
          .addUniqueConstraint('envelopes_device_seq', ['device_id', 'seq'])
          .execute();
        await db.schema.createIndex('envelopes_received_at').on('envelopes').column('received_at').execute();

        await autoId(db.schema.createTable('rejections'))
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull())
          .addColumn('seq', 'bigint')
          .addColumn('kind', 'text')
          .execute();
        await db.schema
          .createIndex('rejections_device')
          .on('rejections')
          .columns(['device_id', 'id'])
          .execute();

        await db.schema
          .createTable('verdicts')
          .addColumn('envelope_id', 'bigint', (c) => c.primaryKey())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('module', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('verdicts_device')
          .on('verdicts')
          .columns(['device_id', 'envelope_id'])
          .execute();

        await db.schema
          .createTable('contributions')
          .addColumn('envelope_id', 'bigint', (c) => c.primaryKey())
          .addColumn('module', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('contributions_module_at')
          .on('contributions')
          .columns(['module', 'at'])
          .execute();

        await db.schema
          .createTable('cursors')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('position', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('epochs')
          .addColumn('epoch', 'integer', (c) => c.primaryKey())
          .addColumn('start_ms', 'bigint', (c) => c.notNull())
          .addColumn('end_ms', 'bigint', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('pool', 'text')
          .addColumn('root', 'text')
          .addColumn('total', 'text')
          .addColumn('epoch_total', 'text')
          .addColumn('bundle_path', 'text')
          .addColumn('bundle_hash', 'text')
          .addColumn('tx_hash', 'text')
          .addColumn('closed_at', 'bigint')
          .execute();

        await db.schema
          .createTable('reward_lines')
          .addColumn('epoch', 'integer', (c) => c.notNull())
          .addColumn('module', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('beneficiary', 'text', (c) => c.notNull())
          .addColumn('score', 'text', (c) => c.notNull())
          .addColumn('amount', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('detail', 'text')
          .addPrimaryKeyConstraint('reward_lines_pk', ['epoch', 'module', 'device_id'])
          .execute();
        await db.schema
          .createIndex('reward_lines_device')
          .on('reward_lines')
          .columns(['device_id', 'epoch'])
          .execute();

        await db.schema
          .createTable('cumulative')
          .addColumn('epoch', 'integer', (c) => c.notNull())
          .addColumn('account', 'text', (c) => c.notNull())
          .addColumn('amount', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('cumulative_pk', ['epoch', 'account'])
          .execute();

        await db.schema
          .createTable('params')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('block', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('chain_roots')
          .addColumn('epoch', 'integer', (c) => c.primaryKey())
          .addColumn('root', 'text', (c) => c.notNull())
          .addColumn('total', 'text', (c) => c.notNull())
          .addColumn('bundle_hash', 'text', (c) => c.notNull())
          .addColumn('tx_hash', 'text', (c) => c.notNull())
          .addColumn('block', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('claims')
          .addColumn('tx_hash', 'text', (c) => c.notNull())
          .addColumn('log_index', 'integer', (c) => c.notNull())
          .addColumn('account', 'text', (c) => c.notNull())
          .addColumn('amount', 'text', (c) => c.notNull())
          .addColumn('cumulative', 'text', (c) => c.notNull())
          .addColumn('caller', 'text', (c) => c.notNull())
          .addColumn('block', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('claims_pk', ['tx_hash', 'log_index'])
          .execute();
        await db.schema.createIndex('claims_account').on('claims').column('account').execute();

        // The last accepted seq per device: the authority every ingest process
        // checks against with a conditional update, so two processes can never
        // both accept the same (or an older) seq.
        await db.schema
          .createTable('device_seq')
          .addColumn('device_id', 'text', (c) => c.primaryKey())
          .addColumn('last_seq', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // Reward lines are indexed for the API after an epoch closes (the bundle is
    // the record); epochs closed before this migration were indexed at close.
    '0002_lines_indexed': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('epochs')
          .addColumn('lines_indexed', 'integer', (c) => c.notNull().defaultTo(1))
          .execute();
      },
    },
    // The inputs digest reads every module's contributions of an epoch's window:
    // without this index it scanned every contribution ever stored.
    '0003_contributions_at': {
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('contributions_at').on('contributions').column('at').execute();
      },
    },
    // No per-device index on the ingest path. The `(device_id, seq)` unique index
    // put a random b-tree page into every commit for every envelope: measured, it
    // was 14 of the ingest main thread's 32 µs per envelope. Replay is refused by
    // `device_seq` (a conditional update in the same transaction, which also keeps
    // several ingest workers from accepting one seq twice); a device's envelopes
    // are found through `verdicts_device`, written by the verifier.
    '0004_envelopes_without_device_index': {
      async up(db: Kysely<unknown>) {
        if (dialect === 'postgres') {
          await sql`alter table envelopes drop constraint if exists envelopes_device_seq`.execute(db);
          return;
        }
        // SQLite cannot drop a table constraint: the table is rebuilt without it (one copy).
        await sql`create table envelopes_new (
            id integer primary key autoincrement, device_id text not null, seq bigint not null,
            time bigint not null, received_at bigint not null, kind text not null, body text not null,
            sig text not null)`.execute(db);
        await sql`insert into envelopes_new (id, device_id, seq, time, received_at, kind, body, sig)
            select id, device_id, seq, time, received_at, kind, body, sig from envelopes`.execute(db);
        await sql`drop table envelopes`.execute(db);
        await sql`alter table envelopes_new rename to envelopes`.execute(db);
        await db.schema.createIndex('envelopes_received_at').on('envelopes').column('received_at').execute();
      },
    },
    // Parts of the inputs digest finished during the epoch (docs/REWARDS.md §4), so
    // the close digests only the last minute instead of the whole window.
    '0005_digest_parts': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('digest_parts')
          .addColumn('start_ms', 'bigint', (c) => c.primaryKey())
          .addColumn('end_ms', 'bigint', (c) => c.notNull())
          .addColumn('digest', 'text', (c) => c.notNull())
          .addColumn('count', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // The modules' per-device aggregates (uptime's slots) read (module, at, device_id) for
    // every contribution of the window and group by device: with device_id in the index
    // they read no table row. 100,000 devices × 60 heartbeats: 4.3 s instead of 6.3 s.
    '0006_contributions_module_at_device': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createIndex('contributions_module_at_device')
          .on('contributions')
          .columns(['module', 'at', 'device_id'])
          .execute();
        await db.schema.dropIndex('contributions_module_at').execute();
      },
    },
    // The close lists each module's active devices in id order with their operators:
    // through the primary key that was a table lookup per device (1.7 s at 1,000,000
    // devices); this index holds all the list needs, in that order (0.6 s).
    '0007_devices_module_list': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createIndex('devices_module_list')
          .on('devices')
          .columns(['module', 'active', 'device_id', 'operator'])
          .execute();
      },
    },
    // PostgreSQL: device ids and account addresses compare byte by byte (collation
    // "C"), as the bundle orders them and as SQLite's default BINARY collation
    // already does. Under the database's collation (here C.UTF-8, which PostgreSQL
    // does not treat as "C") every sort and index on them went through the
    // locale's comparison. At 1,000,000 devices the close's per-device uptime
    // aggregate took 3.0 s instead of 4.7–6.0 s (its sort by device: 1.0 s instead
    // of 2.7 s), the device list 1.5 s instead of 1.8 s. Only indexes holding these
    // columns are rebuilt, not the tables: 6 s for devices and contributions at
    // 1,000,000 devices (two heartbeats each).
    '0008_hex_ids_bytewise': {
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return;
        for (const [table, column] of HEX_ID_COLUMNS)
          await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type text collate "C"`.execute(
            db,
          );
      },
    },
    // The close keeps each module's device list between epochs and reads only the
    // devices changed since (epochs/deviceLists.ts): at 1,000,000 devices the full
    // list costs about 3 s of the close (the query, JSON.parse and the objects).
    // Every insert, and every update of a device's module, operator or active flag,
    // stamps the row with the next `change_seq`, in commit order: SQLite has one
    // writer; on PostgreSQL the trigger first takes a transaction-level advisory
    // lock, so a transaction that stamps waits for the previous one to commit, and
    // a snapshot that sees a stamp sees every smaller one. A delete (or a changed
    // device_id), which leaves no row to stamp, counts in `devices_resets`, and a
    // reader that sees the count move reloads the lists.
    '0009_devices_change_seq': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('devices')
          .addColumn('change_seq', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.createIndex('devices_change_seq').on('devices').column('change_seq').execute();
        await db.schema
          .createTable('devices_resets')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .execute();
        await sql`insert into devices_resets (id, n) values (1, 0)`.execute(db);
        if (dialect === 'sqlite') {
          const stamp = sql`update devices set change_seq = (select max(change_seq) from devices) + 1
            where rowid = new.rowid;`;
          await sql`create trigger devices_stamp_insert after insert on devices begin ${stamp} end`.execute(
            db,
          );
          await sql`create trigger devices_stamp_update after update of module, operator, active on devices
            begin ${stamp} end`.execute(db);
          const reset = sql`update devices_resets set n = n + 1 where id = 1;`;
          await sql`create trigger devices_reset_delete after delete on devices begin ${reset} end`.execute(
            db,
          );
          await sql`create trigger devices_reset_id after update of device_id on devices begin ${reset} end`.execute(
            db,
          );
          return;
        }
        await sql`create sequence devices_change_seq_next`.execute(db);
        // The lock's key is an arbitrary constant ("gw" and 1), the same in every schema:
        // writers to the devices of different schemas on one server wait for each other
        // too (they are few: the chain indexer).
        await sql`create function devices_stamp() returns trigger language plpgsql as $$
          begin
            perform pg_advisory_xact_lock(1735852033);
            new.change_seq := nextval('devices_change_seq_next');
            return new;
          end $$`.execute(db);
        await sql`create trigger devices_stamp before insert or update of module, operator, active on devices
          for each row execute function devices_stamp()`.execute(db);
        await sql`create function devices_reset() returns trigger language plpgsql as $$
          begin
            update devices_resets set n = n + 1 where id = 1;
            return null;
          end $$`.execute(db);
        await sql`create trigger devices_reset after delete or update of device_id on devices
          for each statement execute function devices_reset()`.execute(db);
      },
    },
    // The ingest workers' device directory (store/devices.ts) refreshes from the
    // same stamps, and it mirrors a device's location and key too: an update of
    // h3_cell, key_type or public_key stamps the row as well. (The close's device
    // lists see such a row as changed and merge it back unchanged.)
    '0010_devices_stamp_location_and_key': {
      async up(db: Kysely<unknown>) {
        if (dialect === 'sqlite') {
          await sql`drop trigger devices_stamp_update`.execute(db);
          await sql`create trigger devices_stamp_update
            after update of module, operator, active, h3_cell, key_type, public_key on devices
            begin update devices set change_seq = (select max(change_seq) from devices) + 1
              where rowid = new.rowid; end`.execute(db);
          return;
        }
        await sql`drop trigger devices_stamp on devices`.execute(db);
        await sql`create trigger devices_stamp
          before insert or update of module, operator, active, h3_cell, key_type, public_key on devices
          for each row execute function devices_stamp()`.execute(db);
      },
    },
  };
}

/** The core tables' columns holding device ids or account addresses (hex text). */
const HEX_ID_COLUMNS: readonly (readonly [string, string])[] = [
  ['devices', 'device_id'],
  ['devices', 'operator'],
  ['envelopes', 'device_id'],
  ['rejections', 'device_id'],
  ['verdicts', 'device_id'],
  ['contributions', 'device_id'],
  ['reward_lines', 'device_id'],
  ['cumulative', 'account'],
  ['claims', 'account'],
  ['device_seq', 'device_id'],
];
