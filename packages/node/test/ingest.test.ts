import uptime from '@groundwork/module-uptime';
import { deviceKeyFromSeed, type Envelope, signEnvelope, type UnsignedEnvelope } from '@groundwork/protocol';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ingestor, type IngestorOptions } from '../src/ingest/ingest.ts';
import { VerifyPool } from '../src/ingest/verifyPool.ts';
import type { Store } from '../src/store/db.ts';
import type { DeviceDirectory } from '../src/store/devices.ts';
import { freshStore, loadDirectory, newMetrics, STORE_KINDS, seedDevice, silentLog } from './helpers.ts';

const NOW = 1_767_225_600_000;
const key = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(1));
const p256 = deviceKeyFromSeed('p256', new Uint8Array(32).fill(2));
const inactive = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(3));
const stranger = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(4));
const params = new Map<string, bigint>([['ingest.maxSkewMs', 60_000n]]);

/** A promise with its resolve function: a gate a test opens when it wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

function heartbeat(k = key, over: Partial<UnsignedEnvelope> = {}): Envelope {
  return signEnvelope(
    {
      v: 1,
      device: k.deviceId,
      seq: 1,
      time: NOW,
      kind: 'uptime.heartbeat',
      body: { uptimeSeconds: 10 },
      ...over,
    },
    k,
  );
}

describe.each(STORE_KINDS)('Ingestor on %s', (kind) => {
  let store: Store;
  let devices: DeviceDirectory;
  let ingestor: Ingestor;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const f = await freshStore(kind);
    store = f.store;
    cleanup = f.cleanup;
    await seedDevice(store, key);
    await seedDevice(store, p256);
    await seedDevice(store, inactive, { active: false });
    devices = await loadDirectory(store);
    ingestor = ingestorWith();
  });
  afterEach(async () => cleanup());

  /** An ingestor over this test's store, devices and clock; `over` replaces any option. */
  const ingestorWith = (over: Partial<IngestorOptions> = {}) =>
    new Ingestor({
      db: store.db,
      devices,
      modules: [uptime],
      params: () => params,
      log: silentLog,
      metrics: newMetrics(),
      now: () => NOW,
      ...over,
    });

  const stored = () => store.db.selectFrom('envelopes').selectAll().orderBy('id').execute();
  const lastSeq = async (id: string) => (await loadDirectory(store)).get(id)!.lastSeq;

  it('accepts a signed envelope from an ed25519 and a p256 device and stores both', async () => {
    const v = await ingestor.ingestBatch([heartbeat(), heartbeat(p256, { seq: 7 })]);
    expect(v).toEqual([
      { index: 0, status: 'accepted', seq: 1 },
      { index: 1, status: 'accepted', seq: 7 },
    ]);
    const rows = await stored();
    expect(rows.map((r) => [r.device_id, Number(r.seq), Number(r.received_at), r.body])).toEqual([
      [key.deviceId, 1, NOW, '{"uptimeSeconds":10}'],
      [p256.deviceId, 7, NOW, '{"uptimeSeconds":10}'],
    ]);
    expect(await lastSeq(p256.deviceId)).toBe(7);
  });

  it('rejects an envelope replayed with the same seq and stores nothing more', async () => {
    const env = heartbeat();
    await ingestor.ingestBatch([env]);
    expect(await ingestor.ingestBatch([env])).toEqual([
      { index: 0, status: 'rejected', reason: 'SEQ_REPLAYED' },
    ]);
    expect((await stored()).length).toBe(1);
  });

  it('rejects a replay inside one batch', async () => {
    const env = heartbeat();
    const v = await ingestor.ingestBatch([env, env, heartbeat(key, { seq: 2 })]);
    expect(v.map((x) => x.status === 'accepted' || x.reason)).toEqual([true, 'SEQ_REPLAYED', true]);
  });

  it('rejects a forged signature, and the forgery does not consume the seq', async () => {
    const forged = { ...heartbeat(stranger, { seq: 50 }), device: key.deviceId };
    expect(await ingestor.ingestBatch([forged])).toEqual([
      { index: 0, status: 'rejected', reason: 'BAD_SIGNATURE' },
    ]);
    expect(await lastSeq(key.deviceId)).toBe(0);
    expect(await ingestor.ingestBatch([heartbeat(key, { seq: 3 })])).toEqual([
      { index: 0, status: 'accepted', seq: 3 },
    ]);
    const rejections = await store.db.selectFrom('rejections').selectAll().execute();
    expect(rejections.map((r) => [r.device_id, r.reason, Number(r.seq)])).toEqual([
      [key.deviceId, 'BAD_SIGNATURE', 50],
    ]);
  });

  it('rejects a body changed after signing', async () => {
    const env = heartbeat();
    expect(await ingestor.ingestBatch([{ ...env, body: { uptimeSeconds: 11 } }])).toEqual([
      { index: 0, status: 'rejected', reason: 'BAD_SIGNATURE' },
    ]);
  });

  it('rejects unknown and inactive devices', async () => {
    const v = await ingestor.ingestBatch([heartbeat(stranger), heartbeat(inactive)]);
    expect(v).toEqual([
      { index: 0, status: 'rejected', reason: 'UNKNOWN_DEVICE' },
      { index: 1, status: 'rejected', reason: 'DEVICE_INACTIVE' },
    ]);
    expect(await stored()).toEqual([]);
  });

  it('rejects a clock skewed beyond ingest.maxSkewMs, either way, and accepts one just inside', async () => {
    const v = await ingestor.ingestBatch([
      heartbeat(key, { seq: 1, time: NOW + 60_001 }),
      heartbeat(key, { seq: 2, time: NOW - 60_001 }),
      heartbeat(key, { seq: 3, time: NOW - 60_000 }),
    ]);
    expect(v.map((x) => x.status === 'accepted' || x.reason)).toEqual(['CLOCK_SKEW', 'CLOCK_SKEW', true]);
  });

  it('rejects a kind no module handles, a body the module refuses, and a kind of another module', async () => {
    const v = await ingestor.ingestBatch([
      heartbeat(key, { seq: 1, kind: 'nosuch.thing' }),
      heartbeat(key, { seq: 2, body: { uptimeSeconds: -1 } }),
      heartbeat(key, { seq: 3, kind: 'uptime.unknown' }),
    ]);
    expect(v.map((x) => x.status === 'accepted' || x.reason)).toEqual([
      'UNKNOWN_KIND',
      'BODY_INVALID',
      'UNKNOWN_KIND',
    ]);
    const other = ingestorWith({ modules: [uptime, { ...uptime, id: 'energy' }] });
    expect(await other.ingestBatch([heartbeat(key, { seq: 4, kind: 'energy.heartbeat' })])).toEqual([
      { index: 0, status: 'rejected', reason: 'MODULE_MISMATCH' },
    ]);
  });

  it('answers malformed input with a verdict and keeps going', async () => {
    const good = heartbeat();
    const v = await ingestor.ingestBatch([
      null,
      'x',
      { ...good, v: 2 },
      { ...good, extra: 1 },
      { ...good, seq: 1.5 },
      good,
    ]);
    expect(v.map((x) => x.status === 'accepted' || x.reason)).toEqual([
      'MALFORMED',
      'MALFORMED',
      'UNSUPPORTED_VERSION',
      'MALFORMED',
      'MALFORMED',
      true,
    ]);
  });

  it('keeps verdicts in request order when checks fail at different stages', async () => {
    const v = await ingestor.ingestBatch([
      heartbeat(key, { seq: 5 }),
      heartbeat(stranger),
      heartbeat(key, { seq: 4 }),
      heartbeat(key, { seq: 6 }),
    ]);
    expect(v).toEqual([
      { index: 0, status: 'accepted', seq: 5 },
      { index: 1, status: 'rejected', reason: 'UNKNOWN_DEVICE' },
      { index: 2, status: 'rejected', reason: 'SEQ_REPLAYED' },
      { index: 3, status: 'accepted', seq: 6 },
    ]);
  });

  it('keeps the last seq across a reload of the store (a restart)', async () => {
    await ingestor.ingestBatch([heartbeat(key, { seq: 9 })]);
    const again = ingestorWith({ devices: await loadDirectory(store) });
    expect(await again.ingestBatch([heartbeat(key, { seq: 9 })])).toEqual([
      { index: 0, status: 'rejected', reason: 'SEQ_REPLAYED' },
    ]);
  });

  it('never accepts a seq twice across two ingest processes sharing the store', async () => {
    // Two processes: each its own Ingestor and its own in-memory mirror.
    const other = ingestorWith({ devices: await loadDirectory(store) });
    expect(await ingestor.ingestBatch([heartbeat(key, { seq: 5 })])).toEqual([
      { index: 0, status: 'accepted', seq: 5 },
    ]);
    // The other process still believes the last seq is 0: the database says 5.
    expect(
      await other.ingestBatch([
        heartbeat(key, { seq: 4 }),
        heartbeat(key, { seq: 5 }),
        heartbeat(key, { seq: 6 }),
      ]),
    ).toEqual([
      { index: 0, status: 'rejected', reason: 'SEQ_REPLAYED' },
      { index: 1, status: 'rejected', reason: 'SEQ_REPLAYED' },
      { index: 2, status: 'accepted', seq: 6 },
    ]);
    const both = await Promise.all([
      ingestor.ingestBatch([heartbeat(key, { seq: 7 })]),
      other.ingestBatch([heartbeat(key, { seq: 7 })]),
    ]);
    expect(
      both
        .flat()
        .map((v) => v.status)
        .sort(),
    ).toEqual(['accepted', 'rejected']);
    expect((await stored()).map((r) => Number(r.seq))).toEqual([5, 6, 7]);
  });

  it('stores a large batch in input order, every field intact (SQLite writes 32 rows per statement)', async () => {
    // 100 = three statements of 32 and four single rows on SQLite; one statement on PostgreSQL.
    const batch = Array.from({ length: 100 }, (_, i) =>
      heartbeat(i % 2 === 0 ? key : p256, { seq: Math.floor(i / 2) + 1, body: { uptimeSeconds: i } }),
    );
    const verdicts = await ingestor.ingestBatch(batch);
    expect(verdicts.every((v) => v.status === 'accepted')).toBe(true);
    const rows = await stored();
    expect(rows.map((r) => [r.device_id, Number(r.seq), r.body, r.sig, Number(r.time), r.kind])).toEqual(
      batch.map((e) => [e.device, e.seq, JSON.stringify(e.body), e.sig, e.time, e.kind]),
    );
    expect(new Set(rows.map((r) => Number(r.received_at)))).toEqual(new Set([NOW]));
  });

  describe('with many devices in one commit (SQLite advances their seqs 32 to a statement)', () => {
    // 70 devices: two statements of 32 and six devices on their own on SQLite.
    const fleet = Array.from({ length: 70 }, (_, i) => {
      const seed = Buffer.alloc(32);
      seed.writeUInt32BE(1000 + i, 28);
      return deviceKeyFromSeed('ed25519', seed);
    });
    const seqRows = async () =>
      new Map(
        (await store.db.selectFrom('device_seq').selectAll().execute()).map((r) => [
          r.device_id,
          Number(r.last_seq),
        ]),
      );
    beforeEach(async () => {
      for (const k of fleet) await seedDevice(store, k);
      devices = await loadDirectory(store);
      ingestor = ingestorWith();
    });

    it('accepts one envelope of each and stores each device its seq', async () => {
      const batch = fleet.map((k, i) => heartbeat(k, { seq: 10 + i }));
      const verdicts = await ingestor.ingestBatch(batch);
      expect(verdicts).toEqual(batch.map((e, index) => ({ index, status: 'accepted', seq: e.seq })));
      const rows = await seqRows();
      expect(fleet.map((k) => rows.get(k.deviceId))).toEqual(fleet.map((_, i) => 10 + i));
      expect((await stored()).map((r) => r.device_id)).toEqual(fleet.map((k) => k.deviceId));
    });

    it('rejects only the seq another process took first, in a statement of 32, and moves the rest', async () => {
      const other = ingestorWith({ devices: await loadDirectory(store) });
      // Devices 3 (in the first statement of 32) and 40 (in the second) were taken at seq 5 elsewhere.
      for (const i of [3, 40])
        expect(await ingestor.ingestBatch([heartbeat(fleet[i], { seq: 5 })])).toEqual([
          { index: 0, status: 'accepted', seq: 5 },
        ]);
      // The other process still believes every last seq is 0.
      const verdicts = await other.ingestBatch(fleet.map((k) => heartbeat(k, { seq: 5 })));
      expect(verdicts.map((v) => v.status === 'accepted' || v.reason)).toEqual(
        fleet.map((_, i) => (i === 3 || i === 40 ? 'SEQ_REPLAYED' : true)),
      );
      const rows = await seqRows();
      expect(fleet.map((k) => rows.get(k.deviceId))).toEqual(fleet.map(() => 5));
      // Each device's seq 5 stored once: 68 from the other process, 2 from the first.
      const seqFives = (await stored()).filter((r) => Number(r.seq) === 5).map((r) => r.device_id);
      expect(seqFives.length).toBe(70);
      expect(new Set(seqFives).size).toBe(70);
    });

    it('starts devices without a seq row at 0 and writes their rows', async () => {
      const missing = fleet.filter((_, i) => i % 7 === 0).map((k) => k.deviceId);
      await store.db.deleteFrom('device_seq').where('device_id', 'in', missing).execute();
      const verdicts = await ingestor.ingestBatch(fleet.map((k) => heartbeat(k, { seq: 2 })));
      expect(verdicts.every((v) => v.status === 'accepted')).toBe(true);
      const rows = await seqRows();
      expect(fleet.map((k) => rows.get(k.deviceId))).toEqual(fleet.map(() => 2));
    });
  });

  it('starts a device that has no seq row yet at 0, and writes its row', async () => {
    // A device the directory knows (from the chain) before any seq row exists for it.
    await store.db.deleteFrom('device_seq').where('device_id', '=', key.deviceId).execute();
    expect(await ingestor.ingestBatch([heartbeat(key, { seq: 3 }), heartbeat(key, { seq: 4 })])).toEqual([
      { index: 0, status: 'accepted', seq: 3 },
      { index: 1, status: 'accepted', seq: 4 },
    ]);
    const row = await store.db
      .selectFrom('device_seq')
      .selectAll()
      .where('device_id', '=', key.deviceId)
      .execute();
    expect(row.map((r) => Number(r.last_seq))).toEqual([4]);
    expect((await stored()).map((r) => Number(r.seq))).toEqual([3, 4]);
  });

  it.runIf(kind === 'sqlite')(
    'rolls back the seq advance when an envelope insert fails, and stores again after',
    async () => {
      // The SQLite commit runs prepared statements on the raw handle: they must be inside
      // the Kysely transaction, or the failed insert would leave the seq advanced.
      await sql`CREATE TRIGGER refuse_seq_3 BEFORE INSERT ON envelopes WHEN NEW.seq = 3
        BEGIN SELECT RAISE(ABORT, 'refused by test'); END`.execute(store.db);
      await expect(
        ingestor.ingestBatch([heartbeat(key, { seq: 2 }), heartbeat(p256, { seq: 3 })]),
      ).rejects.toThrow('refused by test');
      expect(await stored()).toEqual([]);
      expect(await lastSeq(key.deviceId)).toBe(0);
      expect(devices.get(key.deviceId)!.lastSeq).toBe(0);
      await sql`DROP TRIGGER refuse_seq_3`.execute(store.db);
      expect(await ingestor.ingestBatch([heartbeat(key, { seq: 2 }), heartbeat(p256, { seq: 3 })])).toEqual([
        { index: 0, status: 'accepted', seq: 2 },
        { index: 1, status: 'accepted', seq: 3 },
      ]);
      expect((await stored()).map((r) => Number(r.seq))).toEqual([2, 3]);
    },
  );

  it('refuses a batch past maxInFlight with OVERLOADED, changes nothing, and accepts again after', async () => {
    const small = ingestorWith({ maxInFlight: 3 });
    const first = small.ingestBatch([heartbeat(key, { seq: 1 }), heartbeat(key, { seq: 2 })]);
    await expect(
      small.ingestBatch([heartbeat(p256, { seq: 1 }), heartbeat(p256, { seq: 2 })]),
    ).rejects.toMatchObject({
      code: 'OVERLOADED',
      statusCode: 503,
      retryAfterSeconds: 1,
    });
    expect((await first).map((v) => v.status)).toEqual(['accepted', 'accepted']);
    expect(small.inFlight).toBe(0);
    expect((await stored()).map((r) => r.device_id)).toEqual([key.deviceId, key.deviceId]);
    expect(await small.ingestBatch([heartbeat(p256, { seq: 1 })])).toEqual([
      { index: 0, status: 'accepted', seq: 1 },
    ]);
  });

  it('stores the canonical body byte for byte: quotes, backslashes, control characters and non-ASCII', async () => {
    const firmware = 'v"1\\2\n\u0001 é 😀';
    const v = await ingestor.ingestBatch([heartbeat(key, { body: { uptimeSeconds: 1, firmware } })]);
    expect(v).toEqual([{ index: 0, status: 'accepted', seq: 1 }]);
    const [row] = await stored();
    expect(row!.body).toBe(`{"firmware":${JSON.stringify(firmware)},"uptimeSeconds":1}`);
    expect(JSON.parse(row!.body).firmware).toBe(firmware);
  });

  it('commits concurrent batches in the order they were made, whatever order their signatures are checked in', async () => {
    const firstChecked = gate();
    let calls = 0;
    const pool = {
      size: 1,
      async verify(items: unknown[]) {
        // The first batch's signatures take longer than the second's.
        if (calls++ === 0) await firstChecked.promise;
        return items.map(() => true);
      },
      async close() {},
    } as unknown as VerifyPool;
    const ordered = ingestorWith({ verifyPool: pool });
    const first = ordered.ingestBatch([heartbeat(key, { seq: 1 })]);
    const second = ordered.ingestBatch([heartbeat(key, { seq: 2 }), heartbeat(p256, { seq: 1 })]);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 50));
    // Checked, but behind the first batch: not committed, not answered.
    expect(secondDone).toBe(false);
    expect(await stored()).toEqual([]);
    firstChecked.open();
    expect(await first).toEqual([{ index: 0, status: 'accepted', seq: 1 }]);
    expect(await second).toEqual([
      { index: 0, status: 'accepted', seq: 2 },
      { index: 1, status: 'accepted', seq: 1 },
    ]);
    expect((await stored()).map((r) => [r.device_id, Number(r.seq)])).toEqual([
      [key.deviceId, 1],
      [key.deviceId, 2],
      [p256.deviceId, 1],
    ]);
  });

  it('lets the batches after a batch whose signature check failed commit', async () => {
    let calls = 0;
    const pool = {
      size: 1,
      async verify(items: unknown[]) {
        if (calls++ === 0) {
          await new Promise((r) => setTimeout(r, 20));
          throw new Error('verify worker died');
        }
        return items.map(() => true);
      },
      async close() {},
    } as unknown as VerifyPool;
    const failing = ingestorWith({ verifyPool: pool });
    const first = failing.ingestBatch([heartbeat(key, { seq: 1 })]);
    const second = failing.ingestBatch([heartbeat(p256, { seq: 4 })]);
    await expect(first).rejects.toThrow('verify worker died');
    expect(await second).toEqual([{ index: 0, status: 'accepted', seq: 4 }]);
    expect(failing.inFlight).toBe(0);
    expect((await stored()).map((r) => [r.device_id, Number(r.seq)])).toEqual([[p256.deviceId, 4]]);
  });

  it('verifies signatures in a worker pool with the same verdicts', async () => {
    const pool = new VerifyPool(2);
    try {
      const metrics = newMetrics();
      const pooled = ingestorWith({ verifyPool: pool, metrics });
      const forged = { ...heartbeat(stranger, { seq: 2 }), device: key.deviceId };
      const highS = heartbeat(p256, { seq: 9 });
      const v = await pooled.ingestBatch([
        heartbeat(key, { seq: 1 }),
        forged,
        heartbeat(p256, { seq: 3 }),
        { ...highS, body: { uptimeSeconds: 99 } },
      ]);
      expect(v.map((x) => x.status === 'accepted' || x.reason)).toEqual([
        true,
        'BAD_SIGNATURE',
        true,
        'BAD_SIGNATURE',
      ]);
      // Two keys (the forged envelope names the first device), in the one worker that took the batch.
      const imports = async () => (await metrics.verifyKeyImports.get()).values[0]?.value;
      expect(await imports()).toBe(2);
      await pooled.ingestBatch([heartbeat(key, { seq: 4 })]);
      expect(await imports()).toBe(pool.keyImports);
    } finally {
      await pool.close();
    }
  });
});
