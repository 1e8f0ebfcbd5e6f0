import { concat, keccak256 } from 'viem';
import { describe, expect, it } from 'vitest';
import { buildRecordTree, type Hash, hashPair, leafOf, verifyPath } from './merkle.ts';

const h = (n: number) => keccak256(`0x${n.toString(16).padStart(2, '0')}`) as Hash;
const sorted = (a: Hash, b: Hash) => keccak256(a < b ? concat([a, b]) : concat([b, a])) as Hash;

describe('record Merkle tree', () => {
  it('computes a leaf as keccak256(0x00 ‖ salt ‖ record hash)', () => {
    const salt = h(1);
    const record = h(2);
    expect(leafOf(salt, record)).toBe(keccak256(concat(['0x00', salt, record])));
  });

  it('hashes inner nodes as sorted pairs, like OpenZeppelin MerkleProof', () => {
    expect(hashPair(h(1), h(2))).toBe(sorted(h(1), h(2)));
    expect(hashPair(h(2), h(1))).toBe(sorted(h(1), h(2)));
  });

  it('makes a one-leaf tree whose root is the leaf and whose proof is empty', () => {
    const tree = buildRecordTree([h(7)]);
    expect(tree.root).toBe(h(7));
    expect(tree.proofOf(0)).toEqual([]);
  });

  it('promotes an odd last node unchanged and lists siblings from the leaf up', () => {
    const [a, b, c] = [h(1), h(2), h(3)];
    const tree = buildRecordTree([a, b, c]);
    expect(tree.root).toBe(sorted(sorted(a, b), c));
    expect(tree.proofOf(0)).toEqual([b, c]);
    expect(tree.proofOf(2)).toEqual([sorted(a, b)]);
    for (const [i, leaf] of [a, b, c].entries()) expect(verifyPath(leaf, tree.proofOf(i))).toBe(tree.root);
  });

  it('builds the root of five leaves as the contract test utility does', () => {
    const l = [1, 2, 3, 4, 5].map(h);
    const expected = sorted(sorted(sorted(l[0]!, l[1]!), sorted(l[2]!, l[3]!)), l[4]!);
    expect(buildRecordTree(l).root).toBe(expected);
  });

  it('refuses an empty tree, an index out of range and malformed hashes', () => {
    expect(() => buildRecordTree([])).toThrow('at least one leaf');
    expect(() => buildRecordTree([h(1)]).proofOf(1)).toThrow('out of range');
    expect(() => buildRecordTree([h(1).toUpperCase() as Hash])).toThrow('lowercase hex');
  });
});
