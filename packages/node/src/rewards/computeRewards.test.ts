import { describe, expect, it } from 'vitest';
import {
  type ComputeRewardsInput,
  computeRewards,
  type DeviceScore,
  type ModuleScores,
} from './computeRewards.ts';
import { RewardDuplicateDeviceError, RewardDuplicateModuleError, RewardInputInvalidError } from './errors.ts';

const ALICE = '0xa11ce00000000000000000000000000000000001';
const BOB = '0xb0b0000000000000000000000000000000000002';
const CAROL = '0xca201000000000000000000000000000000000c3';

function device(
  deviceId: `0x${string}`,
  beneficiary: `0x${string}`,
  score: bigint,
  reason = 'OK',
): DeviceScore {
  return { deviceId, beneficiary, score, reason };
}

function input(pool: bigint, modules: ModuleScores[], previousCumulative: Record<string, bigint> = {}) {
  return { epoch: 7, pool, modules, previousCumulative } satisfies ComputeRewardsInput;
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('computeRewards', () => {
  it('splits a module pool by score, rounding down, and keeps the remainder as dust', () => {
    const out = computeRewards(
      input(1000n, [
        {
          module: 'uptime',
          weight: 1n,
          devices: [device('0x01', ALICE, 2n, 'UPTIME_OK'), device('0x02', BOB, 1n, 'UPTIME_OK')],
        },
      ]),
    );
    expect(out).toEqual({
      epoch: 7,
      pool: 1000n,
      lines: [
        {
          deviceId: '0x01',
          module: 'uptime',
          beneficiary: ALICE,
          score: 2n,
          amount: 666n,
          reason: 'UPTIME_OK',
        },
        {
          deviceId: '0x02',
          module: 'uptime',
          beneficiary: BOB,
          score: 1n,
          amount: 333n,
          reason: 'UPTIME_OK',
        },
      ],
      moduleTotals: { uptime: 999n },
      epochTotal: 999n,
      dust: 1n,
      cumulative: [
        { account: ALICE, cumulativeAmount: 666n },
        { account: BOB, cumulativeAmount: 333n },
      ],
      cumulativeTotal: 999n,
    });
  });

  it('splits the pool between modules by weight, then within each module by score', () => {
    const out = computeRewards(
      input(10_001n, [
        {
          module: 'energy',
          weight: 4000n,
          devices: [
            device('0x0e1', ALICE, 3n),
            device('0x0e2', BOB, 0n, 'METER_STALE'),
            device('0x0e3', CAROL, 4n),
          ],
        },
        {
          module: 'coverage',
          weight: 6000n,
          devices: [device('0x0c1', ALICE, 1n), device('0x0c2', BOB, 1n), device('0x0c3', CAROL, 1n)],
        },
      ]),
    );
    // coverage: floor(10001·6000/10000) = 6000, 2000 each; energy: floor(10001·4000/10000) = 4000,
    // floor(4000·3/7) = 1714 and floor(4000·4/7) = 2285. Dust: 1 from the module split, 1 in energy.
    expect(out.lines.map((l) => [l.module, l.deviceId, l.amount])).toEqual([
      ['coverage', '0x0c1', 2000n],
      ['coverage', '0x0c2', 2000n],
      ['coverage', '0x0c3', 2000n],
      ['energy', '0x0e1', 1714n],
      ['energy', '0x0e2', 0n],
      ['energy', '0x0e3', 2285n],
    ]);
    expect(out.moduleTotals).toEqual({ coverage: 6000n, energy: 3999n });
    expect(out.epochTotal).toBe(9999n);
    expect(out.dust).toBe(2n);
    expect(out.cumulative).toEqual([
      { account: ALICE, cumulativeAmount: 3714n },
      { account: BOB, cumulativeAmount: 2000n },
      { account: CAROL, cumulativeAmount: 4285n },
    ]);
    expect(out.cumulativeTotal).toBe(9999n);
  });

  it('gives a module without any positive score nothing and shares its weight among the others', () => {
    const out = computeRewards(
      input(1_000_000n, [
        { module: 'coverage', weight: 6000n, devices: [device('0x01', ALICE, 0n, 'NO_WITNESSES')] },
        { module: 'energy', weight: 4000n, devices: [device('0x02', BOB, 5n)] },
        { module: 'city', weight: 2000n, devices: [] },
      ]),
    );
    expect(out.moduleTotals).toEqual({ city: 0n, coverage: 0n, energy: 1_000_000n });
    expect(out.dust).toBe(0n);
    expect(out.lines).toEqual([
      {
        deviceId: '0x01',
        module: 'coverage',
        beneficiary: ALICE,
        score: 0n,
        amount: 0n,
        reason: 'NO_WITNESSES',
      },
      { deviceId: '0x02', module: 'energy', beneficiary: BOB, score: 5n, amount: 1_000_000n, reason: 'OK' },
    ]);
  });

  it('makes the whole pool dust when no module has a positive score', () => {
    const out = computeRewards(
      input(500n, [
        { module: 'coverage', weight: 1n, devices: [device('0x01', ALICE, 0n, 'OFFLINE')] },
        { module: 'energy', weight: 1n, devices: [] },
      ]),
    );
    expect(out.epochTotal).toBe(0n);
    expect(out.dust).toBe(500n);
    expect(out.lines).toEqual([
      { deviceId: '0x01', module: 'coverage', beneficiary: ALICE, score: 0n, amount: 0n, reason: 'OFFLINE' },
    ]);
    expect(out.cumulative).toEqual([]);
  });

  it('makes the whole pool dust when every module with a positive score has weight 0', () => {
    const out = computeRewards(
      input(500n, [
        { module: 'coverage', weight: 0n, devices: [device('0x01', ALICE, 9n)] },
        { module: 'energy', weight: 10n, devices: [device('0x02', BOB, 0n)] },
      ]),
    );
    expect(out.lines.map((l) => l.amount)).toEqual([0n, 0n]);
    expect(out.dust).toBe(500n);
  });

  it('pays nothing from an empty pool', () => {
    const out = computeRewards(
      input(0n, [{ module: 'uptime', weight: 1n, devices: [device('0x01', ALICE, 3n)] }]),
    );
    expect(out.lines[0]!.amount).toBe(0n);
    expect(out.dust).toBe(0n);
    expect(out.cumulative).toEqual([]);
  });

  it('pays a pool far above 2^64 exactly', () => {
    const pool = 123_456_789n * 10n ** 18n + 1n;
    const out = computeRewards(
      input(pool, [
        { module: 'a', weight: 1n, devices: [device('0x01', ALICE, 1n)] },
        { module: 'b', weight: 2n, devices: [device('0x02', BOB, 1n), device('0x03', CAROL, 2n)] },
      ]),
    );
    const a = pool / 3n;
    const b = (pool * 2n) / 3n;
    expect(out.lines.map((l) => l.amount)).toEqual([a, b / 3n, (b * 2n) / 3n]);
    expect(out.epochTotal + out.dust).toBe(pool);
  });

  it('sorts lines by module, then by device id, whatever the input order', () => {
    const out = computeRewards(
      input(100n, [
        { module: 'energy', weight: 1n, devices: [device('0x0b', ALICE, 1n), device('0x0a', ALICE, 1n)] },
        { module: 'city', weight: 1n, devices: [device('0x0c', BOB, 1n)] },
      ]),
    );
    expect(out.lines.map((l) => `${l.module}/${l.deviceId}`)).toEqual([
      'city/0x0c',
      'energy/0x0a',
      'energy/0x0b',
    ]);
    expect(Object.keys(out.moduleTotals)).toEqual(['city', 'energy']);
  });

  it('lowercases device ids and beneficiaries', () => {
    const out = computeRewards(
      input(10n, [
        {
          module: 'm',
          weight: 1n,
          devices: [device('0xABcd', '0xA11CE00000000000000000000000000000000001', 1n)],
        },
      ]),
    );
    expect(out.lines[0]).toMatchObject({ deviceId: '0xabcd', beneficiary: ALICE });
    expect(out.cumulative).toEqual([{ account: ALICE, cumulativeAmount: 10n }]);
  });

  it('keeps a line detail, with its keys in sorted order', () => {
    const out = computeRewards(
      input(10n, [
        {
          module: 'm',
          weight: 1n,
          devices: [{ ...device('0x01', ALICE, 1n, 'UPTIME_OK'), detail: { zeta: 'last', alpha: 99.5 } }],
        },
      ]),
    );
    expect(out.lines[0]!.detail).toEqual({ alpha: 99.5, zeta: 'last' });
    expect(Object.keys(out.lines[0]!.detail!)).toEqual(['alpha', 'zeta']);
  });

  it('sums the devices of one beneficiary, across modules, into one cumulative amount', () => {
    const out = computeRewards(
      input(300n, [
        { module: 'a', weight: 1n, devices: [device('0x01', ALICE, 1n), device('0x02', ALICE, 1n)] },
        { module: 'b', weight: 2n, devices: [device('0x01', ALICE, 1n), device('0x03', BOB, 1n)] },
      ]),
    );
    // a: 100 → 50 + 50; b: 200 → 100 + 100.
    expect(out.cumulative).toEqual([
      { account: ALICE, cumulativeAmount: 200n },
      { account: BOB, cumulativeAmount: 100n },
    ]);
  });

  it('adds this epoch to the previous cumulative and keeps accounts that earned nothing now', () => {
    const out = computeRewards(
      input(
        100n,
        [
          {
            module: 'a',
            weight: 1n,
            devices: [device('0x01', ALICE, 1n), device('0x02', BOB, 0n, 'OFFLINE')],
          },
        ],
        { [ALICE]: 1000n, [BOB]: 50n, [CAROL]: 7n },
      ),
    );
    expect(out.cumulative).toEqual([
      { account: ALICE, cumulativeAmount: 1100n },
      { account: BOB, cumulativeAmount: 50n },
      { account: CAROL, cumulativeAmount: 7n },
    ]);
    expect(out.cumulativeTotal).toBe(1157n);
  });

  it('accepts previous cumulative keys in any letter case', () => {
    const out = computeRewards(input(0n, [], { [ALICE.toUpperCase().replace('0X', '0x')]: 5n }));
    expect(out.cumulative).toEqual([{ account: ALICE, cumulativeAmount: 5n }]);
  });

  it('leaves out accounts whose cumulative amount is zero', () => {
    const out = computeRewards(
      input(100n, [{ module: 'a', weight: 1n, devices: [device('0x01', BOB, 0n, 'OFFLINE')] }], {
        [ALICE]: 0n,
      }),
    );
    expect(out.cumulative).toEqual([]);
    expect(out.cumulativeTotal).toBe(0n);
  });

  it('rejects a device scored twice in one module, in any letter case', () => {
    const error = thrownBy(() =>
      computeRewards(
        input(100n, [
          { module: 'coverage', weight: 1n, devices: [device('0xAB', ALICE, 1n), device('0xab', BOB, 2n)] },
        ]),
      ),
    );
    expect(error).toBeInstanceOf(RewardDuplicateDeviceError);
    expect(error).toMatchObject({
      code: 'REWARD_DUPLICATE_DEVICE',
      module: 'coverage',
      deviceId: '0xab',
      message: "module 'coverage' scores device 0xab more than once",
    });
  });

  it('accepts the same device id in two different modules', () => {
    const out = computeRewards(
      input(100n, [
        { module: 'a', weight: 1n, devices: [device('0x01', ALICE, 1n)] },
        { module: 'b', weight: 1n, devices: [device('0x01', ALICE, 1n)] },
      ]),
    );
    expect(out.lines).toHaveLength(2);
  });

  it('rejects a module listed twice', () => {
    const error = thrownBy(() =>
      computeRewards(
        input(100n, [
          { module: 'energy', weight: 1n, devices: [] },
          { module: 'energy', weight: 2n, devices: [] },
        ]),
      ),
    );
    expect(error).toBeInstanceOf(RewardDuplicateModuleError);
    expect(error).toMatchObject({ code: 'REWARD_DUPLICATE_MODULE', module: 'energy' });
  });

  const good = { module: 'm', weight: 1n, devices: [device('0x01', ALICE, 1n)] };
  it.each<[string, ComputeRewardsInput, string, string]>([
    ['a negative pool', input(-1n, [good]), 'pool', 'a bigint >= 0'],
    ['a fractional epoch', { ...input(1n, [good]), epoch: 1.5 }, 'epoch', 'a non-negative safe integer'],
    ['a negative weight', input(1n, [{ ...good, weight: -1n }]), 'modules[0].weight', 'a bigint >= 0'],
    ['an empty module name', input(1n, [{ ...good, module: '' }]), 'modules[0].module', 'a non-empty string'],
    [
      'a negative score',
      input(1n, [{ ...good, devices: [device('0x01', ALICE, -1n)] }]),
      'modules[0].devices[0].score',
      'a bigint >= 0',
    ],
    [
      'a number score',
      input(1n, [{ ...good, devices: [device('0x01', ALICE, 1 as unknown as bigint)] }]),
      'modules[0].devices[0].score',
      'a bigint >= 0',
    ],
    [
      'a short beneficiary',
      input(1n, [{ ...good, devices: [device('0x01', '0x1234', 1n)] }]),
      'modules[0].devices[0].beneficiary',
      'a 0x-prefixed 20-byte hex address',
    ],
    [
      'a device id that is not hex',
      input(1n, [{ ...good, devices: [device('0xzz', ALICE, 1n)] }]),
      'modules[0].devices[0].deviceId',
      '0x-prefixed hex',
    ],
    [
      'a non-finite detail number',
      input(1n, [{ ...good, devices: [{ ...device('0x01', ALICE, 1n), detail: { ratio: Number.NaN } }] }]),
      'modules[0].devices[0].detail.ratio',
      'a string or a finite number',
    ],
    [
      'a negative previous amount',
      input(1n, [good], { [ALICE]: -5n }),
      `previousCumulative["${ALICE}"]`,
      'a bigint >= 0',
    ],
    [
      'a previous key that is not an address',
      input(1n, [good], { alice: 5n }),
      'previousCumulative["alice"]',
      'keyed by a 20-byte hex address',
    ],
    [
      'two previous keys for one account',
      input(1n, [good], { [ALICE]: 5n, [ALICE.replace('a11ce', 'A11CE')]: 6n }),
      `previousCumulative["${ALICE.replace('a11ce', 'A11CE')}"]`,
      'the only key for its account (keys are case-insensitive)',
    ],
  ])('rejects %s', (_, bad, path, expected) => {
    const error = thrownBy(() => computeRewards(bad));
    expect(error).toBeInstanceOf(RewardInputInvalidError);
    expect(error).toMatchObject({ code: 'REWARD_INPUT_INVALID', path, expected });
  });
});
