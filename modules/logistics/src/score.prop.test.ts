import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOGISTICS_PARAMS } from './params.ts';
import { maxSlots, ScoreReason, scoreTrackers, type TrackerInput } from './score.ts';
import { genesisParams } from './testHelpers.ts';

const params = genesisParams(3600n, { [LOGISTICS_PARAMS.slotSeconds]: 300n });
const window = { epoch: 3, startMs: 0, endMs: 3_600_000 };
const input = fc
  .record({
    slots: fc.nat(40),
    onTime: fc.nat(40),
    inconsistent: fc.nat(40),
    earned: fc.nat(40),
    unassigned: fc.nat(100),
  })
  .map((i): TrackerInput => {
    const slots = i.slots;
    const onTime = Math.min(i.onTime, slots);
    const inconsistent = Math.min(i.inconsistent, slots);
    return {
      slots,
      onTime,
      inconsistent,
      earned: Math.min(i.earned, onTime, slots - inconsistent),
      unassigned: i.unassigned,
    };
  });

describe('scoreTrackers (guarantees)', () => {
  it('gives every listed device one line, in order, with 0 ≤ score ≤ min(earned, slots, maxSlots)', () => {
    fc.assert(
      fc.property(fc.array(input, { maxLength: 20 }), (inputs) => {
        const devices = inputs.map((_, i) => `d${i}`);
        const out = scoreTrackers({
          window,
          params,
          devices,
          inputs: Object.fromEntries(inputs.map((x, i) => [`d${i}`, x])),
        });
        expect(out.map((s) => s.deviceId)).toEqual(devices);
        out.forEach((s, i) => {
          expect(s.score).toBeGreaterThanOrEqual(0n);
          expect(s.score).toBeLessThanOrEqual(
            BigInt(Math.min(inputs[i]!.earned, inputs[i]!.slots, maxSlots(window, params))),
          );
        });
      }),
    );
  });

  it('never scores more earned slots lower', () => {
    fc.assert(
      fc.property(input, fc.nat(10), (i, more) => {
        const better = { ...i, slots: i.slots + more, onTime: i.onTime + more, earned: i.earned + more };
        const [a, b] = scoreTrackers({ window, params, devices: ['a', 'b'], inputs: { a: i, b: better } });
        expect(b!.score).toBeGreaterThanOrEqual(a!.score);
      }),
    );
  });

  it('pays nothing to a tracker without a reading on a shipment', () => {
    fc.assert(
      fc.property(fc.nat(1000), (unassigned) => {
        const [s] = scoreTrackers({
          window,
          params,
          devices: ['x'],
          inputs: { x: { slots: 0, onTime: 0, inconsistent: 0, earned: 0, unassigned } },
        });
        expect(s!.score).toBe(0n);
        expect(s!.reason).toBe(unassigned > 0 ? ScoreReason.noShipment : ScoreReason.none);
      }),
    );
  });
});
