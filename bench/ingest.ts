/**
 * Ingest benchmark: envelopes per second accepted and durably stored over
 * HTTP, beside the raw node:crypto ed25519 verify rate measured in the same
 * run on the same envelopes. The load generator runs in a worker thread with
 * pre-serialized request bodies, so it costs the node little.
 */

import { verify } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import uptime from '@groundwork/module-uptime';
import { buildApi } from '@groundwork/node/api/server.ts';
import { Ingestor } from '@groundwork/node/ingest/ingest.ts';
import { VerifyPool } from '@groundwork/node/ingest/verifyPool.ts';
import { createLogger } from '@groundwork/node/internal/logger.ts';
import { createMetrics } from '@groundwork/node/internal/metrics.ts';
import type { NodeContext } from '@groundwork/node/node.ts';
import { openSqliteStore } from '@groundwork/node/store/db.ts';
import { DeviceDirectory } from '@groundwork/node/store/devices.ts';
import {
  type DeviceKey,
  deviceKeyFromSeed,
  type Envelope,
  keyTypeCode,
  signEnvelope,
  signingBytes,
  toHex,
} from '@groundwork/protocol';

export interface IngestBenchResult {
  envelopes: number;
  batchSize: number;
  workers: number;
  /** Raw node:crypto verify rate of the pool's worker threads on the same envelopes (the baseline). */
  verifyPerSec: number;
  /** Raw verify rate on one core. */
  verifyPerSecOneCore: number;
  http: { perSec: number; ratio: number; seconds: number };
  peakRssMb: number;
}

const progress = (s: string) => process.stderr.write(`bench ingest: ${s}\n`);

export async function benchIngest(o: {
  envelopes: number;
  devices?: number;
  batchSize?: number;
  concurrency?: number;
  workers?: number;
}): Promise<IngestBenchResult> {
  const concurrencyLanes = o.concurrency ?? 4;
  const batchSizeLane = o.batchSize ?? 500;
  // Each lane owns its own devices and sends their seqs in order, so no replay is ever provoked.
  const deviceCount = o.devices ?? concurrencyLanes * batchSizeLane;
  const batchSize = batchSizeLane;
  const concurrency = concurrencyLanes;
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const store = await openSqliteStore(join(dir, 'node.sqlite'));
  try {
    progress(`${deviceCount} devices, signing ${o.envelopes} envelopes`);
    const keys: DeviceKey[] = [];
    for (let i = 0; i < deviceCount; i++) {
      const seed = Buffer.alloc(32);
      seed.writeUInt32BE(i + 1, 28);
      keys.push(deviceKeyFromSeed('ed25519', seed));
    }
    for (let i = 0; i < keys.length; i += 500) {
      await store.db
        .insertInto('devices')
        .values(
          keys.slice(i, i + 500).map((k) => ({
            device_id: k.deviceId,
            key_type: keyTypeCode(k.keyType),
            public_key: toHex(k.publicKey),
            module: 'uptime',
            h3_cell: '8a392ad5a6dffff',
            operator: '0x00000000000000000000000000000000000000aa',
            active: 1,
            registered_block: 1,
          })),
        )
        .execute();
      await store.db
        .insertInto('device_seq')
        .values(keys.slice(i, i + 500).map((k) => ({ device_id: k.deviceId, last_seq: 0 })))
        .execute();
    }
    const now = Date.now();
    const envelopes: Envelope[] = [];
    for (let i = 0; i < o.envelopes; i++) {
      const k = keys[i % deviceCount]!;
      envelopes.push(
        signEnvelope(
          {
            v: 1,
            device: k.deviceId,
            seq: Math.floor(i / deviceCount) + 1,
            time: now,
            kind: 'uptime.heartbeat',
            body: { uptimeSeconds: i },
          },
          k,
        ),
      );
    }

    // Baseline: raw node:crypto verify of the same signatures, one core.
    progress('measuring raw verify rate');
    const msgs = envelopes.map((e) => signingBytes(e));
    const sigs = envelopes.map((e) => Buffer.from(e.sig.slice(2), 'hex'));
    const directory = new DeviceDirectory();
    await directory.load(store.db);
    const pubKeys = envelopes.map((e) => directory.get(e.device)!.publicKey);
    const n = Math.min(envelopes.length, 20_000);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (!verify(null, msgs[i]!, pubKeys[i]!, sigs[i]!)) throw new Error('baseline verify failed');
    }
    const verifyPerSecOneCore = n / ((performance.now() - t0) / 1000);

    // Baseline on the same cores the node uses: the worker pool verifying as fast as it can.
    const pool = new VerifyPool(o.workers);
    const items = envelopes.slice(0, n).map((e, i) => ({
      keyType: 'ed25519' as const,
      publicKey: directory.get(e.device)!.rawPublicKey,
      message: msgs[i]!,
      signature: sigs[i]!,
    }));
    await pool.verify(items.slice(0, 2000)); // warm the workers' key caches and JIT
    const t2 = performance.now();
    const okAll = await pool.verify(items);
    const verifyPerSec = n / ((performance.now() - t2) / 1000);
    if (!okAll.every(Boolean)) throw new Error('pool baseline verify failed');

    const metrics = createMetrics();
    const log = createLogger({ level: 'silent' });
    const params = new Map([['ingest.maxSkewMs', 3_600_000n]]);
    const ingestor = new Ingestor({
      db: store.db,
      devices: directory,
      modules: [uptime],
      params: () => params,
      log,
      metrics,
    });
    const ctx = {
      db: store.db,
      store,
      ingestor,
      log,
      metrics,
      bus: new EventEmitter(),
      modules: [uptime],
      devices: directory,
    } as unknown as NodeContext;
    const app = await buildApi(ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    // Lane j carries devices j*batchSize … (j+1)*batchSize-1, one seq round per batch.
    const perLane: Envelope[][] = Array.from({ length: concurrency }, () => []);
    for (let i = 0; i < envelopes.length; i++) {
      perLane[Math.floor((i % deviceCount) / batchSize) % concurrency]!.push(envelopes[i]!);
    }
    const bodies: string[][] = perLane.map((list) => {
      const out: string[] = [];
      for (let i = 0; i < list.length; i += batchSize)
        out.push(JSON.stringify({ envelopes: list.slice(i, i + batchSize) }));
      return out;
    });

    progress(`posting ${bodies.flat().length} batches of ${batchSize}, ${concurrency} in flight`);
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const t1 = performance.now();
    const accepted = await postFromWorker(`http://127.0.0.1:${port}/v1/envelopes`, bodies);
    const seconds = (performance.now() - t1) / 1000;
    clearInterval(sampler);
    await app.close();
    await pool.close();
    const storedCount = Number(
      (
        await store.db
          .selectFrom('envelopes')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    if (accepted !== envelopes.length || storedCount !== envelopes.length) {
      throw new Error(
        `expected ${envelopes.length} accepted and stored, got ${accepted} accepted, ${storedCount} stored`,
      );
    }
    const perSec = storedCount / seconds;
    return {
      envelopes: storedCount,
      batchSize,
      workers: pool.size,
      verifyPerSec: Math.round(verifyPerSec),
      verifyPerSecOneCore: Math.round(verifyPerSecOneCore),
      http: {
        perSec: Math.round(perSec),
        ratio: Number((perSec / verifyPerSec).toFixed(3)),
        seconds: Number(seconds.toFixed(3)),
      },
      peakRssMb: Math.round(peakRss / 1024 / 1024),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { url, bodies } = workerData;
  let accepted = 0;
  async function lane(queue) {
    for (const body of queue) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = await res.json();
      if (res.status !== 202) throw new Error('status ' + res.status + ' ' + JSON.stringify(json));
      for (const r of json.results) if (r.status === 'accepted') accepted++;
    }
  }
  await Promise.all(bodies.map(lane));
  parentPort.postMessage(accepted);
})().catch((e) => { throw e; });
`;

function postFromWorker(url: string, bodies: string[][]): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { url, bodies } });
    w.once('message', (n: number) => {
      resolve(n);
      void w.terminate();
    });
    w.once('error', reject);
  });
}
