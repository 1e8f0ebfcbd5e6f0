import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groundTokenAbi, rewardsDistributorAbi } from '@groundwork/abi';
import { createTestClient, encodeFunctionData, type Hex, http, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnvilHandle } from '../src/chain/anvil.ts';
import { ClaimRevertedError, claimWithFreshProof, isStaleProof, sendClaim } from '../src/chain/claims.ts';
import type { ChainClients } from '../src/chain/clients.ts';
import type { Deployment } from '../src/chain/deployment.ts';
import { signRoot } from '../src/chain/oracle.ts';
import { DEV_KEYS, type Settings } from '../src/internal/settings.ts';
import { buildRewardTree, type RewardTree } from '../src/rewards/merkle.ts';
import { startTestNetwork } from './helpers.ts';

/**
 * sendClaim on a local chain with anvil's automine off, so that what lands
 * in a block before a claim is the test's to choose: a root (the claim's
 * proof goes stale between its send and its block) or another relayer's
 * claim of the same amount (a revert a fresh proof cannot cure).
 */
describe('sendClaim', () => {
  let anvil: AnvilHandle;
  let clients: ChainClients;
  let settings: Settings;
  let deployment: Deployment;
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-claims-'));
  const alice = privateKeyToAccount(DEV_KEYS[6] as Hex).address;
  const bob = privateKeyToAccount(DEV_KEYS[7] as Hex).address;

  beforeAll(async () => {
    ({ anvil, clients, settings, deployment } = await startTestNetwork({
      settings: { dataDir },
      modules: [],
    }));
  }, 120_000);

  afterAll(async () => {
    await anvil?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends a root for `epoch` signed by the oracles, with a high tip so that it goes first in its block; its hash. */
  async function sendRoot(epoch: bigint, tree: RewardTree): Promise<Hex> {
    const total = tree.entries.reduce((s, e) => s + e.cumulativeAmount, 0n);
    const s = { epoch, root: tree.root, total, bundleHash: keccak256(toHex(`bundle ${epoch}`)) };
    const sigs = await signRoot(
      settings.oracleKeys as Hex[],
      deployment.chainId,
      deployment.contracts.distributor,
      s,
    );
    return clients.walletFor(DEV_KEYS[4] as Hex).writeContract({
      address: deployment.contracts.distributor,
      abi: rewardsDistributorAbi,
      functionName: 'submitRoot',
      args: [s.epoch, s.root, s.total, s.bundleHash, sigs.map((x) => x.signature)],
      maxPriorityFeePerGas: 50_000_000_000n,
      maxFeePerGas: 100_000_000_000n,
    });
  }

  const call = (tree: RewardTree, account: `0x${string}`) => ({
    distributor: deployment.contracts.distributor,
    account,
    cumulativeAmount: tree.entries.find((e) => e.account === account.toLowerCase())!.cumulativeAmount,
    proof: tree.proofOf(account),
  });

  it('tells a proof gone stale in the block from a revert a fresh proof cannot cure, and pays with a fresh one', async () => {
    const test = createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl), chain: clients.chain });
    const first = buildRewardTree([
      { account: alice, cumulativeAmount: 100n },
      { account: bob, cumulativeAmount: 50n },
    ]);
    const second = buildRewardTree([
      { account: alice, cumulativeAmount: 300n },
      { account: bob, cumulativeAmount: 50n },
    ]);
    await clients.publicClient.waitForTransactionReceipt({ hash: await sendRoot(1n, first) });
    const relayer = clients.walletFor(DEV_KEYS[8] as Hex);
    await test.setAutomine(false);
    try {
      // The claim is checked (estimated) against epoch 1's root and waits in the pool; epoch 2's
      // root comes after it with a higher tip, so the block takes the root first and the claim's
      // proof no longer holds when it runs.
      let sent!: (hash: Hex) => void;
      const sentHash = new Promise<Hex>((r) => (sent = r));
      const stale = sendClaim(clients.publicClient, relayer, call(first, alice), { onSent: sent }).catch(
        (e: unknown) => e,
      );
      const staleHash = await Promise.race([sentHash, stale.then((e) => Promise.reject(e))]);
      const rootTx = await sendRoot(2n, second);
      await test.mine({ blocks: 1 });
      const err = await stale;
      expect(err).toBeInstanceOf(ClaimRevertedError);
      expect(err).toMatchObject({ code: 'CLAIM_REVERTED', hash: staleHash, staleProof: true });
      expect(isStaleProof(err)).toBe(true);
      const [rootReceipt, staleReceipt] = await Promise.all(
        [rootTx, staleHash].map((hash) => clients.publicClient.getTransactionReceipt({ hash })),
      );
      expect(rootReceipt!.status).toBe('success');
      expect(staleReceipt!.status).toBe('reverted');
      expect(staleReceipt!.blockNumber).toBe(rootReceipt!.blockNumber);

      // Bob's claim relayed twice in one block: the later one reverts (nothing left to claim), and a
      // fresh proof would not help — the chain still accepts the proof. The other relayer's is sent
      // after this one (each is estimated against the pool) with a higher tip: it goes first.
      let sentAgain!: () => void;
      const sentTwice = new Promise<void>((r) => (sentAgain = r));
      const twice = sendClaim(clients.publicClient, relayer, call(second, bob), {
        onSent: () => sentAgain(),
      }).catch((e: unknown) => e);
      await Promise.race([sentTwice, twice.then((e) => Promise.reject(e))]);
      const firstRelay = await clients.walletFor(DEV_KEYS[9] as Hex).sendTransaction({
        to: deployment.contracts.distributor,
        data: encodeFunctionData({
          abi: rewardsDistributorAbi,
          functionName: 'claim',
          args: [bob, 50n, second.proofOf(bob)],
        }),
        gas: 200_000n,
        maxPriorityFeePerGas: 50_000_000_000n,
        maxFeePerGas: 100_000_000_000n,
      });
      await test.mine({ blocks: 1 });
      expect((await clients.publicClient.getTransactionReceipt({ hash: firstRelay })).status).toBe('success');
      const again = await twice;
      expect(again).toBeInstanceOf(ClaimRevertedError);
      expect(again).toMatchObject({ staleProof: false });
      expect(isStaleProof(again)).toBe(false);
      expect((again as Error).message).toMatch(/^claim reverted in 0x[0-9a-f]{64}$/);
    } finally {
      await test.setAutomine(true);
    }

    // With the proof of the current root: paid, to Alice, whoever relays.
    const before = await clients.publicClient.readContract({
      address: deployment.contracts.token,
      abi: groundTokenAbi,
      functionName: 'balanceOf',
      args: [alice],
    });
    const receipt = await sendClaim(clients.publicClient, relayer, call(second, alice));
    expect(receipt.status).toBe('success');
    const after = await clients.publicClient.readContract({
      address: deployment.contracts.token,
      abi: groundTokenAbi,
      functionName: 'balanceOf',
      args: [alice],
    });
    expect(after - before).toBe(300n);
  }, 120_000);
});

describe('claimWithFreshProof', () => {
  /** A claim mined and reverted because its proof had gone stale. */
  const stale = () => new ClaimRevertedError(`0x${'ab'.repeat(32)}`, true);

  it('asks again after a stale proof, up to three times, and throws anything else at once', async () => {
    const run = async (outcomes: (Error | string)[]) => {
      const fetched: number[] = [];
      const staleSeen: number[] = [];
      const result = await claimWithFreshProof({
        fetch: async () => fetched.push(fetched.length + 1),
        claim: async (n) => {
          const o = outcomes[n - 1]!;
          if (o instanceof Error) throw o;
          return o;
        },
        onStale: (n) => staleSeen.push(n),
      }).catch((e: unknown) => e);
      return { result, fetched: fetched.length, staleSeen };
    };
    expect(await run([stale(), stale(), 'paid'])).toEqual({ result: 'paid', fetched: 3, staleSeen: [1, 2] });
    const last = stale();
    expect(await run([stale(), stale(), last, 'never'])).toEqual({
      result: last,
      fetched: 3,
      staleSeen: [1, 2],
    });
    const other = new ClaimRevertedError(`0x${'cd'.repeat(32)}`, false);
    expect(await run([other, 'never'])).toEqual({ result: other, fetched: 1, staleSeen: [] });
  });
});
