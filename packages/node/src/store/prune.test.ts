import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshStore, STORE_KINDS } from '../../test/helpers.ts';
import type { Store } from './db.ts';
import { pruneEpochData, pruneRejections } from './prune.ts';

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

describe.each(STORE_KINDS)('epoch data pruning on %s', (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await freshStore(kind));
  });
  afterEach(async () => cleanup());

  const device = `0x${'cd'.repeat(32)}`;
  /** Epoch n spans [n·1000, (n+1)·1000). */
  const epoch = (n: number, status: string, linesIndexed = 1) =>
    store.db
      .insertInto('epochs')
      .values({ epoch: n, start_ms: n * 1000, end_ms: (n + 1) * 1000, status, lines_indexed: linesIndexed })
      .execute();
  /** An accepted envelope received at `at`, with its verdict and contribution; its id. */
  const envelope = async (at: number, seq: number) => {
    const { id } = await store.db
      .insertInto('envelopes')
      .values({
        device_id: device,
        seq,
        time: at,
        received_at: at,
        kind: 'uptime.heartbeat',
        body: '{}',
        sig: '0x',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await store.db
      .insertInto('verdicts')
      .values({
        envelope_id: id,
        device_id: device,
        module: 'uptime',
        status: 'accepted',
        reason: '',
        created_at: at,
      })
      .execute();
    await store.db
      .insertInto('contributions')
      .values({ envelope_id: id, module: 'uptime', device_id: device, at, data: '{}' })
      .execute();
    return Number(id);
  };
  const judgedThrough = (id: number) =>
    store.db
      .insertInto('cursors')
      .values({ name: 'verifier', position: id })
      .onConflict((oc) => oc.column('name').doUpdateSet({ position: id }))
      .execute();
  const left = async () => ({
    envelopes: (await store.db.selectFrom('envelopes').select('received_at').orderBy('id').execute()).map(
      (r) => Number(r.received_at),
    ),
    contributions: (
      await store.db.selectFrom('contributions').select('at').orderBy('envelope_id').execute()
    ).map((r) => Number(r.at)),
    verdicts: (
      await store.db.selectFrom('verdicts').select('created_at').orderBy('envelope_id').execute()
    ).map((r) => Number(r.created_at)),
  });

  it('deletes the raw data of the epochs before the kept ones, never what the verifier has not judged or what came later', async () => {
    await epoch(1, 'submitted');
    await epoch(2, 'submitted');
    await epoch(3, 'submitted');
    await epoch(4, 'closed');
    await envelope(1100, 1);
    await envelope(1200, 2);
    // Received in epoch 3 with an id among epoch 1's and 2's: the node's clock had stepped back.
    await envelope(3500, 3);
    const judged = await envelope(2100, 4);
    await envelope(2200, 5);
    await envelope(3100, 6);
    await envelope(4100, 7);
    for (const end of [2000, 3000, 4000])
      await store.db
        .insertInto('digest_parts')
        .values({ start_ms: end - 1000, end_ms: end, digest: '0x', count: 1 })
        .execute();
    await judgedThrough(judged);

    // Keeping 3 submitted epochs leaves nothing to delete; keeping 1 (epoch 3) frees epochs 1 and 2.
    expect(await pruneEpochData(store.db, 3)).toEqual({
      throughEpoch: 0,
      envelopes: 0,
      contributions: 0,
      verdicts: 0,
      digestParts: 0,
      done: true,
    });
    // Out of time before the first range: no envelope deleted (the digest parts go first), not done.
    expect(await pruneEpochData(store.db, 1, { maxMs: -1 })).toMatchObject({
      envelopes: 0,
      digestParts: 2,
      done: false,
    });
    expect(await pruneEpochData(store.db, 1, { chunk: 2 })).toEqual({
      throughEpoch: 2,
      envelopes: 3,
      contributions: 3,
      verdicts: 3,
      digestParts: 0,
      done: true,
    });
    // Left: the clock-stepped one, epoch 2's unjudged one, and epochs 3 and 4.
    const kept = [3500, 2200, 3100, 4100];
    expect(await left()).toEqual({ envelopes: kept, contributions: kept, verdicts: kept });
    expect(
      (await store.db.selectFrom('digest_parts').select('end_ms').execute()).map((r) => Number(r.end_ms)),
    ).toEqual([4000]);

    // Once judged, it goes too; then there is nothing more.
    await judgedThrough(1_000);
    expect(await pruneEpochData(store.db, 1)).toMatchObject({ envelopes: 1, contributions: 1, verdicts: 1 });
    expect(await pruneEpochData(store.db, 1)).toMatchObject({ envelopes: 0, contributions: 0, verdicts: 0 });
    expect((await left()).envelopes).toEqual([3500, 3100, 4100]);
  });

  it('waits for an epoch’s reward lines to be indexed before it counts as kept', async () => {
    await epoch(1, 'submitted');
    await epoch(2, 'submitted');
    await epoch(3, 'submitted', 0);
    await envelope(1100, 1);
    await envelope(2100, 2);
    await judgedThrough(1_000);
    // The newest submitted and indexed epoch is 2: keeping one frees epoch 1 only.
    expect(await pruneEpochData(store.db, 1)).toMatchObject({ throughEpoch: 1, envelopes: 1 });
    expect((await left()).envelopes).toEqual([2100]);
    await expect(pruneEpochData(store.db, 0)).rejects.toThrow('keepEpochs must be a positive integer');
  });
});
