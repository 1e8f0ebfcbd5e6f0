import { anchorRegistryAbi, rewardsDistributorAbi } from '@groundwork/abi';
import { type ChainClients, type Db, type Params, requireParam } from '@groundwork/node';
import type { Kysely } from 'kysely';
import { type Address, type Hex, parseEventLogs, stringToHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { withWriteLock } from './lock.ts';
import { buildRecordTree, type Hash, type RecordTree } from './merkle.ts';
import { LOGISTICS_PARAMS } from './params.ts';
import { getKv, type LogisticsTables, ldb, setKv } from './store.ts';

/** The AnchorRegistry topic of logistics roots: `bytes32("logistics")`. */
export const ANCHOR_TOPIC: Hex = stringToHex('logistics', { size: 32 });

const LAST_ANCHOR_MS = 'anchor.lastMs';
const LAST_ANCHOR_EPOCH = 'anchor.epoch';

/** What anchoring needs: the store, the chain, the registry and a key of a current oracle. */
export interface AnchorContext {
  db: Db;
  clients: ChainClients;
  registry: Address;
  anchorKey: Hex;
  params: Params;
}

/** An anchored batch as the API and proofs show it. */
export interface AnchoredBatch {
  batch: number;
  root: Hash;
  firstSeq: number;
  records: number;
  status: string;
  tx: Hash | null;
  block: number | null;
  chainBatch: number | null;
  anchoredAt: number | null;
  anchorer: string | null;
}

export function batchJson(b: {
  batch: number;
  root: string;
  first_seq: number;
  records: number;
  status: string;
  tx_hash: string | null;
  block: number | null;
  chain_batch: number | null;
  anchored_at: number | null;
  anchorer: string | null;
}): AnchoredBatch {
  return {
    batch: b.batch,
    root: b.root as Hash,
    firstSeq: Number(b.first_seq),
    records: b.records,
    status: b.status,
    tx: b.tx_hash as Hash | null,
    block: b.block === null ? null : Number(b.block),
    chainBatch: b.chain_batch,
    anchoredAt: b.anchored_at === null ? null : Number(b.anchored_at),
    anchorer: b.anchorer,
  };
}

/**
 * Whether to anchor now: at every epoch boundary (when records wait), and
 * between boundaries under load — at least `logistics.anchorLoadRecords`
 * waiting — but no more often than every `logistics.anchorMinSeconds`.
 */
export function shouldAnchor(o: {
  pending: number;
  now: number;
  lastAnchorMs: number;
  currentEpoch: number;
  lastAnchorEpoch: number;
  params: Params;
}): 'epoch' | 'load' | null {
  if (o.pending === 0) return null;
  if (o.currentEpoch > o.lastAnchorEpoch) return 'epoch';
  const load = Number(requireParam(o.params, LOGISTICS_PARAMS.anchorLoadRecords));
  const minMs = Number(requireParam(o.params, LOGISTICS_PARAMS.anchorMinSeconds)) * 1000;
  if (o.pending >= load && o.now - o.lastAnchorMs >= minMs) return 'load';
  return null;
}

async function countPending(db: Kysely<LogisticsTables>): Promise<number> {
  const r = await db
    .selectFrom('logistics_records')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('batch', 'is', null)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Leaves of a batch, in order. */
async function leavesOf(db: Kysely<LogisticsTables>, batch: number): Promise<Hash[]> {
  const rows = await db
    .selectFrom('logistics_records')
    .select('leaf')
    .where('batch', '=', batch)
    .orderBy('seq')
    .execute();
  return rows.map((r) => r.leaf as Hash);
}

const trees = new WeakMap<object, Map<number, RecordTree>>();

/** The tree of a batch, rebuilt from stored leaves (a few recent trees are kept in memory). */
export async function treeOf(core: Db, batch: number): Promise<RecordTree> {
  let cache = trees.get(core);
  if (!cache) {
    cache = new Map();
    trees.set(core, cache);
  }
  const hit = cache.get(batch);
  if (hit) return hit;
  const tree = buildRecordTree(await leavesOf(ldb(core), batch));
  if (cache.size >= 8) cache.delete(cache.keys().next().value!);
  cache.set(batch, tree);
  return tree;
}

/** Cuts the next batch from the oldest unanchored records; null when none wait. */
async function cutBatch(core: Db, maxRecords: number, now: number): Promise<number | null> {
  return withWriteLock(core, async () => {
    const db = ldb(core);
    const rows = await db
      .selectFrom('logistics_records')
      .select(['seq', 'leaf'])
      .where('batch', 'is', null)
      .orderBy('seq')
      .limit(maxRecords)
      .execute();
    if (rows.length === 0) return null;
    const first = Number(rows[0]!.seq);
    const last = Number(rows[rows.length - 1]!.seq);
    // Records get their seq in insertion order under the write lock, so the unanchored ones are a contiguous
    // suffix and a batch is a seq range: a leaf's position is seq − first_seq.
    if (last - first + 1 !== rows.length)
      throw new Error(`unanchored records ${first}..${last} are not contiguous`);
    const tree = buildRecordTree(rows.map((r) => r.leaf as Hash));
    const top = await db
      .selectFrom('logistics_batches')
      .select((eb) => eb.fn.max('batch').as('b'))
      .executeTakeFirst();
    const batch = Number(top?.b ?? 0) + 1;
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('logistics_batches')
        .values({
          batch,
          root: tree.root,
          first_seq: first,
          records: rows.length,
          status: 'pending',
          tx_hash: null,
          block: null,
          chain_batch: null,
          anchored_at: null,
          anchorer: null,
          created_at: now,
        })
        .execute();
      await trx
        .updateTable('logistics_records')
        .set({ batch })
        .where('batch', 'is', null)
        .where('seq', '>=', first)
        .where('seq', '<=', last)
        .execute();
    });
    return batch;
  });
}

/** Puts a pending batch's root on chain (or finds it there, after a crash) and records the transaction. */
async function confirmBatch(ctx: AnchorContext, batch: number): Promise<void> {
  const db = ldb(ctx.db);
  const b = await db
    .selectFrom('logistics_batches')
    .selectAll()
    .where('batch', '=', batch)
    .executeTakeFirstOrThrow();
  const pc = ctx.clients.publicClient;
  const root = b.root as Hash;
  const onChain = await pc.readContract({
    address: ctx.registry,
    abi: anchorRegistryAbi,
    functionName: 'anchorOf',
    args: [root],
  });
  let hash: Hash;
  if (onChain.batch === 0) {
    const w = ctx.clients.walletFor(ctx.anchorKey);
    hash = await w.writeContract({
      address: ctx.registry,
      abi: anchorRegistryAbi,
      functionName: 'anchor',
      args: [ANCHOR_TOPIC, root, BigInt(b.records)],
    });
  } else {
    const logs = await pc.getContractEvents({
      address: ctx.registry,
      abi: anchorRegistryAbi,
      eventName: 'RootAnchored',
      args: { root },
      fromBlock: 0n,
    });
    if (logs.length === 0)
      throw new Error(`root ${root} is anchored but its RootAnchored event was not found`);
    hash = logs[0]!.transactionHash;
  }
  const receipt = await pc.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`anchor transaction ${hash} reverted`);
  const ev = parseEventLogs({ abi: anchorRegistryAbi, logs: receipt.logs, eventName: 'RootAnchored' }).find(
    (l) => l.address.toLowerCase() === ctx.registry.toLowerCase() && l.args.root === root,
  );
  if (!ev) throw new Error(`anchor transaction ${hash} has no RootAnchored event for ${root}`);
  const block = await pc.getBlock({ blockNumber: receipt.blockNumber });
  await db
    .updateTable('logistics_batches')
    .set({
      status: 'anchored',
      tx_hash: hash,
      block: Number(receipt.blockNumber),
      chain_batch: Number(ev.args.batch),
      anchored_at: Number(block.timestamp),
      anchorer: ev.args.anchorer.toLowerCase(),
    })
    .where('batch', '=', batch)
    .execute();
}

const anchorLocks = new WeakMap<object, Promise<unknown>>();

/**
 * Anchors every record that waits: finishes pending batches first, then cuts
 * batches of at most `logistics.anchorMaxRecords` and anchors each root in
 * AnchorRegistry. Safe to call at any time and after a crash (a batch is
 * written before its transaction is sent and matched to the chain after).
 * Returns the batches it anchored.
 */
export function anchorPending(ctx: AnchorContext, now: number = Date.now()): Promise<AnchoredBatch[]> {
  const prev = anchorLocks.get(ctx.db) ?? Promise.resolve();
  const run = prev
    .catch(() => {})
    .then(async () => {
      const db = ldb(ctx.db);
      const done: number[] = [];
      const pending = await db
        .selectFrom('logistics_batches')
        .select('batch')
        .where('status', '=', 'pending')
        .orderBy('batch')
        .execute();
      for (const p of pending) {
        await confirmBatch(ctx, p.batch);
        done.push(p.batch);
      }
      const max = Number(requireParam(ctx.params, LOGISTICS_PARAMS.anchorMaxRecords));
      for (;;) {
        const batch = await cutBatch(ctx.db, Math.max(1, max), now);
        if (batch === null) break;
        await confirmBatch(ctx, batch);
        done.push(batch);
      }
      if (done.length > 0) await setKv(db, LAST_ANCHOR_MS, String(now));
      const rows =
        done.length === 0
          ? []
          : await db
              .selectFrom('logistics_batches')
              .selectAll()
              .where('batch', 'in', done)
              .orderBy('batch')
              .execute();
      return rows.map(batchJson);
    });
  anchorLocks.set(ctx.db, run);
  return run;
}

/** One tick of the anchoring loop: anchors if {@link shouldAnchor} says so. */
export async function anchorTick(ctx: AnchorContext, now: number = Date.now()): Promise<AnchoredBatch[]> {
  const db = ldb(ctx.db);
  const pending = await countPending(db);
  const epochRow = await ctx.db
    .selectFrom('epochs')
    .select((eb) => eb.fn.max('epoch').as('e'))
    .executeTakeFirst();
  const currentEpoch = Number(epochRow?.e ?? 0);
  // Before the epoch closer has opened epoch 1 there is no boundary to anchor at.
  if (currentEpoch === 0) return [];
  const lastEpoch = await getKv(db, LAST_ANCHOR_EPOCH);
  if (lastEpoch === undefined) {
    // First tick of a new node: the next epoch boundary is the first anchor (sooner only under load).
    await setKv(db, LAST_ANCHOR_EPOCH, String(currentEpoch));
    return [];
  }
  const why = shouldAnchor({
    pending,
    now,
    lastAnchorMs: Number((await getKv(db, LAST_ANCHOR_MS)) ?? 0),
    currentEpoch,
    lastAnchorEpoch: Number(lastEpoch),
    params: ctx.params,
  });
  if (!why) return [];
  const done = await anchorPending(ctx, now);
  await setKv(db, LAST_ANCHOR_EPOCH, String(currentEpoch));
  return done;
}

/** The first of `keys` that is an oracle of the network now (AnchorRegistry accepts only oracles). */
export async function pickAnchorKey(
  clients: ChainClients,
  distributor: Address,
  keys: readonly Hex[],
): Promise<Hex | undefined> {
  for (const k of keys) {
    const ok = await clients.publicClient.readContract({
      address: distributor,
      abi: rewardsDistributorAbi,
      functionName: 'isOracle',
      args: [privateKeyToAccount(k).address],
    });
    if (ok) return k;
  }
  return undefined;
}
