import { createHash } from 'node:crypto';
import { energyMarketAbi } from '@groundwork/abi';
import type { ChainClients } from '@groundwork/node/chain/clients.ts';
import type { Params } from '@groundwork/node/modules/types.ts';
import { buildRewardTree } from '@groundwork/node/rewards/merkle.ts';
import type { Db } from '@groundwork/node/store/db.ts';
import { canonicalize } from '@groundwork/protocol';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { advanceLedger, ledgerCaughtUp } from '../meter/ledger.ts';
import { readEnergyParams } from '../params.ts';
import { withLock } from '../store/lock.ts';
import { type EnergyDb, energyDb } from '../store/schema.ts';
import {
  type MeterRead,
  type SettlementOrder,
  type SlotSettlement,
  settlementLeaves,
  settleSlot,
} from './settle.ts';

/** Gas limit of a `settle` transaction (it uses about 100,000 with three oracle signatures). */
const SETTLE_GAS = 400_000n;
/** Seconds after the books close before a slot settles: lets in-flight ingest batches commit first. */
const SETTLE_GRACE_MS = 5_000;

/**
 * The published settlement statement of a slot (docs/ENERGY.md §5.3); its
 * SHA-256 is signed with the root. With the previous statement's
 * `cumulative`, it is everything needed to recompute `cumulative`, `total`
 * and `root`.
 */
export interface SettlementStatement {
  format: 'groundwork-energy-settlement/1';
  slot: number;
  previousSlot: number;
  previousRoot: string | null;
  bookHash: string | null;
  reads: Record<string, MeterRead>;
  escrows: { account: string; amount: string }[];
  settlement: ReturnType<typeof serializeSettlement>;
  /** Every account's amount owed by all slots settled so far (the leaves), sorted by account. */
  cumulative: { account: string; amount: string }[];
  total: string;
  root: Hex;
}

/** A settlement in JSON form: every integer amount as a decimal string. */
export function serializeSettlement(s: SlotSettlement) {
  return {
    slot: s.slot,
    price: s.price,
    gridAccount: s.gridAccount,
    tariffImport: s.tariffImport.toString(),
    tariffExport: s.tariffExport.toString(),
    escrowTotal: s.escrowTotal.toString(),
    gridDraw: s.gridDraw.toString(),
    total: s.total.toString(),
    grid: { ...s.grid, net: s.grid.net.toString() },
    trades: s.trades,
    parties: s.parties.map((p) => ({
      ...p,
      escrow: p.escrow.toString(),
      paid: p.paid.toString(),
      earned: p.earned.toString(),
      refund: p.refund.toString(),
      gridOnlyCost: p.gridOnlyCost.toString(),
      amount: p.amount.toString(),
    })),
  };
}

/** SHA-256 of a statement's canonical JSON (RFC 8785), UTF-8: what the oracles sign as `statementHash`. */
export function hashStatement(st: SettlementStatement): Hex {
  return `0x${createHash('sha256').update(canonicalize(st), 'utf8').digest('hex')}`;
}

/**
 * Computes a slot's settlement from the stored clearing, trades, escrow
 * deposits and accepted meter reads, with {@link settleSlot}, and chains it to
 * the last settlement computed before it: the slot's amounts are added to the
 * previous cumulative amounts, whose tree is the new root. Returns the
 * statement, its hash and the tree. Pure given the store: anyone with the same
 * records gets the same root.
 */
export async function computeSettlement(
  dbIn: Db | EnergyDb,
  slot: number,
  o: { params: Params; gridAccount: string },
) {
  const db = energyDb(dbIn);
  const p = readEnergyParams(o.params);
  const clearing = await db
    .selectFrom('energy_clearings')
    .selectAll()
    .where('slot', '=', slot)
    .executeTakeFirst();
  const trades = (
    await db.selectFrom('energy_trades').selectAll().where('slot', '=', slot).orderBy('seq').execute()
  ).map((t) => ({ bidId: t.bid_id, askId: t.ask_id, volumeWh: Number(t.volume_wh) }));
  const ids = [...new Set(trades.flatMap((t) => [t.bidId, t.askId]))];
  const orders: SettlementOrder[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('energy_orders')
      .select(['id', 'side', 'account', 'meter'])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows)
      orders.push({ id: r.id, side: r.side as 'bid' | 'ask', account: r.account, meter: r.meter });
  }
  const meters = new Set(orders.map((x) => x.meter));
  const reads: Record<string, MeterRead> = {};
  for (const r of await db
    .selectFrom('energy_reads')
    .select(['device_id', 'wh_import', 'wh_export'])
    .where('slot', '=', slot)
    .where('status', '=', 'accepted')
    .orderBy('device_id')
    .execute()) {
    if (meters.has(r.device_id))
      reads[r.device_id] = { whImport: Number(r.wh_import), whExport: Number(r.wh_export) };
  }
  const deposits = await db
    .selectFrom('energy_deposits')
    .select(['account', 'amount'])
    .where('slot', '=', slot)
    .orderBy('account')
    .execute();
  const escrowByAccount = new Map<string, bigint>();
  for (const d of deposits)
    escrowByAccount.set(d.account, (escrowByAccount.get(d.account) ?? 0n) + BigInt(d.amount));
  const escrows = [...escrowByAccount].map(([account, amount]) => ({ account, amount }));
  const settlement = settleSlot({
    slot,
    price: clearing?.price === null || clearing === undefined ? null : Number(clearing.price),
    trades,
    orders,
    escrows,
    reads,
    tariffImport: clearing ? BigInt(clearing.tariff_import) : p.tariffImport,
    tariffExport: clearing ? BigInt(clearing.tariff_export) : p.tariffExport,
    gridAccount: o.gridAccount,
  });
  const previous = await db
    .selectFrom('energy_settlements')
    .select(['slot', 'root', 'total'])
    .where('slot', '<', slot)
    .orderBy('slot', 'desc')
    .limit(1)
    .executeTakeFirst();
  const cumulative = new Map<string, bigint>();
  if (previous) {
    for (const c of await db
      .selectFrom('energy_cumulative')
      .select(['account', 'amount'])
      .where('slot', '=', Number(previous.slot))
      .execute()) {
      cumulative.set(c.account, BigInt(c.amount));
    }
  }
  for (const leaf of settlementLeaves(settlement)) {
    cumulative.set(leaf.account, (cumulative.get(leaf.account) ?? 0n) + leaf.cumulativeAmount);
  }
  const entries = [...cumulative]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([account, amount]) => ({ account: account as Address, cumulativeAmount: amount }));
  const tree = buildRewardTree(entries);
  const total = (previous ? BigInt(previous.total) : 0n) + settlement.total;
  const statement: SettlementStatement = {
    format: 'groundwork-energy-settlement/1',
    slot,
    previousSlot: previous ? Number(previous.slot) : 0,
    previousRoot: previous?.root ?? null,
    bookHash: clearing?.book_hash ?? null,
    reads,
    escrows: escrows.map((e) => ({ account: e.account, amount: e.amount.toString() })),
    settlement: serializeSettlement(settlement),
    cumulative: entries.map((e) => ({ account: e.account, amount: e.cumulativeAmount.toString() })),
    total: total.toString(),
    root: tree.root,
  };
  return { settlement, statement, statementHash: hashStatement(statement), tree, total };
}

/** What the oracles sign for a slot: the chain link, the root and the money. */
export interface SettlementTerms {
  slot: number;
  previousSlot: number;
  root: Hex;
  total: bigint;
  gridDraw: bigint;
  statementHash: Hex;
}

/** The EIP-712 typed data the oracles sign to settle a slot. */
export function settlementTypedData(chainId: number, market: Address, s: SettlementTerms) {
  return {
    domain: { name: 'GroundworkEnergyMarket', version: '1', chainId, verifyingContract: market },
    types: {
      SlotSettlement: [
        { name: 'slot', type: 'uint64' },
        { name: 'previousSlot', type: 'uint64' },
        { name: 'root', type: 'bytes32' },
        { name: 'total', type: 'uint256' },
        { name: 'gridDraw', type: 'uint256' },
        { name: 'statementHash', type: 'bytes32' },
      ],
    } as const,
    primaryType: 'SlotSettlement' as const,
    message: {
      slot: BigInt(s.slot),
      previousSlot: BigInt(s.previousSlot),
      root: s.root,
      total: s.total,
      gridDraw: s.gridDraw,
      statementHash: s.statementHash,
    },
  };
}

/** Oracle signatures over a settlement, sorted by signer ascending as the contract requires. */
export async function signSettlement(
  oracleKeys: readonly Hex[],
  chainId: number,
  market: Address,
  s: SettlementTerms,
): Promise<Hex[]> {
  const typed = settlementTypedData(chainId, market, s);
  const signed = await Promise.all(
    oracleKeys.map(async (k) => {
      const a = privateKeyToAccount(k);
      return { signer: BigInt(a.address), signature: await a.signTypedData(typed) };
    }),
  );
  return signed.sort((a, b) => (a.signer < b.signer ? -1 : 1)).map((x) => x.signature);
}

export interface SettleContext {
  params: Params;
  /** EnergyMarket's `settlementWindow()`, ms: slots older than that (less an hour's margin) are left to reclaim. */
  settlementWindowMs: number;
  /** Node time, ms. */
  now: number;
  clients: ChainClients;
  market: Address;
  gridAccount: Address;
  oracleKeys: readonly Hex[];
  submitterKey: Hex;
  log?: { warn(o: object): void; info(o: object): void };
}

/**
 * Settles every slot whose books have closed (`energy.settleDelaySeconds`
 * after its end, plus a few seconds' grace) and that has escrow or trades:
 * once the verifier and the meter ledger have caught up, computes the
 * settlement and stores it — from then on, late reads of the slot are
 * rejected — then signs it with the node's oracle keys and submits it to
 * EnergyMarket. A computed settlement that the chain refused (its slot not
 * yet ended on chain, a node restart) is submitted again on the next call,
 * unchanged. Returns the slots it submitted.
 */
export async function settleDueSlots(
  dbIn: Db | EnergyDb,
  ctx: SettleContext,
): Promise<{ slot: number; tx: Hex }[]> {
  const db = energyDb(dbIn);
  const p = readEnergyParams(ctx.params);
  const lastDue = Math.floor((ctx.now - p.settleDelayMs - SETTLE_GRACE_MS) / p.slotMs) - 1;
  return withLock(db, 'settle', async () => {
    if (await verifierBehind(db, (lastDue + 1) * p.slotMs + p.settleDelayMs)) return [];
    await advanceLedger(db, ctx.params);
    if (!(await ledgerCaughtUp(db))) return [];
    const candidates = new Set<number>();
    for (const r of await db
      .selectFrom('energy_deposits')
      .select('slot')
      .distinct()
      .where('slot', '<=', lastDue)
      .execute()) {
      candidates.add(Number(r.slot));
    }
    for (const r of await db
      .selectFrom('energy_clearings')
      .select('slot')
      .where('slot', '<=', lastDue)
      .execute()) {
      candidates.add(Number(r.slot));
    }
    const done = new Set(
      (await db.selectFrom('energy_settlements').select('slot').where('slot', '<=', lastDue).execute()).map(
        (r) => Number(r.slot),
      ),
    );
    for (const slot of [...candidates].filter((s) => !done.has(s)).sort((a, b) => a - b)) {
      await storeSettlement(db, slot, ctx);
    }
    return submitPending(db, ctx);
  });
}

/**
 * Computes a slot's settlement and stores it: the statement, every account's
 * line, and the cumulative leaves of its root. Cumulative leaves of roots
 * older than the last one on chain are pruned: no withdrawal can use them.
 */
export async function storeSettlement(
  db: EnergyDb,
  slot: number,
  ctx: Pick<SettleContext, 'params' | 'gridAccount' | 'now'>,
) {
  const c = await computeSettlement(db, slot, { params: ctx.params, gridAccount: ctx.gridAccount });
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('energy_settlements')
      .values({
        slot,
        previous_slot: c.statement.previousSlot,
        root: c.tree.root,
        total: c.total.toString(),
        grid_draw: c.settlement.gridDraw.toString(),
        statement_hash: c.statementHash,
        statement: JSON.stringify(c.statement),
        computed_at: ctx.now,
        status: 'computed',
        tx_hash: null,
      })
      .execute();
    const lines = c.statement.settlement.parties.map((line) => ({
      slot,
      account: line.account,
      amount: line.amount,
      line: JSON.stringify(line),
    }));
    for (let i = 0; i < lines.length; i += 500) {
      await trx
        .insertInto('energy_statement_lines')
        .values(lines.slice(i, i + 500))
        .execute();
    }
    const leaves = c.statement.cumulative.map((e) => ({ slot, account: e.account, amount: e.amount }));
    for (let i = 0; i < leaves.length; i += 500) {
      await trx
        .insertInto('energy_cumulative')
        .values(leaves.slice(i, i + 500))
        .execute();
    }
    const onChain = await trx
      .selectFrom('energy_chain_settlements')
      .select('slot')
      .orderBy('slot', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (onChain) await trx.deleteFrom('energy_cumulative').where('slot', '<', Number(onChain.slot)).execute();
  });
  return c;
}

/**
 * Submits every computed, not yet submitted settlement. Its slot ended at
 * least `energy.settleDelaySeconds` ago by the node's clock, so the chain's
 * clock is past it too; if not (a paused chain), the contract refuses and the
 * next call tries again.
 */
async function submitPending(db: EnergyDb, ctx: SettleContext): Promise<{ slot: number; tx: Hex }[]> {
  // In slot order: each settlement names the one before it, so a refused one holds back the rest.
  const pending = await db
    .selectFrom('energy_settlements')
    .selectAll()
    .where('status', '=', 'computed')
    .orderBy('slot')
    .execute();
  if (pending.length === 0) return [];
  const chainId = ctx.clients.chain.id;
  // The node's wallet for the key, whose nonce manager the epoch closer shares: both may send from one key.
  const wallet = ctx.clients.walletFor(ctx.submitterKey);
  // Every pending settlement goes out at once, in slot order; then their receipts are read.
  const sent: { slot: number; hash: Hex }[] = [];
  for (const row of pending) {
    const slot = Number(row.slot);
    const s: SettlementTerms = {
      slot,
      previousSlot: Number(row.previous_slot),
      root: row.root as Hex,
      total: BigInt(row.total),
      gridDraw: BigInt(row.grid_draw),
      statementHash: row.statement_hash as Hex,
    };
    const signatures = await signSettlement(ctx.oracleKeys, chainId, ctx.market, s);
    try {
      const hash = await wallet.writeContract({
        address: ctx.market,
        abi: energyMarketAbi,
        functionName: 'settle',
        args: [
          BigInt(slot),
          BigInt(s.previousSlot),
          s.root,
          s.total,
          s.gridDraw,
          s.statementHash,
          signatures,
        ],
        // About 110,000 with three signatures; a fixed limit spares an estimation round trip.
        gas: SETTLE_GAS,
      });
      sent.push({ slot, hash });
    } catch (err) {
      ctx.log?.warn({
        msg: 'energy settlement not sent; will retry',
        slot,
        error: (err as Error).message.slice(0, 300),
      });
      break;
    }
  }
  const out: { slot: number; tx: Hex }[] = [];
  for (const { slot, hash } of sent) {
    const receipt = await waitForReceipt(ctx.clients, hash);
    if (receipt.status !== 'success') {
      ctx.log?.warn({ msg: 'energy settlement reverted; will retry', slot, tx: hash });
      break;
    }
    await db
      .updateTable('energy_settlements')
      .set({ status: 'submitted', tx_hash: hash })
      .where('slot', '=', slot)
      .execute();
    out.push({ slot, tx: hash });
  }
  return out;
}

/** Reads a transaction's receipt, asking again every 25 ms until it is mined (at most `timeoutMs`). */
export async function waitForReceipt(clients: ChainClients, hash: Hex, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await clients.publicClient.getTransactionReceipt({ hash }).catch(() => undefined);
    if (r) return r;
    if (Date.now() > until) throw new Error(`transaction ${hash} was not mined within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** Whether some envelope received before `cutoffMs` has not been judged by the core verifier yet. */
async function verifierBehind(db: EnergyDb, cutoffMs: number): Promise<boolean> {
  const last = await db
    .selectFrom('envelopes')
    .select('id')
    .where('received_at', '<', cutoffMs)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!last) return false;
  const judged = await db
    .selectFrom('verdicts')
    .select('envelope_id')
    .where('envelope_id', '=', last.id)
    .executeTakeFirst();
  return judged === undefined;
}
