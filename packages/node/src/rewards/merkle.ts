/**
 * The reward Merkle tree: leaves `(address account, uint256 cumulativeAmount)`,
 * built exactly as OpenZeppelin's `StandardMerkleTree.of(values, ['address',
 * 'uint256'])` (@openzeppelin/merkle-tree v1, default `sortLeaves: true`), so
 * that its root and every proof are byte-identical to OZ's and verify with
 * OZ's `MerkleProof.verify` on chain.
 *
 * - leaf = keccak256(keccak256(abi.encode(account, cumulativeAmount))), where
 *   abi.encode is 64 bytes: 12 zero bytes, the 20 address bytes, then the
 *   amount as a 32-byte big-endian word;
 * - leaves are sorted ascending (as 256-bit unsigned integers);
 * - the tree is a complete binary tree in an array of 2n − 1 nodes: sorted
 *   leaf i sits at index 2n − 2 − i, and internal node i (for i = n − 2 down
 *   to 0) is keccak256 of its children 2i + 1 and 2i + 2, concatenated
 *   smaller first; the root is node 0;
 * - a proof lists the siblings from the leaf up to (not including) the root.
 *
 * The hashing works on raw bytes (see `keccak.ts`); hex appears only at the
 * edges (input addresses, output root and proofs).
 *
 * @module
 */
import {
  RewardTreeAccountNotFoundError,
  RewardTreeDuplicateAccountError,
  RewardTreeInvalidEntryError,
} from './errors.ts';
import { keccak256Of32, keccak256Of64 } from './keccak.ts';

/** One leaf of the reward tree: an account and its cumulative reward in token base units. */
export interface RewardTreeEntry {
  account: `0x${string}`;
  cumulativeAmount: bigint;
}

/** A built reward tree. */
export interface RewardTree {
  /** The Merkle root, lowercase 0x-prefixed 32-byte hex; {@link EMPTY_REWARD_ROOT} for no entries. */
  readonly root: `0x${string}`;
  /** The entries, accounts lowercased, sorted by account ascending (as 160-bit numbers). */
  readonly entries: readonly RewardTreeEntry[];
  /**
   * The proof for `account` (any letter case): sibling hashes from the leaf up,
   * exactly as OZ's `getProof`. Throws {@link RewardTreeAccountNotFoundError}
   * when the account has no leaf.
   */
  proofOf(account: string): `0x${string}`[];
}

/**
 * Root of a tree with no entries: bytes32 zero. OZ refuses to build an empty
 * tree; we define one so that an epoch in which nobody has ever earned
 * anything does not crash. No proof verifies against it (a proof's result is
 * a keccak256 output, and finding one equal to zero is a preimage attack).
 */
export const EMPTY_REWARD_ROOT: `0x${string}` = `0x${'0'.repeat(64)}`;

const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;
const NODE = 32;
const ADDRESS = 20;

/**
 * Builds the reward tree for `entries`.
 *
 * Guarantees:
 * - the root and the proof of every entry equal those of OZ
 *   `StandardMerkleTree.of(entries.map(e => [e.account, e.cumulativeAmount]), ['address', 'uint256'])`;
 * - every proof verifies with {@link verifyRewardProof} (and OZ's `MerkleProof.verify`);
 * - the result depends only on the set of entries, not on their order or on the letter case of accounts;
 * - `entries` of the result are the input entries, lowercased, sorted by account.
 *
 * Throws {@link RewardTreeInvalidEntryError} for an account that is not 20-byte
 * hex or an amount outside [0, 2^256), and {@link RewardTreeDuplicateAccountError}
 * when two entries name the same account (in any letter case).
 *
 * @example
 * const tree = buildRewardTree([{ account: '0xAb…', cumulativeAmount: 10n ** 18n }]);
 * const proof = tree.proofOf('0xab…');
 * verifyRewardProof(tree.root, '0xab…', 10n ** 18n, proof); // true
 */
export function buildRewardTree(entries: readonly RewardTreeEntry[]): RewardTree {
  const n = entries.length;
  if (n === 0) {
    return {
      root: EMPTY_REWARD_ROOT,
      entries: [],
      proofOf(account) {
        throw new RewardTreeAccountNotFoundError(account);
      },
    };
  }

  // Parse every address to bytes once; everything after works on bytes.
  const addresses = new Uint8Array(n * ADDRESS);
  const accounts: `0x${string}`[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const entry = entries[i]!;
    if (typeof entry.account !== 'string' || !parseAddressInto(entry.account, addresses, i * ADDRESS)) {
      throw new RewardTreeInvalidEntryError(i, 'account', entry.account, 'a 0x-prefixed 20-byte hex address');
    }
    const amount = entry.cumulativeAmount;
    if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_UINT256) {
      throw new RewardTreeInvalidEntryError(i, 'cumulativeAmount', amount, 'a bigint in [0, 2^256)');
    }
    accounts[i] = entry.account.toLowerCase() as `0x${string}`;
  }

  // Entries in account order: deterministic output, duplicates become neighbours,
  // and proofOf can binary-search the (lowercase, fixed-length) account strings.
  const byAccount = sortIndicesByBytes(addresses, ADDRESS, n);
  const sortedEntries: RewardTreeEntry[] = new Array(n);
  const sortedAccounts: string[] = new Array(n);
  const leaves = new Uint8Array(n * NODE);
  for (let k = 0; k < n; k++) {
    const i = byAccount[k]!;
    if (
      k > 0 &&
      compareBytes(addresses, i * ADDRESS, addresses, byAccount[k - 1]! * ADDRESS, ADDRESS) === 0
    ) {
      throw new RewardTreeDuplicateAccountError(accounts[i]!);
    }
    const account = accounts[i]!;
    const cumulativeAmount = entries[i]!.cumulativeAmount;
    sortedEntries[k] = { account, cumulativeAmount };
    sortedAccounts[k] = account;
    hashLeafInto(addresses, i * ADDRESS, cumulativeAmount, leaves, k * NODE);
  }

  // OZ sorts the leaf hashes ascending, then puts sorted leaf p at tree[length - 1 - p].
  const byLeaf = sortIndicesByBytes(leaves, NODE, n);
  const length = 2 * n - 1;
  const tree = new Uint8Array(length * NODE);
  const treeIndexOf = new Uint32Array(n);
  for (let p = 0; p < n; p++) {
    const k = byLeaf[p]!;
    const at = length - 1 - p;
    copyBytes(leaves, k * NODE, tree, at * NODE, NODE);
    treeIndexOf[k] = at;
  }
  // Children of i are 2i + 1 and 2i + 2; going from the last internal node down
  // to the root means both children exist before their parent is hashed.
  for (let i = n - 2; i >= 0; i--) {
    hashPairInto(tree, (2 * i + 1) * NODE, tree, (2 * i + 2) * NODE, tree, i * NODE);
  }

  return {
    root: toHex32(tree, 0),
    entries: sortedEntries,
    proofOf(account) {
      const k = binarySearch(sortedAccounts, typeof account === 'string' ? account.toLowerCase() : '');
      if (k < 0) throw new RewardTreeAccountNotFoundError(account);
      const proof: `0x${string}`[] = [];
      for (let at = treeIndexOf[k]!; at > 0; at = (at - 1) >> 1) {
        // OZ: the sibling of an odd (left) index is the next node, of an even (right) one the previous.
        const sibling = at % 2 === 1 ? at + 1 : at - 1;
        proof.push(toHex32(tree, sibling * NODE));
      }
      return proof;
    },
  };
}

/**
 * Checks a reward proof: whether `(account, cumulativeAmount)` with `proof`
 * leads to `root`, as OZ's `StandardMerkleTree.verify` and Solidity
 * `MerkleProof.verify` do.
 *
 * Guarantees:
 * - true for every entry of a tree built by {@link buildRewardTree} with the proof from `proofOf`;
 * - false (never a throw) for malformed input: a root or proof element that is not
 *   32-byte hex, an account that is not 20-byte hex, an amount outside uint256;
 * - false against {@link EMPTY_REWARD_ROOT}.
 */
export function verifyRewardProof(
  root: string,
  account: string,
  cumulativeAmount: bigint,
  proof: readonly string[],
): boolean {
  const rootBytes = new Uint8Array(NODE);
  if (typeof root !== 'string' || !parseHexInto(root, NODE, rootBytes, 0)) return false;
  const address = new Uint8Array(ADDRESS);
  if (typeof account !== 'string' || !parseAddressInto(account, address, 0)) return false;
  if (typeof cumulativeAmount !== 'bigint' || cumulativeAmount < 0n || cumulativeAmount > MAX_UINT256)
    return false;
  if (!Array.isArray(proof)) return false;

  const node = new Uint8Array(NODE);
  hashLeafInto(address, 0, cumulativeAmount, node, 0);
  const sibling = new Uint8Array(NODE);
  for (const element of proof) {
    if (typeof element !== 'string' || !parseHexInto(element, NODE, sibling, 0)) return false;
    hashPairInto(node, 0, sibling, 0, node, 0);
  }
  return compareBytes(node, 0, rootBytes, 0, NODE) === 0;
}

/**
 * The leaf hash of `(account, cumulativeAmount)`: keccak256(keccak256(abi.encode(address, uint256))),
 * as OZ's `standardLeafHash(['address', 'uint256'], [account, cumulativeAmount])`.
 * Throws {@link RewardTreeInvalidEntryError} for a bad account or amount.
 */
export function rewardLeafHash(account: string, cumulativeAmount: bigint): `0x${string}` {
  const address = new Uint8Array(ADDRESS);
  if (typeof account !== 'string' || !parseAddressInto(account, address, 0)) {
    throw new RewardTreeInvalidEntryError(0, 'account', account, 'a 0x-prefixed 20-byte hex address');
  }
  if (typeof cumulativeAmount !== 'bigint' || cumulativeAmount < 0n || cumulativeAmount > MAX_UINT256) {
    throw new RewardTreeInvalidEntryError(0, 'cumulativeAmount', cumulativeAmount, 'a bigint in [0, 2^256)');
  }
  const leaf = new Uint8Array(NODE);
  hashLeafInto(address, 0, cumulativeAmount, leaf, 0);
  return toHex32(leaf, 0);
}

// ---------------------------------------------------------------------------
// Byte-level helpers. Shared scratch buffers are safe: nothing here re-enters.

/** abi.encode(address, uint256): 12 zero bytes ‖ address ‖ amount (32 bytes, big-endian). */
const encoded = new Uint8Array(64);
const encodedView = new DataView(encoded.buffer);
const innerHash = new Uint8Array(NODE);

/** Writes the leaf hash of (address at `src[srcOff..+20)`, amount) to `dst[dstOff..+32)`. */
function hashLeafInto(
  src: Uint8Array,
  srcOff: number,
  amount: bigint,
  dst: Uint8Array,
  dstOff: number,
): void {
  // encoded[0..12) stays zero forever.
  copyBytes(src, srcOff, encoded, 12, ADDRESS);
  if (amount <= MAX_UINT64) {
    // Most amounts fit in 64 bits times a few: avoid the general bigint split.
    encoded.fill(0, 32, 56);
    encodedView.setBigUint64(56, amount);
  } else {
    let rest = amount;
    for (let off = 56; off >= 32; off -= 8) {
      encodedView.setBigUint64(off, BigInt.asUintN(64, rest));
      rest >>= 64n;
    }
  }
  keccak256Of64(encoded, 0, encoded, 32, innerHash, 0);
  keccak256Of32(innerHash, 0, dst, dstOff);
}

/** Writes keccak256(min(a, b) ‖ max(a, b)) — OZ's `standardNodeHash` — to `dst[dstOff..+32)`. */
function hashPairInto(
  a: Uint8Array,
  aOff: number,
  b: Uint8Array,
  bOff: number,
  dst: Uint8Array,
  dstOff: number,
): void {
  if (compareBytes(a, aOff, b, bOff, NODE) <= 0) keccak256Of64(a, aOff, b, bOff, dst, dstOff);
  else keccak256Of64(b, bOff, a, aOff, dst, dstOff);
}

/** Copies without the `subarray` view `Uint8Array.set` would need: no allocation per leaf. */
function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, width: number): void {
  for (let i = 0; i < width; i++) dst[dstOff + i] = src[srcOff + i]!;
}

/** Lexicographic byte order, which for equal widths is the order of the big-endian numbers. */
function compareBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, width: number): number {
  for (let i = 0; i < width; i++) {
    const d = a[aOff + i]! - b[bOff + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = IS_LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/**
 * The indices 0..n-1 ordered by the `width`-byte records of `buf`, ascending; ties by index.
 *
 * Sorting a million records with a JS comparator is slow, so each record's first
 * four bytes and its index are packed into one uint64 and sorted natively; only
 * runs that share those four bytes (rare for hashes and addresses) fall back to a
 * full comparison.
 */
function sortIndicesByBytes(buf: Uint8Array, width: number, n: number): Uint32Array {
  const keys = new BigUint64Array(n);
  const words = new Uint32Array(keys.buffer);
  for (let i = 0; i < n; i++) {
    const o = i * width;
    words[2 * i + HI] = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
    words[2 * i + LO] = i;
  }
  keys.sort();
  const order = new Uint32Array(n);
  for (let p = 0; p < n; p++) order[p] = words[2 * p + LO]!;
  let start = 0;
  for (let p = 1; p <= n; p++) {
    if (p < n && words[2 * p + HI] === words[2 * start + HI]) continue;
    if (p - start > 1) {
      const run = Array.from(order.subarray(start, p));
      run.sort((x, y) => compareBytes(buf, x * width, buf, y * width, width) || x - y);
      order.set(run, start);
    }
    start = p;
  }
  return order;
}

function binarySearch(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const value = sorted[mid]!;
    if (value === key) return mid;
    if (value < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toHex32(buf: Uint8Array, off: number): `0x${string}` {
  let hex = '0x';
  for (let i = 0; i < NODE; i++) hex += HEX_BYTE[buf[off + i]!];
  return hex as `0x${string}`;
}

/** Nibble value of an ASCII hex digit, -1 for anything else. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) NIBBLE[48 + c] = c;
for (let c = 0; c < 6; c++) {
  NIBBLE[65 + c] = 10 + c;
  NIBBLE[97 + c] = 10 + c;
}

/** Decodes `0x` + exactly 2·`bytes` hex digits (any case) into `dst[dstOff..)`; false if malformed. */
function parseHexInto(hex: string, bytes: number, dst: Uint8Array, dstOff: number): boolean {
  if (hex.length !== 2 + 2 * bytes || hex.charCodeAt(0) !== 48 || hex.charCodeAt(1) !== 120) return false;
  for (let i = 0; i < bytes; i++) {
    const c1 = hex.charCodeAt(2 + 2 * i);
    const c2 = hex.charCodeAt(3 + 2 * i);
    const hi = c1 < 128 ? NIBBLE[c1]! : -1;
    const lo = c2 < 128 ? NIBBLE[c2]! : -1;
    if (hi < 0 || lo < 0) return false;
    dst[dstOff + i] = (hi << 4) | lo;
  }
  return true;
}

function parseAddressInto(account: string, dst: Uint8Array, dstOff: number): boolean {
  return parseHexInto(account, ADDRESS, dst, dstOff);
}
