import type { Db } from '@groundwork/node';
import type { Kysely, Migration } from 'kysely';

/** Key/value state of the module: cursors, the session key, anchoring marks. */
export interface KvTable {
  key: string;
  value: string;
}

export interface NonceTable {
  nonce: string;
  expires_at: number;
  used: number;
}

export interface SessionTable {
  sid: string;
  account: string;
  created_at: number;
  expires_at: number;
  revoked: number;
}

export interface ShipmentTable {
  id: string;
  reference: string;
  shipper: string;
  /** created → in_transit → delivered. */
  status: string;
  created_at: number;
  start_at: number;
  delivered_at: number | null;
  route: string;
  rules: string;
  custodian: string;
  handoff_count: number;
  alert_count: number;
  /** 1 when readings were attached since the rules were last evaluated. */
  needs_eval: number;
}

export interface PartyTable {
  shipment_id: string;
  account: string;
  role: string;
  added_at: number;
}

/** Which tracker follows which shipment, over [from_ms, to_ms) of measurement time (to_ms null: still on it). */
export interface TrackerTable {
  shipment_id: string;
  device_id: string;
  from_ms: number;
  to_ms: number | null;
}

/** Every anchored record: its canonical JSON, id (= record hash), salt, leaf and place in a batch. */
export interface RecordTable {
  id: string;
  seq: number;
  type: string;
  shipment_id: string | null;
  device_id: string | null;
  at: number;
  json: string;
  salt: string;
  leaf: string;
  /** The batch it was anchored in; its leaf is at position seq − first_seq of that batch. */
  batch: number | null;
  created_at: number;
}

/** Readings, parsed, for rules, reports and rewards. */
export interface ReadingTable {
  record_id: string;
  envelope_id: number;
  device_id: string;
  seq: number;
  at: number;
  received_at: number;
  shipment_id: string | null;
  temp_mc: number | null;
  humidity_pm: number | null;
  lat_e7: number | null;
  lng_e7: number | null;
  shock_mg: number | null;
}

export interface AlertTable {
  record_id: string;
  shipment_id: string;
  idx: number;
  rule_index: number;
  code: string;
  start_at: number;
  last_at: number;
  worst: number;
  created_at: number;
}

export interface HandoffTable {
  record_id: string;
  shipment_id: string;
  idx: number;
  from_account: string;
  to_account: string;
  at: number;
  lat_e7: number;
  lng_e7: number;
  place: string;
  note: string;
}

/** A Merkle tree of records [first_seq, first_seq + records) and its anchoring. */
export interface BatchTable {
  batch: number;
  root: string;
  first_seq: number;
  records: number;
  /** pending (built, not yet confirmed on chain) → anchored. */
  status: string;
  tx_hash: string | null;
  block: number | null;
  chain_batch: number | null;
  anchored_at: number | null;
  anchorer: string | null;
  created_at: number;
}

/** The outbox: every alert, hand-off and delivery, in order; SSE streams and webhooks read it. */
export interface EventTable {
  seq: number;
  shipment_id: string;
  type: string;
  payload: string;
  created_at: number;
}

export interface WebhookTable {
  shipment_id: string;
  account: string;
  url: string;
  secret: string;
  created_at: number;
}

export interface DeliveryTable {
  id: string;
  event_seq: number;
  shipment_id: string;
  account: string;
  url: string;
  status: string;
  attempts: number;
  next_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface LogisticsTables {
  logistics_kv: KvTable;
  logistics_nonces: NonceTable;
  logistics_sessions: SessionTable;
  logistics_shipments: ShipmentTable;
  logistics_parties: PartyTable;
  logistics_trackers: TrackerTable;
  logistics_records: RecordTable;
  logistics_readings: ReadingTable;
  logistics_alerts: AlertTable;
  logistics_handoffs: HandoffTable;
  logistics_batches: BatchTable;
  logistics_events: EventTable;
  logistics_webhooks: WebhookTable;
  logistics_deliveries: DeliveryTable;
}

/** The node's `Db` with this module's tables typed. */
export function ldb(db: Db): Kysely<LogisticsTables> {
  return db as unknown as Kysely<LogisticsTables>;
}

/**
 * The module's tables. Portable between SQLite and PostgreSQL: text keys (no
 * auto-increment), bigint times, integer flags; every id is chosen by the code.
 */
export const migrations: Record<string, Migration> = {
  '0001_logistics': {
    async up(db: Kysely<unknown>) {
      const s = db.schema;
      await s
        .createTable('logistics_kv')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await s
        .createTable('logistics_nonces')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used', 'integer', (c) => c.notNull())
        .execute();
      await s
        .createTable('logistics_sessions')
        .addColumn('sid', 'text', (c) => c.primaryKey())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked', 'integer', (c) => c.notNull())
        .execute();
      await s
        .createTable('logistics_shipments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('shipper', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('start_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('rules', 'text', (c) => c.notNull())
        .addColumn('custodian', 'text', (c) => c.notNull())
        .addColumn('handoff_count', 'integer', (c) => c.notNull())
        .addColumn('alert_count', 'integer', (c) => c.notNull())
        .addColumn('needs_eval', 'integer', (c) => c.notNull())
        .execute();
      await s
        .createTable('logistics_parties')
        .addColumn('shipment_id', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('added_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('logistics_parties_pk', ['shipment_id', 'account', 'role'])
        .execute();
      await s.createIndex('logistics_parties_account').on('logistics_parties').column('account').execute();
      await s
        .createTable('logistics_trackers')
        .addColumn('shipment_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('from_ms', 'bigint', (c) => c.notNull())
        .addColumn('to_ms', 'bigint')
        .addPrimaryKeyConstraint('logistics_trackers_pk', ['shipment_id', 'device_id'])
        .execute();
      await s.createIndex('logistics_trackers_device').on('logistics_trackers').column('device_id').execute();
      await s
        .createTable('logistics_records')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('shipment_id', 'text')
        .addColumn('device_id', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addColumn('salt', 'text', (c) => c.notNull())
        .addColumn('leaf', 'text', (c) => c.notNull())
        .addColumn('batch', 'integer')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await s
        .createIndex('logistics_records_batch')
        .on('logistics_records')
        .columns(['batch', 'seq'])
        .execute();
      await s
        .createIndex('logistics_records_shipment')
        .on('logistics_records')
        .columns(['shipment_id', 'at'])
        .execute();
      await s
        .createTable('logistics_readings')
        .addColumn('record_id', 'text', (c) => c.primaryKey())
        .addColumn('envelope_id', 'bigint', (c) => c.notNull().unique())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('shipment_id', 'text')
        .addColumn('temp_mc', 'integer')
        .addColumn('humidity_pm', 'integer')
        .addColumn('lat_e7', 'integer')
        .addColumn('lng_e7', 'integer')
        .addColumn('shock_mg', 'integer')
        .execute();
      await s
        .createIndex('logistics_readings_device')
        .on('logistics_readings')
        .columns(['device_id', 'at'])
        .execute();
      await s
        .createIndex('logistics_readings_shipment')
        .on('logistics_readings')
        .columns(['shipment_id', 'at'])
        .execute();
      await s
        .createIndex('logistics_readings_received')
        .on('logistics_readings')
        .column('received_at')
        .execute();
      await s
        .createTable('logistics_alerts')
        .addColumn('record_id', 'text', (c) => c.primaryKey())
        .addColumn('shipment_id', 'text', (c) => c.notNull())
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('rule_index', 'integer', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('start_at', 'bigint', (c) => c.notNull())
        .addColumn('last_at', 'bigint', (c) => c.notNull())
        .addColumn('worst', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('logistics_alerts_idx', ['shipment_id', 'idx'])
        .execute();
      await s
        .createTable('logistics_handoffs')
        .addColumn('record_id', 'text', (c) => c.primaryKey())
        .addColumn('shipment_id', 'text', (c) => c.notNull())
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('from_account', 'text', (c) => c.notNull())
        .addColumn('to_account', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('lat_e7', 'integer', (c) => c.notNull())
        .addColumn('lng_e7', 'integer', (c) => c.notNull())
        .addColumn('place', 'text', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addUniqueConstraint('logistics_handoffs_idx', ['shipment_id', 'idx'])
        .execute();
      await s
        .createTable('logistics_batches')
        .addColumn('batch', 'integer', (c) => c.primaryKey())
        .addColumn('root', 'text', (c) => c.notNull().unique())
        .addColumn('first_seq', 'bigint', (c) => c.notNull())
        .addColumn('records', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('tx_hash', 'text')
        .addColumn('block', 'bigint')
        .addColumn('chain_batch', 'integer')
        .addColumn('anchored_at', 'bigint')
        .addColumn('anchorer', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await s
        .createTable('logistics_events')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('shipment_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await s
        .createTable('logistics_webhooks')
        .addColumn('shipment_id', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('logistics_webhooks_pk', ['shipment_id', 'account'])
        .execute();
      await s
        .createTable('logistics_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('event_seq', 'bigint', (c) => c.notNull())
        .addColumn('shipment_id', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .execute();
      await s
        .createIndex('logistics_deliveries_due')
        .on('logistics_deliveries')
        .columns(['status', 'next_at'])
        .execute();
    },
  },
};

/** Reads a module state value. */
export async function getKv(db: Kysely<LogisticsTables>, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('logistics_kv').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/** Writes a module state value. */
export async function setKv(db: Kysely<LogisticsTables>, key: string, value: string): Promise<void> {
  await db
    .insertInto('logistics_kv')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** The next value of a sequence column (max + 1); callers hold the module's write lock. */
export async function nextSeq(
  db: Kysely<LogisticsTables>,
  table: 'logistics_records' | 'logistics_events',
): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.max('seq').as('m'))
    .executeTakeFirst();
  return Number(row?.m ?? 0) + 1;
}
