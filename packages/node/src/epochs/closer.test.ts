import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshStore, insertContribution, STORE_KINDS, TEST_CONTRACTS } from '../../test/helpers.ts';
import type { ChainClients } from '../chain/clients.ts';
import type { Deployment } from '../chain/deployment.ts';
import type { ChainIndexer } from '../chain/indexer.ts';
import { createLogger } from '../internal/logger.ts';
import { createMetrics } from '../internal/metrics.ts';
import type { GroundworkModule } from '../modules/types.ts';
import type { Store } from '../store/db.ts';
import type { Verifier } from '../verify/verifier.ts';
import { BUNDLE_FORMAT, bundleBodyChunks, bundleTrailer, computeEpoch } from './bundle.ts';
import { writeBundleFile } from './bundleFile.ts';
import { DIGEST_PART_SETTLE_MS, EpochCloser } from './closer.ts';
import { digestInputs } from './digest.ts';

const A = `0x${'a'.repeat(40)}` as Hex;
const dev = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

const counter: GroundworkModule = {
  id: 'alpha',
  description: 'test',
  kinds: {},
  parameters: [],
  verify: () => ({ status: 'accepted', reason: 'OK', contribution: {} }),
  collectInputs: async () => ({}),
  score: ({ devices }) => devices.map((d, i) => ({ deviceId: d, score: BigInt(i + 1), reason: 'COUNTED' })),
};

describe.each(STORE_KINDS)('epoch closer on %s', (kind) => {
  let store: Store;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, dir, cleanup } = await freshStore(kind));
  });
  afterEach(async () => cleanup());

  /** Epoch 1 closed (bundle written, root recorded) by a process that died before indexing its lines. */
  async function closedEpochNotIndexed(): Promise<Hex> {
    const inputs = {
      format: BUNDLE_FORMAT,
      chainId: 31337,
      contracts: TEST_CONTRACTS,
      epoch: 1,
      window: { startMs: 0, endMs: 1000 },
      paramsBlock: 1,
      params: { 'reward.weight.alpha': '1' },
      pool: '600',
      inputsDigest: `0x${'00'.repeat(32)}`,
      envelopeCount: 0,
      modules: [
        {
          id: 'alpha',
          weight: '1',
          devices: [1, 2, 3].map((n) => ({ deviceId: dev(n), beneficiary: A })),
          inputs: {},
        },
      ],
      previousCumulative: [],
    } as const;
    const { output, root, total } = computeEpoch(
      { ...inputs, modules: [...inputs.modules], previousCumulative: [] },
      [counter],
    );
    const bundlePath = join(dir, 'epoch-000001.jsonl');
    const { hash } = await writeBundleFile(
      bundlePath,
      bundleBodyChunks({ ...inputs, modules: [...inputs.modules], previousCumulative: [] }, output, root),
      bundleTrailer(inputs),
    );
    await store.db
      .insertInto('epochs')
      .values([
        {
          epoch: 1,
          start_ms: 0,
          end_ms: 1000,
          status: 'closed',
          pool: '600',
          root,
          total: total.toString(),
          epoch_total: '600',
          bundle_path: bundlePath,
          bundle_hash: hash,
          closed_at: 1000,
        },
        { epoch: 2, start_ms: 1000, end_ms: 2_000_000_000_000, status: 'open' },
      ])
      .execute();
    await store.db.updateTable('epochs').set({ lines_indexed: 0 }).where('epoch', '=', 1).execute();

    return root;
  }

  /** A closer over the store whose chain answers `readContract` as given; its events in `events`. */
  function closerWith(
    readContract: (call: { functionName: string }) => Promise<unknown>,
    events: string[],
    now: () => number = () => 5000,
    params = new Map<string, bigint>(),
    extra: { modules?: GroundworkModule[]; beforeCollect?: () => Promise<void> } = {},
  ): EpochCloser {
    const closer = new EpochCloser({
      db: store.db,
      clients: { publicClient: { readContract } } as unknown as ChainClients,
      deployment: { chainId: 31337, genesisTime: 0, contracts: TEST_CONTRACTS } as unknown as Deployment,
      indexer: { sync: async () => {}, params, head: 1 } as unknown as ChainIndexer,
      verifier: { drain: async () => void events.push('drain') } as unknown as Verifier,
      ingestBarrier: async () => void events.push('barrier'),
      modules: extra.modules ?? [counter],
      ...(extra.beforeCollect ? { beforeCollect: extra.beforeCollect } : {}),
      oracleKeys: [],
      submitterKey: `0x${'11'.repeat(32)}`,
      dataDir: dir,
      log: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
      now,
    });
    closer.on('submitted', (e) => events.push(`submitted ${e}`));
    closer.on('indexed', (e) => events.push(`indexed ${e}`));
    return closer;
  }

  const indexedLines = () =>
    store.db
      .selectFrom('reward_lines')
      .select(['device_id', 'amount', 'reason'])
      .where('epoch', '=', 1)
      .orderBy('device_id')
      .execute();
  const epochStates = () =>
    store.db.selectFrom('epochs').select(['epoch', 'status', 'lines_indexed']).orderBy('epoch').execute();
  // Scores 1 : 2 : 3 of a pool of 600.
  const expectedLines = [
    { device_id: dev(1), amount: '100', reason: 'COUNTED' },
    { device_id: dev(2), amount: '200', reason: 'COUNTED' },
    { device_id: dev(3), amount: '300', reason: 'COUNTED' },
  ];

  it('indexes from the bundle the lines of an epoch closed by a run that stopped before indexing them', async () => {
    const root = await closedEpochNotIndexed();
    // The chain already holds the root (submitted before the crash): the closer takes it from there.
    const events: string[] = [];
    await closerWith(async () => root, events).tick();

    expect(await indexedLines()).toEqual(expectedLines);
    const epochs = await epochStates();
    expect(epochs).toEqual([
      { epoch: 1, status: 'submitted', lines_indexed: 1 },
      { epoch: 2, status: 'open', lines_indexed: 1 },
    ]);
    // The root goes first; indexing the lines for the API follows it.
    expect(events).toEqual(['submitted 1', 'indexed 1']);
  });

  it('indexes the lines even when the root cannot reach the chain, and fails the tick for a retry', async () => {
    await closedEpochNotIndexed();
    const events: string[] = [];
    const closer = closerWith(async () => {
      throw new Error('rpc down');
    }, events);
    await expect(closer.tick()).rejects.toThrow('rpc down');
    expect(await indexedLines()).toEqual(expectedLines);
    const epochs = await epochStates();
    expect(epochs).toEqual([
      { epoch: 1, status: 'closed', lines_indexed: 1 },
      { epoch: 2, status: 'open', lines_indexed: 1 },
    ]);
    expect(events).toEqual(['indexed 1']);
  });

  it('digests finished minutes of the open epoch ahead, and the close folds them into the trailer', async () => {
    await store.db
      .insertInto('epochs')
      .values({ epoch: 1, start_ms: 1000, end_ms: 181_000, status: 'open' })
      .execute();
    // One contribution in each of the first two minutes of the window.
    for (const [id, at] of [
      [1, 2_000],
      [2, 70_000],
    ] as const)
      await insertContribution(store.db, { id, device: dev(id), seq: 1, at, sig: '0x01' });
    const parts = () => store.db.selectFrom('digest_parts').select(['start_ms', 'end_ms', 'count']).execute();
    let now = 61_000 + DIGEST_PART_SETTLE_MS - 1;
    const events: string[] = [];
    // The chain: poolOf answers 600; rootOf answers a root that is not this one.
    const params = new Map([
      ['epoch.seconds', 180n],
      ['reward.weight.alpha', 1n],
    ]);
    const chain = async (c: { functionName: string }) =>
      c.functionName === 'poolOf' ? 600n : `0x${'ff'.repeat(32)}`;
    const closer = closerWith(chain, events, () => now, params);
    await closer.tick();
    expect(await parts()).toEqual([]);
    expect(events).toEqual([]);
    now += 1; // the first minute is settled
    await closer.tick();
    expect((await parts()).map((p) => [Number(p.start_ms), Number(p.end_ms), Number(p.count)])).toEqual([
      [1000, 61_000, 1],
    ]);
    // As at a close: everything received before then committed, then verified.
    expect(events).toEqual(['barrier', 'drain']);
    await closer.tick();
    expect(events).toEqual(['barrier', 'drain']); // nothing more until the next minute is settled

    // Marked, to show the close takes the stored part rather than digesting the minute again.
    await store.db.updateTable('digest_parts').set({ count: 5 }).execute();
    now = 200_000;
    await expect(closer.tick()).rejects.toThrow(/chain holds root/);
    expect(await parts()).toEqual([]);
    const bundle = readFileSync(join(dir, 'bundles', 'epoch-000001.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    const trailer = JSON.parse(bundle.at(-1)!);
    // The same digest as one computed now from scratch, the parts being gone; the count
    // is the marked part's 5 and the second minute's 1.
    const fresh = await digestInputs(store.db, 1000, 181_000);
    expect(trailer).toEqual({ envelopeCount: 6, inputsDigest: fresh.digest, inputsDigestPartMs: 60_000 });
    expect(fresh.count).toBe(2);
  });
  it("runs beforeCollect at a close after the barrier and before any module's inputs; its failure leaves the epoch open", async () => {
    await store.db
      .insertInto('epochs')
      .values({ epoch: 1, start_ms: 0, end_ms: 1000, status: 'open' })
      .execute();
    const events: string[] = [];
    const params = new Map([
      ['epoch.seconds', 1n],
      ['reward.weight.alpha', 1n],
    ]);
    const collecting: GroundworkModule = {
      ...counter,
      collectInputs: async () => {
        events.push('collect');
        return {};
      },
    };
    let failing = true;
    const chain = async (c: { functionName: string }) =>
      c.functionName === 'poolOf' ? 600n : `0x${'ff'.repeat(32)}`;
    const closer = closerWith(chain, events, () => 5000, params, {
      modules: [collecting],
      beforeCollect: async () => {
        events.push('before collect');
        if (failing) throw new Error('rpc down');
      },
    });
    await expect(closer.tick()).rejects.toThrow('rpc down');
    expect(events).toEqual(['barrier', 'drain', 'before collect']);
    expect((await epochStates()).map((e) => [e.epoch, e.status])).toEqual([[1, 'open']]);

    failing = false;
    events.length = 0;
    // Closed this time; the submission then finds another root on chain, as in the test above.
    await expect(closer.tick()).rejects.toThrow(/chain holds root/);
    expect(events.slice(0, 4)).toEqual(['barrier', 'drain', 'before collect', 'collect']);
    expect((await epochStates())[0]).toMatchObject({ epoch: 1, status: 'closed' });
  });
});
