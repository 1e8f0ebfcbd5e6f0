import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { energyMarketAbi, testStableAbi } from '@groundwork/abi';
import { installErrorHandler } from '@groundwork/node/api/errors.ts';
import type { AnvilHandle } from '@groundwork/node/chain/anvil.ts';
import type { ChainClients } from '@groundwork/node/chain/clients.ts';
import type { Deployment } from '@groundwork/node/chain/deployment.ts';
import { ChainIndexer } from '@groundwork/node/chain/indexer.ts';
import { h3ToUint64 } from '@groundwork/node/chain/params.ts';
import { Ingestor } from '@groundwork/node/ingest/ingest.ts';
import { createLogger } from '@groundwork/node/internal/logger.ts';
import { createMetrics } from '@groundwork/node/internal/metrics.ts';
import { DEV_KEYS, type Settings } from '@groundwork/node/internal/settings.ts';
import type { ModuleRuntime } from '@groundwork/node/modules/types.ts';
import type { Store } from '@groundwork/node/store/db.ts';
import { DeviceDirectory } from '@groundwork/node/store/devices.ts';
import { Verifier } from '@groundwork/node/verify/verifier.ts';
import { signEnvelope } from '@groundwork/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshStore,
  registerOnChain,
  STORE_KINDS,
  startTestNetwork,
} from '../../../packages/node/test/helpers.ts';
import energy from './index.ts';
import { type Order, signOrderBatch } from './market/orders.ts';
import { registerEnergyRoutes } from './routes.ts';
import { runEnergyTick } from './runtime.ts';
import { waitForReceipt } from './settlement/service.ts';
import { LISBON_CELL, meterKey, SLOT_MS } from './test/fixtures.ts';

const BUYER = DEV_KEYS[6] as Hex;
const SELLER = DEV_KEYS[7] as Hex;
const buyer = privateKeyToAccount(BUYER).address;
const seller = privateKeyToAccount(SELLER).address;
const buyerMeter = meterKey(11);
const sellerMeter = meterKey(12);
const log = createLogger({ level: 'silent' });

/**
 * The node's side of the market end to end on a real chain: site declarations
 * and reads through ingest, escrow on chain, signed orders over the API,
 * clearing at gate closure, settlement by the oracles on chain, the
 * statement, and a withdrawal with the API's proof.
 */
describe.each(STORE_KINDS)('energy market through the API and the chain on %s', (kind) => {
  const CHAIN_ID = 31337 + STORE_KINDS.indexOf(kind);
  let anvil: AnvilHandle;
  let clients: ChainClients;
  let deployment: Deployment;
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let rt: ModuleRuntime;
  let dir: string;
  let ingestAt: (now: number, envs: ReturnType<typeof signEnvelope>[]) => Promise<string[]>;
  const events: unknown[] = [];
  // A slot that starts 45 to 60 minutes from now: orders are open for it by the node's real clock.
  const slot = Math.floor(Date.now() / SLOT_MS) + 4;
  const start = slot * SLOT_MS;
  const end = start + SLOT_MS;
  let seq = 0;
  const env = (key: typeof buyerMeter, kindName: string, body: Record<string, unknown>, time: number) =>
    signEnvelope({ v: 1, device: key.deviceId, seq: ++seq, time, kind: kindName, body }, key);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-energy-api-'));
    // A chain id of its own per store kind: viem's shared nonce manager keys nonces by (address, chain id), and
    // a second anvil with the same id in this process would inherit the first one's nonces.
    let settings: Settings;
    ({ anvil, clients, settings, deployment } = await startTestNetwork({
      settings: { dataDir: dir },
      modules: [energy],
      chainId: CHAIN_ID,
      pollingInterval: 20,
    }));
    for (const [key, meter] of [
      [BUYER, buyerMeter],
      [SELLER, sellerMeter],
    ] as const) {
      const hash = await registerOnChain(clients, deployment, meter, {
        operatorKey: key,
        module: 'energy',
        h3Cell: h3ToUint64(LISBON_CELL),
      });
      await waitForReceipt(clients, hash);
    }
    ({ store, cleanup } = await freshStore(kind, [energy]));
    const devices = new DeviceDirectory();
    const metrics = createMetrics();
    const indexer = new ChainIndexer({ db: store.db, clients, deployment, devices, log, metrics });
    await indexer.load();
    await indexer.sync();
    let now = Date.now();
    const params = () => indexer.params;
    const ingestor = new Ingestor({
      db: store.db,
      devices,
      modules: [energy],
      params,
      log,
      metrics,
      now: () => now,
    });
    const verifier = new Verifier({ db: store.db, modules: [energy], params, log, metrics });
    ingestAt = async (t, envs) => {
      now = t;
      const verdicts = await ingestor.ingestBatch(envs);
      await verifier.drain();
      return verdicts.map((v) => v.status);
    };
    const bus = new EventEmitter();
    bus.on('energy', (e) => events.push(e));
    rt = {
      db: store.db,
      clients,
      deployment,
      contracts: deployment.modules!.energy!,
      params,
      log,
      bus,
      dataDir: dir,
      keys: { deployer: settings.deployerKey as Hex, oracles: settings.oracleKeys as Hex[] },
    };
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    installErrorHandler(app, log);
    await app.register(async (sub) => registerEnergyRoutes(sub, rt), { prefix: '/v1/modules/energy' });
    await app.ready();

    // Commissioning: both meters declare their sites (the seller has a battery, so the test passes by night too).
    const t = Date.now();
    expect(
      await ingestAt(t, [
        env(buyerMeter, 'energy.site', { connection_w: 11_000, pv_wp: 0, battery_w: 0 }, t),
        env(sellerMeter, 'energy.site', { connection_w: 11_000, pv_wp: 4_000, battery_w: 5_000 }, t),
      ]),
    ).toEqual(['accepted', 'accepted']);
    await runEnergyTick(rt, t);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await cleanup?.();
    await anvil?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({
      method,
      url: `/v1/modules/energy${url}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const domain = () => ({ chainId: clients.chain.id, market: deployment.modules!.energy!.EnergyMarket! });
  const bid: Order = {
    slot,
    meter: buyerMeter.deviceId as Hex,
    side: 'bid',
    volumeWh: 1000,
    price: 200_000,
    nonce: 1,
  };
  const ask: Order = {
    slot,
    meter: sellerMeter.deviceId as Hex,
    side: 'ask',
    volumeWh: 1000,
    price: 100_000,
    nonce: 1,
  };

  it('publishes the market’s EIP-712 domain, slots, tick and tariffs', async () => {
    const r = await api('GET', '/market');
    expect(r.statusCode).toBe(200);
    const m = r.json();
    expect(m).toMatchObject({
      chainId: CHAIN_ID,
      market: deployment.modules!.energy!.EnergyMarket,
      token: deployment.modules!.energy!.TestStable,
      gridAccount: privateKeyToAccount(DEV_KEYS[0] as Hex).address,
      domain: { name: 'GroundworkEnergyMarket', version: '1', chainId: CHAIN_ID },
      slotSeconds: 900,
      gateClosureSeconds: 300,
      priceTick: 1000,
      tariffImport: '300000',
      tariffExport: '50000',
    });
  });

  it('refuses bids without escrow, bad signatures and meters of others, each with its code, changing nothing', async () => {
    const noEscrow = await api('POST', '/orders', await signOrderBatch(BUYER, domain(), [bid]));
    expect([noEscrow.statusCode, noEscrow.json().error.code]).toEqual([402, 'ORDER_ESCROW_SHORT']);
    expect(noEscrow.json().error.details).toEqual({ slot, needed: '300000', escrowed: '0' });
    const forged = { ...(await signOrderBatch(SELLER, domain(), [bid])), account: buyer };
    const bad = await api('POST', '/orders', forged);
    expect([bad.statusCode, bad.json().error.code]).toEqual([401, 'ORDER_BAD_SIGNATURE']);
    const notHers = await api(
      'POST',
      '/orders',
      await signOrderBatch(SELLER, domain(), [{ ...bid, side: 'ask' }]),
    );
    expect([notHers.statusCode, notHers.json().error.code]).toEqual([403, 'ORDER_METER_NOT_OWNED']);
    const offTick = await api(
      'POST',
      '/orders',
      await signOrderBatch(SELLER, domain(), [{ ...ask, price: 100_500 }]),
    );
    expect([offTick.statusCode, offTick.json().error.code]).toEqual([400, 'ORDER_PRICE_OFF_TICK']);
    const malformed = await api('POST', '/orders', { account: buyer, orders: [], signature: '0x00' });
    expect([malformed.statusCode, malformed.json().error.code]).toEqual([400, 'BAD_REQUEST']);
    expect((await api('GET', `/slots/${slot}/book`)).json().orders).toEqual([]);
  });

  it('takes escrowed bids and asks, once, and shows the open book', async () => {
    // The buyer escrows 1,000 Wh × 300,000 per kWh (its bid is below the import tariff) = 300,000.
    const w = clients.walletFor(BUYER);
    const stable = deployment.modules!.energy!.TestStable!;
    const market = deployment.modules!.energy!.EnergyMarket!;
    const owner = clients.walletFor(DEV_KEYS[0] as Hex);
    await waitForReceipt(
      clients,
      await owner.writeContract({
        address: stable,
        abi: testStableAbi,
        functionName: 'mint',
        args: [buyer, 300_000n],
      }),
    );
    await waitForReceipt(
      clients,
      await w.writeContract({
        address: stable,
        abi: testStableAbi,
        functionName: 'approve',
        args: [market, 300_000n],
      }),
    );
    await waitForReceipt(
      clients,
      await w.writeContract({
        address: market,
        abi: energyMarketAbi,
        functionName: 'deposit',
        args: [BigInt(slot), 300_000n],
      }),
    );
    await runEnergyTick(rt, Date.now());

    const placed = await api('POST', '/orders', await signOrderBatch(BUYER, domain(), [bid]));
    expect(placed.statusCode).toBe(201);
    const again = await api('POST', '/orders', await signOrderBatch(BUYER, domain(), [bid]));
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'ORDER_DUPLICATE']);
    expect((await api('POST', '/orders', await signOrderBatch(SELLER, domain(), [ask]))).statusCode).toBe(
      201,
    );
    const book = (await api('GET', `/slots/${slot}/book`)).json();
    expect(book).toMatchObject({ format: 'groundwork-energy-book/1', slot, tick: 1000 });
    expect(book.orders.map((o: { side: string; price: number }) => [o.side, o.price]).sort()).toEqual([
      ['ask', 100_000],
      ['bid', 200_000],
    ]);
    expect((await api('GET', '/open-slots')).json()).toEqual({
      slots: [{ slot, start: new Date(start).toISOString(), bids: 1, asks: 1, bidWh: 1000, askWh: 1000 }],
    });
    expect((await api('GET', '/settlements')).json()).toEqual({ settlements: [] });
  });

  it('clears the slot at gate closure at the midpoint price', async () => {
    await runEnergyTick(rt, start - 300_000);
    expect(events).toContainEqual({
      type: 'cleared',
      slot,
      price: 150_000,
      volumeWh: 1000,
      orders: 2,
      dropped: 0,
    });
    const c = (await api('GET', `/slots/${slot}/clearing`)).json();
    expect([c.price, c.volumeWh, c.fills.map((f: { filledWh: number }) => f.filledWh)]).toEqual([
      150_000,
      1000,
      [1000, 1000],
    ]);
    const prices = (await api('GET', `/prices?from=${slot}&to=${slot + 1}`)).json();
    expect(prices.slots).toEqual([
      { slot, start: new Date(start).toISOString(), price: 150_000, volumeWh: 1000, orders: 2 },
    ]);
    // Orders for a closed slot are refused.
    const late = await api('POST', '/orders', await signOrderBatch(SELLER, domain(), [{ ...ask, nonce: 2 }]));
    expect([late.statusCode, late.json().error.code]).toEqual([400, 'ORDER_GATE_CLOSED']);
    expect(await api('GET', `/slots/${slot + 1}/clearing`).then((r) => r.statusCode)).toBe(404);
  });

  it('settles by what the meters signed: a short seller is paid for what it delivered, the grid supplies the rest', async () => {
    const readAt = end + 30_000;
    expect(
      await ingestAt(readAt, [
        env(
          sellerMeter,
          'energy.interval',
          { start, end, wh_import: 0, wh_export: 800, wh_import_total: 0, wh_export_total: 800 },
          end + 5_000,
        ),
        env(
          buyerMeter,
          'energy.interval',
          { start, end, wh_import: 1000, wh_export: 0, wh_import_total: 1000, wh_export_total: 0 },
          end + 5_000,
        ),
      ]),
    ).toEqual(['accepted', 'accepted']);
    const settleAt = end + 700_000;
    await clients.publicClient.request({
      method: 'evm_setNextBlockTimestamp' as never,
      params: [Math.floor(settleAt / 1000)] as never,
    });
    await clients.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
    await runEnergyTick(rt, settleAt);
    expect(
      events.some(
        (e) =>
          (e as { type: string; slot: number }).type === 'settled' && (e as { slot: number }).slot === slot,
      ),
    ).toBe(true);
    await runEnergyTick(rt, settleAt);

    const s = (await api('GET', `/slots/${slot}/settlement`)).json();
    expect(s).toMatchObject({ slot, previousSlot: 0, status: 'settled', total: '300000', gridDraw: '0' });
    // The list of recent settlements says the same, without the statement; no book is open any more.
    expect((await api('GET', '/settlements?limit=5')).json()).toEqual({
      settlements: [
        {
          slot,
          start: new Date(start).toISOString(),
          previousSlot: 0,
          status: 'settled',
          root: s.root,
          total: '300000',
          gridDraw: '0',
          statementHash: s.statementHash,
          tx: s.tx,
        },
      ],
    });
    expect((await api('GET', '/open-slots')).json()).toEqual({ slots: [] });
    expect((await api('GET', '/settlements?limit=0')).statusCode).toBe(400);
    // Seller: 800 Wh × 150 = 120,000. Buyer: 120,000 for the 800 Wh delivered + 200 Wh from the grid × 300 =
    // 180,000, refunded 120,000. The grid takes 60,000.
    const line = async (a: Address) =>
      (await api('GET', `/accounts/${a}/statement?from=${slot}&to=${slot + 1}`)).json().slots[0];
    expect(await line(buyer)).toMatchObject({
      slot,
      status: 'settled',
      matched: { boughtWh: 1000, soldWh: 0 },
      receivedWh: 800,
      consumedWh: 1000,
      paid: '180000',
      refunded: '120000',
      gridOnlyCost: '300000',
      amount: '120000',
    });
    expect(await line(seller)).toMatchObject({
      matched: { boughtWh: 0, soldWh: 1000 },
      deliveredWh: 800,
      earned: '120000',
      amount: '120000',
    });
    const grid = privateKeyToAccount(DEV_KEYS[0] as Hex).address;
    expect((await line(grid)).amount).toBe('60000');

    // A read for the settled slot that arrives late is refused; the meters' trails show both.
    const lateStatus = await ingestAt(settleAt + 1000, [
      env(
        sellerMeter,
        'energy.interval',
        { start, end, wh_import: 0, wh_export: 999, wh_import_total: 0, wh_export_total: 999 },
        settleAt,
      ),
    ]);
    expect(lateStatus).toEqual(['accepted']);
    await runEnergyTick(rt, settleAt + 1000);
    const reads = (await api('GET', `/meters/${sellerMeter.deviceId}/reads`)).json();
    expect(reads.site).toEqual({ connectionW: 11_000, pvWp: 4_000, batteryW: 5_000 });
    expect(reads.reads.map((r: { status: string; reason: string }) => [r.status, r.reason])).toEqual([
      ['rejected', 'SLOT_ALREADY_SETTLED'],
      ['accepted', 'INTERVAL_OK'],
    ]);
  });

  it('lets each party withdraw its amount with the API’s proof, leaving escrow balanced to the unit', async () => {
    const w = (await api('GET', `/accounts/${seller}/withdrawable`)).json();
    expect(w).toMatchObject({ slot, cumulativeAmount: '120000', withdrawn: '0', withdrawable: '120000' });
    const market = deployment.modules!.energy!.EnergyMarket!;
    const stable = deployment.modules!.energy!.TestStable!;
    const relayer = clients.walletFor(DEV_KEYS[5] as Hex);
    await waitForReceipt(
      clients,
      await relayer.writeContract({
        address: market,
        abi: energyMarketAbi,
        functionName: 'withdraw',
        args: [seller, 120_000n, w.proof],
      }),
    );
    const balance = (a: Address) =>
      clients.publicClient.readContract({
        address: stable,
        abi: testStableAbi,
        functionName: 'balanceOf',
        args: [a],
      });
    expect(await balance(seller)).toBe(120_000n);
    await runEnergyTick(rt, Date.now());
    expect((await api('GET', `/accounts/${seller}/withdrawable`)).json()).toMatchObject({
      withdrawn: '120000',
      withdrawable: '0',
    });
    const read = (fn: 'gridReserve' | 'owed' | 'escrowHeld') =>
      clients.publicClient.readContract({
        address: market,
        abi: energyMarketAbi,
        functionName: fn,
      }) as Promise<bigint>;
    expect(await balance(market)).toBe(
      (await read('gridReserve')) + (await read('owed')) + (await read('escrowHeld')),
    );
    expect(await read('owed')).toBe(180_000n);
  });

  it('starts and stops the node’s energy loop cleanly', async () => {
    const work = await energy.start!(rt);
    await work!.stop();
  });
});
