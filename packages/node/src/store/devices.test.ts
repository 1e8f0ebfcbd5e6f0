import { deviceKeyFromSeed, signEnvelope, verifyEnvelopeSignature } from '@groundwork/protocol';
import { describe, expect, it } from 'vitest';
import { freshStore, insertDeviceRow, loadDirectory, STORE_KINDS, seedDevice } from '../../test/helpers.ts';
import { DeviceDirectory } from './devices.ts';

describe('the device directory', () => {
  it('gives each device a key object that checks its signatures, built once across row updates', async () => {
    const { store, cleanup } = await freshStore('sqlite');
    try {
      const keys = [
        deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(7)),
        deviceKeyFromSeed('p256', new Uint8Array(32).fill(8)),
      ];
      for (const k of keys) await seedDevice(store, k);
      await store.db
        .updateTable('device_seq')
        .set({ last_seq: 41 })
        .where('device_id', '=', keys[0]!.deviceId)
        .execute();
      const directory = await loadDirectory(store);
      for (const k of keys) {
        const env = signEnvelope(
          {
            v: 1,
            device: k.deviceId,
            seq: 1,
            time: 1_000,
            kind: 'uptime.heartbeat',
            body: { uptimeSeconds: 1 },
          },
          k,
        );
        const d = directory.get(k.deviceId)!;
        expect(d.keyType).toBe(k.keyType);
        expect(verifyEnvelopeSignature(env, d.keyType, d.publicKey)).toBe(true);
        expect(verifyEnvelopeSignature({ ...env, seq: 2 }, d.keyType, d.publicKey)).toBe(false);
      }

      // A transfer: a new entry with the new operator, the seq and the key object it had.
      const before = directory.get(keys[0]!.deviceId)!;
      const key = before.publicKey;
      const row = await store.db
        .selectFrom('devices')
        .selectAll()
        .where('device_id', '=', keys[0]!.deviceId)
        .executeTakeFirstOrThrow();
      directory.upsertRow({ ...row, operator: `0x${'cd'.repeat(20)}` });
      const after = directory.get(keys[0]!.deviceId)!;
      expect(after).not.toBe(before);
      expect(before.operator).toBe('0x00000000000000000000000000000000000000aa');
      expect(after.operator).toBe(`0x${'cd'.repeat(20)}`);
      expect(after.lastSeq).toBe(41);
      expect(after.publicKey).toBe(key);
    } finally {
      await cleanup();
    }
  });

  it.each(STORE_KINDS)('loads every row and seq of the store (%s), and again after changes', async (kind) => {
    const { store, cleanup } = await freshStore(kind);
    try {
      const ed = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(3));
      const p256 = deviceKeyFromSeed('p256', new Uint8Array(32).fill(4));
      await seedDevice(store, ed, { operator: `0x${'01'.repeat(20)}`, h3Cell: '8a2a1072b59ffff' });
      await seedDevice(store, p256, { module: 'energy', active: false, operator: `0x${'01'.repeat(20)}` });
      // A device with no seq row yet, and a seq row of no device (both can be seen mid-sync).
      const bare = `0x${'ee'.repeat(32)}`;
      await insertDeviceRow(store, bare, { module: 'uptime', operator: `0x${'02'.repeat(20)}` });
      await store.db
        .insertInto('device_seq')
        .values({ device_id: `0x${'ff'.repeat(32)}`, last_seq: 5 })
        .execute();
      await store.db
        .updateTable('device_seq')
        .set({ last_seq: 17 })
        .where('device_id', '=', ed.deviceId)
        .execute();

      const fields = (d: ReturnType<(typeof directory)['get']>) =>
        d && {
          deviceId: d.deviceId,
          keyType: d.keyType,
          rawPublicKey: Buffer.from(d.rawPublicKey).toString('hex'),
          module: d.module,
          h3Cell: d.h3Cell,
          operator: d.operator,
          active: d.active,
          lastSeq: d.lastSeq,
        };
      let directory = await loadDirectory(store);
      expect(directory.size).toBe(3);
      // Both seeded with operator 0x0101…; what differs per device is given.
      const expected = (
        k: typeof ed,
        o: { module: string; h3Cell: string; active: boolean; lastSeq: number },
      ) => ({
        deviceId: k.deviceId,
        keyType: k.keyType,
        rawPublicKey: Buffer.from(k.publicKey).toString('hex'),
        operator: `0x${'01'.repeat(20)}`,
        ...o,
      });
      expect(fields(directory.get(ed.deviceId))).toEqual(
        expected(ed, { module: 'uptime', h3Cell: '8a2a1072b59ffff', active: true, lastSeq: 17 }),
      );
      expect(fields(directory.get(p256.deviceId))).toEqual(
        expected(p256, { module: 'energy', h3Cell: '8a392ad5a6dffff', active: false, lastSeq: 0 }),
      );
      expect(fields(directory.get(bare))).toMatchObject({
        keyType: 'ed25519',
        operator: `0x${'02'.repeat(20)}`,
        lastSeq: 0,
      });
      expect(directory.get(`0x${'ff'.repeat(32)}`)).toBeUndefined();
      // The key object is the device's own.
      const env = signEnvelope(
        { v: 1, device: p256.deviceId, seq: 1, time: 1_000, kind: 'energy.reading', body: {} },
        p256,
      );
      expect(verifyEnvelopeSignature(env, 'p256', directory.get(p256.deviceId)!.publicKey)).toBe(true);

      // A load is a reload: a removed device is gone, a changed one changed.
      await store.db.deleteFrom('devices').where('device_id', '=', bare).execute();
      await store.db
        .updateTable('devices')
        .set({ active: 1 })
        .where('device_id', '=', p256.deviceId)
        .execute();
      await directory.load(store.db);
      expect(directory.size).toBe(2);
      expect(directory.get(bare)).toBeUndefined();
      expect(directory.get(p256.deviceId)!.active).toBe(true);
      directory = await loadDirectory(store);
      expect(directory.get(ed.deviceId)!.lastSeq).toBe(17);
    } finally {
      await cleanup();
    }
  });

  it.each(STORE_KINDS)(
    'refreshes from the rows changed since (%s): inserts and updates as a delta, a delete as a whole reload',
    async (kind) => {
      const { store, cleanup } = await freshStore(kind);
      try {
        const keys = [1, 2, 3].map((i) => deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(i)));
        await seedDevice(store, keys[0]!);
        await seedDevice(store, keys[1]!);
        const directory = new DeviceDirectory();
        expect(await directory.refresh(store.db)).toEqual({ kind: 'full', devices: 2 });
        expect(await directory.refresh(store.db)).toEqual({ kind: 'none' });
        // The mirror's own seq (set by this process's commits) survives a refresh.
        directory.get(keys[0]!.deviceId)!.lastSeq = 9;

        await seedDevice(store, keys[2]!, { h3Cell: '8a2a1072b59ffff' });
        expect(await directory.refresh(store.db)).toEqual({ kind: 'delta', devices: 1 });
        expect(directory.get(keys[2]!.deviceId)).toMatchObject({ h3Cell: '8a2a1072b59ffff', active: true });

        const set = (
          id: string,
          values: { active?: number; operator?: string; h3_cell?: string; module?: string },
        ) => store.db.updateTable('devices').set(values).where('device_id', '=', id).execute();
        await set(keys[0]!.deviceId, { operator: `0x${'0c'.repeat(20)}` });
        await set(keys[1]!.deviceId, { active: 0 });
        expect(await directory.refresh(store.db)).toEqual({ kind: 'delta', devices: 2 });
        expect(directory.get(keys[0]!.deviceId)).toMatchObject({
          operator: `0x${'0c'.repeat(20)}`,
          lastSeq: 9,
        });
        expect(directory.get(keys[1]!.deviceId)!.active).toBe(false);
        // A move (migration 0010 stamps it) and a module change.
        await set(keys[2]!.deviceId, { h3_cell: '8a2a1072b5a7fff' });
        await set(keys[1]!.deviceId, { module: 'energy' });
        expect(await directory.refresh(store.db)).toEqual({ kind: 'delta', devices: 2 });
        expect(directory.get(keys[2]!.deviceId)!.h3Cell).toBe('8a2a1072b5a7fff');
        expect(directory.get(keys[1]!.deviceId)!.module).toBe('energy');
        expect(await directory.refresh(store.db)).toEqual({ kind: 'none' });

        await store.db.deleteFrom('devices').where('device_id', '=', keys[1]!.deviceId).execute();
        // While it reloads, ingest sees the previous view whole, never a half-built one.
        let reloaded = false;
        const reloading = directory.refresh(store.db).then((r) => {
          reloaded = true;
          return r;
        });
        let looked = 0;
        while (!reloaded) {
          expect(directory.get(keys[0]!.deviceId)?.operator).toBe(`0x${'0c'.repeat(20)}`);
          looked++;
          await new Promise((r) => setImmediate(r));
        }
        // PostgreSQL's reads leave the event loop free meanwhile (SQLite's rows are read synchronously).
        if (kind === 'postgres') expect(looked).toBeGreaterThan(1);
        expect(await reloading).toEqual({ kind: 'full', devices: 2 });
        expect(directory.get(keys[1]!.deviceId)).toBeUndefined();
        // A whole reload takes the seqs from the store again.
        expect(directory.get(keys[0]!.deviceId)!.lastSeq).toBe(0);
        expect(await directory.refresh(store.db)).toEqual({ kind: 'none' });
      } finally {
        await cleanup();
      }
    },
  );
});
