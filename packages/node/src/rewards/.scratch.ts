import { keccak_256 } from '@noble/hashes/sha3.js';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { buildRewardTree } from './merkle.ts';

const addr = (i: number) =>
  `0x${Buffer.from(keccak_256(new Uint8Array(new Uint32Array([i]).buffer)).subarray(12)).toString('hex')}` as `0x${string}`;
const which = process.argv[2] ?? 'ours';
const N = Number(process.argv[3] ?? 1_000_000);
const entries = Array.from({ length: N }, (_, i) => ({
  account: addr(i),
  cumulativeAmount: BigInt(i + 1) * 987_654_321_123_456_789n,
}));
function time(label: string, fn: () => string) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const root = fn();
  const c = process.cpuUsage(c0);
  console.log(
    label,
    N,
    'wall',
    (performance.now() - t0).toFixed(0),
    'ms cpu',
    ((c.user + c.system) / 1000).toFixed(0),
    'ms',
    root,
  );
}
for (let r = 0; r < Number(process.env.RUNS ?? 3); r++) {
  if (which === 'ours') time('ours', () => buildRewardTree(entries).root);
  else
    time(
      'oz',
      () =>
        StandardMerkleTree.of(
          entries.map((e) => [e.account, e.cumulativeAmount]),
          ['address', 'uint256'],
        ).root,
    );
}
