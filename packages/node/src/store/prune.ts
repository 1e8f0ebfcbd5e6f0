import type { ExpressionBuilder } from 'kysely';
import { verifierPosition } from '../verify/verifier.ts';
import type { Db } from './db.ts';
import type { Database } from './schema.ts';

/**
 * Bounds the rejections log (the audit trail of refused envelopes) to about
 * its newest `keep` rows: deletes every row whose id is `keep` or more below
 * the newest. Ids only grow, so what stays is the most recent refusals;
 * someone flooding a device with forged envelopes can no longer fill the
 * disk. Returns how many rows went.
 */
export async function pruneRejections(db: Db, keep: number): Promise<number> {
  const top = await db
    .selectFrom('rejections')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirst();
  const max = Number(top?.max ?? 0);
  if (max <= keep) return 0;
  return deleted(db.deleteFrom('rejections').where('id', '<=', max - keep));
}

/** What {@link pruneEpochData} deleted, and up to which epoch. */
export interface EpochDataPruned {
  /** The newest epoch whose raw data may go (0: none yet). */
  throughEpoch: number;
  envelopes: number;
  contributions: number;
  verdicts: number;
  digestParts: number;
  /** False when it stopped at its time budget with more to delete (the next call goes on). */
  done: boolean;
}

/**
 * Deletes the raw data of old epochs — accepted envelopes, their verdicts and
 * contributions, and the inputs-digest parts — keeping the `keepEpochs`
 * newest epochs whose root is submitted and whose reward lines are indexed,
 * and everything after them. An epoch's bundle file is its record (it holds
 * every input the reward function read: docs/REWARDS.md §4), and
 * `reward_lines`, `cumulative`, `device_seq` and the modules' own tables are
 * not touched.
 *
 * Never deleted: an envelope the verifier has not judged yet (above its
 * cursor), and one received at or after the end of the newest prunable epoch
 * — ids and receive times ascend together unless the node's clock stepped
 * back, so both are checked. Works in id ranges of `chunk` envelopes
 * ({@link PRUNE_CHUNK}), one transaction each, until `maxMs` has passed;
 * `done` says whether it caught up.
 */
export async function pruneEpochData(
  db: Db,
  keepEpochs: number,
  o: { chunk?: number; maxMs?: number } = {},
): Promise<EpochDataPruned> {
  const out: EpochDataPruned = {
    throughEpoch: 0,
    envelopes: 0,
    contributions: 0,
    verdicts: 0,
    digestParts: 0,
    done: true,
  };
  if (!Number.isSafeInteger(keepEpochs) || keepEpochs < 1)
    throw new RangeError(`keepEpochs must be a positive integer, got ${keepEpochs}`);
  const newest = await db
    .selectFrom('epochs')
    .select((eb) => eb.fn.max('epoch').as('epoch'))
    .where('status', '=', 'submitted')
    .where('lines_indexed', '=', 1)
    .executeTakeFirst();
  const through = Number(newest?.epoch ?? 0) - keepEpochs;
  if (through < 1) return out;
  const cut = await db
    .selectFrom('epochs')
    .select(['end_ms', 'status', 'lines_indexed'])
    .where('epoch', '=', through)
    .executeTakeFirst();
  // Epochs are submitted in order, so an earlier one is submitted too; its lines must be in.
  if (cut?.status !== 'submitted' || Number(cut.lines_indexed) !== 1) return out;
  out.throughEpoch = through;
  const endMs = Number(cut.end_ms);
  out.digestParts = await deleted(db.deleteFrom('digest_parts').where('end_ms', '<=', endMs));
  const judged = await verifierPosition(db);
  // The last envelope received before the end, found from the receive-time index's end
  // (a max(id) over that range would read all of it: the whole history on a first run).
  // Ids ascend with receive times; one out of step is caught by the deletes' own condition.
  const last = await db
    .selectFrom('envelopes')
    .select('id')
    .where('received_at', '<', endMs)
    .orderBy('received_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const top = Math.min(Number(last?.id ?? 0), judged);
  const first = await db
    .selectFrom('envelopes')
    .select((eb) => eb.fn.min('id').as('id'))
    .executeTakeFirst();
  const chunk = o.chunk ?? PRUNE_CHUNK;
  const deadline = performance.now() + (o.maxMs ?? 10_000);
  for (let lo = Number(first?.id ?? 1) - 1; lo < top; lo += chunk) {
    if (performance.now() > deadline) {
      out.done = false;
      break;
    }
    const hi = Math.min(top, lo + chunk);
    // This range's envelopes received before the end: the only ones deleted, with their rows.
    const old = (eb: ExpressionBuilder<Database, 'envelopes'>) =>
      eb.and([eb('id', '>', lo), eb('id', '<=', hi), eb('received_at', '<', endMs)]);
    await db.transaction().execute(async (trx) => {
      const ids = trx.selectFrom('envelopes').select('id').where(old);
      out.contributions += await deleted(trx.deleteFrom('contributions').where('envelope_id', 'in', ids));
      out.verdicts += await deleted(trx.deleteFrom('verdicts').where('envelope_id', 'in', ids));
      out.envelopes += await deleted(trx.deleteFrom('envelopes').where(old));
    });
    // SQLite's statements hold the event loop: ingest gets a turn between chunks.
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/**
 * Envelopes per pruning transaction: small, because on SQLite a chunk holds
 * the event loop (ingest waits) while it runs. Measured on SQLite, 1,000,000
 * devices × 2 heartbeats, each envelope with its verdict and contribution,
 * all 1,980,000 pruned: 56.5 µs per envelope in chunks of 2,000 (about
 * 0.11 s each), 41.8 µs in chunks of 20,000 (about 0.84 s each).
 */
const PRUNE_CHUNK = 2_000;

/** How many rows a DELETE removed. */
async function deleted(q: { executeTakeFirst(): Promise<{ numDeletedRows: bigint }> }): Promise<number> {
  return Number((await q.executeTakeFirst()).numDeletedRows);
}
