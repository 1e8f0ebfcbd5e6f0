import type { Db } from '@groundwork/node/store/db.ts';
import type { Database } from '@groundwork/node/store/schema.ts';
import { type Kysely, type Migration, sql } from 'kysely';

/** Issued challenge entropy rounds (the secret chain is private until each round is issued). */
export interface EntropyTable {
  round: number;
  block_number: number;
  block_hash: string;
  secret: string;
  commitment: string | null;
  next_commitment: string;
  next_secret: string;
  entropy: string;
  issued_at: number;
}

export interface BeaconTable {
  envelope_id: number;
  device_id: string;
  received_at: number;
  round: number;
  nonce: string;
  /** The packet the beacon broadcast, or null when its round is unknown. */
  packet: string | null;
  frequency_khz: number;
  eirp_ddbm: number;
  gain_ddbi: number;
  /** Asserted cell and operator when the beacon was verified. */
  cell: string;
  operator: string;
  dup: number;
  /** Latest verdict and whether it is final (set at the epoch close) or provisional. */
  reason: string | null;
  final: number;
  epoch: number | null;
}

export interface WitnessTable {
  envelope_id: number;
  device_id: string;
  received_at: number;
  packet: string;
  beacon_id: number | null;
  rssi_ddbm: number;
  snr_ddb: number;
  frequency_khz: number;
  gain_ddbi: number;
  cell: string;
  operator: string;
  dup: number;
  reason: string | null;
  final: number;
  epoch: number | null;
  distance_m: number | null;
  max_rssi_ddbm: number | null;
}

export interface SessionTable {
  envelope_id: number;
  device_id: string;
  session_id: string;
  client: string;
  max_credits: string;
  deadline: number;
  chain_id: number;
  contract: string;
  signature: string;
  received_at: number;
  operator: string;
  reason: string;
}

export interface ReceiptTable {
  envelope_id: number;
  device_id: string;
  session_id: string;
  client: string;
  counter: number;
  cumulative_bytes: number;
  received_at: number;
  reason: string;
}

/** One accepted session and what it owes: receipts accepted, credits owed, submitted and debited on chain. */
export interface SettlementTable {
  client: string;
  session_id: string;
  device_id: string;
  session_envelope: number;
  max_credits: string;
  deadline: number;
  signature: string;
  last_counter: number;
  accepted_bytes: number;
  last_receipt_at: number;
  owed_credits: string;
  submitted_credits: string;
  debited_credits: string;
  paid_bytes: string;
}

/** DataCredits events (`SessionDebited`, `CreditsMinted`, `CreditsSpent`, `PriceUpdated`) as seen on chain. */
export interface CreditEventTable {
  tx_hash: string;
  log_index: number;
  block: number;
  block_time: number;
  name: string;
  /** Lowercase addresses / ids the event names, for lookups. */
  account: string;
  other: string;
  session_id: string | null;
  hotspot: string | null;
  amount: string;
  total: string;
  /** Bytes a debit paid for (debits only). */
  bytes: string;
  data: string;
}

/** A hotspot's tests and outcome per epoch. */
export interface HotspotEpochTable {
  epoch: number;
  device_id: string;
  flags: string;
  reason: string;
  score: string;
  detail: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface CoverageTables {
  coverage_entropy: EntropyTable;
  coverage_beacons: BeaconTable;
  coverage_witnesses: WitnessTable;
  coverage_sessions: SessionTable;
  coverage_receipts: ReceiptTable;
  coverage_settlements: SettlementTable;
  coverage_credit_events: CreditEventTable;
  coverage_hotspot_epochs: HotspotEpochTable;
  coverage_meta: MetaTable;
}

export type CoverageDb = Kysely<Database & CoverageTables>;

/** The node's database with this module's tables typed. */
export const coverageDb = (db: Db): CoverageDb => db as unknown as CoverageDb;

/** The module's migrations (Kysely schema builder only: SQLite now, PostgreSQL later). */
export const coverageMigrations: Record<string, Migration> = {
  '0001_coverage': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('coverage_entropy')
        .addColumn('round', 'integer', (c) => c.primaryKey())
        .addColumn('block_number', 'bigint', (c) => c.notNull())
        .addColumn('block_hash', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('commitment', 'text')
        .addColumn('next_commitment', 'text', (c) => c.notNull())
        .addColumn('next_secret', 'text', (c) => c.notNull())
        .addColumn('entropy', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('coverage_beacons')
        .addColumn('envelope_id', 'bigint', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('round', 'integer', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('packet', 'text')
        .addColumn('frequency_khz', 'integer', (c) => c.notNull())
        .addColumn('eirp_ddbm', 'integer', (c) => c.notNull())
        .addColumn('gain_ddbi', 'integer', (c) => c.notNull())
        .addColumn('cell', 'text', (c) => c.notNull())
        .addColumn('operator', 'text', (c) => c.notNull())
        .addColumn('dup', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('final', 'integer', (c) => c.notNull())
        .addColumn('epoch', 'integer')
        .execute();
      await db.schema
        .createIndex('coverage_beacons_packet')
        .on('coverage_beacons')
        .column('packet')
        .execute();
      await db.schema
        .createIndex('coverage_beacons_device')
        .on('coverage_beacons')
        .columns(['device_id', 'envelope_id'])
        .execute();
      await db.schema
        .createIndex('coverage_beacons_received')
        .on('coverage_beacons')
        .column('received_at')
        .execute();

      await db.schema
        .createTable('coverage_witnesses')
        .addColumn('envelope_id', 'bigint', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('packet', 'text', (c) => c.notNull())
        .addColumn('beacon_id', 'bigint')
        .addColumn('rssi_ddbm', 'integer', (c) => c.notNull())
        .addColumn('snr_ddb', 'integer', (c) => c.notNull())
        .addColumn('frequency_khz', 'integer', (c) => c.notNull())
        .addColumn('gain_ddbi', 'integer', (c) => c.notNull())
        .addColumn('cell', 'text', (c) => c.notNull())
        .addColumn('operator', 'text', (c) => c.notNull())
        .addColumn('dup', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('final', 'integer', (c) => c.notNull())
        .addColumn('epoch', 'integer')
        .addColumn('distance_m', 'integer')
        .addColumn('max_rssi_ddbm', 'integer')
        .execute();
      await db.schema
        .createIndex('coverage_witnesses_packet')
        .on('coverage_witnesses')
        .column('packet')
        .execute();
      await db.schema
        .createIndex('coverage_witnesses_device')
        .on('coverage_witnesses')
        .columns(['device_id', 'envelope_id'])
        .execute();
      await db.schema
        .createIndex('coverage_witnesses_received')
        .on('coverage_witnesses')
        .column('received_at')
        .execute();

      await db.schema
        .createTable('coverage_sessions')
        .addColumn('envelope_id', 'bigint', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('max_credits', 'text', (c) => c.notNull())
        .addColumn('deadline', 'bigint', (c) => c.notNull())
        .addColumn('chain_id', 'integer', (c) => c.notNull())
        .addColumn('contract', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('operator', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('coverage_sessions_device')
        .on('coverage_sessions')
        .columns(['device_id', 'envelope_id'])
        .execute();

      await db.schema
        .createTable('coverage_receipts')
        .addColumn('envelope_id', 'bigint', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('counter', 'bigint', (c) => c.notNull())
        .addColumn('cumulative_bytes', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('coverage_receipts_device')
        .on('coverage_receipts')
        .columns(['device_id', 'envelope_id'])
        .execute();

      await db.schema
        .createTable('coverage_settlements')
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('session_envelope', 'bigint', (c) => c.notNull())
        .addColumn('max_credits', 'text', (c) => c.notNull())
        .addColumn('deadline', 'bigint', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('last_counter', 'bigint', (c) => c.notNull())
        .addColumn('accepted_bytes', 'bigint', (c) => c.notNull())
        .addColumn('last_receipt_at', 'bigint', (c) => c.notNull())
        .addColumn('owed_credits', 'text', (c) => c.notNull())
        .addColumn('submitted_credits', 'text', (c) => c.notNull())
        .addColumn('debited_credits', 'text', (c) => c.notNull())
        .addColumn('paid_bytes', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('coverage_settlements_pk', ['client', 'session_id'])
        .execute();

      await db.schema
        .createTable('coverage_credit_events')
        .addColumn('tx_hash', 'text', (c) => c.notNull())
        .addColumn('log_index', 'integer', (c) => c.notNull())
        .addColumn('block', 'bigint', (c) => c.notNull())
        .addColumn('block_time', 'bigint', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('other', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('hotspot', 'text')
        .addColumn('amount', 'text', (c) => c.notNull())
        .addColumn('total', 'text', (c) => c.notNull())
        .addColumn('bytes', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('coverage_credit_events_pk', ['tx_hash', 'log_index'])
        .execute();
      await db.schema
        .createIndex('coverage_credit_events_name_time')
        .on('coverage_credit_events')
        .columns(['name', 'block_time'])
        .execute();
      await db.schema
        .createIndex('coverage_credit_events_account')
        .on('coverage_credit_events')
        .column('account')
        .execute();

      await db.schema
        .createTable('coverage_hotspot_epochs')
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('flags', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('score', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('coverage_hotspot_epochs_pk', ['epoch', 'device_id'])
        .execute();
      await db.schema
        .createIndex('coverage_hotspot_epochs_device')
        .on('coverage_hotspot_epochs')
        .columns(['device_id', 'epoch'])
        .execute();

      await db.schema
        .createTable('coverage_meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      void sql;
    },
  },
};

export async function getMeta(db: CoverageDb, key: string): Promise<string | undefined> {
  const r = await db.selectFrom('coverage_meta').select('value').where('key', '=', key).executeTakeFirst();
  return r?.value;
}

export async function setMeta(
  db: CoverageDb | Kysely<Database & CoverageTables>,
  key: string,
  value: string,
) {
  await db
    .insertInto('coverage_meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
