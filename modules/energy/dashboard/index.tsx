/**
 * The energy module's dashboard view: the market's rules, the open order book
 * of a slot (price levels as a depth chart, every order), the clearing price
 * of each slot, and the latest settlements on chain. Everything comes from
 * the module's public routes under /v1/modules/energy/ (docs/ENERGY.md §9);
 * the settlement token's symbol and decimals are read from the chain.
 */
import {
  type ApiClient,
  Async,
  Badge,
  BarChart,
  DataTable,
  defineDashboardModule,
  Facts,
  FullHash,
  formatCount,
  formatDuration,
  formatTime,
  formatToken,
  Hash,
  LineChart,
  loadChain,
  moduleColor,
  Section,
  Stat,
  StatGrid,
  type Status,
  tokenToNumber,
  useApi,
} from '@groundwork/dashboard';
import { useId, useState } from 'react';

const BASE = '/v1/modules/energy';
/** Refresh on ingest batches and epochs, at most this often: the node does not forward energy events yet. */
const REFRESH = { refreshOn: ['envelopes', 'epoch', 'module.energy'] as const, minIntervalMs: 5_000 };
const BID = '#0f7b6c';
const ASK = moduleColor('energy');

interface Market {
  chainId: number;
  market: string | null;
  token: string | null;
  gridAccount: string | null;
  slotSeconds: number;
  gateClosureSeconds: number;
  settleDelaySeconds: number;
  priceTick: number;
  maxPrice: number;
  tariffImport: string;
  tariffExport: string;
  currentSlot: number;
  nextOpenSlot: number;
}

interface OpenSlot {
  slot: number;
  start: string;
  bids: number;
  asks: number;
  bidWh: number;
  askWh: number;
}

interface BookOrder {
  id: string;
  side: 'bid' | 'ask';
  price: number;
  volumeWh: number;
  time: number;
  account?: string;
  meter?: string;
}

interface Book {
  slot: number | null;
  tick: number;
  orders: BookOrder[];
}

interface Clearing {
  slot: number;
  start: string;
  price: number | null;
  volumeWh: number;
  orders: number;
}

interface Settlement {
  slot: number;
  start: string;
  status: 'settled' | 'computed';
  root: string;
  total: string;
  gridDraw: string;
  tx: string | null;
}

/** The settlement token's symbol and decimals, read from its contract (tUSD, 6, on a local network). */
interface Unit {
  symbol: string;
  decimals: number;
}

const ERC20_META = [
  { type: 'function', name: 'decimals', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint8' }] },
  { type: 'function', name: 'symbol', stateMutability: 'view', inputs: [], outputs: [{ type: 'string' }] },
] as const;

async function loadUnit(api: ApiClient, token: string | null): Promise<Unit | null> {
  if (!token) return null;
  const [status, chain] = await Promise.all([api.status(), loadChain()]);
  const pc = chain.publicClientFor(status as Status);
  const address = token as `0x${string}`;
  const [decimals, symbol] = await Promise.all([
    pc.readContract({ address, abi: ERC20_META, functionName: 'decimals' }),
    pc.readContract({ address, abi: ERC20_META, functionName: 'symbol' }),
  ]);
  return { symbol, decimals: Number(decimals) };
}

/** A price in base units per kWh: in the token's units when known; the base units in `data-raw`. */
function Price({ value, unit }: { value: number | string | null; unit: Unit | null | undefined }) {
  if (value === null) return <span className="muted">no trade</span>;
  const raw = String(value);
  return (
    <span className="amount" data-raw={raw} title={`${formatCount(raw)} base units per kWh`}>
      {unit ? `${formatToken(raw, 4, unit.decimals)} ${unit.symbol}/kWh` : `${formatCount(raw)} per kWh`}
    </span>
  );
}

/** Money in base units of the settlement token. */
function Money({ value, unit }: { value: string | null; unit: Unit | null | undefined }) {
  if (value === null) return <span>—</span>;
  return (
    <span className="amount" data-raw={value} title={`${value} base units`}>
      {unit ? `${formatToken(value, 4, unit.decimals)} ${unit.symbol}` : formatCount(value)}
    </span>
  );
}

const slotLabel = (slot: number, slotSeconds: number) => {
  const start = slot * slotSeconds * 1000;
  return `${formatTime(start).slice(11, 16)}`;
};

interface Level {
  price: number;
  bidWh: number;
  askWh: number;
  bids: number;
  asks: number;
  /** Bid volume at this price or above: what buyers take at this price. */
  demandWh: number;
  /** Ask volume at this price or below: what sellers offer at this price. */
  supplyWh: number;
}

/** Price levels of a book, lowest price first, with the cumulative demand and supply at each. */
function priceLevels(orders: readonly BookOrder[]): Level[] {
  const byPrice = new Map<number, Level>();
  for (const o of orders) {
    const l = byPrice.get(o.price) ?? {
      price: o.price,
      bidWh: 0,
      askWh: 0,
      bids: 0,
      asks: 0,
      demandWh: 0,
      supplyWh: 0,
    };
    if (o.side === 'bid') {
      l.bidWh += o.volumeWh;
      l.bids++;
    } else {
      l.askWh += o.volumeWh;
      l.asks++;
    }
    byPrice.set(o.price, l);
  }
  const levels = [...byPrice.values()].sort((a, b) => a.price - b.price);
  let supply = 0;
  for (const l of levels) l.supplyWh = supply += l.askWh;
  let demand = 0;
  for (const l of [...levels].reverse()) l.demandWh = demand += l.bidWh;
  return levels;
}

function OrderBook({ market, unit }: { market: Market; unit: Unit | null | undefined }) {
  const open = useApi((a) => a.get<{ slots: OpenSlot[] }>(`${BASE}/open-slots`), [], REFRESH);
  const [chosen, setChosen] = useState<number | undefined>();
  const slots = open.data?.slots ?? [];
  const slot = chosen ?? slots[0]?.slot ?? market.nextOpenSlot;
  const book = useApi((a) => a.get<Book>(`${BASE}/slots/${slot}/book`), [slot], REFRESH);
  // Once a slot has cleared its book is the one that was cleared: say so, with the result.
  const cleared = useApi(
    async (a) =>
      (await a.get<{ slots: Clearing[] }>(`${BASE}/prices?from=${slot}&to=${slot + 1}`)).slots[0] ?? null,
    [slot],
    REFRESH,
  );
  const selectId = useId();
  const options = slots.some((s) => s.slot === slot)
    ? slots
    : [{ slot, start: new Date(slot * market.slotSeconds * 1000).toISOString(), bids: 0, asks: 0 }, ...slots];
  return (
    <Section
      title={`Order book, slot ${slot}`}
      testId="energy-book"
      actions={
        <span className="row">
          <label htmlFor={selectId}>Slot</label>
          <select
            id={selectId}
            value={slot}
            onChange={(e) => setChosen(Number(e.target.value))}
            data-testid="energy-slot"
            style={{ maxWidth: '100%' }}
          >
            {options.map((s) => (
              <option key={s.slot} value={s.slot}>
                {s.slot} ({s.bids} bids, {s.asks} asks)
              </option>
            ))}
          </select>
        </span>
      }
    >
      <p className="muted small">
        Slot {slot} runs {formatTime(slot * market.slotSeconds * 1000)} –{' '}
        {formatTime((slot + 1) * market.slotSeconds * 1000)}; its gate closes{' '}
        {formatTime((slot * market.slotSeconds - market.gateClosureSeconds) * 1000)}, then it clears as one
        uniform-price double auction. {slots.length} slot{slots.length === 1 ? ' has' : 's have'} open orders.
      </p>
      {cleared.data ? (
        <p className="success" data-testid="energy-book-cleared">
          This slot has cleared: {formatCount(cleared.data.volumeWh)} Wh at{' '}
          <Price value={cleared.data.price} unit={unit} />. The book below is the one that was cleared.
        </p>
      ) : null}
      <Async state={book} what="the order book">
        {(b) => {
          const levels = priceLevels(b.orders);
          const bids = b.orders.filter((o) => o.side === 'bid').sort((x, y) => y.price - x.price);
          const asks = b.orders.filter((o) => o.side === 'ask').sort((x, y) => x.price - y.price);
          if (b.orders.length === 0) return <p className="muted">No open orders for slot {slot}.</p>;
          const priceText = (p: number) =>
            unit ? `${formatToken(String(p), 4, unit.decimals)}` : formatCount(p);
          return (
            <>
              <StatGrid>
                <Stat label="Bids" testId="energy-bids">
                  {formatCount(bids.length)}
                </Stat>
                <Stat label="Wh bid">{formatCount(bids.reduce((s, o) => s + o.volumeWh, 0))}</Stat>
                <Stat label="Asks" testId="energy-asks">
                  {formatCount(asks.length)}
                </Stat>
                <Stat label="Wh offered">{formatCount(asks.reduce((s, o) => s + o.volumeWh, 0))}</Stat>
                <Stat label="Best bid">
                  <Price value={bids[0]?.price ?? null} unit={unit} />
                </Stat>
                <Stat label="Best ask">
                  <Price value={asks[0]?.price ?? null} unit={unit} />
                </Stat>
              </StatGrid>
              <div className="two-col">
                <BarChart
                  title={`Depth: Wh bid at or above, and offered at or below, each price (${unit ? `${unit.symbol}/kWh` : 'base units/kWh'})`}
                  labels={levels.map((l) => priceText(l.price))}
                  unit="Wh"
                  testId="energy-depth"
                  series={[
                    {
                      name: 'demand (bids)',
                      color: BID,
                      values: levels.map((l) => l.demandWh),
                      text: levels.map((l) => `${formatCount(l.demandWh)} Wh`),
                    },
                    {
                      name: 'supply (asks)',
                      color: ASK,
                      values: levels.map((l) => l.supplyWh),
                      text: levels.map((l) => `${formatCount(l.supplyWh)} Wh`),
                    },
                  ]}
                />
                <DataTable
                  caption={`Price levels of slot ${slot}`}
                  testId="energy-levels"
                  rows={[...levels].reverse()}
                  rowKey={(l) => String(l.price)}
                  pageSize={12}
                  columns={[
                    { header: 'Price', render: (l) => <Price value={l.price} unit={unit} />, align: 'right' },
                    { header: 'Bid Wh', render: (l) => formatCount(l.bidWh), align: 'right' },
                    { header: 'Ask Wh', render: (l) => formatCount(l.askWh), align: 'right' },
                  ]}
                />
              </div>
              <DataTable
                caption={`Open orders of slot ${slot}, bids best first then asks best first`}
                testId="energy-orders"
                rows={[...bids, ...asks]}
                rowKey={(o) => o.id}
                pageSize={15}
                columns={[
                  {
                    header: 'Side',
                    render: (o) => <Badge tone={o.side === 'bid' ? 'ok' : 'warn'}>{o.side}</Badge>,
                  },
                  { header: 'Price', render: (o) => <Price value={o.price} unit={unit} />, align: 'right' },
                  { header: 'Wh', render: (o) => formatCount(o.volumeWh), align: 'right' },
                  { header: 'Account', render: (o) => <Hash value={o.account} /> },
                  { header: 'Meter', render: (o) => <Hash value={o.meter} /> },
                  { header: 'Placed', render: (o) => formatTime(o.time) },
                ]}
              />
            </>
          );
        }}
      </Async>
    </Section>
  );
}

function Clearings({ market, unit }: { market: Market; unit: Unit | null | undefined }) {
  // The last day and the horizon ahead: a slot clears at its gate, before it starts.
  const from = market.currentSlot - 86_400 / market.slotSeconds;
  const to = market.currentSlot + (2 * 86_400) / market.slotSeconds;
  const prices = useApi(
    (a) => a.get<{ slots: Clearing[] }>(`${BASE}/prices?from=${from}&to=${to}`),
    [from, to],
    REFRESH,
  );
  return (
    <Section title="Clearing prices" testId="energy-clearings">
      <Async state={prices} what="clearing prices">
        {({ slots }) => {
          const traded = slots.filter((s) => s.price !== null);
          if (slots.length === 0) return <p className="muted">No slot has cleared in the last day.</p>;
          const decimals = unit?.decimals ?? 0;
          return (
            <>
              <div className="two-col">
                <LineChart
                  title={`Clearing price per slot (${unit ? `${unit.symbol}/kWh` : 'base units/kWh'})`}
                  labels={traded.map((s) => `${s.slot}`)}
                  unit={unit ? `${unit.symbol}/kWh` : 'per kWh'}
                  testId="energy-price-chart"
                  series={[
                    {
                      name: 'clearing price',
                      color: ASK,
                      values: traded.map((s) => tokenToNumber(String(s.price), decimals)),
                      text: traded.map((s) =>
                        unit
                          ? `${formatToken(String(s.price), 4, decimals)} ${unit.symbol}/kWh`
                          : `${s.price}`,
                      ),
                    },
                  ]}
                />
                <BarChart
                  title="Energy traded per slot (Wh)"
                  labels={slots.map((s) => `${s.slot}`)}
                  unit="Wh"
                  series={[
                    {
                      name: 'traded',
                      color: BID,
                      values: slots.map((s) => s.volumeWh),
                      text: slots.map((s) => `${formatCount(s.volumeWh)} Wh`),
                    },
                  ]}
                />
              </div>
              <DataTable
                caption="Cleared slots, latest first"
                testId="energy-clearings-table"
                rows={[...slots].reverse()}
                rowKey={(s) => String(s.slot)}
                pageSize={10}
                columns={[
                  { header: 'Slot', render: (s) => s.slot },
                  {
                    header: 'Starts',
                    render: (s) =>
                      `${formatTime(Date.parse(s.start))} (${slotLabel(s.slot, market.slotSeconds)})`,
                  },
                  { header: 'Price', render: (s) => <Price value={s.price} unit={unit} />, align: 'right' },
                  { header: 'Traded Wh', render: (s) => formatCount(s.volumeWh), align: 'right' },
                  { header: 'Orders', render: (s) => formatCount(s.orders), align: 'right' },
                ]}
              />
            </>
          );
        }}
      </Async>
    </Section>
  );
}

function Settlements({ unit }: { unit: Unit | null | undefined }) {
  const list = useApi(
    (a) => a.get<{ settlements: Settlement[] }>(`${BASE}/settlements?limit=20`),
    [],
    REFRESH,
  );
  return (
    <Section title="Recent settlements" testId="energy-settlements">
      <p className="muted small">
        A slot settles once its meter reads are in: sellers are paid for the energy their meters signed as
        delivered, buyers for what they consumed, the grid for the rest; the oracles sign the root and it is
        submitted to EnergyMarket.
      </p>
      <Async state={list} what="settlements">
        {({ settlements }) => (
          <DataTable
            caption="Latest slot settlements"
            rows={settlements}
            rowKey={(s) => String(s.slot)}
            pageSize={10}
            empty="No slot settled yet."
            columns={[
              { header: 'Slot', render: (s) => s.slot },
              { header: 'Starts', render: (s) => formatTime(Date.parse(s.start)) },
              {
                header: 'Status',
                render: (s) => <Badge tone={s.status === 'settled' ? 'ok' : 'info'}>{s.status}</Badge>,
              },
              {
                header: 'Owed in total',
                render: (s) => <Money value={s.total} unit={unit} />,
                align: 'right',
              },
              {
                header: 'Grid draw',
                render: (s) => <Money value={s.gridDraw} unit={unit} />,
                align: 'right',
              },
              { header: 'Root', render: (s) => <Hash value={s.root} /> },
              { header: 'Transaction', render: (s) => <Hash value={s.tx} /> },
            ]}
          />
        )}
      </Async>
    </Section>
  );
}

function EnergyView(_: { api: ApiClient }) {
  const market = useApi((a) => a.get<Market>(`${BASE}/market`), [], REFRESH);
  const unit = useApi((a) => loadUnit(a, market.data?.token ?? null), [market.data?.token]);
  return (
    <Async state={market} what="the market">
      {(m) => (
        <>
          <Section title="Market">
            <Facts
              items={[
                ['EnergyMarket', m.market ? <FullHash key="m" value={m.market} /> : 'not deployed'],
                ['Settlement token', m.token ? <Hash key="t" value={m.token} /> : '—'],
                [
                  'Slots',
                  `${formatDuration(m.slotSeconds * 1000)}; orders close ${formatDuration(m.gateClosureSeconds * 1000)} before a slot starts; reads are taken until ${formatDuration(m.settleDelaySeconds * 1000)} after it ends`,
                ],
                ['Price tick', <Price key="p" value={m.priceTick} unit={unit.data} />],
                ['Grid import tariff', <Price key="i" value={m.tariffImport} unit={unit.data} />],
                ['Grid export tariff', <Price key="e" value={m.tariffExport} unit={unit.data} />],
                ['Current slot', `${m.currentSlot} (next open: ${m.nextOpenSlot})`, 'energy-current-slot'],
              ]}
            />
          </Section>
          <OrderBook market={m} unit={unit.data} />
          <Clearings market={m} unit={unit.data} />
          <Settlements unit={unit.data} />
        </>
      )}
    </Async>
  );
}

export default defineDashboardModule({ id: 'energy', title: 'Energy market', View: EnergyView });
