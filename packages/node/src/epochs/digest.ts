/**
 * The inputs digest of an epoch (docs/REWARDS.md §4). A file of its own, with
 * few imports, because the digest worker thread loads it.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Hex } from 'viem';
import { type Db, dialectOf } from '../store/db.ts';

/** The inputs digest of the window `[startMs, endMs)` and how many envelopes it covers. */
export interface InputsDigest {
  digest: Hex;
  count: number;
}

/** Something that computes {@link InputsDigest}s: in-process, or in the digest worker. */
export type DigestInputs = (startMs: number, endMs: number) => Promise<InputsDigest>;

/**
 * Streams the epoch's accepted contributions (device, seq, sig), ordered by
 * device then seq, into SHA-256 — the bundle's `inputsDigest`, binding the
 * published inputs to the signed envelopes they came from (docs/REWARDS.md).
 * The lines are concatenated in SQL, a few hundred groups of devices (by id
 * prefix) per query, so JavaScript handles a few hundred strings rather than
 * a row per envelope.
 */
export async function digestInputs(db: Db, startMs: number, endMs: number): Promise<InputsDigest> {
  const h = createHash('sha256');
  let count = 0;
  // Groups by the first three hex digits of the id: each group's ids sort
  // together, so groups in key order, each in (device, seq) order, are the
  // whole list in (device, seq) order.
  // From SQLite each group's text comes back as bytes (a blob): at a million devices
  // the lines are 400 MB, and decoding them into JavaScript strings only for the hash
  // to encode them again cost a second. (PostgreSQL would send a bytea as hex text.)
  const lines = sql`string_agg(c.device_id || ':' || e.seq || ':' || e.sig || ${'\n'}, '' order by c.device_id, e.seq)`;
  const { rows } = await sql<{ k: string; s: Uint8Array | string; n: number | string }>`
    select substr(c.device_id, 1, 5) as k, ${dialectOf(db) === 'sqlite' ? sql`cast(${lines} as blob)` : lines} as s,
           count(*) as n
    from contributions c join envelopes e on e.id = c.envelope_id
    where c.at >= ${startMs} and c.at < ${endMs}
    group by substr(c.device_id, 1, 5)
    order by k`.execute(db);
  for (const r of rows) {
    h.update(r.s); // a string is hashed as its UTF-8 bytes
    count += Number(r.n);
  }
  return { digest: `0x${h.digest('hex')}`, count };
}
