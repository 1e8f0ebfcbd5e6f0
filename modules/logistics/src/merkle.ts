/**
 * The record Merkle tree anchored in AnchorRegistry.
 *
 * - leaf = keccak256(0x00 ‖ salt ‖ recordHash): 65 bytes, so a leaf can never be
 *   mistaken for an inner node (64-byte preimage);
 * - inner node = keccak256(min(a, b) ‖ max(a, b)) (sorted pair, as OpenZeppelin
 *   `MerkleProof` and `AnchorRegistry.rootOfProof` fold it);
 * - leaves stay in the order given; at each level an odd last node is promoted
 *   unchanged to the next level; a one-leaf tree's root is the leaf.
 *
 * A proof is the list of siblings from the leaf up. Verifying needs only the
 * sorted-pair fold, so any tree shape checks the same way.
 *
 * @module
 */
import { createKeccakArena } from '@groundwork/node/rewards/keccak.ts';
import { keccak_256 } from '@noble/hashes/sha3.js';

export type Hash = `0x${string}`;

const HASH = /^0x[0-9a-f]{64}$/;

/** Bytes of a lowercase 0x-prefixed 32-byte hex string; throws on anything else. */
export function hashBytes(h: string): Uint8Array {
  if (!HASH.test(h)) throw new Error(`not a 32-byte lowercase hex hash: ${h.slice(0, 80)}`);
  return Buffer.from(h.slice(2), 'hex');
}

/** Lowercase 0x hex of bytes. */
export function toHash(b: Uint8Array): Hash {
  return `0x${Buffer.from(b).toString('hex')}`;
}

/** keccak256 of bytes, as 0x hex. */
export function keccakHex(b: Uint8Array): Hash {
  return toHash(keccak_256(b));
}

/** The leaf of a record: keccak256(0x00 ‖ salt ‖ recordHash). */
export function leafOf(salt: Hash, recordHash: Hash): Hash {
  const pre = new Uint8Array(65);
  pre.set(hashBytes(salt), 1);
  pre.set(hashBytes(recordHash), 33);
  return keccakHex(pre);
}

// Inner nodes are the hot path (a tree of n leaves hashes n − 1 of them, a proof check one per level): they go
// through the node's WebAssembly keccak arena (about ten times noble's speed), which falls back to noble itself.
const arena = createKeccakArena(64);

function pair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const m = arena.bytes;
  // Sorted pair: the node does not depend on which side a child was on.
  if (Buffer.compare(a, b) <= 0) {
    m.set(a, 0);
    m.set(b, 32);
  } else {
    m.set(b, 0);
    m.set(a, 32);
  }
  arena.hash64(0, 32, 0);
  return m.slice(0, 32);
}

/** keccak256 of the sorted pair (a, b). */
export function hashPair(a: Hash, b: Hash): Hash {
  return toHash(pair(hashBytes(a), hashBytes(b)));
}

/** A built tree: its root and each leaf's proof. */
export interface RecordTree {
  readonly root: Hash;
  readonly size: number;
  /** Siblings from leaf `index` up to the root. */
  proofOf(index: number): Hash[];
}

/**
 * Builds the tree over `leaves` (in order).
 *
 * Guarantees:
 * - `verifyPath(leaves[i], tree.proofOf(i)) === tree.root` for every i;
 * - a proof has at most ceil(log2(n)) siblings;
 * - the root of one leaf is that leaf.
 *
 * @example
 * const tree = buildRecordTree([leafOf(salt, recordHash), …]);
 * verifyPath(leafOf(salt, recordHash), tree.proofOf(0)) === tree.root; // true
 */
export function buildRecordTree(leaves: readonly Hash[]): RecordTree {
  if (leaves.length === 0) throw new Error('a record tree needs at least one leaf');
  const levels: Uint8Array[][] = [leaves.map(hashBytes)];
  while (levels[levels.length - 1]!.length > 1) {
    const level = levels[levels.length - 1]!;
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? pair(level[i]!, level[i + 1]!) : level[i]!);
    }
    levels.push(next);
  }
  const root = toHash(levels[levels.length - 1]![0]!);
  return {
    root,
    size: leaves.length,
    proofOf(index: number): Hash[] {
      if (!Number.isInteger(index) || index < 0 || index >= leaves.length)
        throw new Error(`leaf index ${index} out of range 0..${leaves.length - 1}`);
      const path: Hash[] = [];
      let i = index;
      for (let d = 0; d < levels.length - 1; d++) {
        const level = levels[d]!;
        const sibling = i % 2 === 0 ? i + 1 : i - 1;
        // A promoted odd node has no sibling at this level.
        if (sibling < level.length) path.push(toHash(level[sibling]!));
        i = Math.floor(i / 2);
      }
      return path;
    },
  };
}

/** Folds a proof from a leaf: the root it leads to. */
export function verifyPath(leaf: Hash, proof: readonly Hash[]): Hash {
  let node = hashBytes(leaf);
  for (const s of proof) node = pair(node, hashBytes(s));
  return toHash(node);
}
