import { createHash } from 'node:crypto';
import { InputError, NotFoundError } from '@groundwork/node/internal/errors.ts';
import type { Params } from '@groundwork/node/modules/types.ts';
import type { Db } from '@groundwork/node/store/db.ts';
import { canonicalize } from '@groundwork/protocol';
import { sql } from 'kysely';
import type { Hex } from 'viem';
import { slotEnergyWh } from '../meter/checks.ts';
import { readEnergyParams } from '../params.ts';
import { withLock } from '../store/lock.ts';
import { type EnergyDb, energyDb } from '../store/schema.ts';
import { type BookOrder, clearMarket } from './clear.ts';
import {
  escrowNeeded,
  type MarketDomain,
  recoverBatch,
  recoverCancelSigner,
  type SignedOrderBatch,
} from './orders.ts';

/** Most orders in one signed batch. */
export const MAX_BATCH_ORDERS = 1000;

/** The published form of a slot's book: what `groundwork energy clear` reads (docs/ENERGY.md §3.2). */
export interface BookFile {
  format: 'groundwork-energy-book/1';
  slot: number | null;
  tick: number;
  orders: (BookOrder & { account?: string; meter?: string })[];
}

/** Escrow an account has on chain for a slot (from the indexed EscrowDeposited events). */
export async function escrowOf(db: EnergyDb, slot: number, account: string): Promise<bigint> {
  const rows = await db
    .selectFrom('energy_deposits')
    .select('amount')
    .where('slot', '=', slot)
    .where('account', '=', account.toLowerCase())
    .execute();
  return rows.reduce((s, r) => s + BigInt(r.amount), 0n);
}

const fail = (
  code: string,
  message: string,
  index?: number,
  status = 400,
  extra: Record<string, unknown> = {},
) =>
  new InputError(code, index === undefined ? message : `orders[${index}]: ${message}`, status, {
    details: { ...(index === undefined ? {} : { index }), ...extra },
  });

/**
 * Places a signed batch of orders, all or nothing. Checks the signature, then
 * every order — before its slot's gate closure and within the horizon; price
 * on the tick and at most `energy.maxPrice`; a meter of the module that the
 * signing account operates, with a declared site whose connection (and, for
 * an ask, whose array and battery) can carry the volume; not placed before —
 * and finally that the account's escrow covers all its bids of each slot
 * (see {@link escrowNeeded}). A bad batch is refused with a coded
 * {@link InputError} and changes nothing.
 */
export async function submitOrders(
  dbIn: Db | EnergyDb,
  batch: SignedOrderBatch,
  ctx: { domain: MarketDomain; params: Params; now: number },
): Promise<{ orderIds: Hex[] }> {
  const db = energyDb(dbIn);
  const p = readEnergyParams(ctx.params);
  const account = batch.account.toLowerCase();
  if (batch.orders.length === 0) throw fail('ORDERS_EMPTY', 'a batch needs at least one order');
  if (batch.orders.length > MAX_BATCH_ORDERS) {
    throw fail('ORDERS_TOO_MANY', `at most ${MAX_BATCH_ORDERS} orders per batch`);
  }
  const { signer, orderIds: ids } = await recoverBatch(ctx.domain, batch);
  if (!signer || signer.toLowerCase() !== account) {
    throw fail(
      'ORDER_BAD_SIGNATURE',
      `the signature is not ${batch.account}'s over this batch`,
      undefined,
      401,
    );
  }
  return withLock(db, 'book', () =>
    db.transaction().execute(async (trx) => {
      const meters = [...new Set(batch.orders.map((o) => o.meter.toLowerCase()))];
      const devices = new Map(
        (await trx.selectFrom('devices').selectAll().where('device_id', 'in', meters).execute()).map((d) => [
          d.device_id,
          d,
        ]),
      );
      const sites = new Map(
        (await trx.selectFrom('energy_meters').selectAll().where('device_id', 'in', meters).execute()).map(
          (m) => [m.device_id, m],
        ),
      );
      const cleared = new Set(
        (
          await trx
            .selectFrom('energy_clearings')
            .select('slot')
            .where('slot', 'in', [...new Set(batch.orders.map((o) => o.slot))])
            .execute()
        ).map((r) => Number(r.slot)),
      );
      const seen = new Set<string>();
      const existing = new Set(
        (await trx.selectFrom('energy_orders').select('id').where('id', 'in', ids).execute()).map(
          (r) => r.id,
        ),
      );
      batch.orders.forEach((o, i) => {
        const start = o.slot * p.slotMs;
        if (!Number.isSafeInteger(o.slot) || o.slot < 0)
          throw fail('ORDER_INVALID', 'slot must be a slot number', i);
        if (ctx.now >= start - p.gateClosureMs || cleared.has(o.slot)) {
          throw fail(
            'ORDER_GATE_CLOSED',
            `slot ${o.slot} closed for orders at ${new Date(start - p.gateClosureMs).toISOString()}`,
            i,
          );
        }
        if (start > ctx.now + p.horizonMs)
          throw fail('ORDER_SLOT_TOO_FAR', `slot ${o.slot} is beyond the order horizon`, i);
        if (!Number.isSafeInteger(o.price) || o.price < 1 || o.price > p.maxPrice) {
          throw fail('ORDER_PRICE_INVALID', `price must be an integer in [1, ${p.maxPrice}]`, i);
        }
        if (o.price % p.priceTick !== 0)
          throw fail('ORDER_PRICE_OFF_TICK', `price must be a multiple of ${p.priceTick}`, i);
        if (!Number.isSafeInteger(o.volumeWh) || o.volumeWh < 1)
          throw fail('ORDER_VOLUME_INVALID', 'volumeWh must be a positive integer', i);
        if (!Number.isSafeInteger(o.nonce) || o.nonce < 0)
          throw fail('ORDER_INVALID', 'nonce must be a non-negative integer', i);
        const meter = o.meter.toLowerCase();
        const device = devices.get(meter);
        if (device?.module !== 'energy' || device.active !== 1 || device.operator !== account) {
          throw fail(
            'ORDER_METER_NOT_OWNED',
            `${o.meter} is not an active energy meter operated by ${batch.account}`,
            i,
            403,
          );
        }
        const site = sites.get(meter);
        if (!site) throw fail('ORDER_SITE_NOT_DECLARED', `meter ${o.meter} has not declared its site`, i);
        const carry =
          o.side === 'bid'
            ? Number(site.connection_w)
            : Math.min(Number(site.connection_w), Number(site.pv_wp) + Number(site.battery_w));
        if (o.volumeWh > slotEnergyWh(carry, p)) {
          throw fail(
            'ORDER_VOLUME_ABOVE_CAPACITY',
            `${o.volumeWh} Wh is more than the site can ${o.side === 'bid' ? 'import' : 'export'} in a slot (${slotEnergyWh(carry, p)} Wh)`,
            i,
          );
        }
        if (existing.has(ids[i]!) || seen.has(ids[i]!))
          throw fail('ORDER_DUPLICATE', `order ${ids[i]} was placed before`, i, 409);
        seen.add(ids[i]!);
      });

      // Escrow must cover every open bid of the account in each slot the batch bids in.
      const bidSlots = [...new Set(batch.orders.filter((o) => o.side === 'bid').map((o) => o.slot))];
      const bidsBySlot = new Map<number, { volumeWh: number; price: number }[]>();
      const escrowBySlot = new Map<number, bigint>();
      for (let i = 0; i < bidSlots.length; i += 500) {
        const part = bidSlots.slice(i, i + 500);
        for (const b of await trx
          .selectFrom('energy_orders')
          .select(['slot', 'volume_wh', 'price'])
          .where('account', '=', account)
          .where('slot', 'in', part)
          .where('side', '=', 'bid')
          .where('status', '=', 'open')
          .execute()) {
          const slot = Number(b.slot);
          bidsBySlot.set(slot, [
            ...(bidsBySlot.get(slot) ?? []),
            { volumeWh: Number(b.volume_wh), price: Number(b.price) },
          ]);
        }
        for (const d of await trx
          .selectFrom('energy_deposits')
          .select(['slot', 'amount'])
          .where('account', '=', account)
          .where('slot', 'in', part)
          .execute()) {
          escrowBySlot.set(Number(d.slot), (escrowBySlot.get(Number(d.slot)) ?? 0n) + BigInt(d.amount));
        }
      }
      for (const o of batch.orders) {
        if (o.side === 'bid') bidsBySlot.set(o.slot, [...(bidsBySlot.get(o.slot) ?? []), o]);
      }
      for (const slot of bidSlots) {
        const needed = escrowNeeded(bidsBySlot.get(slot)!, p.tariffImport);
        const escrowed = escrowBySlot.get(slot) ?? 0n;
        if (needed > escrowed) {
          throw fail(
            'ORDER_ESCROW_SHORT',
            `slot ${slot} needs ${needed} escrowed, ${batch.account} has ${escrowed}`,
            undefined,
            402,
            {
              slot,
              needed: needed.toString(),
              escrowed: escrowed.toString(),
            },
          );
        }
      }

      const hash = `0x${createHash('sha256')
        .update(canonicalize({ account, orders: batch.orders, signature: batch.signature }), 'utf8')
        .digest('hex')}`;
      await trx
        .insertInto('energy_order_batches')
        .values({
          hash,
          account,
          signature: batch.signature,
          body: JSON.stringify(batch.orders),
          received_at: ctx.now,
        })
        .onConflict((oc) => oc.column('hash').doNothing())
        .execute();
      const rows = batch.orders.map((o, i) => ({
        id: ids[i]!,
        batch: hash,
        slot: o.slot,
        account,
        meter: o.meter.toLowerCase(),
        side: o.side,
        volume_wh: o.volumeWh,
        price: o.price,
        nonce: String(o.nonce),
        time: ctx.now,
        status: 'open',
        filled_wh: null,
      }));
      for (let i = 0; i < rows.length; i += 500)
        await trx
          .insertInto('energy_orders')
          .values(rows.slice(i, i + 500))
          .execute();
      return { orderIds: ids };
    }),
  );
}

/** Cancels open orders of an account before their gate closes; signed like a batch. All or nothing. */
export async function cancelOrders(
  dbIn: Db | EnergyDb,
  c: { account: Hex; orderIds: Hex[]; signature: Hex },
  ctx: { domain: MarketDomain; params: Params; now: number },
): Promise<{ cancelled: number }> {
  const db = energyDb(dbIn);
  const p = readEnergyParams(ctx.params);
  if (c.orderIds.length === 0 || c.orderIds.length > MAX_BATCH_ORDERS) {
    throw fail('ORDERS_EMPTY', `name 1 to ${MAX_BATCH_ORDERS} orders`);
  }
  const signer = await recoverCancelSigner(ctx.domain, c);
  if (!signer || signer.toLowerCase() !== c.account.toLowerCase()) {
    throw fail(
      'ORDER_BAD_SIGNATURE',
      `the signature is not ${c.account}'s over this cancellation`,
      undefined,
      401,
    );
  }
  return withLock(db, 'book', () =>
    db.transaction().execute(async (trx) => {
      const ids = c.orderIds.map((x) => x.toLowerCase());
      const rows = new Map(
        (await trx.selectFrom('energy_orders').selectAll().where('id', 'in', ids).execute()).map((r) => [
          r.id,
          r,
        ]),
      );
      ids.forEach((id, i) => {
        const r = rows.get(id);
        if (!r || r.account !== c.account.toLowerCase()) throw new NotFoundError(`order ${id}`);
        if (r.status !== 'open' || ctx.now >= Number(r.slot) * p.slotMs - p.gateClosureMs) {
          throw fail(
            'ORDER_NOT_CANCELLABLE',
            `order ${id} is ${r.status === 'open' ? 'past its gate closure' : r.status}`,
            i,
            409,
          );
        }
      });
      await trx.updateTable('energy_orders').set({ status: 'cancelled' }).where('id', 'in', ids).execute();
      return { cancelled: ids.length };
    }),
  );
}

/** A slot's book in the published format: every order placed for it (open, cleared or dropped), sorted by id. */
export async function loadBook(dbIn: Db | EnergyDb, slot: number, params: Params): Promise<BookFile> {
  const db = energyDb(dbIn);
  const clearing = await db
    .selectFrom('energy_clearings')
    .select('tick')
    .where('slot', '=', slot)
    .executeTakeFirst();
  const rows = await db
    .selectFrom('energy_orders')
    .selectAll()
    .where('slot', '=', slot)
    .where('status', 'in', clearing ? ['cleared'] : ['open'])
    .orderBy('id')
    .execute();
  return {
    format: 'groundwork-energy-book/1',
    slot,
    tick: clearing ? Number(clearing.tick) : readEnergyParams(params).priceTick,
    orders: rows.map((r) => ({
      id: r.id,
      side: r.side as 'bid' | 'ask',
      price: Number(r.price),
      volumeWh: Number(r.volume_wh),
      time: Number(r.time),
      account: r.account,
      meter: r.meter,
    })),
  };
}

/** SHA-256 of a book's canonical JSON (RFC 8785), UTF-8: the id of exactly what was cleared. */
export function hashBook(book: BookFile): Hex {
  return `0x${createHash('sha256').update(canonicalize(book), 'utf8').digest('hex')}`;
}

export interface SlotClearing {
  slot: number;
  price: number | null;
  volumeWh: number;
  orders: number;
  dropped: number;
}

/**
 * Clears every slot whose gate has closed by `now` and that still has open
 * orders, earliest first. At gate closure each account's escrow is checked
 * again against its bids at the current import tariff; the bids of an account
 * no longer covered are dropped (status `dropped`), then the book — as
 * {@link loadBook} will publish it — is cleared with {@link clearMarket} and
 * the result, the trades and each order's fill are stored in one transaction.
 */
export async function clearDueSlots(
  dbIn: Db | EnergyDb,
  ctx: { params: Params; now: number },
): Promise<SlotClearing[]> {
  const db = energyDb(dbIn);
  const p = readEnergyParams(ctx.params);
  const lastClosed = Math.floor((ctx.now + p.gateClosureMs) / p.slotMs);
  return withLock(db, 'book', async () => {
    const due = await db
      .selectFrom('energy_orders')
      .select('slot')
      .distinct()
      .where('status', '=', 'open')
      .where('slot', '<=', lastClosed)
      .orderBy('slot')
      .execute();
    const out: SlotClearing[] = [];
    for (const { slot: s } of due) {
      const slot = Number(s);
      const done = await db
        .selectFrom('energy_clearings')
        .select('slot')
        .where('slot', '=', slot)
        .executeTakeFirst();
      if (done) {
        // Cleared already (orders placed past the gate by a skewed clock): they missed it.
        await db
          .updateTable('energy_orders')
          .set({ status: 'dropped', filled_wh: 0 })
          .where('slot', '=', slot)
          .where('status', '=', 'open')
          .execute();
        continue;
      }
      out.push(
        await db.transaction().execute(async (trx) => {
          const open = await trx
            .selectFrom('energy_orders')
            .selectAll()
            .where('slot', '=', slot)
            .where('status', '=', 'open')
            .execute();
          const byAccount = new Map<string, { volumeWh: number; price: number }[]>();
          for (const o of open.filter((x) => x.side === 'bid')) {
            byAccount.set(o.account, [
              ...(byAccount.get(o.account) ?? []),
              { volumeWh: Number(o.volume_wh), price: Number(o.price) },
            ]);
          }
          const escrow = new Map<string, bigint>();
          for (const d of await trx
            .selectFrom('energy_deposits')
            .select(['account', 'amount'])
            .where('slot', '=', slot)
            .execute()) {
            escrow.set(d.account, (escrow.get(d.account) ?? 0n) + BigInt(d.amount));
          }
          const dropAccounts: string[] = [];
          for (const [account, bids] of byAccount) {
            if (escrowNeeded(bids, p.tariffImport) > (escrow.get(account) ?? 0n)) dropAccounts.push(account);
          }
          if (dropAccounts.length > 0) {
            await trx
              .updateTable('energy_orders')
              .set({ status: 'dropped', filled_wh: 0 })
              .where('slot', '=', slot)
              .where('side', '=', 'bid')
              .where('status', '=', 'open')
              .where('account', 'in', dropAccounts)
              .execute();
          }
          const book = await loadBook(trx, slot, ctx.params);
          const result = clearMarket({ tick: book.tick, orders: book.orders });
          await trx
            .insertInto('energy_clearings')
            .values({
              slot,
              price: result.price,
              volume_wh: result.volumeWh,
              orders: book.orders.length,
              tick: book.tick,
              tariff_import: p.tariffImport.toString(),
              tariff_export: p.tariffExport.toString(),
              cleared_at: ctx.now,
              book_hash: hashBook(book),
            })
            .execute();
          const trades = result.trades.map((t, seq) => ({
            slot,
            seq,
            bid_id: t.bidId,
            ask_id: t.askId,
            volume_wh: t.volumeWh,
          }));
          for (let i = 0; i < trades.length; i += 500)
            await trx
              .insertInto('energy_trades')
              .values(trades.slice(i, i + 500))
              .execute();
          // Fills in three updates: untouched orders, orders filled in full, and the (at most two) partial fills.
          const none = result.fills.filter((f) => f.filledWh === 0).map((f) => f.id);
          const full = result.fills.filter((f) => f.filledWh === f.volumeWh).map((f) => f.id);
          for (const [ids, set] of [
            [none, { status: 'cleared', filled_wh: 0 }],
            [full, { status: 'cleared', filled_wh: sql<number>`volume_wh` }],
          ] as const) {
            for (let i = 0; i < ids.length; i += 500) {
              await trx
                .updateTable('energy_orders')
                .set(set)
                .where('id', 'in', ids.slice(i, i + 500))
                .execute();
            }
          }
          for (const f of result.fills.filter((x) => x.filledWh > 0 && x.filledWh < x.volumeWh)) {
            await trx
              .updateTable('energy_orders')
              .set({ status: 'cleared', filled_wh: f.filledWh })
              .where('id', '=', f.id)
              .execute();
          }
          return {
            slot,
            price: result.price,
            volumeWh: result.volumeWh,
            orders: book.orders.length,
            dropped: open.length - book.orders.length,
          };
        }),
      );
    }
    return out;
  });
}
