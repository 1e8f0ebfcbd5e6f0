import { deviceKeyFromSeed, signEnvelope, verifyEnvelopeSignature } from '@groundwork/protocol';
import { describe, expect, it } from 'vitest';
import { freshStore, loadDirectory, seedDevice } from '../../test/helpers.ts';

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
});
