import { randomBook } from '../bench/market.ts';
import { clearMarket, validateBook } from '../src/market/clear.ts';

const book = randomBook(100_000);
const m = { validate: 1e9, sortBids: 1e9, clear: 1e9 };
for (let k = 0; k < 8; k++) {
  let t = performance.now();
  validateBook({ tick: 1000, orders: book });
  m.validate = Math.min(m.validate, performance.now() - t);
  t = performance.now();
  const bids = book.filter((o) => o.side === 'bid');
  bids.sort((a, b) => b.price - a.price || a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  m.sortBids = Math.min(m.sortBids, performance.now() - t);
  t = performance.now();
  clearMarket({ tick: 1000, orders: book });
  m.clear = Math.min(m.clear, performance.now() - t);
}
console.log(m);
