/**
 * Epoch close benchmark: an epoch of N devices (one uptime module, a
 * heartbeat per device per slot seeded straight into the store) is closed
 * with the node's own functions — SQL aggregation, the pure reward function,
 * the Merkle tree, the bundle and its hash, the cumulative amounts — and
 * timed by phase. `seconds` is the close: from the first query until the
 * root, the bundle and the cumulative amounts are durable (what the oracles
 * sign). Indexing the reward lines for the API follows the close and is
 * timed apart (`indexSeconds`).
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import uptime from '@groundwork/module-uptime';
import {
  digestFor,
  indexRewardLines,
  persistCumulative,
  prepareEpoch,
} from '@groundwork/node/epochs/prepare.ts';
import { openPostgresStore, openSqliteStore, type Store } from '@groundwork/node/store/db.ts';
import pg from 'pg';

export interface EpochBenchResult {
  devices: number;
  seconds: number;
  /** Indexing the reward lines for the API, after the close. */
  indexSeconds: number;
  bundleBytes: number;
  phases: Record<string, number>;
}

const progress = (s: string) => process.stderr.write(`bench epoch: ${s}\n`);

async function seed(store: Store, n: number, startMs: number, slots: number, slotMs: number): Promise<void> {
  const operators = Math.max(1, Math.floor(n / 10));
  const CH = 2000;
  let envId = 1;
  for (let i = 0; i < n; i += CH) {
    const m = Math.min(CH, n - i);
    const devices = [];
    const envelopes = [];
    const contributions = [];
    for (let j = 0; j < m; j++) {
      const k = i + j;
      const id = `0x${k.toString(16).padStart(64, '0')}`;
      devices.push({
        device_id: id,
        key_type: 1,
        public_key: `0x${'11'.repeat(32)}`,
        module: 'uptime',
        h3_cell: '8a392ad5a6dffff',
        operator: `0x${(k % operators).toString(16).padStart(40, '0')}`,
        active: 1,
        registered_block: 1,
      });
      for (let s = 0; s < slots; s++) {
        // Every 50th device misses a slot, so scores differ.
        if (s === 0 && k % 50 === 0) continue;
        const at = startMs + s * slotMs + 10;
        envelopes.push({
          id: envId,
          device_id: id,
          seq: s + 1,
          time: at,
          received_at: at,
          kind: 'uptime.heartbeat',
          body: '{"uptimeSeconds":1}',
          sig: `0x${'ab'.repeat(64)}`,
        });
        contributions.push({ envelope_id: envId, module: 'uptime', device_id: id, at, data: '{}' });
        envId++;
      }
    }
    await store.db.insertInto('devices').values(devices).execute();
    for (let x = 0; x < envelopes.length; x += 3000) {
      await store.db
        .insertInto('envelopes')
        .values(envelopes.slice(x, x + 3000))
        .execute();
      await store.db
        .insertInto('contributions')
        .values(contributions.slice(x, x + 3000))
        .execute();
    }
    if ((i / CH) % 50 === 0) progress(`seeded ${i + m}/${n} devices`);
  }
}

/** Closes one epoch of `devices` devices on a fresh store of the given kind and times it. */
export async function benchEpoch(o: {
  devices: number;
  kind: 'sqlite' | 'postgres';
  pgUrl?: string;
}): Promise<EpochBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-epoch-'));
  const schema = `gw_bench_${randomBytes(4).toString('hex')}`;
  const store =
    o.kind === 'postgres'
      ? await openPostgresStore(o.pgUrl!, [uptime], schema)
      : await openSqliteStore(join(dir, 'node.sqlite'), [uptime]);
  try {
    const slotSeconds = 60n;
    const slots = 2;
    const startMs = 1_800_000_000_000;
    const window = { epoch: 1, startMs, endMs: startMs + slots * 60_000 };
    progress(`${o.kind}: seeding ${o.devices} devices, ${slots} heartbeats each`);
    await seed(store, o.devices, startMs, slots, 60_000);
    const params = new Map<string, bigint>([
      ['epoch.seconds', BigInt(slots * 60)],
      ['reward.weight.uptime', 10_000n],
      ['uptime.heartbeatSeconds', slotSeconds],
    ]);
    const phases: Record<string, number> = {};
    const t0 = performance.now();
    let t = t0;
    const lap = (name: string) => {
      const now = performance.now();
      phases[name] = Number(((now - t) / 1000).toFixed(3));
      t = now;
    };
    progress(`${o.kind}: closing the epoch of ${o.devices} devices`);
    const {
      output,
      bundleHash,
      bundleBytes,
      phases: prepared,
    } = await prepareEpoch({
      db: store.db,
      modules: [uptime],
      window,
      params,
      paramsBlock: 1,
      pool: 100_000n * 10n ** 18n,
      chainId: 31337,
      contracts: {
        distributor: `0x${'01'.repeat(20)}`,
        parameters: `0x${'02'.repeat(20)}`,
        schedule: `0x${'03'.repeat(20)}`,
        registry: `0x${'04'.repeat(20)}`,
      },
      digest: digestFor(store.db, store.source),
      bundlePath: join(dir, 'bundle.jsonl'),
    });
    Object.assign(phases, prepared);
    t = performance.now();
    await store.db.transaction().execute((trx) => persistCumulative(trx, 1, output.cumulative));
    lap('persist cumulative');
    const seconds = Number(((performance.now() - t0) / 1000).toFixed(3));
    await indexRewardLines(store.db, 1, output.lines);
    lap('index lines (after close)');
    const indexSeconds = phases['index lines (after close)']!;
    if (output.lines.length !== o.devices || !bundleHash)
      throw new Error('epoch bench produced the wrong number of lines');
    const indexed = await store.db
      .selectFrom('reward_lines')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(indexed.n) !== o.devices) throw new Error(`indexed ${indexed.n} of ${o.devices} lines`);
    progress(`${o.kind}/${o.devices}: close ${seconds} s, index ${indexSeconds} s ${JSON.stringify(phases)}`);
    return { devices: o.devices, seconds, indexSeconds, bundleBytes, phases };
  } finally {
    await store.close();
    if (o.kind === 'postgres') {
      const c = new pg.Client({ connectionString: o.pgUrl });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
