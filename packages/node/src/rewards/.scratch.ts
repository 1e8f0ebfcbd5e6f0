import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { buildRewardTree } from './merkle.ts';

const rnd = (i: number) =>
  `0x${(BigInt(i + 1) * 0x9e3779b97f4a7c15f39cc0605cedc835n).toString(16).padStart(40, '0').slice(-40)}` as `0x${string}`;
for (const n of [1, 2, 3, 7, 100]) {
  const entries = Array.from({ length: n }, (_, i) => ({
    account: rnd(i),
    cumulativeAmount: BigInt(i) * 10n ** 18n + 7n,
  }));
  const t = buildRewardTree(entries);
  const oz = StandardMerkleTree.of(
    entries.map((e) => [e.account, e.cumulativeAmount]),
    ['address', 'uint256'],
  );
  let ok = t.root === oz.root;
  for (const e of entries)
    ok &&=
      JSON.stringify(t.proofOf(e.account)) === JSON.stringify(oz.getProof([e.account, e.cumulativeAmount]));
  console.log(n, ok, t.root);
}
const N = Number(process.env.N ?? 1_000_000);
const big = Array.from({ length: N }, (_, i) => ({
  account: rnd(i),
  cumulativeAmount: BigInt(i) * 123456789012345678n,
}));
for (let r = 0; r < 2; r++) {
  const t0 = performance.now();
  const t = buildRewardTree(big);
  console.log('ours', N, (performance.now() - t0).toFixed(0), 'ms', t.root);
}
