import type { Store } from '@groundwork/node/store/db.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshStore, STORE_KINDS } from '../../../../packages/node/test/helpers.ts';
import energy from '../index.ts';
import { energyDb } from '../store/schema.ts';
import {
  EnvelopeWriter,
  meterKey,
  NIGHT_SLOT,
  NOON_SLOT,
  params,
  SLOT_MS,
  seedMeter,
} from '../test/fixtures.ts';
import { advanceLedger } from './ledger.ts';

const OPERATOR = '0x00000000000000000000000000000000000000aa';
const m1 = meterKey(1).deviceId;
const m2 = meterKey(2).deviceId;

describe.each(STORE_KINDS)('meter ledger on %s', (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let w: EnvelopeWriter;
  beforeEach(async () => {
    ({ store, cleanup } = await freshStore(kind, [energy]));
    await seedMeter(store, meterKey(1), OPERATOR);
    await seedMeter(store, meterKey(2), OPERATOR);
    w = new EnvelopeWriter(store);
  });
  afterEach(async () => cleanup());

  const verdicts = async () =>
    (await energyDb(store.db).selectFrom('energy_reads').selectAll().orderBy('envelope_id').execute()).map(
      (r) => [Number(r.slot) - NOON_SLOT, r.status, r.reason, Number(r.green_wh)],
    );

  it('accepts a contiguous series of reads, counts their solar export, and leaves a gap unfilled', async () => {
    await w.site(m1, NOON_SLOT * SLOT_MS - 3_600_000);
    await w.read(m1, NOON_SLOT, { imp: 10, exp: 900, impTotal: 1010, expTotal: 5900 });
    await w.read(m1, NOON_SLOT + 1, { imp: 20, exp: 950, impTotal: 1030, expTotal: 6850 });
    // Slots +2 and +3 never arrive; +4 carries the registers across the gap.
    await w.read(m1, NOON_SLOT + 4, { imp: 5, exp: 700, impTotal: 1100, expTotal: 9000 });
    expect(await advanceLedger(store.db, params())).toBe(4);
    expect(await verdicts()).toEqual([
      [0, 'accepted', 'INTERVAL_OK', 900],
      [1, 'accepted', 'INTERVAL_OK', 950],
      [4, 'accepted', 'INTERVAL_OK', 700],
    ]);
    const meter = await energyDb(store.db).selectFrom('energy_meters').selectAll().executeTakeFirstOrThrow();
    expect([
      Number(meter.last_slot) - NOON_SLOT,
      Number(meter.last_import_total),
      Number(meter.last_export_total),
    ]).toEqual([4, 1100, 9000]);
    // Nothing new: a second pass walks nothing.
    expect(await advanceLedger(store.db, params())).toBe(0);
  });

  it('rejects registers that go backwards or move by other than the interval', async () => {
    await w.site(m1, NOON_SLOT * SLOT_MS - 3_600_000);
    await w.read(m1, NOON_SLOT, { imp: 10, exp: 900, impTotal: 1010, expTotal: 5900 });
    await w.read(m1, NOON_SLOT + 1, { imp: 10, exp: 0, impTotal: 1000, expTotal: 5900 }); // import register went back
    await w.read(m1, NOON_SLOT + 1, { imp: 10, exp: 100, impTotal: 1020, expTotal: 6100 }); // export moved 200, interval says 100
    await w.read(m1, NOON_SLOT + 1, { imp: 10, exp: 100, impTotal: 1020, expTotal: 6000 }); // consistent
    await advanceLedger(store.db, params());
    expect(await verdicts()).toEqual([
      [0, 'accepted', 'INTERVAL_OK', 900],
      [1, 'rejected', 'METER_NOT_MONOTONIC', 0],
      [1, 'rejected', 'METER_COUNTER_MISMATCH', 0],
      [1, 'accepted', 'INTERVAL_OK', 100],
    ]);
  });

  it('rejects energy beyond the connection, in a slot or across a gap', async () => {
    await w.site(m1, NOON_SLOT * SLOT_MS - 3_600_000, { connection_w: 4_000, pv_wp: 5_000, battery_w: 0 });
    await w.read(m1, NOON_SLOT, { imp: 1001, exp: 0, impTotal: 2001, expTotal: 0 }); // 4 kW × 15 min = 1000 Wh
    await w.read(m1, NOON_SLOT, { imp: 1000, exp: 0, impTotal: 2000, expTotal: 0 });
    await w.read(m1, NOON_SLOT + 3, { imp: 0, exp: 0, impTotal: 4001, expTotal: 0 }); // 2001 Wh over 2 missing slots
    await w.read(m1, NOON_SLOT + 3, { imp: 0, exp: 0, impTotal: 4000, expTotal: 0 });
    await advanceLedger(store.db, params());
    expect(await verdicts()).toEqual([
      [0, 'rejected', 'ABOVE_RATED_CAPACITY', 0],
      [0, 'accepted', 'INTERVAL_OK', 0],
      [3, 'rejected', 'ABOVE_RATED_CAPACITY', 0],
      [3, 'accepted', 'INTERVAL_OK', 0],
    ]);
  });

  it('rejects export the clear sky cannot explain, and lets a battery export its power at night', async () => {
    await w.site(m1, NIGHT_SLOT * SLOT_MS - 3_600_000, { connection_w: 11_000, pv_wp: 5_000, battery_w: 0 });
    await w.site(m2, NIGHT_SLOT * SLOT_MS - 3_600_000, {
      connection_w: 11_000,
      pv_wp: 5_000,
      battery_w: 3_000,
    });
    await w.read(m1, NIGHT_SLOT, { imp: 0, exp: 11, impTotal: 0, expTotal: 11 }); // above the 10 Wh tolerance
    await w.read(m1, NIGHT_SLOT, { imp: 0, exp: 10, impTotal: 0, expTotal: 10 });
    await w.read(m2, NIGHT_SLOT, { imp: 0, exp: 760, impTotal: 0, expTotal: 760 }); // 3 kW × 15 min + 10 = 760
    await w.read(m2, NIGHT_SLOT + 1, { imp: 0, exp: 761, impTotal: 0, expTotal: 1521 });
    // Noon: 5 kWp can make at most ~1,290 Wh under a clear sky; × 1.3 ≈ 1,677.
    await w.read(m1, NOON_SLOT, { imp: 0, exp: 1600, impTotal: 0, expTotal: 1610 });
    await w.read(m1, NOON_SLOT + 1, { imp: 0, exp: 1800, impTotal: 0, expTotal: 3410 });
    await advanceLedger(store.db, params());
    const rows = (await verdicts()).map(([slot, status, reason, green]) => [
      (slot as number) + NOON_SLOT - NIGHT_SLOT,
      status,
      reason,
      green,
    ]);
    expect(rows).toEqual([
      [0, 'rejected', 'EXPORT_ABOVE_CLEAR_SKY', 0],
      [0, 'accepted', 'INTERVAL_OK', 0],
      [0, 'accepted', 'INTERVAL_OK', 0],
      [1, 'rejected', 'EXPORT_ABOVE_CLEAR_SKY', 0],
      [NOON_SLOT - NIGHT_SLOT, 'accepted', 'INTERVAL_OK', 1600],
      [NOON_SLOT - NIGHT_SLOT + 1, 'rejected', 'EXPORT_ABOVE_CLEAR_SKY', 0],
    ]);
    const detail = await energyDb(store.db)
      .selectFrom('energy_reads')
      .select('detail')
      .where('slot', '=', NOON_SLOT + 1)
      .executeTakeFirstOrThrow();
    expect(detail.detail).toMatch(/^export 1800 Wh, clear sky allows 16\d\d$/);
  });

  it('rejects duplicates, accepts a consistent late read into a gap and rejects an inconsistent one', async () => {
    await w.site(m1, NOON_SLOT * SLOT_MS - 3_600_000);
    await w.read(m1, NOON_SLOT, { imp: 10, exp: 100, impTotal: 10, expTotal: 100 });
    await w.read(m1, NOON_SLOT + 2, { imp: 10, exp: 100, impTotal: 30, expTotal: 300 });
    await w.read(m1, NOON_SLOT, { imp: 10, exp: 100, impTotal: 10, expTotal: 100 }); // the same slot again
    await w.read(m1, NOON_SLOT + 1, { imp: 10, exp: 150, impTotal: 20, expTotal: 250 }); // disagrees with +2
    await w.read(m1, NOON_SLOT + 1, { imp: 10, exp: 100, impTotal: 20, expTotal: 200 }); // fills the gap exactly
    await advanceLedger(store.db, params());
    expect(await verdicts()).toEqual([
      [0, 'accepted', 'INTERVAL_OK', 100],
      [2, 'accepted', 'INTERVAL_OK', 100],
      [0, 'rejected', 'DUPLICATE_READ', 0],
      [1, 'rejected', 'METER_COUNTER_MISMATCH', 0],
      [1, 'accepted', 'INTERVAL_OK', 100],
    ]);
  });

  it('rejects reads for settled slots, late reads, reads without a site, and counter-less reads', async () => {
    await w.read(m1, NOON_SLOT - 1, { imp: 1, exp: 0, impTotal: 1, expTotal: 0 }); // no site yet
    await w.site(m1, NOON_SLOT * SLOT_MS - 3_600_000);
    await energyDb(store.db)
      .insertInto('energy_settlements')
      .values({
        slot: NOON_SLOT,
        previous_slot: 0,
        root: '0x',
        total: '0',
        grid_draw: '0',
        statement_hash: '0x',
        statement: '{}',
        computed_at: 0,
        status: 'computed',
        tx_hash: null,
      })
      .execute();
    await w.read(m1, NOON_SLOT, { imp: 1, exp: 0, impTotal: 2, expTotal: 0 }); // its slot is settled
    await w.read(m1, NOON_SLOT + 1, { imp: 1, exp: 0, impTotal: 3, expTotal: 0 }, 600_000); // books closed at +600 s
    await w.write(
      m1,
      'energy.interval',
      { start: (NOON_SLOT + 2) * SLOT_MS, end: (NOON_SLOT + 3) * SLOT_MS, wh_import: 1520, wh_export: 0 },
      (NOON_SLOT + 3) * SLOT_MS + 1000,
    );
    await advanceLedger(store.db, params());
    expect(await verdicts()).toEqual([
      [-1, 'rejected', 'SITE_NOT_DECLARED', 0],
      [0, 'rejected', 'SLOT_ALREADY_SETTLED', 0],
      [1, 'rejected', 'SLOT_ALREADY_SETTLED', 0],
      [2, 'rejected', 'METER_COUNTERS_MISSING', 0],
    ]);
  });

  it('scores each meter by its verified solar export in the epoch window', async () => {
    await w.site(m1, NOON_SLOT * SLOT_MS - 3_600_000);
    await w.site(m2, NOON_SLOT * SLOT_MS - 3_600_000);
    await w.read(m1, NOON_SLOT, { imp: 0, exp: 800, impTotal: 0, expTotal: 800 });
    await w.read(m1, NOON_SLOT + 1, { imp: 0, exp: 900, impTotal: 0, expTotal: 1700 });
    await w.read(m2, NOON_SLOT, { imp: 0, exp: 5000, impTotal: 0, expTotal: 5000 }); // implausible: not counted
    const window = { epoch: 1, startMs: NOON_SLOT * SLOT_MS, endMs: (NOON_SLOT + 2) * SLOT_MS };
    // The read of slot +1 is received after the window: only slot 0 counts.
    const inputs = await energy.collectInputs!({ db: store.db, window, params: params() });
    expect(inputs).toEqual({ [m1]: { greenWh: 800, reads: 1 } });
    const silent = meterKey(3).deviceId;
    expect(energy.score({ window, inputs, devices: [m1, m2, silent], params: params() })).toEqual([
      { deviceId: m1, score: 800n, reason: 'SOLAR_EXPORT_VERIFIED', detail: { greenWh: 800, reads: 1 } },
      { deviceId: m2, score: 0n, reason: 'NO_VERIFIED_EXPORT', detail: { greenWh: 0, reads: 0 } },
      { deviceId: silent, score: 0n, reason: 'NO_VERIFIED_EXPORT', detail: { greenWh: 0, reads: 0 } },
    ]);
  });
});
