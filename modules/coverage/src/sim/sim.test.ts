import { describe, expect, it } from 'vitest';
import { simCommand } from '../cli.ts';
import { runCoverageSim } from './run.ts';

describe('coverage simulation', () => {
  it('meets the targets in the adversarial city with a fixed seed', () => {
    const r = runCoverageSim({ seed: 1, scenario: 'adversarial' });
    expect(r.hotspots).toBe(500);
    expect(r.cheaters).toBe(100);
    expect(r.recall).toBeGreaterThanOrEqual(0.95);
    expect(r.honestPenalisedRate).toBeLessThanOrEqual(0.01);
    expect(r.cheaterRewardShare).toBeLessThan(0.02);
    for (const [kind, c] of Object.entries(r.byCheat)) {
      expect(c.count, kind).toBe(20);
      expect(c.caught / c.count, kind).toBeGreaterThanOrEqual(0.85);
    }
  }, 120_000);

  it('penalises almost no one in an honest city', () => {
    const r = runCoverageSim({ seed: 2, scenario: 'honest', hotspots: 300 });
    expect(r.cheaters).toBe(0);
    expect(r.honestPenalisedRate).toBeLessThanOrEqual(0.01);
    expect(r.cheaterRewardShare).toBe(0);
  }, 120_000);

  it('repeats a run exactly for the same seed and differs for another', () => {
    const a = runCoverageSim({ seed: 5, scenario: 'adversarial', hotspots: 120 });
    const b = runCoverageSim({ seed: 5, scenario: 'adversarial', hotspots: 120 });
    const c = runCoverageSim({ seed: 6, scenario: 'adversarial', hotspots: 120 });
    expect(b).toEqual(a);
    expect(c.detail.witnesses).not.toBe(a.detail.witnesses);
  }, 120_000);

  it('prints the documented JSON line and refuses bad flags with a usage error', async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => {
      lines.push(s);
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(
        await simCommand.run(['--scenario', 'adversarial', '--json', '--seed', '3', '--hotspots', '60']),
      ).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const out = JSON.parse(lines.join(''));
    expect(Object.keys(out)).toEqual([
      'hotspots',
      'cheaters',
      'precision',
      'recall',
      'honestPenalisedRate',
      'cheaterRewardShare',
      'byCheat',
    ]);
    expect(Object.keys(out.byCheat).sort()).toEqual([
      'beacon_replay',
      'gps_spoofer',
      'rssi_inflation',
      'self_dealing',
      'witness_ring',
    ]);
    await expect(simCommand.run(['--scenario', 'chaos'])).rejects.toThrow(/adversarial or honest/);
    await expect(simCommand.run(['--seed', 'x'])).rejects.toThrow(/whole number/);
  }, 120_000);
});
