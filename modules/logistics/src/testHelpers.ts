import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type Store } from '@groundwork/node';
import { canonicalize, type DeviceKey, type Envelope, signEnvelope } from '@groundwork/protocol';
import logistics from './index.ts';
import { LOGISTICS_PARAMETERS } from './params.ts';

/** Test helpers (not used by the module itself). */

/** A fresh SQLite store with the core's and this module's tables; `cleanup` closes and deletes it. */
export async function freshLogisticsStore(): Promise<{
  store: Store;
  dir: string;
  cleanup: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-logistics-test-'));
  const store = await openSqliteStore(join(dir, 'node.sqlite'), [logistics]);
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Genesis parameters of the module for a network with `epochSeconds`-long epochs. */
export function genesisParams(epochSeconds = 3600n, extra: Record<string, bigint> = {}): Map<string, bigint> {
  const m = new Map<string, bigint>([['ingest.maxSkewMs', 120_000n]]);
  for (const p of LOGISTICS_PARAMETERS)
    m.set(p.key, typeof p.genesis === 'function' ? p.genesis({ epochSeconds }) : p.genesis);
  for (const [k, v] of Object.entries(extra)) m.set(k, v);
  return m;
}

/**
 * Stores a signed reading as ingest and the verifier would have: the
 * envelope row and an accepted verdict. Returns the envelope.
 */
export async function storeReading(
  store: Store,
  key: DeviceKey,
  seq: number,
  body: Record<string, unknown>,
  receivedAt: number,
): Promise<Envelope> {
  const env = signEnvelope(
    { v: 1, device: key.deviceId, seq, time: receivedAt, kind: 'logistics.reading', body },
    key,
  );
  const row = await store.db
    .insertInto('envelopes')
    .values({
      device_id: key.deviceId,
      seq,
      time: receivedAt,
      received_at: receivedAt,
      kind: env.kind,
      body: canonicalize(env.body),
      sig: env.sig,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('verdicts')
    .values({
      envelope_id: Number(row.id),
      device_id: key.deviceId,
      module: 'logistics',
      status: 'accepted',
      reason: 'READING_OK',
      created_at: receivedAt,
    })
    .execute();
  return env;
}
