import { VECTORS } from '@groundwork/protocol';
import { describe, expect, it } from 'vitest';
import { readEnergyParams } from '../params.ts';
import { intervalBody, siteBody } from '../schemas.ts';
import { params } from '../test/fixtures.ts';
import { checkIntervalRead, checkSiteDeclaration, slotEnergyWh } from './checks.ts';

const p = readEnergyParams(params());
const start = 1_767_224_700_000; // the protocol vector's interval, 15 minutes on a slot boundary
const end = start + 900_000;
const body = { start, end, wh_import: 1520, wh_export: 0, wh_import_total: 90_000, wh_export_total: 40 };

describe('interval read checks that need nothing but the read', () => {
  it('accepts the body shape of the protocol test vector, and rejects it for lacking registers', () => {
    const vector = VECTORS.p256.envelope.body;
    expect(intervalBody.safeParse(vector).success).toBe(true);
    expect(
      checkIntervalRead({ time: end + 123, receivedAt: end + 200, body: intervalBody.parse(vector) }, p),
    ).toEqual({
      status: 'rejected',
      reason: 'METER_COUNTERS_MISSING',
    });
  });

  it('accepts a well-formed read with its slot as the contribution', () => {
    expect(checkIntervalRead({ time: end + 1, receivedAt: end + 2, body }, p)).toEqual({
      status: 'accepted',
      reason: 'INTERVAL_RECEIVED',
      contribution: { slot: start / 900_000, whImport: 1520, whExport: 0 },
    });
  });

  it('rejects each malformed read under its own reason', () => {
    const v = (b: object, time = end + 1, receivedAt = end + 2) =>
      checkIntervalRead({ time, receivedAt, body: { ...body, ...b } }, p);
    expect(v({ start: start + 1 })).toMatchObject({ reason: 'INTERVAL_MISALIGNED' });
    expect(v({ end: end + 900_000 })).toMatchObject({ reason: 'INTERVAL_MISALIGNED' });
    expect(v({}, end - 1)).toMatchObject({ reason: 'READ_BEFORE_INTERVAL_END' });
    expect(v({}, end + 1, end + 600_000)).toMatchObject({ reason: 'SLOT_ALREADY_SETTLED' });
    expect(v({}, end + 1, end + 599_999)).toMatchObject({ status: 'accepted' });
    expect(v({ wh_export_total: undefined })).toMatchObject({ reason: 'METER_COUNTERS_MISSING' });
    expect(v({ wh_import_total: 1519 })).toMatchObject({ reason: 'METER_COUNTER_MISMATCH' });
    // 50 kW for 15 minutes is 12,500 Wh: the most any connection may move.
    expect(slotEnergyWh(p.maxConnectionW, p)).toBe(12_500);
    expect(v({ wh_import: 12_501, wh_import_total: 99_999 })).toMatchObject({
      reason: 'ABOVE_RATED_CAPACITY',
    });
    expect(v({ wh_import: 12_500, wh_import_total: 99_999 })).toMatchObject({ status: 'accepted' });
  });

  it('takes site declarations within the governed bounds only', () => {
    expect(siteBody.safeParse({ connection_w: 0, pv_wp: 0, battery_w: 0 }).success).toBe(false);
    const s = (b: { connection_w: number; pv_wp: number; battery_w: number }) => checkSiteDeclaration(b, p);
    expect(s({ connection_w: 11_000, pv_wp: 6_000, battery_w: 5_000 })).toEqual({
      status: 'accepted',
      reason: 'SITE_DECLARED',
      contribution: { connection_w: 11_000, pv_wp: 6_000, battery_w: 5_000 },
    });
    expect(s({ connection_w: 50_001, pv_wp: 0, battery_w: 0 })).toMatchObject({ reason: 'SITE_INVALID' });
    expect(s({ connection_w: 11_000, pv_wp: 50_001, battery_w: 0 })).toMatchObject({
      reason: 'SITE_INVALID',
    });
    expect(s({ connection_w: 11_000, pv_wp: 0, battery_w: 11_001 })).toMatchObject({
      reason: 'SITE_INVALID',
    });
  });
});
