/**
 * Merkle benchmark: the node's reward tree against @openzeppelin/merkle-tree's
 * StandardMerkleTree on the same (address, uint256) leaves, with the roots
 * checked equal. OZ is timed on a subset when it would take minutes, and its
 * time scaled linearly to the full count (its build is O(n log n) in hashing;
 * linear scaling flatters OZ, so the speed-up is if anything understated).
 */

import { buildRewardTree } from '@groundwork/node/rewards/merkle.ts';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

export interface MerkleBenchResult {
  leaves: number;
  seconds: number;
  ozLeaves: number;
  ozSeconds: number;
  speedup: number;
  rootsEqual: boolean;
}

function entries(n: number) {
  const out: { account: `0x${string}`; cumulativeAmount: bigint }[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      account: `0x${(i + 1).toString(16).padStart(40, '0')}`,
      cumulativeAmount: BigInt(i) * 1_000_000_007n + 1n,
    });
  }
  return out;
}

export function benchMerkle(o: { leaves: number; ozLeaves: number }): MerkleBenchResult {
  const all = entries(o.leaves);
  let t = performance.now();
  const tree = buildRewardTree(all);
  const seconds = (performance.now() - t) / 1000;

  // OZ on the first ozLeaves leaves, and ours on the same subset to compare roots.
  const sub = all.slice(0, o.ozLeaves);
  t = performance.now();
  const oz = StandardMerkleTree.of(
    sub.map((e) => [e.account, e.cumulativeAmount.toString()]),
    ['address', 'uint256'],
  );
  const ozSubSeconds = (performance.now() - t) / 1000;
  const rootsEqual =
    oz.root === buildRewardTree(sub).root && (o.ozLeaves !== o.leaves || oz.root === tree.root);
  const ozSeconds = ozSubSeconds * (o.leaves / o.ozLeaves);
  return {
    leaves: o.leaves,
    seconds: Number(seconds.toFixed(3)),
    ozLeaves: o.ozLeaves,
    ozSeconds: Number(ozSeconds.toFixed(3)),
    speedup: Number((ozSeconds / seconds).toFixed(2)),
    rootsEqual,
  };
}
