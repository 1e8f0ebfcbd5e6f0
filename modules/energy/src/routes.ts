import { energyMarketAbi } from '@groundwork/abi';
import { InputError, NotFoundError } from '@groundwork/node/internal/errors.ts';
import type { ModuleRuntime } from '@groundwork/node/modules/types.ts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Address, Hex } from 'viem';
import { z } from 'zod';
import { cancelOrders, loadBook, submitOrders } from './market/book.ts';
import { MARKET_TYPES, type MarketDomain } from './market/orders.ts';
import { ENERGY_PARAMS, readEnergyParams } from './params.ts';
import { energyDb } from './store/schema.ts';
import {
  clearingOf,
  daySlots,
  openSlots,
  pricesBetween,
  readsOfMeter,
  recentSettlements,
  settlementView,
  statementOf,
  withdrawableOf,
} from './views.ts';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address');
const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 0x-prefixed 32-byte hex value');
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte hex signature');
const safeInt = (min: number) => z.number().int().min(min).max(Number.MAX_SAFE_INTEGER);
const slotParam = z.object({ slot: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day YYYY-MM-DD');

const orderSchema = z
  .object({
    slot: safeInt(0),
    meter: hex32,
    side: z.enum(['bid', 'ask']),
    volumeWh: safeInt(1),
    price: safeInt(1),
    nonce: safeInt(0),
  })
  .strict();

/** The module's API under /v1/modules/energy/ (docs/ENERGY.md §7). */
export async function registerEnergyRoutes(app: FastifyInstance, rt: ModuleRuntime): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = energyDb(rt.db);
  const p = () => readEnergyParams(rt.params());
  const domain = (): MarketDomain => {
    const market = rt.contracts.EnergyMarket;
    if (!market)
      throw new InputError('ENERGY_MARKET_MISSING', 'this network has no EnergyMarket deployed', 503);
    return { chainId: rt.clients.chain.id, market };
  };
  const range = (q: { day?: string | undefined; from?: number | undefined; to?: number | undefined }) => {
    const slotMs = p().slotMs;
    if (q.from !== undefined || q.to !== undefined) {
      const from = q.from ?? 0;
      const to = q.to ?? from + 86_400_000 / slotMs;
      if (to < from || to - from > 31 * (86_400_000 / slotMs))
        throw new InputError('BAD_REQUEST', 'from..to: at most 31 days, from ≤ to');
      return { from, to };
    }
    return daySlots(q.day ?? new Date().toISOString().slice(0, 10), slotMs);
  };
  const rangeQuery = z.object({
    day: day.optional(),
    from: z.coerce.number().int().min(0).optional(),
    to: z.coerce.number().int().min(0).optional(),
  });

  r.get(
    '/market',
    {
      schema: {
        tags: ['energy'],
        summary: 'Market configuration: EIP-712 domain and types, slots, tick, tariffs',
      },
    },
    async () => {
      const e = p();
      const market = rt.contracts.EnergyMarket;
      const now = Date.now();
      return {
        chainId: rt.clients.chain.id,
        market: market ?? null,
        token: rt.contracts.TestStable ?? null,
        gridAccount: market
          ? ((await rt.clients.publicClient.readContract({
              address: market,
              abi: energyMarketAbi,
              functionName: 'gridAccount',
            })) as Address)
          : null,
        domain: market
          ? {
              name: 'GroundworkEnergyMarket',
              version: '1',
              chainId: rt.clients.chain.id,
              verifyingContract: market,
            }
          : null,
        types: MARKET_TYPES,
        slotSeconds: e.slotSeconds,
        gateClosureSeconds: e.gateClosureMs / 1000,
        settleDelaySeconds: e.settleDelayMs / 1000,
        horizonSeconds: e.horizonMs / 1000,
        priceTick: e.priceTick,
        maxPrice: e.maxPrice,
        tariffImport: e.tariffImport.toString(),
        tariffExport: e.tariffExport.toString(),
        currentSlot: Math.floor(now / e.slotMs),
        nextOpenSlot: Math.floor((now + e.gateClosureMs) / e.slotMs) + 1,
        parameters: Object.values(ENERGY_PARAMS),
      };
    },
  );

  r.post(
    '/orders',
    {
      schema: {
        tags: ['energy'],
        summary: 'Place a signed batch of bids and asks (EIP-712 OrderBatch); all or nothing',
        body: z
          .object({ account: address, orders: z.array(orderSchema).min(1).max(1000), signature })
          .strict(),
      },
    },
    async (req, reply) => {
      const res = await submitOrders(
        db,
        {
          account: req.body.account as Address,
          orders: req.body.orders.map((o) => ({ ...o, meter: o.meter as Hex })),
          signature: req.body.signature as Hex,
        },
        { domain: domain(), params: rt.params(), now: Date.now() },
      );
      return reply.status(201).send(res);
    },
  );

  r.post(
    '/orders/cancel',
    {
      schema: {
        tags: ['energy'],
        summary: 'Cancel open orders before gate closure (EIP-712 CancelOrders); all or nothing',
        body: z.object({ account: address, orderIds: z.array(hex32).min(1).max(1000), signature }).strict(),
      },
    },
    async (req) =>
      cancelOrders(
        db,
        {
          account: req.body.account as Hex,
          orderIds: req.body.orderIds as Hex[],
          signature: req.body.signature as Hex,
        },
        { domain: domain(), params: rt.params(), now: Date.now() },
      ),
  );

  r.get(
    '/slots/:slot/book',
    {
      schema: {
        tags: ['energy'],
        summary:
          "A slot's order book (open, or as cleared), in the file format `groundwork energy clear` reads",
        params: slotParam,
      },
    },
    async (req) => loadBook(db, req.params.slot, rt.params()),
  );

  r.get(
    '/open-slots',
    {
      schema: {
        tags: ['energy'],
        summary:
          'Slots whose books have open orders (not cleared yet), earliest first, with bid and ask counts',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(96) }),
      },
    },
    async (req) => ({ slots: await openSlots(db, p().slotMs, req.query.limit) }),
  );

  r.get(
    '/settlements',
    {
      schema: {
        tags: ['energy'],
        summary:
          'The latest slot settlements, newest first: status, root, cumulative total, grid draw, transaction',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(20) }),
      },
    },
    async (req) => ({ settlements: await recentSettlements(db, p().slotMs, req.query.limit) }),
  );

  r.get(
    '/slots/:slot/clearing',
    {
      schema: {
        tags: ['energy'],
        summary: "A slot's clearing: price, volume, each order's fill, trades",
        params: slotParam,
      },
    },
    async (req) => {
      const c = await clearingOf(db, req.params.slot);
      if (!c) throw new NotFoundError(`clearing of slot ${req.params.slot}`);
      return c;
    },
  );

  r.get(
    '/slots/:slot/settlement',
    {
      schema: {
        tags: ['energy'],
        summary: "A slot's settlement statement (whose hash the oracles signed), root and transaction",
        params: slotParam,
      },
    },
    async (req) => {
      const s = await db
        .selectFrom('energy_settlements')
        .selectAll()
        .where('slot', '=', req.params.slot)
        .executeTakeFirst();
      if (!s) throw new NotFoundError(`settlement of slot ${req.params.slot}`);
      return { ...settlementView(s), statement: JSON.parse(s.statement) as unknown };
    },
  );

  r.get(
    '/prices',
    {
      schema: {
        tags: ['energy'],
        summary: 'Clearing prices and volumes over a day (default today, UTC) or a slot range [from, to)',
        querystring: rangeQuery,
      },
    },
    async (req) => {
      const { from, to } = range(req.query);
      return { from, to, slots: await pricesBetween(db, from, to, p().slotMs) };
    },
  );

  r.get(
    '/accounts/:address/statement',
    {
      schema: {
        tags: ['energy'],
        summary: "An account's settlement statement per slot: matched, delivered, paid, refunded, withdrawn",
        params: z.object({ address }),
        querystring: rangeQuery,
      },
    },
    async (req) => {
      const { from, to } = range(req.query);
      return {
        account: req.params.address.toLowerCase(),
        from,
        to,
        slots: await statementOf(db, req.params.address, from, to),
        balance: await withdrawableOf(db, req.params.address),
      };
    },
  );

  r.get(
    '/accounts/:address/withdrawable',
    {
      schema: {
        tags: ['energy'],
        summary:
          'What an account can withdraw: its cumulative amount in the root in effect on chain, what it withdrew, and the proof for EnergyMarket.withdraw',
        params: z.object({ address }),
      },
    },
    async (req) => ({
      account: req.params.address.toLowerCase(),
      ...(await withdrawableOf(db, req.params.address)),
    }),
  );

  r.get(
    '/accounts/:address/orders',
    {
      schema: {
        tags: ['energy'],
        summary: "An account's orders with status and fill",
        params: z.object({ address }),
        querystring: rangeQuery,
      },
    },
    async (req) => {
      const { from, to } = range(req.query);
      const rows = await db
        .selectFrom('energy_orders')
        .selectAll()
        .where('account', '=', req.params.address.toLowerCase())
        .where('slot', '>=', from)
        .where('slot', '<', to)
        .orderBy('slot')
        .orderBy('id')
        .execute();
      return {
        orders: rows.map((o) => ({
          id: o.id,
          slot: Number(o.slot),
          meter: o.meter,
          side: o.side,
          volumeWh: Number(o.volume_wh),
          price: Number(o.price),
          time: Number(o.time),
          status: o.status,
          filledWh: o.filled_wh === null ? null : Number(o.filled_wh),
        })),
      };
    },
  );

  r.get(
    '/meters/:id/reads',
    {
      schema: {
        tags: ['energy'],
        summary:
          "A meter's latest interval reads with verdicts, its site, and the gaps between accepted reads",
        params: z.object({ id: hex32 }),
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(2000).default(96) }),
      },
    },
    async (req) => readsOfMeter(db, req.params.id, req.query.limit, p().slotMs),
  );
}
