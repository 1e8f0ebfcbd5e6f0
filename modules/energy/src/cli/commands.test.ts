import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { benchMarket } from '../../bench/market.ts';
import { WORKED_BOOK } from '../test/worked.ts';
import { energyCommands } from './commands.ts';
import { simCommand } from './sim.ts';

const dir = mkdtempSync(join(tmpdir(), 'gw-energy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function capture(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await run(), out };
  } finally {
    spy.mockRestore();
  }
}

describe('groundwork energy clear <orders.json>', () => {
  const file = join(dir, 'orders.json');
  writeFileSync(
    file,
    JSON.stringify({ format: 'groundwork-energy-book/1', slot: 2_020_224, tick: 1000, orders: WORKED_BOOK }),
  );

  it('replays a book with the market’s code and prints the clearing as JSON', async () => {
    const { code, out } = await capture(() => energyCommands.clear!.run([file, '--json']));
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect([r.format, r.slot, r.price, r.volumeWh]).toEqual([
      'groundwork-energy-clearing/1',
      2_020_224,
      210_000,
      4500,
    ]);
    expect(r.fills).toHaveLength(8);
    expect(r.trades).toHaveLength(5);
  });

  it('prints the price, the volume and each order’s fill for people', async () => {
    const { out } = await capture(() => energyCommands.clear!.run([file]));
    expect(out).toContain(
      'slot 2020224: clearing price 210000 per kWh (0.210000 tUSD/kWh), matched 4500 Wh (4.500 kWh)',
    );
    expect(out).toMatch(/ask {2}A3 +200000 +2000 +800/);
    expect(out).toContain('B2 ← A3: 800 Wh');
  });

  it('refuses a file that is not a valid book, naming the problem', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ tick: 1000, orders: [{ ...WORKED_BOOK[0], price: 250_500 }] }));
    await expect(energyCommands.clear!.run([bad])).rejects.toMatchObject({
      code: 'MARKET_PRICE_OFF_TICK',
      message: 'orders[0].price: expected a multiple of the tick 1000',
    });
    await expect(energyCommands.clear!.run([join(dir, 'missing.json')])).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(energyCommands.clear!.run([])).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('checks the simulation’s flags before doing anything', async () => {
    await expect(simCommand.run(['--homes', '0'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(simCommand.run(['--days', 'x'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(simCommand.run(['--date', '30-06-2030'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(simCommand.run(['--frobnicate'])).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('market benchmark', () => {
  it('clears a random book and measures a plain sort beside it', () => {
    const r = benchMarket({ orders: 2000, runs: 2 });
    expect(r).toMatchObject({ orders: 2000, runs: 2 });
    expect(r.seconds).toBeGreaterThan(0);
    expect(r.baselineSeconds).toBeGreaterThan(0);
    expect(r.matchedWh).toBeGreaterThan(0);
    expect(r.price! % 1000).toBe(0);
  });
});
