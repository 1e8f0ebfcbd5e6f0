import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import uptime from '@groundwork/module-uptime';
import { deviceKeyFromSeed } from '@groundwork/protocol';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnvilHandle } from '../src/chain/anvil.ts';
import type { ChainClients } from '../src/chain/clients.ts';
import type { Deployment } from '../src/chain/deployment.ts';
import { ChainIndexer } from '../src/chain/indexer.ts';
import { DEV_KEYS } from '../src/internal/settings.ts';
import {
  freshStore,
  loadDirectory,
  newMetrics,
  registerOnChain,
  silentLog,
  startTestNetwork,
} from './helpers.ts';

describe('chain indexer on a local chain', () => {
  let anvil: AnvilHandle;
  let clients: ChainClients;
  let deployment: Deployment;
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-indexer-'));

  beforeAll(async () => {
    ({ anvil, clients, deployment } = await startTestNetwork({
      settings: { dataDir, mqtt: { enabled: false } },
      modules: [uptime],
    }));
  }, 120_000);

  afterAll(async () => {
    await anvil?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('indexes a registration mined just after the client last read the head', async () => {
    const { store, cleanup } = await freshStore('sqlite', [uptime]);
    try {
      const indexer = new ChainIndexer({
        db: store.db,
        clients,
        deployment,
        devices: await loadDirectory(store),
        log: silentLog,
        metrics: newMetrics(),
      });
      await indexer.load();
      await indexer.sync();
      // The client has just read the head (viem keeps it for its cacheTime) …
      await clients.publicClient.getBlockNumber();
      // … and then a device is registered (anvil mines it at once).
      const key = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(7));
      const hash = await registerOnChain(clients, deployment, key, {
        operatorKey: DEV_KEYS[5] as Hex,
        module: 'uptime',
      });
      // Mined (asked for the receipt directly, as a caller holding the hash would).
      for (let i = 0; ; i++) {
        const r = await clients.publicClient.getTransactionReceipt({ hash }).catch(() => undefined);
        if (r) break;
        if (i > 400) throw new Error('registration not mined');
        await new Promise((res) => setTimeout(res, 5));
      }
      // sync() promises every block up to the head: the registration must be there.
      await indexer.sync();
      const row = await store.db
        .selectFrom('devices')
        .select(['device_id', 'module', 'active'])
        .where('device_id', '=', key.deviceId)
        .executeTakeFirst();
      expect(row).toEqual({ device_id: key.deviceId, module: 'uptime', active: 1 });
    } finally {
      await cleanup();
    }
  }, 60_000);
});
