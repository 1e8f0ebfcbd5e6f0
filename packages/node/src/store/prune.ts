import type { Db } from './db.ts';

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
  const r = await db
    .deleteFrom('rejections')
    .where('id', '<=', max - keep)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
