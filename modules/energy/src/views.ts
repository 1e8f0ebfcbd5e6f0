import { buildRewardTree, type RewardTree } from '@groundwork/node/rewards/merkle.ts';
import type { Db } from '@groundwork/node/store/db.ts';
import { type EnergyDb, energyDb } from './store/schema.ts';

/** Slots of a UTC day `YYYY-MM-DD`: [first, first + slots per day). */
export function daySlots(day: string, slotMs: number): { from: number; to: number } {
  const start = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(start)) throw new RangeError(`not a day: ${day}`);
  return { from: start / slotMs, to: (start + 86_400_000) / slotMs };
}

/**
 * The runs of missing slots between accepted reads: for sorted slots
 * `[3, 4, 7, 9]` the gaps are `[{from: 5, to: 7}, {from: 8, to: 9}]` (`to`
 * exclusive). Gaps are shown, never filled.
 */
export function findGaps(slots: readonly number[]): { fromSlot: number; toSlot: number }[] {
  const gaps: { fromSlot: number; toSlot: number }[] = [];
  for (let i = 1; i < slots.length; i++) {
    if (slots[i]! > slots[i - 1]! + 1) gaps.push({ fromSlot: slots[i - 1]! + 1, toSlot: slots[i]! });
  }
  return gaps;
}

/** Clearing prices and volumes of the slots in [from, to), one entry per cleared slot. */
export async function pricesBetween(dbIn: Db | EnergyDb, from: number, to: number, slotMs: number) {
  const db = energyDb(dbIn);
  const rows = await db
    .selectFrom('energy_clearings')
    .selectAll()
    .where('slot', '>=', from)
    .where('slot', '<', to)
    .orderBy('slot')
    .execute();
  return rows.map((r) => ({
    slot: Number(r.slot),
    start: new Date(Number(r.slot) * slotMs).toISOString(),
    price: r.price === null ? null : Number(r.price),
    volumeWh: Number(r.volume_wh),
    orders: Number(r.orders),
  }));
}

/** A cleared slot: price, volume, every order's fill and the trades; undefined if not cleared. */
export async function clearingOf(dbIn: Db | EnergyDb, slot: number) {
  const db = energyDb(dbIn);
  const c = await db.selectFrom('energy_clearings').selectAll().where('slot', '=', slot).executeTakeFirst();
  if (!c) return undefined;
  const orders = await db
    .selectFrom('energy_orders')
    .selectAll()
    .where('slot', '=', slot)
    .where('status', 'in', ['cleared', 'dropped'])
    .orderBy('id')
    .execute();
  const trades = await db
    .selectFrom('energy_trades')
    .selectAll()
    .where('slot', '=', slot)
    .orderBy('seq')
    .execute();
  return {
    format: 'groundwork-energy-clearing/1' as const,
    slot,
    price: c.price === null ? null : Number(c.price),
    volumeWh: Number(c.volume_wh),
    tick: Number(c.tick),
    tariffImport: c.tariff_import,
    tariffExport: c.tariff_export,
    bookHash: c.book_hash,
    clearedAt: Number(c.cleared_at),
    fills: orders.map((o) => ({
      id: o.id,
      side: o.side,
      account: o.account,
      meter: o.meter,
      price: Number(o.price),
      volumeWh: Number(o.volume_wh),
      filledWh: Number(o.filled_wh ?? 0),
      status: o.status,
    })),
    trades: trades.map((t) => ({ bidId: t.bid_id, askId: t.ask_id, volumeWh: Number(t.volume_wh) })),
  };
}

/**
 * An account's settlement statement for the slots in [from, to): per slot it
 * traded or escrowed in, what it matched, what its meters delivered and
 * consumed, what it paid, earned and got refunded, and what the slot added to
 * what it is owed. Slots cleared but not yet settled show the match only.
 */
export async function statementOf(dbIn: Db | EnergyDb, account: string, from: number, to: number) {
  const db = energyDb(dbIn);
  const a = account.toLowerCase();
  const lines = await db
    .selectFrom('energy_statement_lines as l')
    .innerJoin('energy_settlements as s', 's.slot', 'l.slot')
    .select(['l.slot', 'l.amount', 'l.line', 's.status', 's.tx_hash'])
    .where('l.account', '=', a)
    .where('l.slot', '>=', from)
    .where('l.slot', '<', to)
    .orderBy('l.slot')
    .execute();
  const settled = lines.map((l) => {
    const line = JSON.parse(l.line) as Record<string, unknown>;
    return {
      slot: Number(l.slot),
      status: l.status === 'submitted' ? 'settled' : 'computed',
      settlementTx: l.tx_hash,
      matched: { boughtWh: line.boughtWh as number, soldWh: line.soldWh as number },
      deliveredWh: line.deliveredWh as number,
      receivedWh: line.receivedWh as number,
      consumedWh: line.consumedWh as number,
      escrow: line.escrow as string,
      paid: line.paid as string,
      earned: line.earned as string,
      refunded: line.refund as string,
      gridOnlyCost: line.gridOnlyCost as string,
      amount: l.amount,
    };
  });
  const settledSlots = new Set(settled.map((s) => s.slot));
  const pending = await db
    .selectFrom('energy_orders')
    .select(['slot', 'side', (eb) => eb.fn.sum<number>('filled_wh').as('filled')])
    .where('account', '=', a)
    .where('slot', '>=', from)
    .where('slot', '<', to)
    .where('status', '=', 'cleared')
    .groupBy(['slot', 'side'])
    .execute();
  const open = new Map<number, { boughtWh: number; soldWh: number }>();
  for (const r of pending) {
    const slot = Number(r.slot);
    if (settledSlots.has(slot)) continue;
    const m = open.get(slot) ?? { boughtWh: 0, soldWh: 0 };
    if (r.side === 'bid') m.boughtWh += Number(r.filled);
    else m.soldWh += Number(r.filled);
    open.set(slot, m);
  }
  const unsettled = [...open].map(([slot, matched]) => ({ slot, status: 'cleared', matched }));
  return [...settled, ...unsettled].sort((x, y) => x.slot - y.slot);
}

const trees = new Map<string, { root: string; tree: RewardTree }>();

/**
 * What an account can withdraw now: its cumulative amount in the root that is
 * in effect on chain, what it has withdrawn (from the chain's events), and the
 * Merkle proof for `EnergyMarket.withdraw`. Undefined before any settlement.
 */
export async function withdrawableOf(dbIn: Db | EnergyDb, account: string) {
  const db = energyDb(dbIn);
  const a = account.toLowerCase();
  const current = await db
    .selectFrom('energy_chain_settlements')
    .selectAll()
    .orderBy('slot', 'desc')
    .limit(1)
    .executeTakeFirst();
  const withdrawn = (
    await db.selectFrom('energy_withdrawals').select('amount').where('account', '=', a).execute()
  ).reduce((s, w) => s + BigInt(w.amount), 0n);
  if (!current)
    return {
      slot: null,
      root: null,
      cumulativeAmount: '0',
      withdrawn: withdrawn.toString(),
      withdrawable: '0',
      proof: [],
    };
  const slot = Number(current.slot);
  const key = `${slot}`;
  let cached = trees.get(key);
  if (!cached || cached.root !== current.root) {
    const leaves = await db
      .selectFrom('energy_cumulative')
      .select(['account', 'amount'])
      .where('slot', '=', slot)
      .execute();
    const tree = buildRewardTree(
      leaves.map((l) => ({ account: l.account as `0x${string}`, cumulativeAmount: BigInt(l.amount) })),
    );
    cached = { root: tree.root, tree };
    if (trees.size > 8) trees.clear();
    trees.set(key, cached);
  }
  const entry = cached.tree.entries.find((e) => e.account === a);
  const cumulative = entry?.cumulativeAmount ?? 0n;
  return {
    slot,
    root: current.root,
    cumulativeAmount: cumulative.toString(),
    withdrawn: withdrawn.toString(),
    withdrawable: (cumulative > withdrawn ? cumulative - withdrawn : 0n).toString(),
    proof: entry ? cached.tree.proofOf(a) : [],
  };
}

/** A meter's latest reads with their verdicts, its declared site and the gaps among the reads shown. */
export async function readsOfMeter(dbIn: Db | EnergyDb, meter: string, limit: number, slotMs: number) {
  const db = energyDb(dbIn);
  const id = meter.toLowerCase();
  const site = await db
    .selectFrom('energy_meters')
    .selectAll()
    .where('device_id', '=', id)
    .executeTakeFirst();
  const reads = await db
    .selectFrom('energy_reads')
    .selectAll()
    .where('device_id', '=', id)
    .orderBy('envelope_id', 'desc')
    .limit(limit)
    .execute();
  const accepted = reads
    .filter((r) => r.status === 'accepted')
    .map((r) => Number(r.slot))
    .sort((x, y) => x - y);
  return {
    meter: id,
    site: site
      ? { connectionW: Number(site.connection_w), pvWp: Number(site.pv_wp), batteryW: Number(site.battery_w) }
      : null,
    reads: reads.map((r) => ({
      slot: Number(r.slot),
      start: new Date(Number(r.slot) * slotMs).toISOString(),
      whImport: Number(r.wh_import),
      whExport: Number(r.wh_export),
      whImportTotal: r.wh_import_total === null ? null : Number(r.wh_import_total),
      whExportTotal: r.wh_export_total === null ? null : Number(r.wh_export_total),
      greenWh: Number(r.green_wh),
      receivedAt: Number(r.received_at),
      status: r.status,
      reason: r.reason,
      detail: r.detail,
    })),
    gaps: findGaps(accepted),
  };
}

/**
 * The slots that have open orders (their books not cleared yet), earliest
 * first: per slot the count and volume of open bids and asks.
 */
export async function openSlots(dbIn: Db | EnergyDb, slotMs: number, limit: number) {
  const db = energyDb(dbIn);
  const rows = await db
    .selectFrom('energy_orders')
    .select([
      'slot',
      'side',
      (eb) => eb.fn.countAll<number>().as('n'),
      (eb) => eb.fn.sum<number>('volume_wh').as('wh'),
    ])
    .where('status', '=', 'open')
    .groupBy(['slot', 'side'])
    .orderBy('slot')
    .execute();
  const bySlot = new Map<number, { bids: number; asks: number; bidWh: number; askWh: number }>();
  for (const r of rows) {
    const slot = Number(r.slot);
    const s = bySlot.get(slot) ?? { bids: 0, asks: 0, bidWh: 0, askWh: 0 };
    if (r.side === 'bid') {
      s.bids += Number(r.n);
      s.bidWh += Number(r.wh);
    } else {
      s.asks += Number(r.n);
      s.askWh += Number(r.wh);
    }
    bySlot.set(slot, s);
  }
  return [...bySlot]
    .slice(0, limit)
    .map(([slot, s]) => ({ slot, start: new Date(slot * slotMs).toISOString(), ...s }));
}

/** The latest settlements, newest slot first: status, root, totals and transaction (no statement). */
export async function recentSettlements(dbIn: Db | EnergyDb, slotMs: number, limit: number) {
  const db = energyDb(dbIn);
  const rows = await db
    .selectFrom('energy_settlements')
    .select(['slot', 'previous_slot', 'status', 'root', 'total', 'grid_draw', 'statement_hash', 'tx_hash'])
    .orderBy('slot', 'desc')
    .limit(limit)
    .execute();
  return rows.map((s) => ({ ...settlementView(s), start: new Date(Number(s.slot) * slotMs).toISOString() }));
}

/** A settlement row as the API shows it (statement aside). */
export function settlementView(s: {
  slot: number | string;
  previous_slot: number | string;
  status: string;
  root: string;
  total: string;
  grid_draw: string;
  statement_hash: string;
  tx_hash: string | null;
}) {
  return {
    slot: Number(s.slot),
    previousSlot: Number(s.previous_slot),
    status: s.status === 'submitted' ? 'settled' : 'computed',
    root: s.root,
    total: s.total,
    gridDraw: s.grid_draw,
    statementHash: s.statement_hash,
    tx: s.tx_hash,
  };
}
