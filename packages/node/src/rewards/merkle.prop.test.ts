import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRewardTree, sortIndicesByBytes, verifyRewardProof } from './merkle.ts';

const MAX_UINT256 = (1n << 256n) - 1n;

const address = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .map((b) => `0x${Buffer.from(b).toString('hex')}` as `0x${string}`);

/** Amounts biased to the interesting sizes: tiny, token-scale, and near 2^256. */
const amount = fc.oneof(
  fc.bigInt({ min: 0n, max: 1000n }),
  fc.bigInt({ min: 0n, max: 10n ** 27n }),
  fc.bigInt({ min: 0n, max: MAX_UINT256 }),
);

const entries = fc.uniqueArray(fc.record({ account: address, cumulativeAmount: amount }), {
  minLength: 1,
  maxLength: 40,
  selector: (e) => e.account,
});

/** Random letter case for the hex digits of an address. */
const recased = (account: string, mask: number) =>
  `0x${[...account.slice(2)].map((c, i) => ((mask >> (i % 30)) & 1 ? c.toUpperCase() : c)).join('')}` as `0x${string}`;

describe('buildRewardTree (properties)', () => {
  it('gives the OpenZeppelin StandardMerkleTree root and proofs for any entries', () => {
    fc.assert(
      fc.property(entries, (es) => {
        const tree = buildRewardTree(es);
        const oz = StandardMerkleTree.of(
          es.map((e) => [e.account, e.cumulativeAmount]),
          ['address', 'uint256'],
        );
        expect(tree.root).toBe(oz.root);
        for (const e of es)
          expect(tree.proofOf(e.account)).toEqual(oz.getProof([e.account, e.cumulativeAmount]));
      }),
      { numRuns: 200 },
    );
  });

  it('gives proofs that verify for every entry', () => {
    fc.assert(
      fc.property(entries, (es) => {
        const tree = buildRewardTree(es);
        for (const e of es) {
          expect(verifyRewardProof(tree.root, e.account, e.cumulativeAmount, tree.proofOf(e.account))).toBe(
            true,
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it('depends only on the set of entries, not their order or letter case', () => {
    fc.assert(
      fc.property(
        entries.chain((es) =>
          fc.tuple(fc.constant(es), fc.shuffledSubarray(es, { minLength: es.length }), fc.nat()),
        ),
        ([es, shuffled, mask]) => {
          const a = buildRewardTree(es);
          const b = buildRewardTree(shuffled.map((e) => ({ ...e, account: recased(e.account, mask) })));
          expect(b.root).toBe(a.root);
          expect(b.entries).toEqual(a.entries);
          for (const e of es) expect(b.proofOf(e.account)).toEqual(a.proofOf(e.account));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lists its entries lowercased and strictly sorted by account', () => {
    fc.assert(
      fc.property(entries, fc.nat(), (es, mask) => {
        const tree = buildRewardTree(es.map((e) => ({ ...e, account: recased(e.account, mask) })));
        expect(tree.entries).toHaveLength(es.length);
        for (let i = 0; i < tree.entries.length; i++) {
          const e = tree.entries[i]!;
          expect(e.account).toBe(e.account.toLowerCase());
          if (i > 0) expect(tree.entries[i - 1]!.account < e.account).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects any change to the amount, the account or one proof element', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ account: address, cumulativeAmount: amount }), {
          minLength: 2,
          maxLength: 40,
          selector: (e) => e.account,
        }),
        fc.nat(),
        fc.bigInt({ min: 1n, max: MAX_UINT256 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (es, pick, delta, at, bit) => {
          const tree = buildRewardTree(es);
          const target = es[pick % es.length]!;
          const other = es[(pick + 1) % es.length]!;
          const proof = tree.proofOf(target.account);
          const changedAmount = (target.cumulativeAmount + delta) % (MAX_UINT256 + 1n);
          expect(verifyRewardProof(tree.root, target.account, changedAmount, proof)).toBe(false);
          expect(verifyRewardProof(tree.root, other.account, target.cumulativeAmount, proof)).toBe(false);
          const i = at % proof.length;
          const flipped = (BigInt(proof[i]!) ^ (1n << BigInt(bit))).toString(16).padStart(64, '0');
          const tampered = proof.map((p, j) => (j === i ? `0x${flipped}` : p));
          expect(verifyRewardProof(tree.root, target.account, target.cumulativeAmount, tampered)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('sortIndicesByBytes (properties)', () => {
  it('orders records as a plain byte-wise sort does, ties by index, even when prefixes collide', () => {
    // Few distinct bytes and short records make equal 4-byte prefixes (and equal records) common.
    const width = fc.integer({ min: 4, max: 8 });
    fc.assert(
      fc.property(
        width.chain((w) =>
          fc.tuple(
            fc.constant(w),
            fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: w, maxLength: w }), {
              maxLength: 60,
            }),
          ),
        ),
        ([w, records]) => {
          const buf = Uint8Array.from(records.flat());
          const expected = records
            .map((r, i) => ({ r, i }))
            .sort((a, b) => {
              for (let k = 0; k < w; k++) if (a.r[k] !== b.r[k]) return a.r[k]! - b.r[k]!;
              return a.i - b.i;
            })
            .map((x) => x.i);
          expect([...sortIndicesByBytes(buf, w, records.length)]).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
