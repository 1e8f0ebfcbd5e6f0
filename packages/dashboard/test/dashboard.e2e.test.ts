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
import { groundTokenAbi } from '@groundwork/abi';
import { DEV_KEYS } from '@groundwork/node';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createPublicClient, type Hex, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIST,
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
      ...['--port', '0', '--chain-port', '0', '--modules', 'uptime'],
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

    const target = devices.find((d) => d.active && d.lastSeq > 0)!;
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
    const lines = await api<{ lines: { epoch: number; reason: string }[] }>(
      `/v1/devices/${target.deviceId}/rewards`,
    );
    expect(await page.textContent('[data-testid=device-rewards]')).toContain(lines.lines[0]!.reason);
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
    await page.getByTestId('claim-button').click();
    await page.waitForSelector('[data-testid=claim-result]', { timeout: 30_000 });
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
    await expect
      .poll(() => page.textContent('[data-testid=module-uptime-devices] .stats'), { timeout: 15_000 })
      .toContain('Devices20');
    await shot('module-uptime');
  }, 120_000);

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
    ];
    for (const [path, ready] of pages) {
      await page.goto(`${net.api}${path}`);
      await page.waitForSelector(ready);
      // Nothing wider than the phone: tables scroll inside their own region.
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
