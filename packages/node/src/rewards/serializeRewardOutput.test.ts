import { describe, expect, it } from 'vitest';
import { computeRewards } from './computeRewards.ts';
import { RewardOutputInvalidError } from './errors.ts';
import {
  parseRewardOutput,
  type SerializedRewardOutput,
  serializeRewardOutput,
} from './serializeRewardOutput.ts';

const ALICE = '0xa11ce00000000000000000000000000000000001';
const BOB = '0xb0b0000000000000000000000000000000000002';

const output = computeRewards({
  epoch: 3,
  pool: 10n ** 24n + 1n,
  modules: [
    {
      module: 'uptime',
      weight: 1n,
      devices: [
        { deviceId: '0x01', beneficiary: ALICE, score: 2n, reason: 'UPTIME_OK', detail: { uptimePct: 99.5 } },
        { deviceId: '0x02', beneficiary: BOB, score: 0n, reason: 'OFFLINE' },
      ],
    },
    { module: 'city', weight: 1n, devices: [] },
  ],
  previousCumulative: { [BOB]: 5n },
});

const serialized: SerializedRewardOutput = {
  epoch: 3,
  pool: '1000000000000000000000001',
  lines: [
    {
      deviceId: '0x01',
      module: 'uptime',
      beneficiary: ALICE,
      score: '2',
      amount: '1000000000000000000000001',
      reason: 'UPTIME_OK',
      detail: { uptimePct: 99.5 },
    },
    { deviceId: '0x02', module: 'uptime', beneficiary: BOB, score: '0', amount: '0', reason: 'OFFLINE' },
  ],
  moduleTotals: { city: '0', uptime: '1000000000000000000000001' },
  epochTotal: '1000000000000000000000001',
  dust: '0',
  cumulative: [
    { account: ALICE, cumulativeAmount: '1000000000000000000000001' },
    { account: BOB, cumulativeAmount: '5' },
  ],
  cumulativeTotal: '1000000000000000000000006',
};

/** The serialized form with one change, for the rejection cases. */
function changed(edit: (s: SerializedRewardOutput) => void): unknown {
  const copy = structuredClone(serialized);
  edit(copy);
  return copy;
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('serializeRewardOutput', () => {
  it('writes every bigint as a decimal string and keeps the rest as is', () => {
    expect(serializeRewardOutput(output)).toEqual(serialized);
  });

  it('produces text that JSON.stringify accepts (no bigint left)', () => {
    expect(() => JSON.stringify(serializeRewardOutput(output))).not.toThrow();
  });
});

describe('parseRewardOutput', () => {
  it('reads the serialized form back into the same output', () => {
    expect(parseRewardOutput(JSON.parse(JSON.stringify(serialized)))).toEqual(output);
  });

  it.each<[string, (s: SerializedRewardOutput) => void, string, string]>([
    [
      'a negative amount',
      (s) => (s.lines[0]!.amount = '-1'),
      'lines[0].amount',
      'a non-negative decimal integer string',
    ],
    ['a leading zero', (s) => (s.pool = '01'), 'pool', 'a non-negative decimal integer string'],
    ['an exponent', (s) => (s.dust = '1e3'), 'dust', 'a non-negative decimal integer string'],
    [
      'a number instead of a string',
      (s) => ((s as unknown as { pool: number }).pool = 5),
      'pool',
      'a non-negative decimal integer string',
    ],
    [
      'an upper-case beneficiary',
      (s) => (s.lines[1]!.beneficiary = BOB.toUpperCase()),
      'lines[1].beneficiary',
      'a lowercase 20-byte hex address',
    ],
    [
      'lines out of order',
      (s) => s.lines.reverse(),
      'lines[1]',
      'after lines[i - 1] in (module, deviceId) order, no repeats',
    ],
    [
      'a module total that is not the sum of its lines',
      (s) => (s.moduleTotals.uptime = '1'),
      'moduleTotals["uptime"]',
      'the sum of that module’s line amounts',
    ],
    [
      'a line whose module has no total',
      (s) => delete (s.moduleTotals as Record<string, string>).uptime,
      'moduleTotals["uptime"]',
      'present for every line module',
    ],
    [
      'an epoch total that is not the sum of lines',
      (s) => (s.epochTotal = '1'),
      'epochTotal',
      'the sum of line amounts',
    ],
    ['dust that does not close the pool', (s) => (s.dust = '1'), 'dust', 'pool − epochTotal, >= 0'],
    [
      'a repeated cumulative account',
      (s) => (s.cumulative[1]!.account = ALICE),
      'cumulative[1]',
      'after cumulative[i - 1] in account order, no repeats',
    ],
    [
      'a wrong cumulative total',
      (s) => (s.cumulativeTotal = '0'),
      'cumulativeTotal',
      'the sum of cumulative',
    ],
    [
      'a non-finite detail',
      (s) => (s.lines[0]!.detail = { x: null as unknown as number }),
      'lines[0].detail.x',
      'a string or a finite number',
    ],
    ['a negative epoch', (s) => (s.epoch = -1), 'epoch', 'a non-negative safe integer'],
  ])('rejects %s', (_, edit, path, expected) => {
    const error = thrownBy(() => parseRewardOutput(changed(edit)));
    expect(error).toBeInstanceOf(RewardOutputInvalidError);
    expect(error).toMatchObject({ code: 'REWARD_OUTPUT_INVALID', path, expected });
  });

  it('rejects something that is not an object', () => {
    expect(() => parseRewardOutput([])).toThrow('reward output output must be an object');
  });
});
