import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshStore, STORE_KINDS } from '../../test/helpers.ts';
import type { Store } from './db.ts';
import { pruneRejections } from './prune.ts';

describe.each(STORE_KINDS)('rejections log on %s', (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await freshStore(kind));
  });
  afterEach(async () => cleanup());

  const refuse = async (n: number) =>
    store.db
      .insertInto('rejections')
      .values(
        Array.from({ length: n }, (_, i) => ({
          device_id: `0x${'ab'.repeat(32)}`,
          received_at: 1000 + i,
          reason: 'BAD_SIGNATURE',
          detail: 'forged',
          seq: i + 1,
          kind: 'uptime.heartbeat',
        })),
      )
      .execute();
  const seqs = async () =>
    (await store.db.selectFrom('rejections').select('seq').orderBy('id').execute()).map((r) => Number(r.seq));

  it('keeps only the newest rows of a flood, and leaves a small log alone', async () => {
    await refuse(10);
    expect(await pruneRejections(store.db, 25)).toBe(0);
    expect(await seqs()).toHaveLength(10);
    await refuse(40); // 50 rows, seq 1..10 then 1..40
    expect(await pruneRejections(store.db, 25)).toBe(25);
    expect(await seqs()).toEqual(Array.from({ length: 25 }, (_, i) => 16 + i)); // the last 25 of the second flood
    // Idempotent: nothing more to do until new rows come.
    expect(await pruneRejections(store.db, 25)).toBe(0);
  });
});
