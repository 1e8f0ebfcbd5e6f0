import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { emissionScheduleAbi, rewardsDistributorAbi } from '@groundwork/abi';
import type { Hex } from 'viem';
import type { ChainClients } from '../chain/clients.ts';
import type { Deployment } from '../chain/deployment.ts';
import type { ChainIndexer } from '../chain/indexer.ts';
import { signRoot, submitRoot } from '../chain/oracle.ts';
import type { Logger } from '../internal/logger.ts';
import type { Metrics } from '../internal/metrics.ts';
import { Mutex } from '../internal/mutex.ts';
import { type GroundworkModule, requireParam } from '../modules/types.ts';
import type { Db } from '../store/db.ts';
import type { Verifier } from '../verify/verifier.ts';
import { readBundleFile } from './bundleFile.ts';
import {
  DIGEST_PART_MS,
  type DigestInputs,
  digestPartBounds,
  digestPartsAhead,
  storeDigestParts,
} from './digest.ts';
import {
  DeviceLists,
  type DigestFn,
  indexRewardLines,
  persistCumulative,
  prepareEpoch,
  refreshDeviceLists,
} from './prepare.ts';

/**
 * How long after its end a digest part is taken as finished (docs/REWARDS.md
 * §4): room for envelopes received just before the part's end by other ingest
 * processes, which this node's ingest barrier does not wait for, to commit.
 */
export const DIGEST_PART_SETTLE_MS = 30_000;

export const EPOCH_SECONDS_PARAM = 'epoch.seconds';

export interface EpochCloserOptions {
  db: Db;
  clients: ChainClients;
  deployment: Deployment;
  indexer: ChainIndexer;
  verifier: Verifier;
  /**
   * Computes the inputs digest, and its parts ahead of the close, in a worker
   * thread with its own connection (see digestWorker.ts); in-process without it.
   */
  digest?: DigestInputs & Partial<Pick<DigestFn, 'ahead'>>;
  /** Waits until no ingest batch is between taking its receive time and committing. */
  ingestBarrier: () => Promise<void>;
  /** Run at each close after the epoch's end, before the modules' inputs are collected (their `beforeClose`). */
  beforeCollect?: () => Promise<void>;
  modules: GroundworkModule[];
  oracleKeys: Hex[];
  submitterKey: Hex;
  dataDir: string;
  log: Logger;
  metrics: Metrics;
  now?: () => number;
}

export interface EpochCloserEvents {
  closed: [epoch: number];
  submitted: [epoch: number, tx: Hex];
  /** The epoch's reward lines are in `reward_lines` (after its root was submitted). */
  indexed: [epoch: number];
}

/**
 * Closes epochs at their boundary: drains verification, collects module
 * inputs, runs the pure reward function, writes the bundle and the
 * cumulative amounts (the close), has the oracle keys sign and submits the
 * root, then indexes the reward lines for the API — after the submission, so
 * that at a million devices the root is not held back by seconds of indexing,
 * and whether or not the submission got through. Each step is recorded so a
 * restart resumes where it stopped.
 */
export class EpochCloser extends EventEmitter<EpochCloserEvents> {
  readonly #lock = new Mutex();
  /** Reward lines of epochs closed by this run and not yet indexed (else read from the bundle). */
  readonly #lines = new Map<number, Parameters<typeof indexRewardLines>[2]>();
  /** When {@link #digestAhead} next has a part to finish. */
  #aheadAt = 0;
  /** The modules' device lists, kept from close to close and refreshed during the epoch. */
  readonly #deviceLists = new DeviceLists();

  constructor(private readonly o: EpochCloserOptions) {
    super();
  }

  #now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Opens epoch 1 at genesis if no epoch exists yet. */
  async ensureOpen(): Promise<void> {
    const any = await this.o.db.selectFrom('epochs').select('epoch').limit(1).executeTakeFirst();
    if (any) return;
    const seconds = requireParam(this.o.indexer.params, EPOCH_SECONDS_PARAM);
    const start = this.o.deployment.genesisTime;
    await this.o.db
      .insertInto('epochs')
      .values({ epoch: 1, start_ms: start, end_ms: start + Number(seconds) * 1000, status: 'open' })
      .execute();
  }

  /** Closes every epoch whose end has passed and submits every closed, unsubmitted root. */
  tick(): Promise<void> {
    return this.#lock.run(async () => {
      await this.o.indexer.sync();
      await this.ensureOpen();
      for (;;) {
        const open = await this.o.db
          .selectFrom('epochs')
          .selectAll()
          .where('status', '=', 'open')
          .executeTakeFirst();
        if (!open) break;
        if (this.#now() < Number(open.end_ms)) {
          await this.#digestAhead(Number(open.start_ms), Number(open.end_ms));
          await this.#deviceListsAhead();
          break;
        }
        await this.#close(open.epoch, Number(open.start_ms), Number(open.end_ms));
      }
      const pending = await this.o.db
        .selectFrom('epochs')
        .selectAll()
        .where('status', '=', 'closed')
        .orderBy('epoch')
        .execute();
      // The API's lines do not wait on the chain: a failed submission (RPC down) is
      // retried next tick, after the lines are indexed.
      let submitFailure: { error: unknown } | undefined;
      try {
        for (const e of pending)
          await this.#submit(e.epoch, e.root as Hex, BigInt(e.total!), e.bundle_hash as Hex);
      } catch (error) {
        submitFailure = { error };
      }
      // Lines of epochs closed by this run, or by a run that stopped before indexing them
      // (then read from the bundle).
      const unindexed = await this.o.db
        .selectFrom('epochs')
        .select(['epoch', 'bundle_path'])
        .where('status', '!=', 'open')
        .where('lines_indexed', '=', 0)
        .orderBy('epoch')
        .execute();
      for (const e of unindexed) {
        const started = performance.now();
        const lines = this.#lines.get(e.epoch) ?? readBundleFile(e.bundle_path!).bundle.result.lines;
        await indexRewardLines(this.o.db, e.epoch, lines);
        this.#lines.delete(e.epoch);
        this.o.log.info({
          msg: 'reward lines indexed',
          epoch: e.epoch,
          lines: lines.length,
          seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
        });
        this.emit('indexed', e.epoch);
      }
      if (submitFailure) throw submitFailure.error;
    });
  }

  /**
   * Digests the open epoch's finished parts (docs/REWARDS.md §4) as the epoch
   * goes, so that the close digests only what is left — about a minute —
   * instead of every contribution of the window. A part is finished once it
   * ended {@link DIGEST_PART_SETTLE_MS} ago and, as at the close, every
   * envelope received before then is committed and verified. At most once per
   * part; a failure only leaves the work to the close.
   */
  async #digestAhead(startMs: number, endMs: number): Promise<void> {
    const now = this.#now();
    if (now < this.#aheadAt) return;
    const finalMs = now - DIGEST_PART_SETTLE_MS;
    const next = digestPartBounds(startMs, endMs).find(([, e]) => e > finalMs);
    // Next try: when the first part not yet finished will be.
    this.#aheadAt = (next ? next[1] : endMs) + DIGEST_PART_SETTLE_MS;
    if (finalMs < startMs + Math.min(DIGEST_PART_MS, endMs - startMs)) return;
    try {
      await this.o.ingestBarrier();
      await this.o.verifier.drain();
      const parts = this.o.digest?.ahead
        ? await this.o.digest.ahead(startMs, endMs, finalMs)
        : await digestPartsAhead(this.o.db, startMs, endMs, finalMs);
      await storeDigestParts(this.o.db, parts);
      if (parts.length > 0)
        this.o.log.debug({ msg: 'digest parts finished', parts: parts.length, through: finalMs });
    } catch (err) {
      this.o.log.warn({
        msg: 'digest parts not finished ahead; the close will',
        error: (err as Error).message,
      });
    }
  }

  /**
   * Reads the devices changed since the last refresh into the kept lists (all
   * of them the first time: about 3 s at a million devices), so that the close
   * reads only what changes after. A failure only leaves the work to the close.
   */
  async #deviceListsAhead(): Promise<void> {
    try {
      const read = await refreshDeviceLists(this.o.db, this.#deviceLists, this.o.modules);
      if (read.kind !== 'none') this.o.log.debug({ msg: 'device lists refreshed', ...read });
    } catch (err) {
      this.o.log.warn({
        msg: 'device lists not refreshed ahead; the close will',
        error: (err as Error).message,
      });
    }
  }

  async #close(epoch: number, startMs: number, endMs: number): Promise<void> {
    const { db, modules, deployment, clients } = this.o;
    // Every envelope received before endMs is committed once the barrier passes.
    await this.o.ingestBarrier();
    await this.o.verifier.drain();
    await this.o.indexer.sync();
    await this.o.beforeCollect?.();
    const paramsBlock = this.o.indexer.head;
    const params = this.o.indexer.params;
    const pool = (await clients.publicClient.readContract({
      address: deployment.contracts.schedule,
      abi: emissionScheduleAbi,
      functionName: 'poolOf',
      args: [BigInt(epoch)],
    })) as bigint;
    const dir = join(this.o.dataDir, 'bundles');
    mkdirSync(dir, { recursive: true });
    const bundlePath = join(dir, `epoch-${String(epoch).padStart(6, '0')}.jsonl`);
    const { inputs, output, root, total, bundleHash, phases } = await prepareEpoch({
      db,
      modules,
      window: { epoch, startMs, endMs },
      params,
      paramsBlock,
      pool,
      chainId: deployment.chainId,
      contracts: deployment.contracts,
      ...(this.o.digest ? { digest: this.o.digest } : {}),
      deviceLists: this.#deviceLists,
      bundlePath,
    });

    const nextSeconds = Number(requireParam(params, EPOCH_SECONDS_PARAM));
    await db.transaction().execute(async (trx) => {
      await persistCumulative(trx, epoch, output.cumulative);
      // The window's parts are in the bundle's digest now.
      await trx.deleteFrom('digest_parts').where('start_ms', '<', endMs).execute();
      await trx
        .updateTable('epochs')
        .set({
          status: 'closed',
          pool: pool.toString(),
          root,
          total: total.toString(),
          epoch_total: output.epochTotal.toString(),
          bundle_path: bundlePath,
          bundle_hash: bundleHash,
          closed_at: this.#now(),
          lines_indexed: 0,
        })
        .where('epoch', '=', epoch)
        .execute();
      await trx
        .insertInto('epochs')
        .values({ epoch: epoch + 1, start_ms: endMs, end_ms: endMs + nextSeconds * 1000, status: 'open' })
        .execute();
    });
    this.#lines.set(epoch, output.lines);
    this.o.metrics.epochsClosed.inc();
    this.o.log.info({
      msg: 'epoch closed',
      epoch,
      root,
      total: total.toString(),
      envelopes: inputs.envelopeCount,
      lines: output.lines.length,
      seconds: phases,
    });
    this.emit('closed', epoch);
  }

  async #submit(epoch: number, root: Hex, total: bigint, bundleHash: Hex): Promise<void> {
    const { clients, deployment } = this.o;
    const distributor = deployment.contracts.distributor;
    const onChain = (await clients.publicClient.readContract({
      address: distributor,
      abi: rewardsDistributorAbi,
      functionName: 'rootOf',
      args: [BigInt(epoch)],
    })) as Hex;
    let tx: Hex;
    if (BigInt(onChain) !== 0n) {
      // Already submitted (a restart between mining and recording): take it from the chain.
      await this.o.indexer.sync();
      const row = await this.o.db
        .selectFrom('chain_roots')
        .select('tx_hash')
        .where('epoch', '=', epoch)
        .executeTakeFirst();
      if (onChain.toLowerCase() !== root.toLowerCase()) {
        throw new Error(`epoch ${epoch}: chain holds root ${onChain}, this node computed ${root}`);
      }
      tx = (row?.tx_hash ?? '0x') as Hex;
    } else {
      const submission = { epoch: BigInt(epoch), root, total, bundleHash };
      const sigs = await signRoot(this.o.oracleKeys, deployment.chainId, distributor, submission);
      tx = await submitRoot(
        clients,
        this.o.submitterKey,
        distributor,
        submission,
        sigs.map((s) => s.signature),
      );
    }
    await this.o.db
      .updateTable('epochs')
      .set({ status: 'submitted', tx_hash: tx })
      .where('epoch', '=', epoch)
      .execute();
    await this.o.indexer.sync();
    this.o.log.info({ msg: 'root submitted', epoch, tx });
    this.emit('submitted', epoch, tx);
  }
}
