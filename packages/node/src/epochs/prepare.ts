import { sql, type Transaction } from 'kysely';
import type { Address, Hex } from 'viem';
import type { EpochWindow, GroundworkModule, Params } from '../modules/types.ts';
import type { ComputeRewardsOutput } from '../rewards/computeRewards.ts';
import type { RewardTreeEntry } from '../rewards/merkle.ts';
import { type Db, dialectOf, type StoreSource } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { BUNDLE_FORMAT, type BundleInputs, type BundleResult, bundleChunks, computeEpoch } from './bundle.ts';
import { writeBundleFile } from './bundleFile.ts';
import { digestInputs } from './digest.ts';

export { digestInputs };

const isSqlite = (db: Db) => dialectOf(db) === 'sqlite';

/** A module's active devices with the account each pays, sorted by id (one JSON value from SQL). */
async function activeDevices(db: Db, module: string): Promise<{ deviceId: string; beneficiary: string }[]> {
  const { rows } = isSqlite(db)
    ? await sql<{ j: string }>`
        select json_group_array(json_array(device_id, operator)) as j
        from (select device_id, operator from devices where module = ${module} and active = 1 order by device_id)`.execute(
        db,
      )
    : await sql<{ j: string }>`
        select coalesce(json_agg(json_build_array(device_id, operator) order by device_id), '[]'::json)::text as j
        from devices where module = ${module} and active = 1`.execute(db);
  const pairs = JSON.parse(rows[0]?.j ?? '[]') as [string, string][];
  const devices = new Array<{ deviceId: string; beneficiary: string }>(pairs.length);
  let sorted = true;
  for (let i = 0; i < pairs.length; i++) {
    const [deviceId, beneficiary] = pairs[i]!;
    devices[i] = { deviceId, beneficiary };
    if (i > 0 && !(pairs[i - 1]![0] < deviceId)) sorted = false;
  }
  // The database's collation decides its order; the bundle's is code-unit order.
  if (!sorted) devices.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
  return devices;
}

/** What an epoch's inputs are collected from. */
export interface CollectOptions {
  db: Db;
  modules: readonly GroundworkModule[];
  window: EpochWindow;
  params: Params;
  paramsBlock: number;
  pool: bigint;
  chainId: number;
  contracts: { distributor: Address; parameters: Address; schedule: Address; registry: Address };
  /** Computes the inputs digest elsewhere (a worker thread with its own connection); default in-process. */
  digest?: (startMs: number, endMs: number) => Promise<{ digest: Hex; count: number }>;
}

/** Everything but the digest: per module its devices and inputs, and the previous cumulative amounts. */
async function collectWithoutDigest(
  o: CollectOptions,
): Promise<Omit<BundleInputs, 'inputsDigest' | 'envelopeCount'>> {
  const { db, window, params } = o;
  const bundleModules: BundleInputs['modules'] = [];
  for (const m of o.modules) {
    const devices = await activeDevices(db, m.id);
    const inputs = await m.collectInputs({ db, window, params });
    bundleModules.push({
      id: m.id,
      weight: (params.get(`reward.weight.${m.id}`) ?? 0n).toString(),
      devices,
      inputs,
    });
  }
  const prev = await db
    .selectFrom('cumulative')
    .select(['account', 'amount'])
    .where('epoch', '=', window.epoch - 1)
    .orderBy('account')
    .execute();
  return {
    format: BUNDLE_FORMAT,
    chainId: o.chainId,
    contracts: {
      distributor: o.contracts.distributor,
      parameters: o.contracts.parameters,
      schedule: o.contracts.schedule,
      registry: o.contracts.registry,
    },
    epoch: window.epoch,
    window: { startMs: window.startMs, endMs: window.endMs },
    paramsBlock: o.paramsBlock,
    params: Object.fromEntries(
      [...params].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString()]),
    ),
    pool: o.pool.toString(),
    modules: bundleModules,
    previousCumulative: prev.map((p) => ({ account: p.account, cumulativeAmount: p.amount })),
  };
}

/**
 * Gathers everything an epoch's rewards depend on, from the store: every
 * module's active devices with their beneficiaries and its SQL-aggregated
 * inputs, the previous cumulative amounts and the inputs digest.
 */
export async function collectEpochInputs(o: CollectOptions): Promise<BundleInputs> {
  const digesting = (o.digest ?? ((s, e) => digestInputs(o.db, s, e)))(o.window.startMs, o.window.endMs);
  digesting.catch(() => {}); // awaited below; never an unhandled rejection if collecting throws first
  const rest = await collectWithoutDigest(o);
  const { digest, count } = await digesting;
  return { ...rest, inputsDigest: digest, envelopeCount: count };
}

/** A computed epoch with its bundle on disk. */
export interface PreparedEpoch {
  inputs: BundleInputs;
  output: ComputeRewardsOutput;
  root: Hex;
  total: bigint;
  bundleHash: Hex;
  bundleBytes: number;
  /** Seconds per step: collect, compute, digest (the wait for it, if any), bundle. */
  phases: Record<string, number>;
}

/**
 * The epoch's inputs, its computation and its bundle file: collects from the
 * store, computes while the inputs digest runs beside (the digest only enters
 * the bundle's header), then writes the bundle at `bundlePath`, hashing it as
 * it is written.
 */
export async function prepareEpoch(o: CollectOptions & { bundlePath: string }): Promise<PreparedEpoch> {
  const phases: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases[name] = Number(((now - t) / 1000).toFixed(3));
    t = now;
  };
  const digesting = (o.digest ?? ((s, e) => digestInputs(o.db, s, e)))(o.window.startMs, o.window.endMs);
  digesting.catch(() => {});
  const rest = await collectWithoutDigest(o);
  lap('collect');
  // computeEpoch reads neither the digest nor the count.
  const { output, root, total } = computeEpoch({ ...rest, inputsDigest: '0x', envelopeCount: 0 }, o.modules);
  lap('compute');
  const { digest, count } = await digesting;
  lap('digest (wait)');
  const inputs: BundleInputs = { ...rest, inputsDigest: digest, envelopeCount: count };
  const { hash, bytes } = writeBundleFile(o.bundlePath, bundleChunks(inputs, output, root));
  lap('bundle');
  return { inputs, output, root, total, bundleHash: hash, bundleBytes: bytes, phases };
}

/** Writes an epoch's cumulative amounts (what the next epoch builds on), inside the caller's transaction. */
export async function persistCumulative(
  trx: Transaction<Database>,
  epoch: number,
  cumulative: readonly RewardTreeEntry[],
): Promise<void> {
  for (let i = 0; i < cumulative.length; i += 5000) {
    await trx
      .insertInto('cumulative')
      .values(
        cumulative
          .slice(i, i + 5000)
          .map((c) => ({ epoch, account: c.account.toLowerCase(), amount: c.cumulativeAmount.toString() })),
      )
      .execute();
  }
}

/** Reward lines per transaction when indexing them. */
const LINES_PER_TX = 10_000;

/**
 * Indexes an epoch's reward lines for the API (`reward_lines`), after the
 * epoch is closed: the bundle is the record, this table is how a device's
 * lines are found. Replaces whatever an interrupted run left, writes in
 * transactions of {@link LINES_PER_TX} lines (the rows travel as one JSON
 * value per transaction, expanded by the database), then marks the epoch
 * indexed. Yields to the event loop between transactions.
 */
export async function indexRewardLines(db: Db, epoch: number, lines: BundleResult['lines']): Promise<void> {
  const sqlite = isSqlite(db);
  await db.deleteFrom('reward_lines').where('epoch', '=', epoch).execute();
  for (let i = 0; i < lines.length; i += LINES_PER_TX) {
    let json = '[';
    const stop = Math.min(lines.length, i + LINES_PER_TX);
    for (let j = i; j < stop; j++) {
      const l = lines[j]!;
      json += `${j > i ? ',' : ''}[${JSON.stringify(l.module)},"${l.deviceId}","${l.beneficiary}","${l.score}","${l.amount}",${JSON.stringify(
        l.reason,
      )},${l.detail === undefined ? 'null' : JSON.stringify(JSON.stringify(l.detail))}]`;
    }
    json += ']';
    await (sqlite
      ? sql`insert into reward_lines (epoch, module, device_id, beneficiary, score, amount, reason, detail)
            select ${epoch}, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6
            from json_each(${json})`
      : sql`insert into reward_lines (epoch, module, device_id, beneficiary, score, amount, reason, detail)
            select ${epoch}, e->>0, e->>1, e->>2, e->>3, e->>4, e->>5, e->>6
            from json_array_elements(${json}::json) e`
    ).execute(db);
    await new Promise((r) => setImmediate(r));
  }
  await db.updateTable('epochs').set({ lines_indexed: 1 }).where('epoch', '=', epoch).execute();
}

// Kept apart from `new Worker(…)` so bundlers (the dashboard's Vite build) leave it alone.
const DIGEST_WORKER_URL = new URL('./digestWorker.mjs', import.meta.url);

/** Contributions in a window above which the digest runs in a worker thread. */
export const DIGEST_WORKER_THRESHOLD = 500_000;

/**
 * `digestInputs` for the epoch closer: in a worker thread with its own
 * connection to `source` when the window holds more than
 * `threshold` contributions (default {@link DIGEST_WORKER_THRESHOLD}; the digest then runs on
 * the other core, beside the collection and the scoring), in-process below
 * that, or when the store has no source (in-memory SQLite).
 */
export function digestFor(
  db: Db,
  source: StoreSource | undefined,
  threshold: number = DIGEST_WORKER_THRESHOLD,
): (startMs: number, endMs: number) => Promise<{ digest: Hex; count: number }> {
  return async (startMs, endMs) => {
    if (source === undefined) return digestInputs(db, startMs, endMs);
    const row = await db
      .selectFrom('contributions')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('at', '>=', startMs)
      .where('at', '<', endMs)
      .executeTakeFirstOrThrow();
    if (Number(row.n) < threshold) return digestInputs(db, startMs, endMs);
    const { Worker } = await import('node:worker_threads');
    return new Promise((resolve, reject) => {
      const worker = new Worker(DIGEST_WORKER_URL, { workerData: { source, startMs, endMs } });
      worker.once('message', (m: { ok?: { digest: Hex; count: number }; error?: string }) =>
        m.ok ? resolve(m.ok) : reject(new Error(`inputs digest worker: ${m.error}`)),
      );
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`inputs digest worker exited with ${code}`)));
    });
  };
}
