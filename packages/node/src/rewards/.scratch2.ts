import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { buildRewardTree, rewardLeafHash } from './merkle.ts';
const entries = [
  { account: '0x1111111111111111111111111111111111111111', cumulativeAmount: 1000000000000000000n },
  { account: '0x2222222222222222222222222222222222222222', cumulativeAmount: 2500000000000000000n },
  { account: '0x3333333333333333333333333333333333333333', cumulativeAmount: 42n },
] as const;
const t = buildRewardTree([...entries]);
const oz = StandardMerkleTree.of(entries.map(e => [e.account, e.cumulativeAmount]), ['address', 'uint256']);
for (const e of entries) console.log(e.account, rewardLeafHash(e.account, e.cumulativeAmount), t.proofOf(e.account), oz.getProof([e.account, e.cumulativeAmount]));
console.log('root', t.root, oz.root);
console.log(oz.render());
console.log(JSON.stringify(oz.dump(), (k, v) => typeof v === 'bigint' ? v.toString() : v, 1));
