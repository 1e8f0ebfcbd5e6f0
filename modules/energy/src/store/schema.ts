import type { Db } from '@groundwork/node/store/db.ts';
import type { Database } from '@groundwork/node/store/schema.ts';
import type { Kysely } from 'kysely';

/** Small key → value state of the module: cursors of its stages. */
export interface EnergyStateTable {
  key: string;
  value: string;
}

/** Per meter: its declared site and its last accepted read (the ledger's fast path). */
export interface EnergyMeterTable {
  device_id: string;
  connection_w: number;
  pv_wp: number;
  battery_w: number;
  /** receivedAt of the declaration in effect. */
  site_at: number;
  last_slot: number | null;
  last_import_total: number | null;
  last_export_total: number | null;
}

/** Every interval read of a meter with its final verdict (the meter's audit trail). */
export interface EnergyReadTable {
  envelope_id: number;
  device_id: string;
  slot: number;
  wh_import: number;
  wh_export: number;
  wh_import_total: number | null;
  wh_export_total: number | null;
  /** The part of the export the sun can account for (what green rewards count). */
  green_wh: number;
  received_at: number;
  status: string;
  reason: string;
  detail: string | null;
}

/** A signed batch of orders, kept so anyone can check the signature. */
export interface EnergyOrderBatchTable {
  hash: string;
  account: string;
  signature: string;
  body: string;
  received_at: number;
}

export interface EnergyOrderTable {
  id: string;
  batch: string;
  slot: number;
  account: string;
  meter: string;
  side: string;
  volume_wh: number;
  price: number;
  nonce: string;
  /** Submission time (node clock, ms): the tie-break after price. */
  time: number;
  /** open → cleared, or cancelled, or dropped (escrow no longer covers it at gate closure). */
  status: string;
  filled_wh: number | null;
}

export interface EnergyClearingTable {
  slot: number;
  price: number | null;
  volume_wh: number;
  orders: number;
  tick: number;
  tariff_import: string;
  tariff_export: string;
  cleared_at: number;
  /** keccak256 of the canonical JSON of the book that was cleared. */
  book_hash: string;
}

export interface EnergyTradeTable {
  slot: number;
  seq: number;
  bid_id: string;
  ask_id: string;
  volume_wh: number;
}

/** EnergyMarket events, as the indexer decoded them. */
export interface EnergyDepositTable {
  tx_hash: string;
  log_index: number;
  slot: number;
  account: string;
  amount: string;
  block: number;
}

export interface EnergyWithdrawalTable {
  tx_hash: string;
  log_index: number;
  account: string;
  amount: string;
  cumulative: string;
  caller: string;
  block: number;
}

export interface EnergyChainSettlementTable {
  slot: number;
  previous_slot: number;
  root: string;
  total: string;
  grid_draw: string;
  statement_hash: string;
  tx_hash: string;
  block: number;
}

/** The node's settlement of a slot: the statement (published), its tree, and where it stands on chain. */
export interface EnergySettlementTable {
  slot: number;
  /** The settlement it follows (0 for the first): roots form a chain. */
  previous_slot: number;
  root: string;
  /** The cumulative total of the root (all slots so far). */
  total: string;
  grid_draw: string;
  statement_hash: string;
  statement: string;
  computed_at: number;
  /** computed → submitted (its root took effect on chain). */
  status: string;
  tx_hash: string | null;
}

/** One account's line of a slot's settlement: what the slot adds to what it is owed, and why. */
export interface EnergyStatementLineTable {
  slot: number;
  account: string;
  amount: string;
  line: string;
}

/** Cumulative amounts per account after a settlement: the leaves of its root (kept for the recent roots only). */
export interface EnergyCumulativeTable {
  slot: number;
  account: string;
  amount: string;
}

export interface EnergyTables {
  energy_state: EnergyStateTable;
  energy_meters: EnergyMeterTable;
  energy_reads: EnergyReadTable;
  energy_order_batches: EnergyOrderBatchTable;
  energy_orders: EnergyOrderTable;
  energy_clearings: EnergyClearingTable;
  energy_trades: EnergyTradeTable;
  energy_deposits: EnergyDepositTable;
  energy_withdrawals: EnergyWithdrawalTable;
  energy_chain_settlements: EnergyChainSettlementTable;
  energy_settlements: EnergySettlementTable;
  energy_statement_lines: EnergyStatementLineTable;
  energy_cumulative: EnergyCumulativeTable;
}

export type EnergyDb = Kysely<Database & EnergyTables>;

/** The node's database seen with this module's tables too. */
export function energyDb(db: Db | EnergyDb): EnergyDb {
  return db as unknown as EnergyDb;
}

/** Reads a value of `energy_state`. */
export async function readState(db: EnergyDb, key: string): Promise<string | undefined> {
  const r = await db.selectFrom('energy_state').select('value').where('key', '=', key).executeTakeFirst();
  return r?.value;
}

/** Writes a value of `energy_state` (insert or replace). */
export async function writeState(db: EnergyDb, key: string, value: string): Promise<void> {
  await db
    .insertInto('energy_state')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
