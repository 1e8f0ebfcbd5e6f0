import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceRegistryAbi } from '@groundwork/abi';
import {
  type DeviceKey,
  keyTypeCode,
  registrationDigest,
  signRegistration,
  toHex,
} from '@groundwork/protocol';
import pg from 'pg';
import type { Hex } from 'viem';
import { type AnvilHandle, startAnvil } from '../src/chain/anvil.ts';
import { type ChainClients, connectChain } from '../src/chain/clients.ts';
import type { Deployment } from '../src/chain/deployment.ts';
import { moduleToBytes32 } from '../src/chain/params.ts';
import { createLogger } from '../src/internal/logger.ts';
import { createMetrics } from '../src/internal/metrics.ts';
import { loadSettings, type Settings, type SettingsOverrides } from '../src/internal/settings.ts';
import type { GroundworkModule } from '../src/modules/types.ts';
import { ensureNetwork } from '../src/network.ts';
import { openPostgresStore, openSqliteStore, type Store } from '../src/store/db.ts';
import { DeviceDirectory } from '../src/store/devices.ts';

/**
 * PostgreSQL for store tests: `GROUNDWORK_TEST_PG_URL` (set by .ci/run to the
 * local server). Unset, the PostgreSQL variants of store tests are skipped.
 */
export const TEST_PG_URL = process.env.GROUNDWORK_TEST_PG_URL;

/** Contract addresses for epoch bundles in tests that need no chain. */
export const TEST_CONTRACTS = {
  distributor: `0x${'01'.repeat(20)}`,
  parameters: `0x${'02'.repeat(20)}`,
  schedule: `0x${'03'.repeat(20)}`,
  registry: `0x${'04'.repeat(20)}`,
} as const;

/** The store kinds every store-touching test runs against. */
export const STORE_KINDS: ('sqlite' | 'postgres')[] = TEST_PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/**
 * A fresh store of the given kind: SQLite in its own temp dir, or a new
 * PostgreSQL schema; `cleanup` closes it and deletes the file or schema.
 */
export async function freshStore(
  kind: 'sqlite' | 'postgres' = 'sqlite',
  modules: readonly GroundworkModule[] = [],
): Promise<{ store: Store; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  if (kind === 'postgres') {
    if (!TEST_PG_URL) throw new Error('GROUNDWORK_TEST_PG_URL is not set');
    const schema = `gw_test_${randomBytes(6).toString('hex')}`;
    const store = await openPostgresStore(TEST_PG_URL, modules, schema);
    return {
      store,
      dir,
      async cleanup() {
        await store.close();
        const c = new pg.Client({ connectionString: TEST_PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA ${schema} CASCADE`);
        await c.end();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const store = await openSqliteStore(join(dir, 'node.sqlite'), modules);
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Inserts a device row as the chain indexer would after DeviceRegistered, with its seq row. */
export async function seedDevice(
  store: Store,
  key: DeviceKey,
  o: { module?: string; operator?: string; active?: boolean; h3Cell?: string } = {},
): Promise<void> {
  await insertDeviceRow(store, key.deviceId, {
    module: o.module ?? 'uptime',
    operator: (o.operator ?? '0x00000000000000000000000000000000000000aa').toLowerCase(),
    active: o.active === false ? 0 : 1,
    keyType: keyTypeCode(key.keyType),
    publicKey: toHex(key.publicKey),
    ...(o.h3Cell !== undefined ? { h3Cell: o.h3Cell } : {}),
  });
  await store.db.insertInto('device_seq').values({ device_id: key.deviceId, last_seq: 0 }).execute();
}

/**
 * Inserts a device row, by default with a placeholder key and no seq row: for
 * tests of what reads the devices table — device lists, module inputs.
 */
export async function insertDeviceRow(
  store: Store,
  deviceId: string,
  o: {
    module: string;
    operator?: string;
    active?: number;
    keyType?: number;
    publicKey?: string;
    h3Cell?: string;
  },
): Promise<void> {
  await store.db
    .insertInto('devices')
    .values({
      device_id: deviceId,
      key_type: o.keyType ?? 1,
      public_key: o.publicKey ?? `0x${'11'.repeat(32)}`,
      module: o.module,
      h3_cell: o.h3Cell ?? '8a392ad5a6dffff',
      operator: o.operator ?? `0x${'ab'.repeat(20)}`,
      active: o.active ?? 1,
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

/**
 * An envelope stored and accepted as module `alpha`'s contribution, received
 * (and counted) at `at`: what the inputs digest reads.
 */
export async function insertContribution(
  db: Store['db'],
  c: { id: number; device: string; seq: number; at: number; sig: string },
): Promise<void> {
  await db
    .insertInto('envelopes')
    .values({
      id: c.id,
      device_id: c.device,
      seq: c.seq,
      time: c.at,
      received_at: c.at,
      kind: 'alpha.x',
      body: '{}',
      sig: c.sig,
    })
    .execute();
  await db
    .insertInto('contributions')
    .values({ envelope_id: c.id, module: 'alpha', device_id: c.device, at: c.at, data: '{}' })
    .execute();
}

/**
 * Sends `DeviceRegistry.register` for `key`, signed by the device for the
 * operator `operatorKey` (its first registration: nonce 0); returns the
 * transaction hash without waiting for it to be mined.
 */
export function registerOnChain(
  clients: ChainClients,
  deployment: Deployment,
  key: DeviceKey,
  o: { operatorKey: Hex; module: string; h3Cell?: bigint },
): Promise<Hex> {
  const w = clients.walletFor(o.operatorKey);
  const digest = registrationDigest({
    chainId: deployment.chainId,
    registry: deployment.contracts.registry,
    operator: w.account.address,
    nonce: 0,
  });
  return w.writeContract({
    address: deployment.contracts.registry,
    abi: deviceRegistryAbi,
    functionName: 'register',
    args: [
      {
        keyType: keyTypeCode(key.keyType),
        publicKey: toHex(key.publicKey) as Hex,
        module: moduleToBytes32(o.module),
        h3Cell: o.h3Cell ?? 0n,
        signature: toHex(signRegistration(key.privateKey, key.keyType, digest)) as Hex,
      },
    ],
  });
}

/**
 * A local chain with a network deployed for `modules`, as the on-chain tests
 * start it: anvil on a free loopback port (`chainId` if given: viem's shared
 * nonce manager keys nonces by address and chain id, so a second anvil in one
 * process needs its own), clients, the settings (`settings` over silent logs,
 * the API on a free loopback port, no environment) and the deployment.
 * The caller stops `anvil`.
 */
export async function startTestNetwork(o: {
  settings: SettingsOverrides & { dataDir: string };
  modules: GroundworkModule[];
  parameterOverrides?: Record<string, bigint>;
  chainId?: number;
  pollingInterval?: number;
}): Promise<{ anvil: AnvilHandle; clients: ChainClients; settings: Settings; deployment: Deployment }> {
  const anvil = await startAnvil({ port: 0, ...(o.chainId !== undefined ? { chainId: o.chainId } : {}) });
  try {
    const clients = await connectChain(
      anvil.rpcUrl,
      o.pollingInterval !== undefined ? { pollingInterval: o.pollingInterval } : {},
    );
    const settings = loadSettings(
      { logLevel: 'silent', ...o.settings, api: { host: '127.0.0.1', port: 0, ...o.settings.api } },
      { env: {} },
    );
    const { deployment } = await ensureNetwork({
      settings,
      clients,
      modules: o.modules,
      ...(o.parameterOverrides ? { parameterOverrides: o.parameterOverrides } : {}),
    });
    return { anvil, clients, settings, deployment };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}
