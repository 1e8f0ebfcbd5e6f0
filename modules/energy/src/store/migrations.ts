import type { Kysely, Migration } from 'kysely';

/**
 * The module's tables, written once with Kysely's schema builder for SQLite
 * and PostgreSQL alike: integers that can pass 2^31 are `bigint`, token
 * amounts decimal `text`, no auto-increment ids.
 */
export const energyMigrations: Record<string, Migration> = {
  '0001_energy': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('energy_state')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('energy_meters')
        .addColumn('device_id', 'text', (c) => c.primaryKey())
        .addColumn('connection_w', 'bigint', (c) => c.notNull())
        .addColumn('pv_wp', 'bigint', (c) => c.notNull())
        .addColumn('battery_w', 'bigint', (c) => c.notNull())
        .addColumn('site_at', 'bigint', (c) => c.notNull())
        .addColumn('last_slot', 'bigint')
        .addColumn('last_import_total', 'bigint')
        .addColumn('last_export_total', 'bigint')
        .execute();

      await db.schema
        .createTable('energy_reads')
        .addColumn('envelope_id', 'bigint', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('wh_import', 'bigint', (c) => c.notNull())
        .addColumn('wh_export', 'bigint', (c) => c.notNull())
        .addColumn('wh_import_total', 'bigint')
        .addColumn('wh_export_total', 'bigint')
        .addColumn('green_wh', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema
        .createIndex('energy_reads_device_slot')
        .on('energy_reads')
        .columns(['device_id', 'slot'])
        .execute();
      await db.schema
        .createIndex('energy_reads_slot')
        .on('energy_reads')
        .columns(['slot', 'status'])
        .execute();
      await db.schema
        .createIndex('energy_reads_received')
        .on('energy_reads')
        .columns(['received_at', 'status'])
        .execute();

      await db.schema
        .createTable('energy_order_batches')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('energy_orders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('batch', 'text', (c) => c.notNull())
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('meter', 'text', (c) => c.notNull())
        .addColumn('side', 'text', (c) => c.notNull())
        .addColumn('volume_wh', 'bigint', (c) => c.notNull())
        .addColumn('price', 'bigint', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('filled_wh', 'bigint')
        .execute();
      await db.schema
        .createIndex('energy_orders_slot')
        .on('energy_orders')
        .columns(['slot', 'status'])
        .execute();
      await db.schema
        .createIndex('energy_orders_account')
        .on('energy_orders')
        .columns(['account', 'slot'])
        .execute();

      await db.schema
        .createTable('energy_clearings')
        .addColumn('slot', 'bigint', (c) => c.primaryKey())
        .addColumn('price', 'bigint')
        .addColumn('volume_wh', 'bigint', (c) => c.notNull())
        .addColumn('orders', 'integer', (c) => c.notNull())
        .addColumn('tick', 'bigint', (c) => c.notNull())
        .addColumn('tariff_import', 'text', (c) => c.notNull())
        .addColumn('tariff_export', 'text', (c) => c.notNull())
        .addColumn('cleared_at', 'bigint', (c) => c.notNull())
        .addColumn('book_hash', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('energy_trades')
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('bid_id', 'text', (c) => c.notNull())
        .addColumn('ask_id', 'text', (c) => c.notNull())
        .addColumn('volume_wh', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('energy_trades_pk', ['slot', 'seq'])
        .execute();

      await db.schema
        .createTable('energy_deposits')
        .addColumn('tx_hash', 'text', (c) => c.notNull())
        .addColumn('log_index', 'integer', (c) => c.notNull())
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('amount', 'text', (c) => c.notNull())
        .addColumn('block', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('energy_deposits_pk', ['tx_hash', 'log_index'])
        .execute();
      await db.schema
        .createIndex('energy_deposits_slot')
        .on('energy_deposits')
        .columns(['slot', 'account'])
        .execute();

      await db.schema
        .createTable('energy_withdrawals')
        .addColumn('tx_hash', 'text', (c) => c.notNull())
        .addColumn('log_index', 'integer', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('amount', 'text', (c) => c.notNull())
        .addColumn('cumulative', 'text', (c) => c.notNull())
        .addColumn('caller', 'text', (c) => c.notNull())
        .addColumn('block', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('energy_withdrawals_pk', ['tx_hash', 'log_index'])
        .execute();
      await db.schema
        .createIndex('energy_withdrawals_account')
        .on('energy_withdrawals')
        .columns(['account', 'block'])
        .execute();

      await db.schema
        .createTable('energy_chain_settlements')
        .addColumn('slot', 'bigint', (c) => c.primaryKey())
        .addColumn('previous_slot', 'bigint', (c) => c.notNull())
        .addColumn('root', 'text', (c) => c.notNull())
        .addColumn('total', 'text', (c) => c.notNull())
        .addColumn('grid_draw', 'text', (c) => c.notNull())
        .addColumn('statement_hash', 'text', (c) => c.notNull())
        .addColumn('tx_hash', 'text', (c) => c.notNull())
        .addColumn('block', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('energy_settlements')
        .addColumn('slot', 'bigint', (c) => c.primaryKey())
        .addColumn('previous_slot', 'bigint', (c) => c.notNull())
        .addColumn('root', 'text', (c) => c.notNull())
        .addColumn('total', 'text', (c) => c.notNull())
        .addColumn('grid_draw', 'text', (c) => c.notNull())
        .addColumn('statement_hash', 'text', (c) => c.notNull())
        .addColumn('statement', 'text', (c) => c.notNull())
        .addColumn('computed_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('tx_hash', 'text')
        .execute();

      await db.schema
        .createTable('energy_statement_lines')
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('amount', 'text', (c) => c.notNull())
        .addColumn('line', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('energy_statement_lines_pk', ['slot', 'account'])
        .execute();
      await db.schema
        .createIndex('energy_statement_lines_account')
        .on('energy_statement_lines')
        .columns(['account', 'slot'])
        .execute();

      await db.schema
        .createTable('energy_cumulative')
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('amount', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('energy_cumulative_pk', ['slot', 'account'])
        .execute();
    },
  },
};
