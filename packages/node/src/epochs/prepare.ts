import { sql, type Transaction } from 'kysely';
import type { Address, Hex } from 'viem';
import type { EpochWindow, GroundworkModule, Params } from '../modules/types.ts';
import type { ComputeRewardsOutput } from '../rewards/computeRewards.ts';
import type { RewardTreeEntry } from '../rewards/merkle.ts';
import { type Db, dialectOf, jsonRows, type StoreSource, sqliteHandleOf } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { SqliteRowInserter } from '../store/sqliteRows.ts';
import {
  BUNDLE_FORMAT,
  type BundleInputs,
  type BundleResult,
  bundleBodyChunks,
  bundleTrailer,
  computeEpoch,
} from './bundle.ts';
import { writeBundleFile } from './bundleFile.ts';
import { DeviceLists, type DeviceListsRead, indexOfDevice, type ListedDevice } from './deviceLists.ts';
import {
  DIGEST_PART_MS,
  type DigestInputs,
  digestInputs,
  digestPartsAhead,
  type InputsDigest,
  type PartDigest,
} from './digest.ts';

export { DeviceLists, digestInputs };

/**
 * A module's active devices with the account each pays, sorted by id, and,
 * for a module with `deviceInputs`, each device's input (null for a device
 * with none). Both from one read transaction, so from one snapshot: the
 * device list (kept between closes by `lists`, which reads only the devices
 * changed since), and the module's per-device select, merged with the list
 * as its rows come. On SQLite the rows are streamed from the statement
 * (better-sqlite3's iterate, inside the transaction): at 1,000,000 devices
 * 2.2–2.3 s for query and merge, against 3.0–4.2 s for the same rows as one
 * JSON value built by SQLite and parsed (the array of pairs, a million of
 * them, then garbage). On PostgreSQL they come as that one JSON value.
 * Joining the list and the aggregate in SQL instead made SQLite materialize
 * the aggregate and build a temporary index on it: 3.8 s for the query,
 * against 1.7 s for the aggregate alone.
 */
async function activeDevices(
  db: Db,
  m: GroundworkModule,
  window: EpochWindow,
  params: Params,
  lists: DeviceLists,
): Promise<{ devices: readonly ListedDevice[]; perDevice?: unknown[] }> {
  const perDevice = m.deviceInputs?.({ window, params, dialect: dialectOf(db) });
  const handle = sqliteHandleOf(db);
  return snapshot(db).execute(async (trx) => {
    await lists.refresh(trx, [m.id]);
    const devices = lists.get(m.id);
    if (!perDevice) return { devices };
    if (handle) {
      // The SQLite dialect has one connection, which this transaction holds: the
      // statement runs in it. Values are JSON text (the module's contract).
      const q = perDevice.compile(trx);
      const rows = handle
        .prepare(`select device_id, value from (${q.sql}) p`)
        .raw(true)
        .iterate(...q.parameters) as IterableIterator<[string, unknown]>;
      return {
        devices,
        perDevice: mergeInputs(devices, rows, (v) => (typeof v === 'string' ? JSON.parse(v) : v)),
      };
    }
    const { rows } = await sql<{ j: string }>`select
        coalesce(json_agg(json_build_array(device_id, value::json)), '[]'::json)::text as j
      from (select device_id, value from (${perDevice}) p order by device_id) s`.execute(trx);
    return {
      devices,
      perDevice: mergeInputs(devices, JSON.parse(rows[0]?.j ?? '[]') as [string, unknown][], (v) => v),
    };
  });
}

/**
 * The inputs aligned with `devices`: the value of each device's row (its
 * first, were there two), null for a device without one; rows of devices not
 * in the list (inactive ones) drop out. Rows in id order — the database's
 * bytewise order (SQLite's BINARY, collation "C" on PostgreSQL since
 * migration 0008), the bundle's code-unit order, the same for hex ids — are
 * merged in one pass; a row out of order is found by binary search.
 */
function mergeInputs(
  devices: readonly ListedDevice[],
  rows: Iterable<readonly [string, unknown]>,
  value: (v: unknown) => unknown,
): unknown[] {
  const inputs = new Array<unknown>(devices.length).fill(undefined);
  let i = 0;
  let last = '';
  for (const [id, v] of rows) {
    let at: number;
    if (id > last) {
      while (i < devices.length && devices[i]!.deviceId < id) i++;
      at = i < devices.length && devices[i]!.deviceId === id ? i : -1;
      last = id;
    } else at = indexOfDevice(devices, id);
    if (at >= 0 && inputs[at] === undefined) inputs[at] = v === null || v === undefined ? null : value(v);
  }
  for (let k = 0; k < inputs.length; k++) if (inputs[k] === undefined) inputs[k] = null;
  return inputs;
}

/** A read transaction that is one snapshot: SQLite's are (WAL); on PostgreSQL, repeatable read. */
function snapshot(db: Db) {
  return dialectOf(db) === 'postgres'
    ? db.transaction().setIsolationLevel('repeatable read')
    : db.transaction();
}

/**
 * Brings `lists` up to date for `modules` from one snapshot — what a node
 * does during the epoch, so that its close reads only what changes after.
 */
export async function refreshDeviceLists(
  db: Db,
  lists: DeviceLists,
  modules: readonly GroundworkModule[],
): Promise<DeviceListsRead> {
  return snapshot(db).execute((trx) =>
    lists.refresh(
      trx,
      modules.map((m) => m.id),
    ),
  );
}

/**
 * One module's part of an epoch's inputs: its active devices (sorted by id,
 * with the account each pays) and its inputs — from `collectInputs`, or the
 * array aligned with the devices for a module with `deviceInputs`.
 */
export async function collectModule(
  db: Db,
  m: GroundworkModule,
  window: EpochWindow,
  params: Params,
  lists: DeviceLists = new DeviceLists(),
): Promise<{ devices: readonly ListedDevice[]; inputs: unknown }> {
  const { devices, perDevice } = await activeDevices(db, m, window, params, lists);
  const inputs = perDevice ?? (await m.collectInputs?.({ db, window, params })) ?? {};
  return { devices, inputs };
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
  digest?: DigestInputs;
  /** The device lists kept from the last close, if any (else every list is read whole). */
  deviceLists?: DeviceLists;
}

/** Everything but the digest: per module its devices and inputs, and the previous cumulative amounts. */
async function collectWithoutDigest(
  o: CollectOptions,
): Promise<Omit<BundleInputs, 'inputsDigest' | 'envelopeCount'>> {
  const { db, window, params } = o;
  const lists = o.deviceLists ?? new DeviceLists();
  const bundleModules: BundleInputs['modules'] = [];
  for (const m of o.modules) {
    const { devices, inputs } = await collectModule(db, m, window, params, lists);
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

/** A computed epoch with its bundle on disk. */
export interface PreparedEpoch {
  inputs: BundleInputs;
  output: ComputeRewardsOutput;
  root: Hex;
  total: bigint;
  bundleHash: Hex;
  bundleBytes: number;
  /** Seconds per step: collect, compute, bundle body, digest (the wait for it after the body, if any), trailer. */
  phases: Record<string, number>;
}

/**
 * Gathers everything an epoch's rewards depend on from the store — every
 * module's active devices with their beneficiaries and its SQL-aggregated
 * inputs, the previous cumulative amounts, the inputs digest — computes the
 * epoch and writes its bundle at `bundlePath`, hashing it as it is written.
 * The digest runs beside all of that: it is the bundle's last line.
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
  // The digest is the bundle's last line: everything before it is written while it runs.
  let digestWait = 0;
  const trailer = digesting.then((d) => {
    digestWait = performance.now();
    return bundleTrailer({
      inputsDigest: d.digest,
      envelopeCount: d.count,
      inputsDigestPartMs: DIGEST_PART_MS,
    });
  });
  const bodyDone = { at: 0 };
  const { hash, bytes } = await writeBundleFile(
    o.bundlePath,
    (function* () {
      yield* bundleBodyChunks(rest, output, root);
      bodyDone.at = performance.now();
    })(),
    trailer,
  );
  const { digest, count } = await digesting;
  // Reported: the body's writing, then how long the close still waited for the digest after it.
  phases['bundle body'] = Number(((bodyDone.at - t) / 1000).toFixed(3));
  phases['digest (wait)'] = Number((Math.max(0, digestWait - bodyDone.at) / 1000).toFixed(3));
  t = Math.max(bodyDone.at, digestWait);
  lap('bundle trailer + fsync');
  const inputs: BundleInputs = {
    ...rest,
    inputsDigest: digest,
    envelopeCount: count,
    inputsDigestPartMs: DIGEST_PART_MS,
  };
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

/** Lines per multi-row INSERT on SQLite. */
const LINES_PER_STATEMENT = 64;

/**
 * Indexes an epoch's reward lines for the API (`reward_lines`), after the
 * epoch is closed: the bundle is the record, this table is how a device's
 * lines are found. Replaces whatever an interrupted run left, writes in
 * transactions of {@link LINES_PER_TX} lines, then marks the epoch indexed.
 * Yields to the event loop between transactions.
 *
 * SQLite: cached multi-row INSERTs of {@link LINES_PER_STATEMENT} lines with
 * bound values ({@link SqliteRowInserter}), run inside a Kysely transaction
 * (which holds the one connection). PostgreSQL: the rows travel as one JSON value per
 * transaction, expanded by the database (`jsonRows`) — one round trip.
 * Measured on SQLite at 1,000,000 lines (a fresh store, two epochs, each
 * way twice, alternating): 4.4–6.7 s an epoch, against 5.5–7.9 s with the
 * JSON value there too. Most of what is left is SQLite's: three B-trees per
 * line (the table, its primary key, the device index) and their WAL pages.
 */
export async function indexRewardLines(db: Db, epoch: number, lines: BundleResult['lines']): Promise<void> {
  const dialect = dialectOf(db);
  const handle = sqliteHandleOf(db);
  const writer = handle
    ? new SqliteRowInserter(
        handle,
        'INSERT INTO reward_lines (epoch, module, device_id, beneficiary, score, amount, reason, detail) VALUES ',
        8,
        LINES_PER_STATEMENT,
      )
    : undefined;
  await db.deleteFrom('reward_lines').where('epoch', '=', epoch).execute();
  for (let i = 0; i < lines.length; i += LINES_PER_TX) {
    const stop = Math.min(lines.length, i + LINES_PER_TX);
    if (writer) {
      await db.transaction().execute(async () =>
        writer.insert(i, stop, (args, at, row) => {
          const l = lines[row]!;
          args[at] = epoch;
          args[at + 1] = l.module;
          args[at + 2] = l.deviceId;
          args[at + 3] = l.beneficiary;
          args[at + 4] = l.score.toString();
          args[at + 5] = l.amount.toString();
          args[at + 6] = l.reason;
          args[at + 7] = l.detail === undefined ? null : JSON.stringify(l.detail);
        }),
      );
    } else {
      let json = '[';
      for (let j = i; j < stop; j++) {
        const l = lines[j]!;
        json += `${j > i ? ',' : ''}[${JSON.stringify(l.module)},"${l.deviceId}","${l.beneficiary}","${l.score}","${l.amount}",${JSON.stringify(
          l.reason,
        )},${l.detail === undefined ? 'null' : JSON.stringify(JSON.stringify(l.detail))}]`;
      }
      json += ']';
      await sql`insert into reward_lines (epoch, module, device_id, beneficiary, score, amount, reason, detail)
        select ${epoch}, r.value->>0, r.value->>1, r.value->>2, r.value->>3, r.value->>4, r.value->>5, r.value->>6
        from ${jsonRows(dialect, json)}`.execute(db);
    }
    await new Promise((r) => setImmediate(r));
  }
  await db.updateTable('epochs').set({ lines_indexed: 1 }).where('epoch', '=', epoch).execute();
}

// Kept apart from `new Worker(…)` so bundlers (the dashboard's Vite build) leave it alone.
const DIGEST_WORKER_URL = new URL('./digestWorker.mjs', import.meta.url);

/** Contributions in a window above which the digest runs in a worker thread. */
export const DIGEST_WORKER_THRESHOLD = 500_000;

/** `digestInputs` as the epoch closer calls it; `close` ends its worker thread, if any. */
export interface DigestFn extends DigestInputs {
  /**
   * `digestPartsAhead`: the window's parts that end by `finalMs` and are not
   * stored yet — in the worker when it runs, or when the last two minutes
   * hold a tenth of the threshold in contributions or more (starting it);
   * in-process otherwise, and always without a store source.
   */
  ahead(startMs: number, endMs: number, finalMs: number): Promise<PartDigest[]>;
  /** Resolves once a started worker has loaded and opened its connection (at once without one). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `digestInputs` for the epoch closer: in a worker thread with its own
 * connection to `source` when the window holds `threshold` contributions or
 * more (the digest then runs on the other core, beside collection, scoring
 * and the bundle body), in-process below that or when the store has no
 * source (in-memory SQLite).
 *
 * The worker is started once and kept: at first use, or at once with
 * `prewarm` (a node that already has a large fleet). Starting it takes the
 * TypeScript loader, which needs the main thread's event loop — busy during
 * a large close — so a worker started *by* a large close starts late.
 */
export function digestFor(
  db: Db,
  source: StoreSource | undefined,
  o: { threshold?: number; prewarm?: boolean } = {},
): DigestFn {
  const threshold = o.threshold ?? DIGEST_WORKER_THRESHOLD;
  let worker: DigestWorker | undefined;
  const start = () => (worker ??= new DigestWorker(source!));
  if (o.prewarm && source !== undefined) start();
  const fn = async (startMs: number, endMs: number) => {
    if (source === undefined) return digestInputs(db, startMs, endMs);
    // A started worker gets the request at once, before this function first awaits:
    // the close's next query (seconds long, and better-sqlite3 holds the event loop
    // while it runs) would otherwise go first — measured at a million devices, the
    // digest then began 4 s late and the close waited for it.
    if (worker) return worker.run<InputsDigest>(startMs, endMs);
    const row = await db
      .selectFrom('contributions')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('at', '>=', startMs)
      .where('at', '<', endMs)
      .executeTakeFirstOrThrow();
    if (Number(row.n) < threshold) return digestInputs(db, startMs, endMs);
    return start().run<InputsDigest>(startMs, endMs);
  };
  return Object.assign(fn, {
    ahead: async (startMs: number, endMs: number, finalMs: number) => {
      if (source === undefined) return digestPartsAhead(db, startMs, endMs, finalMs);
      if (worker) return worker.run<PartDigest[]>(startMs, endMs, finalMs);
      // Normally one minute to digest: a small fleet's stays on this thread (no worker to load).
      const row = await db
        .selectFrom('contributions')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('at', '>=', Math.max(startMs, finalMs - 2 * DIGEST_PART_MS))
        .where('at', '<', finalMs)
        .executeTakeFirstOrThrow();
      if (Number(row.n) < threshold / 10) return digestPartsAhead(db, startMs, endMs, finalMs);
      return start().run<PartDigest[]>(startMs, endMs, finalMs);
    },
    ready: async () => worker?.ready,
    close: async () => worker?.close(),
  });
}

/** The digest worker thread: one request at a time, answered in order. */
class DigestWorker {
  readonly #worker: Promise<import('node:worker_threads').Worker>;
  /** The worker once created: requests are then posted synchronously. */
  #started: import('node:worker_threads').Worker | undefined;
  readonly ready: Promise<void>;
  #onReady: () => void = () => {};
  readonly #pending = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();
  #next = 1;

  constructor(source: StoreSource) {
    this.ready = new Promise((resolve) => {
      this.#onReady = resolve;
    });
    this.#worker = import('node:worker_threads').then(({ Worker }) => {
      const w = new Worker(DIGEST_WORKER_URL, { workerData: { source } });
      w.unref();
      w.on('message', (m: { id?: number; ready?: true; ok?: never; error?: string }) => {
        if (m.ready) return this.#onReady();
        const p = this.#pending.get(m.id!);
        this.#pending.delete(m.id!);
        if (m.ok !== undefined) p?.resolve(m.ok);
        else p?.reject(new Error(`inputs digest worker: ${m.error}`));
      });
      const fail = (err: Error) => {
        this.#onReady(); // nobody waits for a worker that is gone; run() then fails
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`inputs digest worker exited with ${code}`)));
      this.#started = w;
      return w;
    });
  }

  /**
   * Posts the request synchronously when the worker exists (else once it
   * does): `digestInputs`, or with `finalMs` `digestPartsAhead`.
   */
  run<T extends InputsDigest | PartDigest[]>(startMs: number, endMs: number, finalMs?: number): Promise<T> {
    const id = this.#next++;
    const answer = new Promise<T>((resolve, reject) =>
      this.#pending.set(id, { resolve: resolve as (r: never) => void, reject }),
    );
    const post = (w: import('node:worker_threads').Worker) => w.postMessage({ id, startMs, endMs, finalMs });
    if (this.#started) post(this.#started);
    else
      this.#worker.then(post, (err: Error) => {
        this.#pending.get(id)?.reject(err);
        this.#pending.delete(id);
      });
    return answer;
  }

  async close(): Promise<void> {
    await (await this.#worker).terminate();
  }
}
