import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRecordTree, type Hash, verifyPath } from './merkle.ts';

const hash = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `0x${Buffer.from(b).toString('hex')}` as Hash);
const flip = (h: Hash, at: number) => {
  const hex = h.slice(2).split('');
  const i = at % 64;
  hex[i] = hex[i] === '0' ? '1' : '0';
  return `0x${hex.join('')}` as Hash;
};

describe('record Merkle tree (properties)', () => {
  it('gives every leaf a proof that leads to the root, no longer than ceil(log2 n)', () => {
    fc.assert(
      fc.property(fc.array(hash, { minLength: 1, maxLength: 70 }), (leaves) => {
        const tree = buildRecordTree(leaves);
        leaves.forEach((leaf, i) => {
          const proof = tree.proofOf(i);
          expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(leaves.length)));
          expect(verifyPath(leaf, proof)).toBe(tree.root);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('leads anywhere but the root once any digit of the leaf or of a sibling is altered', () => {
    fc.assert(
      fc.property(
        fc.array(hash, { minLength: 2, maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (leaves, which, sib, digit) => {
          const tree = buildRecordTree(leaves);
          const i = which % leaves.length;
          const proof = tree.proofOf(i);
          expect(verifyPath(flip(leaves[i]!, digit), proof)).not.toBe(tree.root);
          if (proof.length > 0) {
            const bad = [...proof];
            const k = sib % bad.length;
            bad[k] = flip(bad[k]!, digit);
            expect(verifyPath(leaves[i]!, bad)).not.toBe(tree.root);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
