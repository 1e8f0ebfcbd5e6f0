import { dataCreditsAbi, rewardsDistributorAbi } from '@groundwork/abi';
import type { ModuleRuntime, ModuleWork } from '@groundwork/node/modules/types.ts';
import type { Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { indexCreditEvents, issueEntropyRound, postPrice, settleDueSessions } from './chain.ts';
import { readCoverageParams } from './params.ts';
import { importContributions, judgeClosedBeacons, recordCreditsDomain } from './store/pipeline.ts';
import { coverageDb } from './store/schema.ts';

/** Receive time up to which every stored envelope has been through the core verifier. */
async function verifiedUpTo(rt: ModuleRuntime, now: number): Promise<number> {
  const db = coverageDb(rt.db);
  const cursor = await db
    .selectFrom('cursors')
    .select('position')
    .where('name', '=', 'verifier')
    .executeTakeFirst();
  const pending = await db
    .selectFrom('envelopes')
    .select((eb) => eb.fn.min('received_at').as('first'))
    .where('id', '>', Number(cursor?.position ?? 0))
    .executeTakeFirst();
  const first = pending?.first;
  return first === null || first === undefined ? now : Math.min(now, Number(first) - 1);
}

/**
 * The module's background work in a running node, once a second: issue
 * entropy rounds, import and provisionally judge reports, follow DataCredits
 * events, settle data sessions, and (on a network whose oracle keys this node
 * holds) keep the credit price fresh. Each step logs and retries on failure.
 */
export async function startCoverage(rt: ModuleRuntime): Promise<ModuleWork> {
  const credits = rt.contracts.DataCredits as Address | undefined;
  if (credits) await recordCreditsDomain(rt.db, rt.deployment.chainId, credits);
  const pc = rt.clients.publicClient;
  let stopped = false;
  let spender: boolean | undefined;
  // One indexing run at a time: the loop's and an epoch close's (beforeClose).
  let indexing: Promise<unknown> = Promise.resolve();
  const syncCredits = () => {
    const run = indexing.then(() =>
      indexCreditEvents({
        db: rt.db,
        clients: rt.clients,
        credits: credits!,
        fromBlock: rt.deployment.deployBlock,
        bytesPerCredit: readCoverageParams(rt.params()).bytesPerCredit,
      }),
    );
    indexing = run.catch(() => {});
    return run;
  };
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      if (!stopped)
        rt.log.warn({
          msg: `coverage ${name} failed; retrying`,
          error: (err as Error).message?.slice(0, 300),
        });
    }
  };
  const tick = async () => {
    const params = rt.params();
    const p = readCoverageParams(params);
    const now = Date.now();
    await step('entropy', async () => {
      const r = await issueEntropyRound({
        db: rt.db,
        latestBlock: async () => {
          const b = await pc.getBlock();
          return { number: b.number, hash: b.hash };
        },
        nowMs: now,
        entropySeconds: p.entropySeconds,
      });
      if (r)
        rt.bus.emit('coverage', {
          type: 'entropy',
          round: r.round,
          entropy: r.entropy,
          issuedAt: r.issuedAt,
        });
    });
    await step('import', async () => {
      const n = await importContributions(rt.db, params);
      const judged = await judgeClosedBeacons(rt.db, params, await verifiedUpTo(rt, now));
      if (n > 0 || judged > 0)
        rt.bus.emit('coverage', { type: 'verdicts', imported: n, beaconsJudged: judged });
    });
    if (!credits) return;
    await step('credits', syncCredits);
    await step('settlement', async () => {
      spender ??= (await pc.readContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'isSpender',
        args: [privateKeyToAccount(rt.keys.deployer).address],
      })) as boolean;
      if (!spender) return;
      const tx = await settleDueSessions({
        db: rt.db,
        clients: rt.clients,
        credits,
        spenderKey: rt.keys.deployer,
        nowMs: now,
      });
      if (tx) rt.bus.emit('coverage', { type: 'settlement', tx });
    });
    await step('price', async () => {
      const [priceE8, ts] = (await pc.readContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'price',
      })) as [bigint, bigint];
      const maxAge = (await pc.readContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'maxPriceAge',
      })) as bigint;
      if (priceE8 === 0n || BigInt(Math.floor(now / 1000)) - ts < maxAge / 2n) return;
      // A local network: its oracles re-sign the current price so credits stay purchasable.
      const threshold = (await pc.readContract({
        address: rt.deployment.contracts.distributor,
        abi: rewardsDistributorAbi,
        functionName: 'threshold',
      })) as bigint;
      await postPrice({
        clients: rt.clients,
        credits,
        oracleKeys: rt.keys.oracles,
        threshold: Number(threshold),
        submitterKey: rt.keys.deployer,
        priceE8,
      });
    });
  };
  const loop = (async () => {
    while (!stopped) {
      await tick().catch((err) =>
        rt.log.warn({ msg: 'coverage tick failed', error: String(err).slice(0, 300) }),
      );
      for (let waited = 0; waited < 1000 && !stopped; waited += 100)
        await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
    /**
     * An epoch's inputs take the session debits whose block time falls in
     * the epoch. A debit mined just before the end and not yet indexed when
     * the epoch closed (the loop indexes once a second) would be in no epoch
     * and paid to no one; so every close first indexes up to the chain head.
     */
    ...(credits ? { beforeClose: async () => void (await syncCredits()) } : {}),
  };
}
