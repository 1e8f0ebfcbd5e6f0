import { BaseError } from '@groundwork/node/internal/errors.ts';
import type { Trade } from '../market/clear.ts';

/** An order as settlement needs it: who placed it and which meter settles it. */
export interface SettlementOrder {
  id: string;
  side: 'bid' | 'ask';
  account: string;
  meter: string;
}

/** A meter's accepted read of the slot: energy imported from and exported to the grid, Wh. */
export interface MeterRead {
  whImport: number;
  whExport: number;
}

export interface SlotSettlementInput {
  slot: number;
  /** The slot's clearing price, base units per kWh; null when nothing matched. */
  price: number | null;
  /** The clearing's trades, in walk order. */
  trades: readonly Trade[];
  /** Every order that appears in a trade. */
  orders: readonly SettlementOrder[];
  /** The slot's escrow deposits on chain (an account may appear more than once; its deposits add up). */
  escrows: readonly { account: string; amount: bigint }[];
  /** Accepted reads of the slot by meter id; a meter without one has a gap. */
  reads: Readonly<Record<string, MeterRead>>;
  /** Import and export tariffs, base units per kWh (snapshot taken when the slot cleared). */
  tariffImport: bigint;
  tariffExport: bigint;
  /** The utility's account: paid for shortfall energy, and the counterparty of export-tariff credits. */
  gridAccount: string;
}

/** One trade, settled by the meters. */
export interface SettledTrade {
  bidId: string;
  askId: string;
  buyer: string;
  seller: string;
  buyerMeter: string;
  sellerMeter: string;
  /** Matched volume, Wh. */
  volumeWh: number;
  /** What the seller's meter signed as exported, allocated to this trade (≤ volumeWh). */
  deliveredWh: number;
  /** What the buyer's meter signed as imported, allocated to this trade (≤ volumeWh); null without a read. */
  consumedWh: number | null;
  /** Consumed beyond delivery: bought from the grid at the import tariff. */
  gridSuppliedWh: number;
  /** Delivered beyond consumption: taken by the grid at the export tariff, credited to the buyer. */
  gridAbsorbedWh: number;
}

/** One account's statement for the slot (token amounts in base units). */
export interface PartyLine {
  account: string;
  /** Escrowed for the slot. */
  escrow: bigint;
  /** Matched as a buyer, Wh. */
  boughtWh: number;
  /** Delivered to it by its sellers, Wh. */
  receivedWh: number;
  /** Its meters' import allocated to its trades, Wh (a trade without a buyer read counts its delivery). */
  consumedWh: number;
  /** Matched as a seller, Wh. */
  soldWh: number;
  /** Its meters' export allocated to its sales, Wh. */
  deliveredWh: number;
  /** What it pays as a buyer: delivered energy at the clearing price, plus shortfall at the import tariff, minus
   *  excess at the export tariff (rounded up). */
  paid: bigint;
  /** What it gets as a seller: its delivered energy at the clearing price (rounded down). */
  earned: bigint;
  /** Escrow returned: `escrow − paid`. */
  refund: bigint;
  /** What the same consumed energy would have cost from the grid at the import tariff (rounded up). */
  gridOnlyCost: bigint;
  /** Its leaf in the settlement tree: `earned + refund` (+ the grid's net take for the grid account). */
  amount: bigint;
}

export interface SlotSettlement {
  slot: number;
  price: number | null;
  gridAccount: string;
  tariffImport: bigint;
  tariffExport: bigint;
  /** Σ escrow of the slot. */
  escrowTotal: bigint;
  /** Taken from the grid reserve (when export credits outweigh the grid's take). */
  gridDraw: bigint;
  /** Σ amounts = escrowTotal + gridDraw. */
  total: bigint;
  grid: {
    suppliedWh: number;
    absorbedWh: number;
    /** Σ paid − Σ earned: positive, the grid's take; negative, drawn from its reserve. */
    net: bigint;
  };
  trades: SettledTrade[];
  /** Every account with escrow or a trade, sorted by account; plus the grid account when it takes something. */
  parties: PartyLine[];
}

/** Settlement input the function cannot settle; nothing is computed. */
export class SettlementError extends BaseError {
  override readonly name = 'SettlementError';
}

const MILLI = 1000n;
const floorDiv = (x: bigint, d: bigint) => (x >= 0n ? x / d : -((-x + d - 1n) / d));
const ceilDiv = (x: bigint, d: bigint) => -floorDiv(-x, d);
const ADDRESS = /^0x[0-9a-f]{40}$/;

/**
 * Settles one slot's trades by what the meters signed (docs/ENERGY.md §5).
 * Each meter's signed export is allocated to its sales and its signed import
 * to its purchases, trade by trade in walk order, never more than a trade's
 * volume. For each trade, with d delivered and c consumed: the seller earns
 * d at the clearing price; the buyer pays that, plus `c − d` bought from the
 * grid at the import tariff when it consumed more than was delivered, minus
 * `d − c` credited at the export tariff when it consumed less. A trade whose
 * buyer has no read counts c = d (no grid leg either way). Amounts are summed
 * per account in milli-units (Wh × price per kWh) and rounded once: earnings
 * down, payments up; the grid account takes `Σ paid − Σ earned`, or the
 * reserve pays it when that is negative.
 *
 * Guarantees (property-tested in `settle.prop.test.ts`):
 * - `Σ amount == escrowTotal + gridDraw == total` exactly, `gridDraw ≥ 0`, every amount ≥ 0;
 * - for every account, `refund == escrow − paid ≥ 0` and `amount == earned + refund` (+ the grid's take for
 *   the grid account);
 * - nobody is paid for energy no meter signed for: a seller meter's delivered Wh sum to at most its signed
 *   export (0 without a read) and `earned ≤ floor(price × deliveredWh / 1000)`; the grid supplies at most a buyer
 *   meter's signed import, and nothing, and credits nothing, for a buyer without a read;
 * - no buyer pays more per kWh matched than the larger of the clearing price and the import tariff;
 * - the result does not depend on the order of `orders` or `escrows`, nor on the letter case of accounts.
 *
 * Throws {@link SettlementError} (`SETTLEMENT_INPUT_INVALID`) for a trade naming an unknown order or a
 * malformed account, and `SETTLEMENT_ESCROW_SHORT` when an account's escrow does not cover what it owes.
 */
export function settleSlot(input: SlotSettlementInput): SlotSettlement {
  const grid = lower(input.gridAccount, 'gridAccount');
  if (
    input.trades.length > 0 &&
    (input.price === null || !Number.isSafeInteger(input.price) || input.price < 0)
  ) {
    throw new SettlementError(
      'SETTLEMENT_INPUT_INVALID',
      'trades need a non-negative integer clearing price',
    );
  }
  if (input.tariffImport < 0n || input.tariffExport < 0n) {
    throw new SettlementError('SETTLEMENT_INPUT_INVALID', 'tariffs must be non-negative');
  }
  const price = BigInt(input.price ?? 0);
  const orders = new Map<string, SettlementOrder>();
  for (const o of input.orders) orders.set(o.id, { ...o, account: lower(o.account, `order ${o.id}`) });

  const parties = new Map<string, PartyLine & { paidMilli: bigint; earnedMilli: bigint }>();
  const party = (account: string) => {
    let p = parties.get(account);
    if (!p) {
      p = {
        account,
        escrow: 0n,
        boughtWh: 0,
        receivedWh: 0,
        consumedWh: 0,
        soldWh: 0,
        deliveredWh: 0,
        paid: 0n,
        earned: 0n,
        refund: 0n,
        gridOnlyCost: 0n,
        amount: 0n,
        paidMilli: 0n,
        earnedMilli: 0n,
      };
      parties.set(account, p);
    }
    return p;
  };
  let escrowTotal = 0n;
  for (const e of input.escrows) {
    if (e.amount < 0n) throw new SettlementError('SETTLEMENT_INPUT_INVALID', 'escrow amounts must be ≥ 0');
    party(lower(e.account, 'escrow account')).escrow += e.amount;
    escrowTotal += e.amount;
  }

  // What each meter signed and has not yet allocated: export to sales, import to purchases.
  const exportLeft = new Map<string, number>();
  const importLeft = new Map<string, number>();
  const consumedMilli = new Map<string, bigint>();
  let suppliedWh = 0;
  let absorbedWh = 0;
  const trades: SettledTrade[] = [];
  for (const t of input.trades) {
    const bid = orders.get(t.bidId);
    const ask = orders.get(t.askId);
    if (bid?.side !== 'bid' || ask?.side !== 'ask') {
      throw new SettlementError(
        'SETTLEMENT_INPUT_INVALID',
        `trade ${t.bidId}/${t.askId} names an unknown order`,
      );
    }
    const v = t.volumeWh;
    if (!exportLeft.has(ask.meter)) exportLeft.set(ask.meter, input.reads[ask.meter]?.whExport ?? 0);
    const d = Math.min(v, exportLeft.get(ask.meter)!);
    exportLeft.set(ask.meter, exportLeft.get(ask.meter)! - d);
    const buyerRead = input.reads[bid.meter];
    let c: number | null = null;
    if (buyerRead) {
      if (!importLeft.has(bid.meter)) importLeft.set(bid.meter, buyerRead.whImport);
      c = Math.min(v, importLeft.get(bid.meter)!);
      importLeft.set(bid.meter, importLeft.get(bid.meter)! - c);
    }
    const consumed = c ?? d;
    const supplied = Math.max(0, consumed - d);
    const absorbed = Math.max(0, d - consumed);
    suppliedWh += supplied;
    absorbedWh += absorbed;

    const seller = party(ask.account);
    seller.soldWh += v;
    seller.deliveredWh += d;
    seller.earnedMilli += price * BigInt(d);
    const buyer = party(bid.account);
    buyer.boughtWh += v;
    buyer.receivedWh += d;
    buyer.consumedWh += consumed;
    buyer.paidMilli +=
      price * BigInt(d) + input.tariffImport * BigInt(supplied) - input.tariffExport * BigInt(absorbed);
    consumedMilli.set(
      bid.account,
      (consumedMilli.get(bid.account) ?? 0n) + input.tariffImport * BigInt(consumed),
    );
    trades.push({
      bidId: t.bidId,
      askId: t.askId,
      buyer: bid.account,
      seller: ask.account,
      buyerMeter: bid.meter,
      sellerMeter: ask.meter,
      volumeWh: v,
      deliveredWh: d,
      consumedWh: c,
      gridSuppliedWh: supplied,
      gridAbsorbedWh: absorbed,
    });
  }

  let sumPaid = 0n;
  let sumEarned = 0n;
  for (const p of parties.values()) {
    p.earned = floorDiv(p.earnedMilli, MILLI);
    p.paid = ceilDiv(p.paidMilli, MILLI);
    p.gridOnlyCost = ceilDiv(consumedMilli.get(p.account) ?? 0n, MILLI);
    p.refund = p.escrow - p.paid;
    if (p.refund < 0n) {
      throw new SettlementError(
        'SETTLEMENT_ESCROW_SHORT',
        `slot ${input.slot}: ${p.account} owes ${p.paid} but escrowed ${p.escrow}`,
      );
    }
    p.amount = p.earned + p.refund;
    sumPaid += p.paid;
    sumEarned += p.earned;
  }
  // Rounding (payments up, earnings down) leaves the remainder with the grid: never negative on its account.
  const net = sumPaid - sumEarned;
  const gridDraw = net < 0n ? -net : 0n;
  if (net > 0n) party(grid).amount += net;

  const lines = [...parties.values()]
    .sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0))
    .map(({ paidMilli: _p, earnedMilli: _e, ...line }) => line);
  const total = lines.reduce((s, p) => s + p.amount, 0n);
  return {
    slot: input.slot,
    price: input.price,
    gridAccount: grid,
    tariffImport: input.tariffImport,
    tariffExport: input.tariffExport,
    escrowTotal,
    gridDraw,
    total,
    grid: { suppliedWh, absorbedWh, net },
    trades,
    parties: lines,
  };
}

function lower(account: string, what: string): string {
  const a = typeof account === 'string' ? account.toLowerCase() : '';
  if (!ADDRESS.test(a))
    throw new SettlementError('SETTLEMENT_INPUT_INVALID', `${what}: expected a 20-byte hex address`);
  return a;
}

/** The leaves of the settlement tree: every party with a positive amount. */
export function settlementLeaves(s: SlotSettlement): { account: `0x${string}`; cumulativeAmount: bigint }[] {
  return s.parties
    .filter((p) => p.amount > 0n)
    .map((p) => ({ account: p.account as `0x${string}`, cumulativeAmount: p.amount }));
}
