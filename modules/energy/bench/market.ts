/**
 * `npm run bench -- market`: clears one slot's book of `orders` random bids
 * and asks with the market's own code, beside a baseline measured in the same
 * run — a plain numeric sort of the same orders by price, the least any
 * clearing must do. Target (issue #5): 100,000 orders in under 1 s.
 */
import { type BookOrder, clearMarket } from '../src/market/clear.ts';
import { rng } from '../src/sim/household.ts';

export interface MarketBenchResult {
  orders: number;
  /** Best of the runs: validate, sort, walk, price, fills. */
  seconds: number;
  /** Best of the runs: `Array.prototype.sort` of the same orders by price alone. */
  baselineSeconds: number;
  /** seconds ÷ baselineSeconds. */
  ratio: number;
  runs: number;
  matchedWh: number;
  price: number | null;
}

/** A deterministic book: prices around the tariffs on a 1,000 tick, 50–5,000 Wh, submission times over an hour. */
export function randomBook(n: number, seed = 'bench'): BookOrder[] {
  const r = rng(seed, 'book');
  const orders: BookOrder[] = [];
  for (let i = 0; i < n; i++) {
    const bid = r() < 0.5;
    const price = (bid ? 60 + Math.floor(r() * 240) : 40 + Math.floor(r() * 200)) * 1000;
    orders.push({
      id: `0x${i.toString(16).padStart(64, '0')}`,
      side: bid ? 'bid' : 'ask',
      price,
      volumeWh: 50 + Math.floor(r() * 4950),
      time: 1_900_000_000_000 + Math.floor(r() * 3_600_000),
    });
  }
  return orders;
}

export function benchMarket(o: { orders: number; runs?: number }): MarketBenchResult {
  const book = randomBook(o.orders);
  const runs = o.runs ?? 5;
  let best = Number.POSITIVE_INFINITY;
  let baseline = Number.POSITIVE_INFINITY;
  let result = clearMarket({ tick: 1000, orders: book });
  for (let k = 0; k < runs; k++) {
    const copy = book.slice();
    let t = performance.now();
    copy.sort((a, b) => a.price - b.price);
    baseline = Math.min(baseline, performance.now() - t);
    t = performance.now();
    result = clearMarket({ tick: 1000, orders: book });
    best = Math.min(best, performance.now() - t);
  }
  const round = (ms: number) => Math.round(ms) / 1e6;
  return {
    orders: o.orders,
    seconds: round(best * 1000),
    baselineSeconds: round(baseline * 1000),
    ratio: Math.round((best / baseline) * 100) / 100,
    runs,
    matchedWh: result.volumeWh,
    price: result.price,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(benchMarket({ orders: Number(process.argv[2] ?? 100_000) }))}\n`);
}
