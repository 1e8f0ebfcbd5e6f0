/**
 * Epoch close benchmark: an epoch of N devices (one uptime module, a
 * heartbeat per device per slot seeded straight into the store) is closed
 * with the node's own functions — SQL aggregation, the pure reward function,
 * the Merkle tree, the bundle and its hash, the cumulative amounts — and
 * timed by phase. `seconds` is the close: from the first query until the
 * root, the bundle and the cumulative amounts are durable (what the oracles
 * sign). Indexing the reward lines for the API follows the close and is
 * timed apart (`indexSeconds`), as is the digest of the first minute, which a
 * node finishes during the epoch (docs/REWARDS.md §4).
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import uptime from '@groundwork/module-uptime';
import { storeDigestParts } from '@groundwork/node/epochs/digest.ts';
import {
  DeviceLists,
  digestFor,
  indexRewardLines,
  persistCumulative,
  prepareEpoch,
  refreshDeviceLists,
} from '@groundwork/node/epochs/prepare.ts';
import { openPostgresStore, openSqliteStore, type Store } from '@groundwork/node/store/db.ts';
import { sql } from 'kysely';
import pg from 'pg';

export interface EpochBenchResult {
  devices: number;
  seconds: number;
  /** Indexing the reward lines for the API, after the close. */
  indexSeconds: number;
  /**
   * Baseline measured in the same run on the same store: one plain SQL pass
   * over the window's contributions grouped by device (`count(*) … group by
   * device_id`) — the floor any per-device aggregation in the database pays.
   */
  baselineSeconds: number;
  bundleBytes: number;
  phases: Record<string, number>;
}

const progress = (s: string) => process.stderr.write(`bench epoch: ${s}\n`);

/**
 * Seeds n uptime devices (operators: one per ten devices) and one heartbeat
 * per device per slot (every 50th device misses the first slot, so scores
 * differ) — generated in SQL, set-based, so a million devices seed in seconds.
 */
export async function seed(
  store: Store,
  n: number,
  startMs: number,
  slots: number,
  slotMs: number,
): Promise<void> {
  const operators = Math.max(1, Math.floor(n / 10));
  const sqlite = store.dialect === 'sqlite';
  const hex = (expr: string, width: number) =>
    sqlite ? `'0x' || printf('%0${width}x', ${expr})` : `'0x' || lpad(to_hex(${expr}), ${width}, '0')`;
  const numbers = (count: number) =>
    sqlite
      ? `with recursive nums(k) as (select 0 union all select k + 1 from nums where k < ${count - 1})`
      : '';
  const from = (count: number) => (sqlite ? 'from nums' : `from generate_series(0, ${count - 1}) as nums(k)`);
  const run = (q: string) => sql.raw(q).execute(store.db);
  // Ids spread over the whole hex range as real ones (hashes of public keys) are: a
  // scrambled 48-bit prefix ((k·a + c) mod 2^48, a bijection), then k itself. With
  // plain sequential ids every device shared one prefix, which no real fleet does.
  const prefix = sqlite
    ? `printf('%012x', (k * 25214903917 + 11) & 281474976710655)`
    : `lpad(to_hex((k::bigint * 25214903917 + 11) & 281474976710655), 12, '0')`;
  const deviceId = `'0x' || ${prefix} || ${sqlite ? `printf('%052x', k)` : `lpad(to_hex(k), 52, '0')`}`;
  await run(`${numbers(n)} insert into devices (device_id, key_type, public_key, module, h3_cell, operator, active, registered_block)
    select ${deviceId}, 1, '0x${'11'.repeat(32)}', 'uptime', '8a392ad5a6dffff', ${hex(`k % ${operators}`, 40)}, 1, 1 ${from(n)}`);
  progress(`seeded ${n} devices`);
  for (let s = 0; s < slots; s++) {
    const at = startMs + s * slotMs + 10;
    const skip = s === 0 ? 'where k % 50 <> 0' : '';
    await run(`${numbers(n)} insert into envelopes (id, device_id, seq, time, received_at, kind, body, sig)
      select ${s * n} + k + 1, ${deviceId}, ${s + 1}, ${at}, ${at}, 'uptime.heartbeat', '{"uptimeSeconds":1}', '0x${'ab'.repeat(64)}' ${from(n)} ${skip}`);
    await run(`${numbers(n)} insert into contributions (envelope_id, module, device_id, at, data)
      select ${s * n} + k + 1, 'uptime', ${deviceId}, ${at}, '{}' ${from(n)} ${skip}`);
    progress(`seeded slot ${s + 1} of ${slots}`);
  }
  // A running node's WAL stays small (SQLite checkpoints it every 1,000 pages as it
  // commits); the seeding's few huge transactions leave a gigabyte of it, through which
  // every read of the close would look pages up (measured: the digest 6.4 s instead of 4.6 s).
  if (sqlite) await run('pragma wal_checkpoint(truncate)');
}

/** Closes one epoch of `devices` devices on a fresh store of the given kind and times it. */
export async function benchEpoch(o: {
  devices: number;
  kind: 'sqlite' | 'postgres';
  pgUrl?: string;
  /** One-minute heartbeat slots in the epoch (default 2: the report's figures). */
  slots?: number;
}): Promise<EpochBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-epoch-'));
  const schema = `gw_bench_${randomBytes(4).toString('hex')}`;
  const store =
    o.kind === 'postgres'
      ? await openPostgresStore(o.pgUrl!, [uptime], schema)
      : await openSqliteStore(join(dir, 'node.sqlite'), [uptime]);
  let closeDigest = async () => {};
  try {
    const slotSeconds = 60n;
    const slots = o.slots ?? 2;
    const startMs = 1_800_000_000_000;
    const window = { epoch: 1, startMs, endMs: startMs + slots * 60_000 };
    // As a node with a large fleet does at start (node.ts), the digest worker is started ahead of the close.
    const digest = digestFor(store.db, store.source, { prewarm: o.devices >= 50_000 });
    closeDigest = () => digest.close();
    progress(`${o.kind}: seeding ${o.devices} devices, ${slots} heartbeats each`);
    await seed(store, o.devices, startMs, slots, 60_000);
    const params = new Map<string, bigint>([
      ['epoch.seconds', BigInt(slots * 60)],
      ['reward.weight.uptime', 10_000n],
      ['uptime.heartbeatSeconds', slotSeconds],
    ]);
    await digest.ready();
    const phases: Record<string, number> = {};
    // As a running node does during the epoch (closer.ts, digestAhead): every finished
    // minute's part of the inputs digest is computed before the close — here all but the
    // last. Timed apart; not in the close.
    const a0 = performance.now();
    await storeDigestParts(store.db, await digest.ahead(window.startMs, window.endMs, window.endMs - 60_000));
    phases['digest ahead (during the epoch, not in the close)'] = Number(
      ((performance.now() - a0) / 1000).toFixed(3),
    );
    // As the closer does during the epoch (closer.ts, deviceListsAhead), and a running node
    // has from its last close: the device lists, which the close then only brings up to date.
    const deviceLists = new DeviceLists();
    const l0 = performance.now();
    await refreshDeviceLists(store.db, deviceLists, [uptime]);
    phases['device lists ahead (during the epoch, not in the close)'] = Number(
      ((performance.now() - l0) / 1000).toFixed(3),
    );
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
      digest,
      deviceLists,
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
    const b0 = performance.now();
    await sql`select device_id, count(*) as n from contributions
      where at >= ${window.startMs} and at < ${window.endMs} group by device_id`.execute(store.db);
    const baselineSeconds = Number(((performance.now() - b0) / 1000).toFixed(3));
    progress(
      `${o.kind}/${o.devices}: close ${seconds} s, index ${indexSeconds} s, baseline ${baselineSeconds} s ${JSON.stringify(phases)}`,
    );
    return { devices: o.devices, seconds, indexSeconds, baselineSeconds, bundleBytes, phases };
  } finally {
    await closeDigest();
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
