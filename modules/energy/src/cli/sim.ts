import { parseArgs } from 'node:util';
import { BaseError } from '@groundwork/node/internal/errors.ts';
import type { ModuleCommand } from '@groundwork/node/modules/types.ts';
import { runEnergySim } from '../sim/run.ts';

const USAGE = '[--homes <n>] [--days <n>] [--seed <text>] [--date YYYY-MM-DD] [--json] [--verbose]';

/** `groundwork sim --module energy`: a neighbourhood trading energy for a day, settled on a local chain. */
export const simCommand: ModuleCommand = {
  summary: 'a neighbourhood trading energy, settled on a throw-away local chain',
  usage: USAGE,
  async run(argv) {
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          homes: { type: 'string' },
          days: { type: 'string' },
          seed: { type: 'string' },
          date: { type: 'string' },
          json: { type: 'boolean' },
          verbose: { type: 'boolean' },
        },
        strict: true,
      }));
    } catch (err) {
      throw new BaseError(
        'USAGE',
        `${(err as Error).message}\nusage: groundwork sim --module energy ${USAGE}`,
      );
    }
    const count = (name: string, fallback: number, max: number) => {
      const v = values[name];
      if (v === undefined) return fallback;
      if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) {
        throw new BaseError('USAGE', `--${name} takes a whole number from 1 to ${max}`);
      }
      return Number(v);
    };
    const homes = count('homes', 200, 5000);
    const days = count('days', 1, 30);
    const seed = typeof values.seed === 'string' ? values.seed : '1';
    const date = typeof values.date === 'string' ? values.date : undefined;
    if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new BaseError('USAGE', '--date takes YYYY-MM-DD');
    const { report, details } = await runEnergySim({
      homes,
      days,
      seed,
      ...(date ? { date } : {}),
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    if (values.verbose) process.stderr.write(`${JSON.stringify(details, null, 2)}\n`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    const traded = report.slots.filter((s) => s.volumeWh > 0);
    const prices = traded.map((s) => s.price!);
    process.stdout.write(
      [
        `${report.homes} homes, ${report.slots.length} slots, ${traded.length} with trades`,
        `traded ${(report.tradedWh / 1000).toFixed(1)} kWh at ${Math.min(...prices) / 1e6}–${Math.max(...prices) / 1e6} tUSD/kWh`,
        `buyers saved ${Number(report.savings) / 1e6} tUSD against buying from the grid`,
        `cheaters caught: ${report.cheatersCaught} of ${report.cheaters}; honest meters flagged: ${details.falsePositives.length}`,
        `escrow imbalance on chain: ${report.escrowImbalance}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
