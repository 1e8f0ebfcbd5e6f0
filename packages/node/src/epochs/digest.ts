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

/** One part of a window's digest: SHA-256 of its lines, and how many lines. */
export interface PartDigest {
  startMs: number;
  endMs: number;
  digest: Hex;
  count: number;
}

/** Something that computes {@link InputsDigest}s: in-process, or in the digest worker. */
export type DigestInputs = (startMs: number, endMs: number) => Promise<InputsDigest>;

/** Length of a digest part (docs/REWARDS.md §4): the window is cut into minutes from its start. */
export const DIGEST_PART_MS = 60_000;

/** The parts of the window `[startMs, endMs)`: minutes from `startMs`, the last one possibly shorter. */
export function digestPartBounds(startMs: number, endMs: number): [number, number][] {
  const parts: [number, number][] = [];
  for (let s = startMs; s < endMs; s += DIGEST_PART_MS) parts.push([s, Math.min(s + DIGEST_PART_MS, endMs)]);
  return parts;
}

/**
 * SHA-256 over the lines `<deviceId>:<seq>:<sig>\n` of the accepted
 * contributions with `at` in `[startMs, endMs)`, ordered by device then seq
 * — one part of the inputs digest. The lines are concatenated in SQL, a few
 * hundred groups of devices (by id prefix) per query, so JavaScript handles a
 * few hundred strings rather than a row per envelope.
 */
export async function digestPart(db: Db, startMs: number, endMs: number): Promise<PartDigest> {
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
  return { startMs, endMs, digest: `0x${h.digest('hex')}`, count };
}

/**
 * The bundle's `inputsDigest` (docs/REWARDS.md §4): SHA-256 over the 32-byte
 * digests of the window's parts in time order, binding the published inputs
 * to the signed envelopes they came from. Parts already in `digest_parts`
 * (finished during the epoch by {@link digestPartsAhead}) are taken from
 * there; the rest are computed now — at a close, normally the last minute.
 */
export async function digestInputs(db: Db, startMs: number, endMs: number): Promise<InputsDigest> {
  const stored = new Map<number, PartDigest>();
  const rows = await db
    .selectFrom('digest_parts')
    .selectAll()
    .where('start_ms', '>=', startMs)
    .where('start_ms', '<', endMs)
    .execute();
  for (const r of rows)
    stored.set(Number(r.start_ms), {
      startMs: Number(r.start_ms),
      endMs: Number(r.end_ms),
      digest: r.digest as Hex,
      count: Number(r.count),
    });
  const h = createHash('sha256');
  let count = 0;
  for (const [s, e] of digestPartBounds(startMs, endMs)) {
    const known = stored.get(s);
    const part = known && known.endMs === e ? known : await digestPart(db, s, e);
    h.update(Buffer.from(part.digest.slice(2), 'hex'));
    count += part.count;
  }
  return { digest: `0x${h.digest('hex')}`, count };
}

/**
 * Digests of the parts of `[startMs, endMs)` that end by `finalMs` and are
 * not in `digest_parts` yet; the caller stores them ({@link storeDigestParts}).
 * `finalMs` must be a time by which everything received is committed and
 * verified (the ingest barrier and a verifier drain, as at the close).
 */
export async function digestPartsAhead(
  db: Db,
  startMs: number,
  endMs: number,
  finalMs: number,
): Promise<PartDigest[]> {
  const have = new Set(
    (
      await db
        .selectFrom('digest_parts')
        .select('start_ms')
        .where('start_ms', '>=', startMs)
        .where('start_ms', '<', endMs)
        .execute()
    ).map((r) => Number(r.start_ms)),
  );
  const out: PartDigest[] = [];
  for (const [s, e] of digestPartBounds(startMs, endMs))
    if (e <= finalMs && !have.has(s)) out.push(await digestPart(db, s, e));
  return out;
}

/** Stores finished parts (a part already there is left as it is). */
export async function storeDigestParts(db: Db, parts: readonly PartDigest[]): Promise<void> {
  if (parts.length === 0) return;
  await db
    .insertInto('digest_parts')
    .values(parts.map((p) => ({ start_ms: p.startMs, end_ms: p.endMs, digest: p.digest, count: p.count })))
    .onConflict((oc) => oc.column('start_ms').doNothing())
    .execute();
}
