import { describe, expect, it } from 'vitest';
import logistics, { ReadingReason } from './index.ts';
import { LOGISTICS_PARAMS } from './params.ts';
import { scoreTrackers } from './score.ts';
import { genesisParams } from './testHelpers.ts';

const body = logistics.kinds.reading!.body;
const T = 1_767_225_600_000;
const device = { deviceId: '0xd', module: 'logistics', h3Cell: '0', operator: '0xo', active: true };
const envelope = (b: Record<string, unknown>, time = T, receivedAt = T) => ({
  id: 1,
  deviceId: '0xd',
  seq: 1,
  time,
  receivedAt,
  kind: 'logistics.reading',
  body: b,
});

describe('logistics module definition', () => {
  it('accepts readings in fixed-point units, with a lat/lng or an H3 position, and refuses others', () => {
    expect(body.safeParse({ at: T, tempMc: 4250, humidityPm: 612, shockMg: 350 }).success).toBe(true);
    expect(
      body.safeParse({ at: T, position: { latE7: 519244000, lngE7: 44777000, accuracyM: 8 } }).success,
    ).toBe(true);
    expect(body.safeParse({ at: T, position: { h3: '8a1f05a2d06ffff' } }).success).toBe(true);
    expect(body.safeParse({ at: T }).success).toBe(false); // nothing measured
    expect(body.safeParse({ at: T, tempMc: 4.25 }).success).toBe(false); // not fixed-point
    expect(body.safeParse({ at: T, humidityPm: 1001 }).success).toBe(false);
    expect(body.safeParse({ at: T, position: { h3: 'ffffffffffffffff' } }).success).toBe(false);
    expect(body.safeParse({ at: T, tempMc: 1, extra: 1 }).success).toBe(false);
  });

  it('judges readings: after their envelope, older than the backfill window, or fine', () => {
    const params = genesisParams();
    const verify = (b: Record<string, unknown>, time?: number, receivedAt?: number) =>
      logistics.verify({ envelope: envelope(b, time, receivedAt), device, params });
    expect(verify({ at: T - 60_000, tempMc: 5000 })).toEqual({
      status: 'accepted',
      reason: ReadingReason.ok,
      contribution: { at: T - 60_000, delayMs: 60_000 },
    });
    expect(verify({ at: T + 1, tempMc: 5000 })).toEqual({
      status: 'rejected',
      reason: ReadingReason.afterEnvelope,
    });
    expect(verify({ at: T - 7 * 86_400_000 - 1, tempMc: 5000 })).toEqual({
      status: 'rejected',
      reason: ReadingReason.tooOld,
    });
  });

  it('stands still with PARAMETERS_UNSET, rather than fail, on a network that never set its parameters', () => {
    const none = new Map<string, bigint>();
    expect(logistics.verify({ envelope: envelope({ at: T, tempMc: 1 }), device, params: none })).toEqual({
      status: 'rejected',
      reason: 'PARAMETERS_UNSET',
    });
    expect(
      scoreTrackers({ window: { epoch: 1, startMs: 0, endMs: 1 }, inputs: {}, devices: ['a'], params: none }),
    ).toEqual([{ deviceId: 'a', score: 0n, reason: 'PARAMETERS_UNSET' }]);
  });

  it('derives its genesis parameters from the epoch length and names every key within 31 characters', () => {
    expect(genesisParams(3600n).get(LOGISTICS_PARAMS.slotSeconds)).toBe(900n);
    expect(genesisParams(600n).get(LOGISTICS_PARAMS.slotSeconds)).toBe(60n);
    expect(genesisParams(5n).get(LOGISTICS_PARAMS.slotSeconds)).toBe(1n);
    for (const p of logistics.parameters) expect(p.key.length).toBeLessThanOrEqual(31);
    expect(logistics.parameters.map((p) => p.key)).toContain('reward.weight.logistics');
  });

  it('simulates readings its own schema accepts', () => {
    for (let i = 0; i < 20; i++) {
      const r = logistics.simulate!.next({ deviceIndex: i, now: T + i * 1000, tick: i });
      expect(r.kind).toBe('logistics.reading');
      expect(body.safeParse(r.body).success).toBe(true);
    }
  });
});
