import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BookOrder, clearMarket } from './clear.ts';

const TICK = 1000;
const order = (side: 'bid' | 'ask') =>
  fc.record({
    side: fc.constant(side),
    // Few distinct prices and times, so that ties are common.
    price: fc.integer({ min: 1, max: 12 }).map((p) => p * TICK),
    volumeWh: fc.integer({ min: 1, max: 5000 }),
    time: fc.integer({ min: 0, max: 5 }),
  });
const book = fc
  .tuple(fc.array(order('bid'), { maxLength: 25 }), fc.array(order('ask'), { maxLength: 25 }))
  .map(([b, a]) =>
    [...b, ...a].map((o, k) => ({ ...o, id: `o${k.toString().padStart(3, '0')}` }) as BookOrder),
  );

/** The largest volume any uniform price could clear: max over candidate prices p of min(D(p), S(p)). */
function bruteForceMaxVolume(orders: BookOrder[]): number {
  let best = 0;
  for (const p of new Set(orders.map((o) => o.price))) {
    const d = orders.filter((o) => o.side === 'bid' && o.price >= p).reduce((s, o) => s + o.volumeWh, 0);
    const s = orders.filter((o) => o.side === 'ask' && o.price <= p).reduce((s2, o) => s2 + o.volumeWh, 0);
    best = Math.max(best, Math.min(d, s));
  }
  return best;
}

describe('clearMarket properties', () => {
  it('matches the largest volume the rule allows', () => {
    fc.assert(
      fc.property(book, (orders) => {
        expect(clearMarket({ tick: TICK, orders }).volumeWh).toBe(bruteForceMaxVolume(orders));
      }),
      { numRuns: 500 },
    );
  });

  it('never trades an order beyond its limit price, and prices on the tick', () => {
    fc.assert(
      fc.property(book, (orders) => {
        const r = clearMarket({ tick: TICK, orders });
        if (r.price === null) {
          expect(r.volumeWh).toBe(0);
          return;
        }
        expect(r.price % TICK).toBe(0);
        for (const f of r.fills.filter((x) => x.filledWh > 0)) {
          if (f.side === 'bid') expect(f.price).toBeGreaterThanOrEqual(r.price);
          else expect(f.price).toBeLessThanOrEqual(r.price);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('balances both sides and fills within each order, trades summing to the fills', () => {
    fc.assert(
      fc.property(book, (orders) => {
        const r = clearMarket({ tick: TICK, orders });
        const bids = r.fills.filter((f) => f.side === 'bid');
        const asks = r.fills.filter((f) => f.side === 'ask');
        expect(bids.reduce((s, f) => s + f.filledWh, 0)).toBe(r.volumeWh);
        expect(asks.reduce((s, f) => s + f.filledWh, 0)).toBe(r.volumeWh);
        for (const f of r.fills) {
          expect(f.filledWh).toBeGreaterThanOrEqual(0);
          expect(f.filledWh).toBeLessThanOrEqual(f.volumeWh);
          const traded = r.trades
            .filter((t) => (f.side === 'bid' ? t.bidId : t.askId) === f.id)
            .reduce((s, t) => s + t.volumeWh, 0);
          expect(traded).toBe(f.filledWh);
        }
        expect(r.fills).toHaveLength(orders.length);
      }),
      { numRuns: 500 },
    );
  });

  it('fills in priority order, with at most one partial fill per side', () => {
    fc.assert(
      fc.property(book, (orders) => {
        const r = clearMarket({ tick: TICK, orders });
        for (const side of ['bid', 'ask'] as const) {
          const fills = r.fills.filter((f) => f.side === side);
          let seenShort = false;
          for (const f of fills) {
            if (seenShort) expect(f.filledWh).toBe(0);
            if (f.filledWh < f.volumeWh) seenShort = true;
          }
          expect(fills.filter((f) => f.filledWh > 0 && f.filledWh < f.volumeWh).length).toBeLessThanOrEqual(
            1,
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it('depends only on the set of orders, not on their input order', () => {
    fc.assert(
      fc.property(
        book.chain((orders) =>
          fc.tuple(fc.constant(orders), fc.shuffledSubarray(orders, { minLength: orders.length })),
        ),
        ([orders, shuffled]) => {
          expect(clearMarket({ tick: TICK, orders: shuffled })).toEqual(clearMarket({ tick: TICK, orders }));
        },
      ),
      { numRuns: 300 },
    );
  });
});
