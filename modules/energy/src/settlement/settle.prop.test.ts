import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BookOrder, clearMarket } from '../market/clear.ts';
import { type MeterRead, type SettlementOrder, type SlotSettlementInput, settleSlot } from './settle.ts';

const TICK = 1000;
const ACCOUNTS = [
  '0x00000000000000000000000000000000000000a1',
  '0x00000000000000000000000000000000000000B2',
  '0x00000000000000000000000000000000000000c3',
  '0x00000000000000000000000000000000000000d4',
  '0x00000000000000000000000000000000000000e5',
];
const GRID_CHOICES = [...ACCOUNTS, '0x00000000000000000000000000000000000000f6'];
const METERS = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'];
/** The meter's operator: a fixed map, as DeviceRegistry would give. */
const operatorOf = (meter: string) => ACCOUNTS[Number(meter.slice(1)) % ACCOUNTS.length]!;

interface Case {
  book: (BookOrder & { meter: string })[];
  reads: Record<string, MeterRead>;
  extraEscrow: bigint[];
  tariffImport: bigint;
  tariffExport: bigint;
  grid: string;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    orders: fc.array(
      fc.record({
        side: fc.constantFrom('bid' as const, 'ask' as const),
        price: fc.integer({ min: 1, max: 400 }).map((p) => p * TICK),
        volumeWh: fc.integer({ min: 1, max: 4000 }),
        time: fc.integer({ min: 0, max: 3 }),
        meter: fc.constantFrom(...METERS),
      }),
      { maxLength: 30 },
    ),
    reads: fc.dictionary(
      fc.constantFrom(...METERS),
      fc.record({ whImport: fc.integer({ min: 0, max: 9000 }), whExport: fc.integer({ min: 0, max: 9000 }) }),
    ),
    extraEscrow: fc.array(fc.bigInt({ min: 0n, max: 10_000_000n }), { minLength: 5, maxLength: 5 }),
    tariffImport: fc.bigInt({ min: 1n, max: 500_000n }),
    tariffExport: fc.bigInt({ min: 0n, max: 200_000n }),
    grid: fc.constantFrom(...GRID_CHOICES),
  })
  .map(({ orders, ...rest }) => ({
    ...rest,
    book: orders.map((o, k) => ({ ...o, id: `o${k}` })),
  }));

/** Clears the book and settles it with escrow that covers every bid (plus random extra), as the market demands. */
function run(c: Case, permute = false) {
  const clearing = clearMarket({ tick: TICK, orders: c.book });
  const orders: SettlementOrder[] = c.book.map((o) => ({
    id: o.id,
    side: o.side,
    account: operatorOf(o.meter),
    meter: o.meter,
  }));
  const needed = new Map<string, bigint>();
  for (const o of c.book.filter((x) => x.side === 'bid')) {
    const a = operatorOf(o.meter).toLowerCase();
    const max = BigInt(o.price) > c.tariffImport ? BigInt(o.price) : c.tariffImport;
    needed.set(a, (needed.get(a) ?? 0n) + BigInt(o.volumeWh) * max);
  }
  const escrows = ACCOUNTS.map((a, k) => ({
    account: a,
    amount: ((needed.get(a.toLowerCase()) ?? 0n) + 999n) / 1000n + c.extraEscrow[k]!,
  })).filter((e) => e.amount > 0n);
  const input: SlotSettlementInput = {
    slot: 7,
    price: clearing.price,
    trades: clearing.trades,
    orders: permute ? [...orders].reverse() : orders,
    escrows: permute
      ? [...escrows].reverse().map((e) => ({ ...e, account: e.account.toUpperCase().replace('0X', '0x') }))
      : escrows,
    reads: c.reads,
    tariffImport: c.tariffImport,
    tariffExport: c.tariffExport,
    gridAccount: c.grid,
  };
  return { clearing, input, settlement: settleSlot(input), escrows };
}

describe('market and settlement properties (the issue’s “done when”)', () => {
  it('for random order books: maximal volume, no order beyond its limit, escrow in = payouts + refunds exactly', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { clearing, settlement: s, escrows } = run(c);
        // Volume matched is maximal for the rule.
        let best = 0;
        for (const p of new Set(c.book.map((o) => o.price))) {
          const d = c.book
            .filter((o) => o.side === 'bid' && o.price >= p)
            .reduce((x, o) => x + o.volumeWh, 0);
          const sup = c.book
            .filter((o) => o.side === 'ask' && o.price <= p)
            .reduce((x, o) => x + o.volumeWh, 0);
          best = Math.max(best, Math.min(d, sup));
        }
        expect(clearing.volumeWh).toBe(best);
        // No order trades beyond its limit price.
        for (const f of clearing.fills.filter((x) => x.filledWh > 0)) {
          if (f.side === 'bid') expect(f.price).toBeGreaterThanOrEqual(clearing.price!);
          else expect(f.price).toBeLessThanOrEqual(clearing.price!);
        }
        // Escrow in = payouts + refunds, to the last unit (the grid reserve draw counts as money in).
        const escrowIn = escrows.reduce((x, e) => x + e.amount, 0n);
        const payouts = s.parties.reduce((x, p) => x + p.earned, 0n) + (s.grid.net > 0n ? s.grid.net : 0n);
        const refunds = s.parties.reduce((x, p) => x + p.refund, 0n);
        expect(escrowIn + s.gridDraw).toBe(payouts + refunds);
        expect(s.escrowTotal).toBe(escrowIn);
        expect(s.total).toBe(escrowIn + s.gridDraw);
        expect(s.parties.reduce((x, p) => x + p.amount, 0n)).toBe(s.total);
        expect(s.gridDraw).toBe(s.grid.net < 0n ? -s.grid.net : 0n);
      }),
      { numRuns: 500 },
    );
  });

  it('never pays anyone a negative amount, and refunds are escrow minus payment', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { settlement: s } = run(c);
        for (const p of s.parties) {
          expect(p.amount).toBeGreaterThanOrEqual(0n);
          expect(p.refund).toBe(p.escrow - p.paid);
          expect(p.refund).toBeGreaterThanOrEqual(0n);
          const gridTake = p.account === s.gridAccount && s.grid.net > 0n ? s.grid.net : 0n;
          expect(p.amount).toBe(p.earned + p.refund + gridTake);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('pays nobody for energy no meter signed for', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { settlement: s } = run(c);
        for (const meter of METERS) {
          const sold = s.trades.filter((t) => t.sellerMeter === meter);
          const delivered = sold.reduce((x, t) => x + t.deliveredWh, 0);
          expect(delivered).toBeLessThanOrEqual(c.reads[meter]?.whExport ?? 0);
          const bought = s.trades.filter((t) => t.buyerMeter === meter);
          const supplied = bought.reduce((x, t) => x + t.gridSuppliedWh, 0);
          if (c.reads[meter]) expect(supplied).toBeLessThanOrEqual(c.reads[meter]!.whImport);
          else
            for (const t of bought)
              expect([t.consumedWh, t.gridSuppliedWh, t.gridAbsorbedWh]).toEqual([null, 0, 0]);
        }
        for (const p of s.parties) {
          expect(p.earned * 1000n).toBeLessThanOrEqual(BigInt(s.price ?? 0) * BigInt(p.deliveredWh));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('charges no buyer more per kWh matched than the larger of the clearing price and the import tariff', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { settlement: s } = run(c);
        const max = BigInt(s.price ?? 0) > c.tariffImport ? BigInt(s.price ?? 0) : c.tariffImport;
        for (const p of s.parties) {
          expect(p.paid * 1000n).toBeLessThan(max * BigInt(p.boughtWh) + 1000n);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order of orders and escrows, nor on the letter case of accounts', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        expect(run(c, true).settlement).toEqual(run(c).settlement);
      }),
      { numRuns: 300 },
    );
  });
});
