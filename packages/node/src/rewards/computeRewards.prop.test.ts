import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ComputeRewardsInput, type ComputeRewardsOutput, computeRewards } from './computeRewards.ts';
import { beneficiary, rewardInput } from './testArbitraries.ts';

const RUNS = { numRuns: 500 };

/** Stringified with bigints: equal strings mean equal values and equal key order. */
const canonical = (out: ComputeRewardsOutput) =>
  JSON.stringify(out, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

function lineAmountsByAccount(out: ComputeRewardsOutput): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const l of out.lines) sums.set(l.beneficiary, (sums.get(l.beneficiary) ?? 0n) + l.amount);
  return sums;
}

describe('computeRewards (properties)', () => {
  it('pays out exactly the pool: epochTotal + dust == pool, dust >= 0, totals consistent', () => {
    fc.assert(
      fc.property(rewardInput, (input) => {
        const out = computeRewards(input);
        expect(out.epochTotal + out.dust).toBe(input.pool);
        expect(out.dust >= 0n).toBe(true);
        expect(out.lines.reduce((s, l) => s + l.amount, 0n)).toBe(out.epochTotal);
        expect(Object.values(out.moduleTotals).reduce((s, v) => s + v, 0n)).toBe(out.epochTotal);
      }),
      RUNS,
    );
  });

  it('never pays a negative amount', () => {
    fc.assert(
      fc.property(rewardInput, (input) => {
        for (const l of computeRewards(input).lines) expect(l.amount >= 0n).toBe(true);
      }),
      RUNS,
    );
  });

  it('loses to rounding at most one unit per division', () => {
    fc.assert(
      fc.property(rewardInput, (input) => {
        const out = computeRewards(input);
        const eligible = input.modules.filter((m) => m.devices.some((d) => d.score > 0n));
        const weight = eligible.reduce((s, m) => s + m.weight, 0n);
        const devices = input.modules.reduce((s, m) => s + m.devices.length, 0);
        if (weight === 0n) {
          expect(out.dust).toBe(input.pool);
          return;
        }
        const positive = eligible.reduce((s, m) => s + m.devices.filter((d) => d.score > 0n).length - 1, 0);
        expect(out.dust <= BigInt(eligible.length - 1 + positive)).toBe(true);
        expect(out.dust < BigInt(eligible.length + devices)).toBe(true);
      }),
      RUNS,
    );
  });

  it('lists every account once, sorted, with previous + this epoch, and only positive amounts', () => {
    fc.assert(
      fc.property(rewardInput, (input) => {
        const out = computeRewards(input);
        const accounts = out.cumulative.map((c) => c.account);
        expect(new Set(accounts).size).toBe(accounts.length);
        expect([...accounts].sort()).toEqual(accounts);
        const cumulative = new Map(out.cumulative.map((c) => [c.account as string, c.cumulativeAmount]));
        const earned = lineAmountsByAccount(out);
        const all = new Set([
          ...Object.keys(input.previousCumulative),
          ...earned.keys(),
          ...cumulative.keys(),
        ]);
        for (const a of all) {
          const expected = (input.previousCumulative[a] ?? 0n) + (earned.get(a) ?? 0n);
          expect(cumulative.get(a) ?? 0n).toBe(expected);
        }
        for (const c of out.cumulative) expect(c.cumulativeAmount > 0n).toBe(true);
        const previousTotal = Object.values(input.previousCumulative).reduce((s, v) => s + v, 0n);
        expect(out.cumulativeTotal).toBe(previousTotal + out.epochTotal);
      }),
      RUNS,
    );
  });

  it("never lowers a device's amount when its own score rises", () => {
    fc.assert(
      fc.property(
        rewardInput.filter((i) => i.modules.some((m) => m.devices.length > 0)),
        fc.nat(),
        fc.bigInt({ min: 1n, max: 1n << 70n }),
        (input, pick, raise) => {
          const withDevices = input.modules.filter((m) => m.devices.length > 0);
          const m = withDevices[pick % withDevices.length]!;
          const d = m.devices[pick % m.devices.length]!;
          const raised: ComputeRewardsInput = {
            ...input,
            modules: input.modules.map((x) =>
              x !== m
                ? x
                : { ...x, devices: x.devices.map((y) => (y !== d ? y : { ...y, score: y.score + raise })) },
            ),
          };
          const find = (out: ComputeRewardsOutput) =>
            out.lines.find((l) => l.module === m.module && l.deviceId === d.deviceId)!.amount;
          expect(find(computeRewards(raised)) >= find(computeRewards(input))).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('gives the identical output for any order of modules, devices and previous accounts, and any letter case', () => {
    const permuted = rewardInput.chain((input) =>
      fc.tuple(
        fc.constant(input),
        fc.shuffledSubarray(
          input.modules.map((m) => ({ ...m, devices: [...m.devices] })),
          { minLength: input.modules.length },
        ),
        fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
        fc.shuffledSubarray(Object.entries(input.previousCumulative), {
          minLength: Object.keys(input.previousCumulative).length,
        }),
        fc.boolean(),
      ),
    );
    fc.assert(
      fc.property(permuted, ([input, modules, keys, previous, upper]) => {
        const recase = (h: string) => (upper ? `0x${h.slice(2).toUpperCase()}` : h) as `0x${string}`;
        // Reorder each module's devices by arbitrary keys (a permutation per module).
        const shuffledModules = modules.map((m, i) => ({
          ...m,
          devices: m.devices
            .map((d, j) => ({
              d: { ...d, deviceId: recase(d.deviceId), beneficiary: recase(d.beneficiary) },
              k: keys[(i * 13 + j) % 64]!,
            }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.d),
        }));
        const other: ComputeRewardsInput = {
          ...input,
          modules: shuffledModules,
          previousCumulative: Object.fromEntries(previous.map(([a, v]) => [recase(a), v])),
        };
        expect(canonical(computeRewards(other))).toBe(canonical(computeRewards(input)));
      }),
      RUNS,
    );
  });

  it('gives every device exactly one line, with its reason, and amount 0 for score 0', () => {
    fc.assert(
      fc.property(rewardInput, (input) => {
        const out = computeRewards(input);
        expect(out.lines).toHaveLength(input.modules.reduce((s, m) => s + m.devices.length, 0));
        for (const m of input.modules) {
          for (const d of m.devices) {
            const line = out.lines.find(
              (l) => l.module === m.module && l.deviceId === d.deviceId.toLowerCase(),
            );
            expect(line?.reason).toBe(d.reason);
            expect(line?.score).toBe(d.score);
            if (d.score === 0n) expect(line?.amount).toBe(0n);
          }
        }
      }),
      RUNS,
    );
  });

  it('pays each device the same whichever beneficiary owns it', () => {
    fc.assert(
      fc.property(rewardInput, fc.array(beneficiary, { minLength: 80, maxLength: 80 }), (input, owners) => {
        let n = 0;
        const reassigned: ComputeRewardsInput = {
          ...input,
          modules: input.modules.map((m) => ({
            ...m,
            devices: m.devices.map((d) => ({ ...d, beneficiary: owners[n++ % owners.length]! })),
          })),
        };
        const amounts = (out: ComputeRewardsOutput) => out.lines.map((l) => [l.module, l.deviceId, l.amount]);
        const before = computeRewards(input);
        const after = computeRewards(reassigned);
        expect(amounts(after)).toEqual(amounts(before));
        expect(after.dust).toBe(before.dust);
        expect(after.moduleTotals).toEqual(before.moduleTotals);
      }),
      RUNS,
    );
  });
});
