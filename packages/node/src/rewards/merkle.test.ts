import { keccak_256 } from '@noble/hashes/sha3.js';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { describe, expect, it, vi } from 'vitest';
import {
  RewardTreeAccountNotFoundError,
  RewardTreeDuplicateAccountError,
  RewardTreeInvalidEntryError,
} from './errors.ts';
import {
  buildRewardTree,
  EMPTY_REWARD_ROOT,
  type RewardTreeEntry,
  rewardLeafHash,
  verifyRewardProof,
} from './merkle.ts';

const A1 = '0x1111111111111111111111111111111111111111';
const A2 = '0x2222222222222222222222222222222222222222';
const A3 = '0x3333333333333333333333333333333333333333';
/** The worked example of docs/REWARDS.md. */
const EXAMPLE: RewardTreeEntry[] = [
  { account: A1, cumulativeAmount: 1_000_000_000_000_000_000n },
  { account: A2, cumulativeAmount: 2_500_000_000_000_000_000n },
  { account: A3, cumulativeAmount: 42n },
];
const LEAF_1 = '0xb38ec842db1cd54e5e5ce48491f1a404551e9726ebda349d0478e189e0996dd4';
const LEAF_2 = '0xb92c48e9d7abe27fd8dfd6b5dfdbfb1c9a463f80c712b66f3a5180a090cccafc';
const LEAF_3 = '0xe17e2469047adc6db21d0ec305f3d9cb275607495e7ef0363a7609b1e77073ae';
const NODE_12 = '0x5aafa111a8add43a7c11e121dc72ce8d1e138114e148625f6411b4cf96664fd7';
const EXAMPLE_ROOT = '0xf3591a82db007e5680196161cb1fe6aa13482fffb7863af4a9fc0d816ca42710';

/** A pseudo-random but fixed address per index, so that leaf order differs from account order. */
function addressOf(i: number): `0x${string}` {
  const digest = keccak_256(new TextEncoder().encode(`account-${i}`));
  return `0x${Buffer.from(digest.subarray(12)).toString('hex')}`;
}

function entriesOfSize(n: number): RewardTreeEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    account: addressOf(i),
    cumulativeAmount: BigInt(i) * 1_234_567_890_123_456_789n + BigInt(i % 3) * (1n << 200n),
  }));
}

/**
 * The OZ construction written plainly over hex strings with noble's keccak_256: an
 * independent reference for sizes where OZ itself is too slow for a unit test.
 */
function referenceRoot(entries: readonly RewardTreeEntry[]): string {
  const h = (bytes: Uint8Array) => Buffer.from(keccak_256(bytes)).toString('hex');
  const bytesOf = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
  const leaves = entries
    .map((e) => {
      const encoded = `${'0'.repeat(24)}${e.account.slice(2).toLowerCase()}${e.cumulativeAmount.toString(16).padStart(64, '0')}`;
      return h(bytesOf(h(bytesOf(encoded))));
    })
    .sort();
  const tree: string[] = new Array(2 * leaves.length - 1);
  leaves.forEach((leaf, i) => {
    tree[tree.length - 1 - i] = leaf;
  });
  for (let i = tree.length - 1 - leaves.length; i >= 0; i--) {
    const pair = [tree[2 * i + 1]!, tree[2 * i + 2]!].sort();
    tree[i] = h(bytesOf(pair.join('')));
  }
  return `0x${tree[0]}`;
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function ozTreeOf(entries: readonly RewardTreeEntry[]) {
  return StandardMerkleTree.of(
    entries.map((e) => [e.account, e.cumulativeAmount]),
    ['address', 'uint256'],
  );
}

function expectSameAsOz(entries: readonly RewardTreeEntry[]): void {
  const tree = buildRewardTree(entries);
  const oz = ozTreeOf(entries);
  expect(tree.root).toBe(oz.root);
  for (const e of entries) {
    expect(tree.proofOf(e.account)).toEqual(oz.getProof([e.account, e.cumulativeAmount]));
  }
}

describe('buildRewardTree', () => {
  it('encodes and hashes the worked example of REWARDS.md as the document shows', () => {
    const encoded = (account: string, amount: bigint) =>
      Uint8Array.from(
        Buffer.from(`${'0'.repeat(24)}${account.slice(2)}${amount.toString(16).padStart(64, '0')}`, 'hex'),
      );
    const inner = (account: string, amount: bigint) =>
      Buffer.from(keccak_256(encoded(account, amount))).toString('hex');
    expect(Buffer.from(encoded(A1, 1_000_000_000_000_000_000n)).toString('hex')).toBe(
      '0000000000000000000000001111111111111111111111111111111111111111' +
        '0000000000000000000000000000000000000000000000000de0b6b3a7640000',
    );
    expect(inner(A1, 1_000_000_000_000_000_000n)).toBe(
      '33299f7a3d3a9fdf1fa90600f1ac47f96566571c20754e489d0ec386494946f6',
    );
    expect(inner(A2, 2_500_000_000_000_000_000n)).toBe(
      '34e7d9283570da46fe6ee63f86208d24bdba0621148d9e104898449f0406625f',
    );
    expect(inner(A3, 42n)).toBe('ef5dfee8ca11940a331589f2c8822984fddf85219158cbc5cdfbdc112034419b');
    const oz = ozTreeOf(EXAMPLE);
    expect(oz.dump().tree).toEqual([EXAMPLE_ROOT, NODE_12, LEAF_3, LEAF_2, LEAF_1]);
  });

  it('builds the worked example of REWARDS.md, leaf by leaf', () => {
    expect(rewardLeafHash(A1, 1_000_000_000_000_000_000n)).toBe(LEAF_1);
    expect(rewardLeafHash(A2, 2_500_000_000_000_000_000n)).toBe(LEAF_2);
    expect(rewardLeafHash(A3, 42n)).toBe(LEAF_3);
    const tree = buildRewardTree(EXAMPLE);
    expect(tree.root).toBe(EXAMPLE_ROOT);
    expect(tree.proofOf(A1)).toEqual([LEAF_2, LEAF_3]);
    expect(tree.proofOf(A2)).toEqual([LEAF_1, LEAF_3]);
    expect(tree.proofOf(A3)).toEqual([NODE_12]);
  });

  it.each([1, 2, 3, 4, 5, 7, 8, 100, 1000])(
    'matches OpenZeppelin root and every proof for %i leaves',
    (n) => {
      expectSameAsOz(entriesOfSize(n));
    },
  );

  it('matches a plain reference build for a tree too large for the shared arena', () => {
    // 50,000 leaves need about 4.8 MB of arena, more than the 4 MiB shared one.
    const entries = entriesOfSize(50_000);
    const tree = buildRewardTree(entries);
    expect(tree.root).toBe(referenceRoot(entries));
    for (const e of entries.slice(0, 50)) {
      expect(verifyRewardProof(tree.root, e.account, e.cumulativeAmount, tree.proofOf(e.account))).toBe(true);
    }
  });

  it('keeps the proofs of a tree valid after later builds', () => {
    const first = buildRewardTree(EXAMPLE);
    buildRewardTree(entriesOfSize(100));
    buildRewardTree(entriesOfSize(50_000));
    expect(first.root).toBe(EXAMPLE_ROOT);
    expect(first.proofOf(A1)).toEqual([LEAF_2, LEAF_3]);
  });

  it('builds the same tree where WebAssembly is unavailable', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', undefined);
    try {
      const fresh = await import('./merkle.ts');
      const entries = entriesOfSize(300);
      expect(fresh.buildRewardTree(EXAMPLE).root).toBe(EXAMPLE_ROOT);
      expect(fresh.buildRewardTree(entries).root).toBe(buildRewardTree(entries).root);
      expect(fresh.verifyRewardProof(EXAMPLE_ROOT, A3, 42n, [NODE_12])).toBe(true);
      const keccak = await import('./keccak.ts');
      // The fallback arena is exactly the size asked (a WebAssembly one is whole pages).
      expect(keccak.createKeccakArena(100).bytes.length).toBe(100);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  it('makes the leaf hash the root of a one-leaf tree, with an empty proof', () => {
    const tree = buildRewardTree([{ account: A3, cumulativeAmount: 42n }]);
    expect(tree.root).toBe(LEAF_3);
    expect(tree.proofOf(A3)).toEqual([]);
    expect(verifyRewardProof(tree.root, A3, 42n, [])).toBe(true);
  });

  it('matches OpenZeppelin for amounts 0 and 2^256 − 1', () => {
    expectSameAsOz([
      { account: A1, cumulativeAmount: 0n },
      { account: A2, cumulativeAmount: (1n << 256n) - 1n },
      { account: A3, cumulativeAmount: 1n << 64n },
    ]);
  });

  it('gives the same root for any input order and letter case', () => {
    const shuffled = [EXAMPLE[2]!, EXAMPLE[0]!, EXAMPLE[1]!];
    const upper = EXAMPLE.map((e) => ({
      ...e,
      account: `0x${e.account.slice(2).toUpperCase()}` as `0x${string}`,
    }));
    expect(buildRewardTree(shuffled).root).toBe(EXAMPLE_ROOT);
    expect(buildRewardTree(upper).root).toBe(EXAMPLE_ROOT);
  });

  it('lists entries lowercased and sorted by account', () => {
    const mixed = '0xAbCdEfabcdefABCDEFabcdefabcdefabcdefABCD';
    const tree = buildRewardTree([
      { account: A3, cumulativeAmount: 3n },
      { account: mixed, cumulativeAmount: 9n },
      { account: A1, cumulativeAmount: 1n },
    ]);
    expect(tree.entries).toEqual([
      { account: A1, cumulativeAmount: 1n },
      { account: A3, cumulativeAmount: 3n },
      { account: mixed.toLowerCase(), cumulativeAmount: 9n },
    ]);
  });

  it('returns the proof of an account asked in another letter case', () => {
    const mixed = '0xAbCdEfabcdefABCDEFabcdefabcdefabcdefABCD';
    const tree = buildRewardTree([...EXAMPLE, { account: mixed, cumulativeAmount: 5n }]);
    expect(tree.proofOf(mixed.toLowerCase())).toEqual(tree.proofOf(mixed));
    expect(verifyRewardProof(tree.root, mixed.toLowerCase(), 5n, tree.proofOf(mixed))).toBe(true);
  });

  it('gives bytes32 zero as the root of an empty tree and proves nothing in it', () => {
    const tree = buildRewardTree([]);
    expect(tree.root).toBe('0x0000000000000000000000000000000000000000000000000000000000000000');
    expect(tree.root).toBe(EMPTY_REWARD_ROOT);
    expect(tree.entries).toEqual([]);
    expect(() => tree.proofOf(A1)).toThrow(RewardTreeAccountNotFoundError);
    expect(verifyRewardProof(EMPTY_REWARD_ROOT, A1, 0n, [])).toBe(false);
  });

  it('rejects the same account twice, in any letter case, naming it', () => {
    const upper = `0x${'ab'.repeat(20).toUpperCase()}` as const;
    const lower = `0x${'ab'.repeat(20)}` as const;
    const build = () =>
      buildRewardTree([
        { account: A1, cumulativeAmount: 1n },
        { account: upper, cumulativeAmount: 2n },
        { account: lower, cumulativeAmount: 3n },
      ]);
    const error = thrownBy(build);
    expect(error).toBeInstanceOf(RewardTreeDuplicateAccountError);
    expect(error).toMatchObject({
      code: 'REWARD_TREE_DUPLICATE_ACCOUNT',
      account: lower,
      message: `reward tree has account ${lower} more than once`,
    });
  });

  it('orders accounts that share a long prefix by their full value', () => {
    const prefixed = (last: string) => `0x${'ab'.repeat(19)}${last}` as `0x${string}`;
    const entries = ['03', '01', 'ff', '02'].map((last, i) => ({
      account: prefixed(last),
      cumulativeAmount: BigInt(i),
    }));
    const tree = buildRewardTree(entries);
    expect(tree.entries.map((e) => e.account)).toEqual(['01', '02', '03', 'ff'].map(prefixed));
    expectSameAsOz(entries);
  });

  it('finds a duplicate among accounts that share a long prefix', () => {
    const prefixed = (last: string) => `0x${'ab'.repeat(19)}${last}` as `0x${string}`;
    const entries = ['03', '01', '02', '04', '05', '03'].map((last, i) => ({
      account: prefixed(last),
      cumulativeAmount: BigInt(i),
    }));
    expect(() => buildRewardTree(entries)).toThrow(RewardTreeDuplicateAccountError);
  });

  it('rejects the same account twice even with the same amount', () => {
    expect(() => buildRewardTree([EXAMPLE[0]!, EXAMPLE[0]!])).toThrow(RewardTreeDuplicateAccountError);
  });

  it.each([
    ['a short address', '0x1234'],
    ['an address without 0x', '11'.repeat(20) + '11'],
    ['an address with a non-hex digit', `0x${'1'.repeat(39)}g`],
    ['an address with 0X', `0X${'1'.repeat(40)}`],
  ])('rejects %s', (_, account) => {
    const build = () =>
      buildRewardTree([EXAMPLE[0]!, { account: account as `0x${string}`, cumulativeAmount: 1n }]);
    expect(build).toThrow(RewardTreeInvalidEntryError);
    expect(build).toThrow('reward tree entry 1: account must be a 0x-prefixed 20-byte hex address');
  });

  it.each([
    ['a negative amount', -1n],
    ['an amount of 2^256', 1n << 256n],
    ['a number instead of a bigint', 5],
  ])('rejects %s', (_, amount) => {
    const build = () => buildRewardTree([{ account: A1, cumulativeAmount: amount as bigint }]);
    expect(build).toThrow(RewardTreeInvalidEntryError);
    expect(build).toThrow('reward tree entry 0: cumulativeAmount must be a bigint in [0, 2^256)');
  });

  it('refuses a proof for an account that has no leaf', () => {
    const tree = buildRewardTree(EXAMPLE);
    expect(() => tree.proofOf(`0x${'44'.repeat(20)}`)).toThrow(
      `account 0x${'44'.repeat(20)} is not in the reward tree`,
    );
  });
});

describe('verifyRewardProof', () => {
  const tree = buildRewardTree(EXAMPLE);
  const proof = tree.proofOf(A2);

  it('accepts the proof of every entry', () => {
    for (const e of EXAMPLE) {
      expect(verifyRewardProof(tree.root, e.account, e.cumulativeAmount, tree.proofOf(e.account))).toBe(true);
    }
  });

  it('agrees with OpenZeppelin StandardMerkleTree.verify', () => {
    expect(
      StandardMerkleTree.verify(tree.root, ['address', 'uint256'], [A2, 2_500_000_000_000_000_000n], proof),
    ).toBe(true);
  });

  it('accepts an upper-case account and upper-case hex', () => {
    const upper = (h: string) => `0x${h.slice(2).toUpperCase()}`;
    expect(verifyRewardProof(upper(tree.root), upper(A2), 2_500_000_000_000_000_000n, proof.map(upper))).toBe(
      true,
    );
  });

  it('rejects a tampered amount', () => {
    expect(verifyRewardProof(tree.root, A2, 2_500_000_000_000_000_001n, proof)).toBe(false);
  });

  it('rejects another account with the same proof', () => {
    expect(verifyRewardProof(tree.root, A1, 2_500_000_000_000_000_000n, proof)).toBe(false);
  });

  it('rejects a proof with a flipped bit, a missing or an extra element', () => {
    const flipped = [`${proof[0]!.slice(0, -1)}5`, proof[1]!];
    expect(verifyRewardProof(tree.root, A2, 2_500_000_000_000_000_000n, flipped)).toBe(false);
    expect(verifyRewardProof(tree.root, A2, 2_500_000_000_000_000_000n, proof.slice(1))).toBe(false);
    expect(verifyRewardProof(tree.root, A2, 2_500_000_000_000_000_000n, [...proof, LEAF_1])).toBe(false);
  });

  it('rejects another root', () => {
    expect(verifyRewardProof(NODE_12, A2, 2_500_000_000_000_000_000n, proof)).toBe(false);
  });

  it('returns false, without throwing, on malformed input', () => {
    const amount = 2_500_000_000_000_000_000n;
    expect(verifyRewardProof('0x1234', A2, amount, proof)).toBe(false);
    expect(verifyRewardProof(tree.root, '0x1234', amount, proof)).toBe(false);
    expect(verifyRewardProof(tree.root, A2, -1n, proof)).toBe(false);
    expect(verifyRewardProof(tree.root, A2, 1n << 256n, proof)).toBe(false);
    expect(verifyRewardProof(tree.root, A2, amount, [proof[0]!, 'not hex'])).toBe(false);
    expect(verifyRewardProof(tree.root, A2, amount, [`${proof[0]!.slice(0, -1)}z`, proof[1]!])).toBe(false);
  });
});

describe('rewardLeafHash', () => {
  it('rejects a malformed account or amount', () => {
    expect(() => rewardLeafHash('0x12', 1n)).toThrow(RewardTreeInvalidEntryError);
    expect(() => rewardLeafHash(A1, -1n)).toThrow(RewardTreeInvalidEntryError);
  });
});
