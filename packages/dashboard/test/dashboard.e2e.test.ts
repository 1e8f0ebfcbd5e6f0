/**
 * The dashboard end to end: a real local network (`groundwork up`: anvil,
 * contracts, node, simulated fleet), the built app served by the node, and
 * Debian's Chromium driven by playwright-core. Screenshots of every page go
 * to test-output/dashboard/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  dataCreditsAbi,
  deviceRegistryAbi,
  energyMarketAbi,
  groundTokenAbi,
  parameterRegistryAbi,
  rewardsDistributorAbi,
  testStableAbi,
} from '@groundwork/abi';
import { DEV_KEYS, h3ToUint64, moduleToBytes32, paramKeyToBytes32 } from '@groundwork/node';
import {
  canonicalize,
  deviceKeyFromSeed,
  keyTypeCode,
  registrationDigest,
  signEnvelope,
  signRegistration,
  toHex,
} from '@groundwork/protocol';
import Database from 'better-sqlite3';
import { latLngToCell } from 'h3-js';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createPublicClient, type Hex, http, parseUnits } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beaconPacket } from '../../../modules/coverage/src/entropy.ts';
import { type Order, signOrderBatch } from '../../../modules/energy/src/market/orders.ts';
import { signIn } from '../../../modules/logistics/src/client.ts';
import { handoffTypedData } from '../../../modules/logistics/src/handoff.ts';
import {
  afterNextRoot,
  DIST,
  devWallet,
  ensureDashboardBuilt,
  getJson,
  OUTPUT,
  type RunningNetwork,
  startNetwork,
  waitFor,
} from './helpers.ts';

const CHROMIUM = process.env.GROUNDWORK_CHROMIUM ?? '/usr/bin/chromium';
const FIRST_LOAD_BUDGET = 500 * 1024;

interface Epoch {
  epoch: number;
  status: string;
  root: Hex | null;
  tx: Hex | null;
  pool: string | null;
  epochTotal: string | null;
}
interface Device {
  deviceId: Hex;
  module: string;
  h3Cell: string;
  operator: Hex;
  active: boolean;
  lastSeq: number;
}
interface Claimable {
  epoch: number | null;
  cumulativeAmount: string;
  claimed: string;
  claimable: string;
}

/** The files dist/index.html loads before anything else: its script, module preloads and stylesheets. */
function firstLoadFiles(): string[] {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="(\/assets\/[^"]+\.(?:js|css))"/g)];
  return [...new Set(refs.map((m) => m[1]!))];
}

describe('the built dashboard', () => {
  beforeAll(() => ensureDashboardBuilt(), 180_000);

  it('loads first in under 500 KB of gzipped JavaScript and CSS', () => {
    const files = firstLoadFiles();
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    expect(files.some((f) => f.endsWith('.css'))).toBe(true);
    const sizes = Object.fromEntries(files.map((f) => [f, gzipSync(readFileSync(join(DIST, f))).length]));
    const total = Object.values(sizes).reduce((s, n) => s + n, 0);
    mkdirSync(OUTPUT, { recursive: true });
    writeFileSync(
      join(OUTPUT, 'first-load.json'),
      `${JSON.stringify({ totalGzipBytes: total, files: sizes }, null, 2)}\n`,
    );
    expect(total).toBeLessThan(FIRST_LOAD_BUDGET);
    // Module views, the verifier and the wallet are split out of the first load.
    expect(files.some((f) => /run-|chain-|privateKeyToAccount/.test(f))).toBe(false);
  });
});

describe('the dashboard in a browser, on a live local network', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-dashboard-'));
  let net: RunningNetwork;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });
  const api = <T>(path: string) => getJson<T>(`${net.api}${path}`);
  const submittedEpochs = async () =>
    (await api<{ epochs: Epoch[] }>('/v1/epochs')).epochs.filter((e) => e.status === 'submitted');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium) or set GROUNDWORK_CHROMIUM`,
      );
    mkdirSync(OUTPUT, { recursive: true });
    await ensureDashboardBuilt();
    net = await startNetwork([
      ...['--data-dir', dataDir, '--devices', '20', '--epoch-seconds', '5'],
      ...['--port', '0', '--chain-port', '0', '--modules', 'uptime,energy,logistics,coverage'],
    ]);
    await waitFor(
      'a submitted epoch',
      async () => ((await submittedEpochs()).length > 0 ? true : undefined),
      90_000,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await net?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('is served by the node at /, with index.html for its own routes and JSON 404s for the API', async () => {
    for (const path of ['/', '/epochs/1', '/wallet']) {
      const res = await fetch(`${net.api}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('<div id="root"></div>');
    }
    const missing = await fetch(`${net.api}/v1/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /v1/nope' } });
    const script = firstLoadFiles().find((f) => f.endsWith('.js'))!;
    const asset = await fetch(`${net.api}${script}`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('is announced by groundwork up', () => {
    expect(net.stderr()).toContain(`dashboard: ${net.api}/`);
  });

  it('draws every device on the hex map, one click from its page', async () => {
    const { devices } = await api<{ devices: Device[] }>('/v1/devices?limit=1000');
    expect(devices.length).toBe(20);
    await page.goto(`${net.api}/`);
    await page.getByRole('radio', { name: 'Each device' }).check();
    await page.waitForSelector('[data-testid=hex-map] [data-cell]');
    const cells = await page.$$eval('[data-testid=hex-map] [data-cell]', (els) =>
      els.map((e) => e.getAttribute('data-cell')),
    );
    expect(new Set(cells)).toEqual(new Set(devices.map((d) => d.h3Cell)));
    await expect.poll(() => page.textContent('[data-testid=stat-devices]')).toBe('20');
    // Live: envelopes are counted as they arrive, without a reload.
    await expect
      .poll(
        async () =>
          Number((await page.textContent('[data-testid=stat-envelopes]'))?.split(' ')[0]?.replace(/,/g, '')),
        {
          timeout: 15_000,
        },
      )
      .toBeGreaterThan(0);
    await shot('map');

    const target = devices.find((d) => d.module === 'uptime' && d.active && d.lastSeq > 0)!;
    const link = page.locator(`[data-testid=hex-map] a[href="/devices/${target.deviceId}"]`);
    const url = page.url();
    await link.click();
    await page.waitForURL(`**/devices/${target.deviceId}`);
    expect(page.url()).not.toBe(url);
    await expect.poll(() => page.textContent('[data-testid=device-id]')).toBe(target.deviceId);
    expect(await page.textContent('[data-testid=device-operator]')).toBe(target.operator);
    expect(await page.textContent('[data-testid=device-location]')).toContain(target.h3Cell);
    // Its recent envelopes with their verdicts (or what ingest refused), and its reward lines.
    await page.waitForSelector(
      '[data-testid=device-envelopes] tbody tr, [data-testid=device-rejections] tbody tr',
    );
    const verdicts = await api<{ envelopes: { verdict: { reason: string | null } }[] }>(
      `/v1/devices/${target.deviceId}/verdicts?limit=50`,
    );
    if (verdicts.envelopes.length > 0)
      await expect
        .poll(() => page.textContent('[data-testid=device-envelopes]'), { timeout: 10_000 })
        .toContain('HEARTBEAT_OK');
    await expect
      .poll(() => page.locator('[data-testid=device-rewards] tbody tr').count(), { timeout: 15_000 })
      .toBeGreaterThan(0);
    // The page's newest line is the API's line of that epoch (epochs of 5 s: a newer one
    // may have closed since the page drew, so the API's newest is not the one to compare).
    const row = await page
      .locator('[data-testid=device-rewards] tbody tr')
      .first()
      .locator('td')
      .allTextContents();
    const lines = await api<{ lines: { epoch: number; module: string; reason: string }[] }>(
      `/v1/devices/${target.deviceId}/rewards`,
    );
    const line = lines.lines.find((l) => l.epoch === Number(row[0]) && l.module === row[1]);
    expect(line, `no API line for the row ${row.join(' | ')}`).toBeDefined();
    expect(row[4]).toBe(line!.reason);
    await shot('device');
  }, 120_000);

  it('charts the epochs, shows root, transaction and quorum, and re-runs an epoch in the browser: match', async () => {
    await page.goto(`${net.api}/epochs`);
    await page.waitForSelector('[data-testid=chart-emission] rect.bar');
    const [latest] = await submittedEpochs();
    expect(latest).toBeDefined();
    await expect.poll(() => page.locator('[data-testid=epochs-table] tbody tr').count()).toBeGreaterThan(0);
    await shot('epochs');

    // Live: a new epoch appears without a reload.
    const newest = async () =>
      Number(
        await page.locator('[data-testid=epochs-table] tbody tr:first-child td:first-child').textContent(),
      );
    const before = await newest();
    await expect.poll(newest, { timeout: 20_000 }).toBeGreaterThan(before);

    await page.getByRole('link', { name: `epoch ${latest!.epoch}`, exact: true }).click();
    await page.waitForURL(`**/epochs/${latest!.epoch}`);
    await expect.poll(() => page.textContent('[data-testid=epoch-root]')).toBe(latest!.root);
    expect(await page.textContent('[data-testid=epoch-tx]')).toBe(latest!.tx);
    expect(await page.getAttribute('[data-testid=epoch-pool]', 'data-raw')).toBe(latest!.pool);
    // The quorum: the node's three oracle keys (development accounts 1–3) signed, threshold 2.
    await page.waitForSelector('[data-testid=quorum-signers] li');
    const signers = await page.$$eval('[data-testid=quorum-signers] code', (els) =>
      els.map((e) => e.textContent),
    );
    const oracles = [DEV_KEYS[1], DEV_KEYS[2], DEV_KEYS[3]].map((k) => privateKeyToAccount(k).address);
    expect([...signers].sort()).toEqual([...oracles].sort());
    expect(await page.textContent('[data-testid=quorum-summary]')).toContain(
      '3 of 3 oracles signed (threshold 2)',
    );

    const download = page.getByRole('link', { name: 'Download the bundle' });
    expect(await download.getAttribute('href')).toBe(`/v1/epochs/${latest!.epoch}/bundle`);
    await page.getByTestId('verify-button').click();
    await page.waitForSelector('[data-testid=verify-result]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=verify-result]')).toBe('match');
    const checks = await page.$$eval('[data-testid=verify-checks] li', (els) =>
      els.map((e) => e.textContent ?? ''),
    );
    expect(checks.length).toBe(10);
    for (const c of checks) expect(c.startsWith('ok')).toBe(true);
    expect(checks.join('\n')).toContain(`root on chain chain ${latest!.root}`);
    await shot('epoch');
  }, 120_000);

  it('claims a reward through the wallet page; the balance grows by the claimable amount', async () => {
    // Operators of the simulated fleet are development accounts 4–8.
    const operators = DEV_KEYS.slice(4, 9).map((k, i) => ({
      index: i + 4,
      address: privateKeyToAccount(k).address,
    }));
    const owed = await waitFor('an operator with something to claim', async () => {
      for (const o of operators) {
        const c = await api<Claimable>(`/v1/accounts/${o.address}/claimable`);
        if (BigInt(c.claimable) > 0n && c.claimed === '0') return o;
      }
      return undefined;
    });
    // A second tab on the network page must see the claim arrive live.
    const watcher = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await watcher.goto(`${net.api}/`);
    await watcher.waitForSelector('[data-testid=live-state]:has-text("live")');

    await page.goto(`${net.api}/wallet`);
    await page.selectOption('[data-testid=dev-account]', String(owed.index));
    await page.getByTestId('dev-connect').click();
    expect(await page.textContent('[data-testid=wallet-address]')).toBe(owed.address);
    await page.waitForSelector('[data-testid=wallet-balance]');
    await page.waitForSelector('[data-testid=wallet-claimable]');
    const shownBalance = async () =>
      BigInt((await page.getAttribute('[data-testid=wallet-balance]', 'data-raw'))!);
    const token = (await api<{ contracts: { token: Hex } }>('/v1/status')).contracts.token;
    const chain = createPublicClient({ transport: http(net.rpc) });
    const onChain = () =>
      chain.readContract({
        address: token,
        abi: groundTokenAbi,
        functionName: 'balanceOf',
        args: [owed.address],
      });
    const before = await shownBalance();
    expect(before).toBe(await onChain());
    await shot('wallet-connected');

    // Claim right after a root lands, so the claimable amount read now is the one claimed.
    const last = (await submittedEpochs())[0]!.epoch;
    await waitFor(
      'the next root',
      async () => ((await submittedEpochs())[0]!.epoch > last ? true : undefined),
      20_000,
      50,
    );
    const claimable = await api<Claimable>(`/v1/accounts/${owed.address}/claimable`);
    expect(BigInt(claimable.claimable)).toBeGreaterThan(0n);
    // The claim's first proof is made stale, as a root landing between the node's answer and
    // the claim makes it: the chain refuses it, and the page asks the node again.
    let asked = 0;
    await page.route('**/v1/accounts/*/claimable', async (route) => {
      if (asked++ > 0) return route.continue();
      const response = await route.fetch();
      const c = (await response.json()) as Claimable & { proof: Hex[] };
      await route.fulfill({ response, json: { ...c, proof: [`0x${'ab'.repeat(32)}`, ...c.proof.slice(1)] } });
    });
    await page.getByTestId('claim-button').click();
    await page.waitForSelector('[data-testid=claim-result]', { timeout: 30_000 });
    await page.unroute('**/v1/accounts/*/claimable');
    expect(asked).toBeGreaterThanOrEqual(2);
    expect(Number(await page.textContent('[data-testid=claim-epoch]'))).toBe(claimable.epoch);
    expect(await page.getAttribute('[data-testid=claim-paid]', 'data-raw')).toBe(claimable.claimable);
    await expect.poll(shownBalance, { timeout: 15_000 }).toBe(before + BigInt(claimable.claimable));
    expect(await onChain()).toBe(before + BigInt(claimable.claimable));
    // What the distributor has paid so far is now the cumulative amount claimed against.
    await expect
      .poll(() => page.getAttribute('[data-testid=wallet-claimed]', 'data-raw'), { timeout: 10_000 })
      .toBe(claimable.cumulativeAmount);
    await shot('wallet');

    const claimants = () =>
      watcher.$$eval('[data-testid=live-activity] [data-full]', (els) =>
        els.map((e) => e.getAttribute('data-full')?.toLowerCase()),
      );
    await expect.poll(claimants, { timeout: 15_000 }).toContain(owed.address.toLowerCase());
    await watcher.close();
  }, 120_000);

  it('lists the modules and shows the uptime view', async () => {
    await page.goto(`${net.api}/modules`);
    await page.waitForSelector('.module-cards li');
    expect(await page.textContent('.module-cards')).toContain('uptime.heartbeat');
    await shot('modules');
    await page.getByRole('link', { name: 'uptime', exact: true }).click();
    await page.waitForURL('**/modules/uptime');
    await page.waitForSelector('[data-testid=uptime-last-epoch]', { timeout: 20_000 });
    expect(await page.textContent('h1')).toBe('Uptime');
    expect(await page.textContent('[data-testid=uptime-mean]')).toMatch(/^\d+(\.\d)?%$/);
    // The generic view (what a module without its own view gets), opened below it.
    await page.getByText('Devices, verdict reasons and reward lines of uptime').click();
    const uptimeDevices = (await api<{ devices: Device[] }>('/v1/devices?module=uptime&limit=1000')).devices;
    await expect
      .poll(() => page.textContent('[data-testid=module-uptime-devices] .stats'), { timeout: 15_000 })
      .toContain(`Devices${uptimeDevices.length}Active`);
    await shot('module-uptime');
  }, 120_000);

  /** Fleet operators (development accounts 4–8) by address, with their keys. */
  const operatorKey = (address: string): Hex | undefined =>
    DEV_KEYS.slice(4, 9).find((k) => privateKeyToAccount(k).address.toLowerCase() === address.toLowerCase());

  it('shows the energy order book with the orders placed, and their clearing price once the gate closes', async () => {
    interface Market {
      market: Hex;
      token: Hex;
      nextOpenSlot: number;
      slotSeconds: number;
      gateClosureSeconds: number;
    }
    const m = await api<Market>('/v1/modules/energy/market');
    const slotMs = m.slotSeconds * 1000;
    // A slot whose gate is at least a minute away, so it stays open while the test looks at it.
    const slot =
      m.nextOpenSlot * slotMs - m.gateClosureSeconds * 1000 - Date.now() < 60_000
        ? m.nextOpenSlot + 1
        : m.nextOpenSlot;
    // Two meters of different operators whose site declarations the ledger has taken.
    const meters = await waitFor('two energy meters with declared sites', async () => {
      const { devices } = await api<{ devices: Device[] }>('/v1/devices?module=energy&limit=1000');
      const ready: Device[] = [];
      for (const d of devices.filter((x) => x.active && operatorKey(x.operator))) {
        const reads = await api<{ site: unknown }>(`/v1/modules/energy/meters/${d.deviceId}/reads?limit=1`);
        if (reads.site && !ready.some((r) => r.operator === d.operator)) ready.push(d);
      }
      return ready.length >= 2 ? ready : undefined;
    });
    const [seller, buyer] = meters as [Device, Device];
    const buyerKey = operatorKey(buyer.operator)!;
    const sellerKey = operatorKey(seller.operator)!;
    // The buyer escrows 1,000 Wh × max(bid, import tariff 300,000 per kWh) = 300,000 base units of tUSD,
    // minted by the deployer (TestStable's owner) right after a root, so its nonce never races the node's.
    const deployer = devWallet(net.rpc, DEV_KEYS[0] as Hex);
    const buyerWallet = devWallet(net.rpc, buyerKey);
    await afterNextRoot(net.api);
    await deployer.write({
      address: m.token,
      abi: testStableAbi,
      functionName: 'mint',
      args: [buyerWallet.address, 300_000n],
    });
    await buyerWallet.write({
      address: m.token,
      abi: testStableAbi,
      functionName: 'approve',
      args: [m.market, 300_000n],
    });
    await buyerWallet.write({
      address: m.market,
      abi: energyMarketAbi,
      functionName: 'deposit',
      args: [BigInt(slot), 300_000n],
    });
    const domain = { chainId: 31337, market: m.market };
    const bid: Order = { slot, meter: buyer.deviceId, side: 'bid', volumeWh: 1000, price: 250_000, nonce: 1 };
    const ask: Order = { slot, meter: seller.deviceId, side: 'ask', volumeWh: 800, price: 180_000, nonce: 1 };
    const place = async (key: Hex, order: Order) => {
      const res = await fetch(`${net.api}/v1/modules/energy/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(await signOrderBatch(key, domain, [order])),
      });
      // 402 until the node has indexed the deposit.
      return res.status === 201 ? true : undefined;
    };
    await waitFor('the bid taken', () => place(buyerKey, bid), 15_000);
    await waitFor('the ask taken', () => place(sellerKey, ask), 15_000);

    await page.goto(`${net.api}/modules/energy`);
    await page.waitForSelector('[data-testid=energy-orders] tbody tr');
    expect(await page.textContent('h1')).toBe('Energy market');
    await page.selectOption('[data-testid=energy-slot]', String(slot));
    await expect
      .poll(() => page.textContent('[data-testid=energy-book] h2'))
      .toBe(`Order book, slot ${slot}`);
    const orders = () =>
      page.$$eval('[data-testid=energy-orders] tbody tr', (rows) =>
        rows.map((r) => [
          r.querySelector('td:nth-child(1)')?.textContent,
          r.querySelector('td:nth-child(2) [data-raw]')?.getAttribute('data-raw'),
          r.querySelector('td:nth-child(3)')?.textContent,
        ]),
      );
    await expect.poll(orders).toEqual([
      ['bid', '250000', '1,000'],
      ['ask', '180000', '800'],
    ]);
    // Price levels, best first, priced in the settlement token read from the chain (tUSD, 6 decimals).
    expect(await page.textContent('[data-testid=energy-levels] tbody tr:first-child')).toContain(
      '0.25 tUSD/kWh',
    );
    expect(await page.locator('[data-testid=energy-depth] rect.bar').count()).toBe(4);
    await shot('module-energy');

    // Governance moves the gate so that this slot's has passed: the node clears it at the midpoint,
    // floor((250,000 + 180,000) / 2) on the 1,000 tick = 215,000 per kWh, 800 Wh.
    const setGate = async (seconds: bigint) => {
      await afterNextRoot(net.api);
      await deployer.write({
        address: (await api<{ contracts: { parameters: Hex } }>('/v1/status')).contracts.parameters,
        abi: parameterRegistryAbi,
        functionName: 'set',
        args: [paramKeyToBytes32('energy.gateClosureSeconds'), seconds],
      });
    };
    await setGate(BigInt(Math.ceil((slot * slotMs - Date.now()) / 1000) + 30));
    const clearing = await waitFor(
      'the slot cleared',
      () =>
        getJson<{ price: number; volumeWh: number }>(`${net.api}/v1/modules/energy/slots/${slot}/clearing`),
      20_000,
    );
    expect([clearing.price, clearing.volumeWh]).toEqual([215_000, 800]);
    await setGate(BigInt(m.gateClosureSeconds));
    const cleared = () =>
      page.$$eval('[data-testid=energy-clearings-table] tbody tr', (rows) =>
        rows.map((r) => [
          r.querySelector('td:nth-child(1)')?.textContent,
          r.querySelector('td:nth-child(3) [data-raw]')?.getAttribute('data-raw'),
          r.querySelector('td:nth-child(4)')?.textContent,
        ]),
      );
    await expect.poll(cleared, { timeout: 20_000 }).toContainEqual([String(slot), '215000', '800']);
    expect(await page.locator('[data-testid=energy-price-chart] circle').count()).toBeGreaterThan(0);
    // The book shown is the one that cleared, and says so.
    await expect
      .poll(() => page.textContent('[data-testid=energy-book-cleared]'), { timeout: 10_000 })
      .toContain('800 Wh at 0.215 tUSD/kWh');
    // No slot can settle within the test (reads close 10 minutes after a 15-minute slot ends).
    expect(await page.textContent('[data-testid=energy-settlements]')).toContain('No slot settled yet.');
    await shot('module-energy-cleared');
  }, 120_000);

  it('shows a shipment timeline and checks a record’s proof against the anchor on chain: valid, then invalid once tampered', async () => {
    const { devices } = await api<{ devices: Device[] }>('/v1/devices?module=logistics&limit=1000');
    const tracker = devices.find((d) => d.active && d.lastSeq > 0 && operatorKey(d.operator))!;
    expect(tracker).toBeDefined();
    const shipperKey = operatorKey(tracker.operator)!;
    const carrierKey = DEV_KEYS[9] as Hex;
    const carrier = privateKeyToAccount(carrierKey).address.toLowerCase() as Hex;
    const receiver = privateKeyToAccount(DEV_KEYS[3] as Hex).address.toLowerCase();
    const shipper = await signIn(net.api, shipperKey);
    // The fleet's vans read 4–6 °C: a 2–4 °C band breaks at once.
    const created = await shipper.post<{ id: Hex }>('/shipments', {
      reference: 'E2E-COLD-1',
      trackers: [tracker.deviceId],
      parties: [
        { account: carrier, role: 'carrier' },
        { account: receiver, role: 'receiver' },
      ],
      route: { waypoints: [{ latE7: 387_200_000, lngE7: -91_400_000, name: 'Lisbon' }] },
      rules: [{ kind: 'temperature', minMc: 2000, maxMc: 4000, toleranceSeconds: 0 }],
      startAt: Date.now() - 3_000,
    });
    const { anchorRegistry } = await api<{ anchorRegistry: Hex }>('/v1/modules/logistics/anchors');
    const draft = await shipper.post<{ handoff: Parameters<typeof handoffTypedData>[0] }>(
      `/shipments/${created.id}/handoffs/draft`,
      {
        from: shipper.account,
        to: carrier,
        at: Date.now() - 1_000,
        latE7: 387_100_000,
        lngE7: -91_300_000,
        place: 'Dock 7, Alcântara',
        note: 'seal 4471',
      },
    );
    const typed = handoffTypedData(draft.handoff, { chainId: 31337, anchorRegistry });
    await shipper.post(`/shipments/${created.id}/handoffs`, {
      handoff: draft.handoff,
      signatures: {
        from: await privateKeyToAccount(shipperKey).signTypedData(typed),
        to: await privateKeyToAccount(carrierKey).signTypedData(typed),
      },
    });
    // Wait for the hand-off, an alert and a few readings to be anchored (the node anchors at each epoch boundary).
    const records = await waitFor(
      'anchored records of every kind',
      async () => {
        const r = await shipper.get<{ records: { id: Hex; type: string; anchored: boolean }[] }>(
          `/shipments/${created.id}/records?limit=5000`,
        );
        const anchored = r.records.filter((x) => x.anchored);
        const has = (t: string) => anchored.some((x) => x.type === t);
        return has('logistics.handoff') &&
          has('logistics.alert') &&
          anchored.filter((x) => x.type === 'logistics.reading').length >= 2
          ? anchored
          : undefined;
      },
      40_000,
    );
    const readings = records.filter((x) => x.type === 'logistics.reading');
    const good = readings[0]!;
    const victim = readings[1]!;

    await page.goto(`${net.api}/modules/logistics`);
    await page.waitForSelector('[data-testid=logistics-anchors] tbody tr');
    expect(await page.textContent('[data-testid=logistics-registry]')).toBe(anchorRegistry);
    await page.selectOption(
      '[data-testid=dev-account]',
      String(DEV_KEYS.indexOf(shipperKey as (typeof DEV_KEYS)[number])),
    );
    await page.getByTestId('dev-connect').click();
    await page.getByTestId('logistics-sign-in').click();
    await page.getByRole('button', { name: 'Open the timeline of shipment E2E-COLD-1' }).click();
    await page.waitForSelector('[data-testid=logistics-timeline] tbody tr');
    expect(await page.textContent('[data-testid=shipment-status]')).toBe('in_transit');
    // Custody and alerts only: the hand-off with its place, and the breach it raised.
    await page.getByLabel('Custody and alerts').check();
    const timeline = await page.textContent('[data-testid=logistics-timeline] tbody');
    expect(timeline).toContain(
      `hand-off 0: ${shipper.account} → ${carrier} at Dock 7, Alcântara (seal 4471)`,
    );
    expect(timeline).toContain('TEMPERATURE_HIGH: temperature rule broken');
    await page.getByLabel('Everything').check();
    expect(await page.locator('[data-testid=logistics-timeline] [data-breach=true]').count()).toBeGreaterThan(
      0,
    );

    // The proof of a reading, checked in the browser against the root AnchorRegistry recorded: valid.
    const verify = (id: Hex) => page.getByRole('button', { name: `Verify the proof of record ${id}` });
    const proof = await shipper.get<{ root: Hex }>(`/records/${good.id}/proof`);
    await verify(good.id).focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.textContent('[data-testid=proof-result]'), { timeout: 15_000 })
      .toBe('valid');
    expect(await page.textContent('[data-testid=proof-computed-root]')).toBe(proof.root);
    expect(await page.textContent('[data-testid=proof-chain-root]')).toBe(proof.root);
    await shot('module-logistics');

    // Someone edits a stored reading after it was anchored (its temperature, in the node's database):
    // the same check now fails, and the two roots differ.
    const db = new Database(join(dataDir, 'node.sqlite'));
    try {
      db.pragma('busy_timeout = 5000');
      const row = db.prepare('select json from logistics_records where id = ?').get(victim.id) as {
        json: string;
      };
      const edited = JSON.parse(row.json) as { envelope: { body: { tempMc: number } } };
      edited.envelope.body.tempMc = 3_000;
      db.prepare('update logistics_records set json = ? where id = ?').run(canonicalize(edited), victim.id);
    } finally {
      db.close();
    }
    const tampered = await shipper.get<{ root: Hex }>(`/records/${victim.id}/proof`);
    await verify(victim.id).click();
    await expect
      .poll(() => page.textContent('[data-testid=proof-result]'), { timeout: 15_000 })
      .toBe('invalid');
    const computed = await page.textContent('[data-testid=proof-computed-root]');
    expect(await page.textContent('[data-testid=proof-chain-root]')).toBe(tampered.root);
    expect(computed).toMatch(/^0x[0-9a-f]{64}$/);
    expect(computed).not.toBe(tampered.root);
    // The record changed, so its id, leaf and path no longer lead to the root the chain holds.
    const failed = await page.$$eval('[data-testid=proof-checks] li[data-ok=false]', (els) =>
      els.map((e) => e.getAttribute('data-check')),
    );
    expect(failed).toEqual(['record id', 'leaf', 'merkle path', 'root on chain']);
    await shot('module-logistics-tampered');
  }, 120_000);

  it('shows coverage hotspots on the map with their verdicts and flags, and buys Data Credits through the wallet', async () => {
    // Three hotspots about 1.5 km apart, registered by development account 9, that beacon when challenged and
    // hear each other; one report claims a signal far above what free space allows.
    const operator = devWallet(net.rpc, DEV_KEYS[9] as Hex);
    const status = await api<{
      contracts: { registry: Hex; distributor: Hex; token: Hex };
      modules: { id: string; contracts: Record<string, Hex> }[];
    }>('/v1/status');
    const hotspots = [0, 1, 2].map((i) => ({
      key: deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(0xc1 + i)),
      cell: latLngToCell(38.73 + 0.012 * i, -9.15 + 0.009 * (i % 2), 10),
    }));
    await operator.write({
      address: status.contracts.registry,
      abi: deviceRegistryAbi,
      functionName: 'registerBatch',
      args: [
        hotspots.map((h) => ({
          keyType: keyTypeCode(h.key.keyType),
          publicKey: toHex(h.key.publicKey) as Hex,
          module: moduleToBytes32('coverage'),
          h3Cell: h3ToUint64(h.cell),
          signature: toHex(
            signRegistration(
              h.key.privateKey,
              h.key.keyType,
              registrationDigest({
                chainId: 31337,
                registry: status.contracts.registry,
                operator: operator.address,
                nonce: 0,
              }),
            ),
          ) as Hex,
        })),
      ],
    });
    await waitFor('the hotspots indexed', async () => {
      const { hotspots: list } = await api<{ hotspots: unknown[] }>('/v1/modules/coverage/hotspots');
      return list.length === 3 ? true : undefined;
    });
    let seq = Date.now();
    const send = async (h: (typeof hotspots)[number], kind: string, body: Record<string, unknown>) => {
      const envelope = signEnvelope(
        { v: 1, device: h.key.deviceId, seq: ++seq, time: Date.now(), kind: `coverage.${kind}`, body },
        h.key,
      );
      const res = await fetch(`${net.api}/v1/envelopes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ envelopes: [envelope] }),
      });
      expect(res.status).toBe(202);
    };
    for (const [i, beaconer] of hotspots.entries()) {
      const ch = await waitFor('a challenge', async () => {
        const c = await api<{ challenged: boolean; round: number; entropy: Hex }>(
          `/v1/modules/coverage/challenges/${beaconer.key.deviceId}`,
        );
        return c.challenged ? c : undefined;
      });
      const nonce = toHex(crypto.getRandomValues(new Uint8Array(16))) as Hex;
      await send(beaconer, 'beacon', {
        round: ch.round,
        nonce,
        frequencyKhz: 868_100,
        eirpDdbm: 140,
        gainDdbi: 30,
      });
      for (const witness of hotspots.filter((h) => h !== beaconer)) {
        await send(witness, 'witness', {
          packet: beaconPacket(ch.entropy, beaconer.key.deviceId, nonce),
          rssiDdbm: i === 2 && witness === hotspots[0] ? -300 : -1000,
          snrDdb: 50,
          frequencyKhz: 868_100,
          gainDdbi: 30,
          time: Date.now(),
        });
      }
    }
    // The last one also replays two beacons of long-gone rounds: the detector flags it.
    const replayer = hotspots[2]!;
    for (const round of [1, 2])
      await send(replayer, 'beacon', {
        round,
        nonce: toHex(crypto.getRandomValues(new Uint8Array(16))) as Hex,
        frequencyKhz: 868_100,
        eirpDdbm: 140,
        gainDdbi: 30,
      });
    interface Hotspot {
      deviceId: Hex;
      latestEpoch: { flags: string[] } | null;
      beacons: Record<string, number>;
      witnessReports: Record<string, number>;
    }
    const scored = await waitFor(
      'every hotspot scored at an epoch close',
      async () => {
        const { hotspots: list } = await api<{ hotspots: Hotspot[] }>('/v1/modules/coverage/hotspots');
        const open = ['PENDING', 'BEACON_VALID', 'WITNESS_VALID'];
        const final = (r: Record<string, number>) => !open.some((k) => r[k]);
        return list.every((h) => h.latestEpoch && final(h.beacons) && final(h.witnessReports))
          ? list
          : undefined;
      },
      60_000,
    );
    const flagged = scored.filter((h) => h.latestEpoch!.flags.length > 0).map((h) => h.deviceId);
    expect(scored.find((h) => h.deviceId === replayer.key.deviceId)!.latestEpoch!.flags).toContain(
      'HOTSPOT_BEACON_REPLAY',
    );
    const witnessReasons = scored.flatMap((h) => Object.keys(h.witnessReports));
    expect(witnessReasons).toContain('WITNESS_RSSI_TOO_HIGH');

    await page.goto(`${net.api}/modules/coverage`);
    await page.waitForSelector('[data-testid=hex-map] [data-cell]');
    await expect.poll(() => page.textContent('[data-testid=coverage-count]')).toBe('3');
    const cells = await page.$$eval('[data-testid=hex-map] [data-cell]', (els) =>
      els.map((e) => e.getAttribute('data-cell')),
    );
    expect(new Set(cells)).toEqual(new Set(hotspots.map((h) => h.cell)));
    await expect
      .poll(() => page.textContent('[data-testid=coverage-flagged-count]'))
      .toBe(String(flagged.length));
    expect(await page.textContent('[data-testid=coverage-beacons]')).toBe('5');
    expect(await page.textContent('[data-testid=coverage-witnesses]')).toBe('6');
    const verdicts = await page.textContent('[data-testid=coverage-verdicts]');
    for (const reason of ['BEACON_ENTROPY_STALE', 'WITNESS_RSSI_TOO_HIGH'])
      expect(verdicts).toContain(reason);
    expect(await page.textContent('[data-testid=coverage-flagged]')).toContain('HOTSPOT_BEACON_REPLAY');
    const flaggedShown = await page.$$eval('[data-testid=coverage-flagged-table] tbody [data-full]', (els) =>
      els.map((e) => e.getAttribute('data-full')),
    );
    expect([...flaggedShown].sort()).toEqual([...flagged].sort());

    // Data Credits: a fleet operator with GRND (claimed now if need be) burns 1.5 GRND for credits.
    const buyerKey = DEV_KEYS[5] as Hex;
    const buyer = devWallet(net.rpc, buyerKey);
    const grnd = () =>
      buyer.pc.readContract({
        address: status.contracts.token,
        abi: groundTokenAbi,
        functionName: 'balanceOf',
        args: [buyer.address],
      });
    if ((await grnd()) < parseUnits('1.5', 18)) {
      const c = await api<Claimable & { proof: Hex[] }>(`/v1/accounts/${buyer.address}/claimable`);
      await buyer.write({
        address: status.contracts.distributor,
        abi: rewardsDistributorAbi,
        functionName: 'claim',
        args: [buyer.address, BigInt(c.cumulativeAmount), c.proof],
      });
    }
    expect(await grnd()).toBeGreaterThanOrEqual(parseUnits('1.5', 18));
    const credits = status.modules.find((x) => x.id === 'coverage')!.contracts.DataCredits!;
    const onChain = () =>
      buyer.pc.readContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'balanceOf',
        args: [buyer.address],
      });
    const quote = await buyer.pc.readContract({
      address: credits,
      abi: dataCreditsAbi,
      functionName: 'creditsForTokens',
      args: [parseUnits('1.5', 18)],
    });
    expect(quote).toBeGreaterThan(0n);
    await page.selectOption('[data-testid=dev-account]', '5');
    await page.getByTestId('dev-connect').click();
    await page.waitForSelector('[data-testid=credits-balance]');
    const shown = async () => BigInt((await page.getAttribute('[data-testid=credits-balance]', 'data-raw'))!);
    const before = await shown();
    expect(before).toBe(await onChain());
    await page.getByLabel('GRND to burn').fill('1.5');
    await expect
      .poll(() => page.getAttribute('[data-testid=credits-quote]', 'data-raw'))
      .toBe(quote.toString());
    await page.getByTestId('credits-buy').click();
    await page.waitForSelector('[data-testid=credits-result]', { timeout: 30_000 });
    expect(await page.getAttribute('[data-testid=credits-result]', 'data-raw')).toBe(quote.toString());
    await expect.poll(shown, { timeout: 15_000 }).toBe(before + quote);
    expect(await onChain()).toBe(before + quote);
    await shot('module-coverage');
  }, 150_000);

  it('works with the keyboard and at phone width, with readable contrast', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${net.api}/`);
    await page.waitForSelector('[data-testid=hex-map] [data-cell]');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // Skip link, brand, Network, Epochs.
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Epochs');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/epochs');
    await page.waitForSelector('[data-testid=epochs-table] tbody tr');
    const pages: [string, string][] = [
      ['/', '[data-testid=hex-map] [data-cell]'],
      ['/epochs', '[data-testid=chart-emission] rect.bar'],
      ['/wallet', '[data-testid=dev-account]'],
      ['/modules/energy', '[data-testid=energy-clearings-table] tbody tr'],
      ['/modules/logistics', '[data-testid=logistics-anchors] tbody tr'],
      ['/modules/coverage', '[data-testid=coverage-table] tbody tr'],
    ];
    for (const [path, ready] of pages) {
      await page.goto(`${net.api}${path}`);
      await page.waitForSelector(ready);
      // Nothing wider than the phone: tables scroll inside their own region.
      expect(await page.evaluate(tooWide)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      expect(await page.evaluate(lowContrastText)).toEqual([]);
    }
    await page.goto(`${net.api}/`);
    await page.waitForSelector('[data-testid=hex-map] [data-cell]');
    await shot('phone-map');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 120_000);

  it('raised no script error on any page', () => {
    // An EventSource cut by a page change is logged by Chromium as a failed request, not an error.
    expect(errors.filter((e) => !/\/v1\/events/.test(e))).toEqual([]);
  });
});

/** Text whose contrast with its background is below WCAG AA (4.5:1); runs in the page. */
function lowContrastText(): string[] {
  type Rgba = { r: number; g: number; b: number; a: number };
  const parse = (c: string): Rgba | null => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const [r = 0, g = 0, b = 0, a = 1] = m[1]!
      .split(/[\s,/]+/)
      .filter(Boolean)
      .map(Number);
    return { r, g, b, a };
  };
  const lum = ({ r, g, b }: Rgba) => {
    const f = (v: number) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el: Element | null): Rgba => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.9) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const failures: string[] = [];
  const seen = new Set<Element>();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent?.trim();
    const el = walker.currentNode.parentElement;
    if (!text || !el || seen.has(el)) continue;
    seen.add(el);
    // SVG labels are checked by design (fills chosen against the map and chart backgrounds);
    // disabled controls are exempt from WCAG contrast.
    if (el.closest('svg, .sr-only, button:disabled, noscript')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const fg = parse(style.color);
    if (!fg) continue;
    const [l1, l2] = [lum(fg), lum(background(el))];
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) failures.push(`${el.tagName.toLowerCase()} "${text.slice(0, 40)}": ${ratio.toFixed(2)}`);
  }
  return failures;
}

/** Elements that reach past the right edge of the viewport (outside scrolling regions); runs in the page. */
function tooWide(): string[] {
  const out: string[] = [];
  const width = document.documentElement.clientWidth;
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.table-scroll, .sr-only, svg')) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1)
      out.push(
        `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').slice(0, 40)}": ${Math.round(r.right)}`,
      );
  }
  return out.slice(0, 5);
}
