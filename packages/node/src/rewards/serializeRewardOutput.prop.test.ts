import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeRewards } from './computeRewards.ts';
import { parseRewardOutput, serializeRewardOutput } from './serializeRewardOutput.ts';
import { rewardInput } from './testArbitraries.ts';

describe('serializeRewardOutput and parseRewardOutput (properties)', () => {
  it('round-trip every reward output through JSON text', () => {
    fc.assert(
      fc.property(rewardInput, (input) => {
        const out = computeRewards(input);
        const text = JSON.stringify(serializeRewardOutput(out));
        expect(parseRewardOutput(JSON.parse(text))).toEqual(out);
      }),
      { numRuns: 500 },
    );
  });

  it('stringify equal outputs to equal bytes', () => {
    fc.assert(
      fc.property(rewardInput, (input) => {
        const a = JSON.stringify(serializeRewardOutput(computeRewards(input)));
        const b = JSON.stringify(serializeRewardOutput(computeRewards(structuredClone(input))));
        expect(a).toBe(b);
      }),
      { numRuns: 200 },
    );
  });
});
