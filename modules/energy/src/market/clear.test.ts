import { describe, expect, it } from 'vitest';
import { WORKED_BOOK } from '../test/worked.ts';
import { type ClearingInputError, clearMarket } from './clear.ts';

describe('clearMarket', () => {
  it('clears the worked example of ENERGY.md exactly as the document shows', () => {
    const r = clearMarket({ tick: 1000, orders: WORKED_BOOK });
    expect(r.price).toBe(210_000);
    expect(r.volumeWh).toBe(4500);
    expect(r.trades).toEqual([
      { bidId: 'B1', askId: 'A1', volumeWh: 1200 },
      { bidId: 'B1', askId: 'A2', volumeWh: 800 },
      { bidId: 'B3', askId: 'A2', volumeWh: 1000 },
      { bidId: 'B2', askId: 'A2', volumeWh: 700 },
      { bidId: 'B2', askId: 'A3', volumeWh: 800 },
    ]);
    expect(r.fills.map((f) => [f.id, f.filledWh])).toEqual([
      ['B1', 2000],
      ['B3', 1000],
      ['B2', 1500],
      ['B4', 0],
      ['A1', 1200],
      ['A2', 2500],
      ['A3', 800],
      ['A4', 0],
    ]);
  });

  it('rounds the midpoint down to the tick', () => {
    const r = clearMarket({
      tick: 1000,
      orders: [
        { id: 'b', side: 'bid', price: 215_000, volumeWh: 10, time: 0 },
        { id: 'a', side: 'ask', price: 200_000, volumeWh: 10, time: 0 },
      ],
    });
    expect(r.price).toBe(207_000);
  });

  it('breaks price ties by submission time, then by order id', () => {
    const r = clearMarket({
      tick: 1,
      orders: [
        { id: 'z', side: 'bid', price: 100, volumeWh: 5, time: 1 },
        { id: 'y', side: 'bid', price: 100, volumeWh: 5, time: 2 },
        { id: 'x', side: 'bid', price: 100, volumeWh: 5, time: 2 },
        { id: 'a', side: 'ask', price: 100, volumeWh: 8, time: 0 },
      ],
    });
    expect(r.fills.map((f) => [f.id, f.filledWh])).toEqual([
      ['z', 5],
      ['x', 3],
      ['y', 0],
      ['a', 8],
    ]);
    expect(r.price).toBe(100);
  });

  it('matches nothing when the best bid is below the best ask, and clears an empty book', () => {
    const none = clearMarket({
      tick: 1000,
      orders: [
        { id: 'b', side: 'bid', price: 99_000, volumeWh: 10, time: 0 },
        { id: 'a', side: 'ask', price: 100_000, volumeWh: 10, time: 0 },
      ],
    });
    expect(none).toEqual({
      price: null,
      volumeWh: 0,
      trades: [],
      fills: [
        { id: 'b', side: 'bid', price: 99_000, volumeWh: 10, filledWh: 0 },
        { id: 'a', side: 'ask', price: 100_000, volumeWh: 10, filledWh: 0 },
      ],
    });
    expect(clearMarket({ tick: 1, orders: [] })).toEqual({ price: null, volumeWh: 0, trades: [], fills: [] });
  });

  it('refuses a malformed book with a coded error naming the field', () => {
    const ok = { id: 'a', side: 'ask', price: 1000, volumeWh: 1, time: 0 } as const;
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return [(e as ClearingInputError).code, (e as ClearingInputError).details?.path];
      }
      return 'no error';
    };
    expect(code(() => clearMarket({ tick: 0, orders: [] }))).toEqual(['MARKET_INPUT_INVALID', 'tick']);
    expect(code(() => clearMarket({ tick: 1000, orders: [ok, ok] }))).toEqual([
      'MARKET_DUPLICATE_ORDER',
      'orders[1].id',
    ]);
    expect(code(() => clearMarket({ tick: 1000, orders: [{ ...ok, price: 1500 }] }))).toEqual([
      'MARKET_PRICE_OFF_TICK',
      'orders[0].price',
    ]);
    expect(code(() => clearMarket({ tick: 1000, orders: [{ ...ok, volumeWh: 0 }] }))).toEqual([
      'MARKET_INPUT_INVALID',
      'orders[0].volumeWh',
    ]);
    expect(code(() => clearMarket({ tick: 1000, orders: [{ ...ok, side: 'buy' as 'bid' }] }))).toEqual([
      'MARKET_INPUT_INVALID',
      'orders[0].side',
    ]);
    expect(code(() => clearMarket({ tick: 1000, orders: [{ ...ok, time: -1 }] }))).toEqual([
      'MARKET_INPUT_INVALID',
      'orders[0].time',
    ]);
  });
});
