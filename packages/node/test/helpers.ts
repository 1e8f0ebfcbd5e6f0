import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DeviceKey, keyTypeCode, toHex } from '@groundwork/protocol';
import { createLogger } from '../src/internal/logger.ts';
import { createMetrics } from '../src/internal/metrics.ts';
import { openSqliteStore, type Store } from '../src/store/db.ts';
import { DeviceDirectory } from '../src/store/devices.ts';

/** A fresh SQLite store in its own temp dir; `cleanup` closes and deletes it. */
export async function freshStore(): Promise<{ store: Store; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  const store = await openSqliteStore(join(dir, 'node.sqlite'));
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Inserts a device row as the chain indexer would after DeviceRegistered. */
export async function seedDevice(
  store: Store,
  key: DeviceKey,
  o: { module?: string; operator?: string; active?: boolean; h3Cell?: string } = {},
): Promise<void> {
  await store.db
    .insertInto('devices')
    .values({
      device_id: key.deviceId,
      key_type: keyTypeCode(key.keyType),
      public_key: toHex(key.publicKey),
      module: o.module ?? 'uptime',
      h3_cell: o.h3Cell ?? '8a392ad5a6dffff',
      operator: (o.operator ?? '0x00000000000000000000000000000000000000aa').toLowerCase(),
      active: o.active === false ? 0 : 1,
      registered_block: 1,
    })
    .execute();
}

export async function loadDirectory(store: Store): Promise<DeviceDirectory> {
  const d = new DeviceDirectory();
  await d.load(store.db);
  return d;
}

export const silentLog = createLogger({ level: 'silent' });
export const newMetrics = () => createMetrics();
