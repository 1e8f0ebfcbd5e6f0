/**
 * fast-check arbitraries for reward inputs, shared by the property tests.
 * Test support only: nothing outside `*.test.ts` imports this file.
 */
import fc from 'fast-check';
import type { ComputeRewardsInput, DeviceScore, ModuleScores } from './computeRewards.ts';

// Few beneficiaries and device ids, so that one account owns many devices and ids repeat across modules.
export const BENEFICIARIES = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6'].map(
  (b) => `0x${b.repeat(20)}` as `0x${string}`,
);
export const beneficiary = fc.constantFrom(...BENEFICIARIES);
export const deviceId = fc
  .integer({ min: 0, max: 400 })
  .map((i) => `0x${i.toString(16).padStart(4, '0')}` as `0x${string}`);
export const score = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 0n, max: 100n }),
  fc.bigInt({ min: 0n, max: 1n << 80n }),
);
export const detail = fc.dictionary(
  fc.string({ maxLength: 6 }),
  fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
  { maxKeys: 3 },
);

export const deviceScore: fc.Arbitrary<DeviceScore> = fc
  .record({
    deviceId,
    beneficiary,
    score,
    reason: fc.constantFrom('UPTIME_OK', 'OFFLINE', 'SENSOR_STUCK', ''),
    detail: fc.option(detail, { nil: undefined }),
  })
  .map(({ detail, ...d }) => (detail === undefined ? d : { ...d, detail }));

export const moduleScores: fc.Arbitrary<ModuleScores> = fc.record({
  module: fc.oneof(
    fc.constantFrom('coverage', 'energy', 'logistics', 'city', 'compute'),
    fc.string({ minLength: 1 }),
  ),
  weight: fc.oneof(
    fc.constant(0n),
    fc.bigInt({ min: 0n, max: 10_000n }),
    fc.bigInt({ min: 0n, max: 1n << 64n }),
  ),
  devices: fc.uniqueArray(deviceScore, { maxLength: 12, selector: (d) => d.deviceId }),
});

export const rewardInput: fc.Arbitrary<ComputeRewardsInput> = fc.record({
  epoch: fc.nat(),
  pool: fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: 10n ** 27n })),
  modules: fc.uniqueArray(moduleScores, { maxLength: 5, selector: (m) => m.module }),
  previousCumulative: fc.dictionary(
    beneficiary,
    fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 24n })),
    { maxKeys: 4 },
  ),
});
