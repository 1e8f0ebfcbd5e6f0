import { BaseError } from '@groundwork/node/internal/errors.ts';

/** One order of a slot's book, as the clearing sees it. */
export interface BookOrder {
  /** Unique within the book; ties of price and time are broken by it (plain string order). */
  id: string;
  side: 'bid' | 'ask';
  /** Limit price, settlement-token base units per kWh; a multiple of the tick. A bid's highest, an ask's lowest. */
  price: number;
  /** Volume, Wh. */
  volumeWh: number;
  /** Submission time, ms since the Unix epoch (earlier wins a price tie). */
  time: number;
}

export interface ClearingInput {
  /** Price tick, base units per kWh. */
  tick: number;
  orders: readonly BookOrder[];
}

export interface OrderFill {
  id: string;
  side: 'bid' | 'ask';
  price: number;
  volumeWh: number;
  filledWh: number;
}

/** One step of the walk: `volumeWh` passes from the ask to the bid. */
export interface Trade {
  bidId: string;
  askId: string;
  volumeWh: number;
}

export interface ClearingResult {
  /** The uniform price every matched order trades at, or null when nothing matched. */
  price: number | null;
  /** Volume matched, Wh. */
  volumeWh: number;
  /** Every order's fill: bids in priority order, then asks in priority order. */
  fills: OrderFill[];
  /** The walk's matches, in order. */
  trades: Trade[];
}

/** A book the clearing cannot take; `details.path` says where, `details.expected` what. */
export class ClearingInputError extends BaseError {
  override readonly name = 'ClearingInputError';
  constructor(
    code: 'MARKET_INPUT_INVALID' | 'MARKET_DUPLICATE_ORDER' | 'MARKET_PRICE_OFF_TICK',
    path: string,
    expected: string,
  ) {
    super(code, `${path}: expected ${expected}`, { details: { path, expected } });
  }
}

const isCount = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min;

/** Bids: price descending, then submission time, then id. */
function bidFirst(a: BookOrder, b: BookOrder): number {
  return b.price - a.price || a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Asks: price ascending, then submission time, then id. */
function askFirst(a: BookOrder, b: BookOrder): number {
  return a.price - b.price || a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Clears one slot's book as a uniform-price double auction (docs/ENERGY.md §3):
 *
 * 1. bids sorted by price descending, asks by price ascending; ties by
 *    submission time, then by order id;
 * 2. walk both lists while the current bid's price ≥ the current ask's price,
 *    matching volume; the last order matched on each side may fill in part;
 * 3. the clearing price is the midpoint of the last matched bid's and ask's
 *    prices, rounded down to the tick;
 * 4. every matched bid pays and every matched ask receives that price.
 *
 * Guarantees (property-tested in `clear.prop.test.ts`):
 * - Σ bid fills = Σ ask fills = `volumeWh`, and 0 ≤ filledWh ≤ volumeWh for every order;
 * - the volume is the largest the rule allows: `volumeWh = max over p of min(D(p), S(p))`, where D(p) is the
 *   bid volume at prices ≥ p and S(p) the ask volume at prices ≤ p;
 * - no order trades beyond its limit: every filled bid's price ≥ `price` ≥ every filled ask's price, and
 *   `price` is a multiple of the tick;
 * - priority: an order is filled only if every order ahead of it on its side is filled in full, so at most one
 *   order per side fills in part;
 * - the result depends only on the set of orders, not on their order in the input.
 *
 * Throws {@link ClearingInputError} for a malformed book (nothing is cleared).
 *
 * @example
 * clearMarket({ tick: 1000, orders: [
 *   { id: 'b1', side: 'bid', price: 200_000, volumeWh: 1500, time: 1 },
 *   { id: 'a1', side: 'ask', price: 100_000, volumeWh: 1000, time: 2 },
 * ] }) // → price 150_000, volumeWh 1000; b1 filled 1000 of 1500
 */
export function clearMarket(input: ClearingInput): ClearingResult {
  const { tick, orders } = validateBook(input);
  const bids: BookOrder[] = [];
  const asks: BookOrder[] = [];
  for (const o of orders) (o.side === 'bid' ? bids : asks).push(o);
  bids.sort(bidFirst);
  asks.sort(askFirst);

  const bidFill = new Float64Array(bids.length);
  const askFill = new Float64Array(asks.length);
  const trades: Trade[] = [];
  let i = 0;
  let j = 0;
  let volume = 0;
  let lastBid = -1;
  let lastAsk = -1;
  while (i < bids.length && j < asks.length && bids[i]!.price >= asks[j]!.price) {
    const bid = bids[i]!;
    const ask = asks[j]!;
    const q = Math.min(bid.volumeWh - bidFill[i]!, ask.volumeWh - askFill[j]!);
    bidFill[i] = bidFill[i]! + q;
    askFill[j] = askFill[j]! + q;
    volume += q;
    trades.push({ bidId: bid.id, askId: ask.id, volumeWh: q });
    lastBid = i;
    lastAsk = j;
    if (bidFill[i] === bid.volumeWh) i++;
    if (askFill[j] === ask.volumeWh) j++;
  }
  // Both prices are multiples of the tick and bid ≥ ask, so the floored midpoint lies in [ask, bid].
  const price =
    lastBid < 0 ? null : Math.floor((bids[lastBid]!.price + asks[lastAsk]!.price) / (2 * tick)) * tick;
  const fills: OrderFill[] = [];
  for (let k = 0; k < bids.length; k++) {
    const o = bids[k]!;
    fills.push({ id: o.id, side: 'bid', price: o.price, volumeWh: o.volumeWh, filledWh: bidFill[k]! });
  }
  for (let k = 0; k < asks.length; k++) {
    const o = asks[k]!;
    fills.push({ id: o.id, side: 'ask', price: o.price, volumeWh: o.volumeWh, filledWh: askFill[k]! });
  }
  return { price, volumeWh: volume, fills, trades };
}

/** Checks a book field by field; returns it unchanged or throws {@link ClearingInputError}. */
export function validateBook(input: ClearingInput): ClearingInput {
  if (typeof input !== 'object' || input === null)
    throw new ClearingInputError('MARKET_INPUT_INVALID', 'book', 'an object');
  if (!isCount(input.tick, 1))
    throw new ClearingInputError('MARKET_INPUT_INVALID', 'tick', 'a positive safe integer');
  if (!Array.isArray(input.orders))
    throw new ClearingInputError('MARKET_INPUT_INVALID', 'orders', 'an array');
  const seen = new Set<string>();
  let total = 0;
  input.orders.forEach((o, k) => {
    const at = `orders[${k}]`;
    if (typeof o !== 'object' || o === null)
      throw new ClearingInputError('MARKET_INPUT_INVALID', at, 'an object');
    if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 200)
      throw new ClearingInputError('MARKET_INPUT_INVALID', `${at}.id`, 'a string of 1 to 200 characters');
    if (seen.has(o.id))
      throw new ClearingInputError(
        'MARKET_DUPLICATE_ORDER',
        `${at}.id`,
        `an id not used before ("${o.id}" is)`,
      );
    seen.add(o.id);
    if (o.side !== 'bid' && o.side !== 'ask')
      throw new ClearingInputError('MARKET_INPUT_INVALID', `${at}.side`, '"bid" or "ask"');
    if (!isCount(o.price, 1))
      throw new ClearingInputError('MARKET_INPUT_INVALID', `${at}.price`, 'a positive safe integer');
    if (o.price % input.tick !== 0)
      throw new ClearingInputError(
        'MARKET_PRICE_OFF_TICK',
        `${at}.price`,
        `a multiple of the tick ${input.tick}`,
      );
    if (!isCount(o.volumeWh, 1))
      throw new ClearingInputError('MARKET_INPUT_INVALID', `${at}.volumeWh`, 'a positive safe integer');
    if (!isCount(o.time, 0))
      throw new ClearingInputError('MARKET_INPUT_INVALID', `${at}.time`, 'a non-negative safe integer (ms)');
    total += o.volumeWh;
  });
  if (!Number.isSafeInteger(total))
    throw new ClearingInputError('MARKET_INPUT_INVALID', 'orders', 'volumes summing to at most 2^53 − 1 Wh');
  return input;
}
