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
 * The hashing works on raw bytes in one arena (see `keccak.ts`); hex appears
 * only at the edges (input addresses, output root and proofs).
 *
 * @module
 */
import {
  RewardTreeAccountNotFoundError,
  RewardTreeDuplicateAccountError,
  RewardTreeInvalidEntryError,
} from './errors.ts';
import { createKeccakArena, type KeccakArena } from './keccak.ts';

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
  // Read each entry once: nothing after this loop touches caller objects (or their getters).
  const amounts: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const entry = entries[i]!;
    if (typeof entry.account !== 'string' || !parseHexInto(entry.account, ADDRESS, addresses, i * ADDRESS)) {
      throw new RewardTreeInvalidEntryError(i, 'account', entry.account, 'a 0x-prefixed 20-byte hex address');
    }
    const amount = entry.cumulativeAmount;
    if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_UINT256) {
      throw new RewardTreeInvalidEntryError(i, 'cumulativeAmount', amount, 'a bigint in [0, 2^256)');
    }
    accounts[i] = entry.account.toLowerCase() as `0x${string}`;
    amounts[i] = amount;
  }

  // One arena, by byte offset: n leaf hashes, then the 2n − 1 tree nodes, then leaf scratch.
  const length = 2 * n - 1;
  const LEAVES = 0;
  const TREE = n * NODE;
  const SCRATCH = TREE + length * NODE;
  const arena = arenaOfSize(SCRATCH + LEAF_SCRATCH);
  const bytes = arena.bytes;

  // Entries in account order: deterministic output, duplicates become neighbours,
  // and proofOf can binary-search the (lowercase, fixed-length) account strings.
  const byAccount = sortIndicesByBytes(addresses, ADDRESS, n);
  const sortedEntries: RewardTreeEntry[] = new Array(n);
  const sortedAccounts: string[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = byAccount[k]!;
    if (
      k > 0 &&
      compareBytes(addresses, i * ADDRESS, addresses, byAccount[k - 1]! * ADDRESS, ADDRESS) === 0
    ) {
      throw new RewardTreeDuplicateAccountError(accounts[i]!);
    }
    const account = accounts[i]!;
    const cumulativeAmount = amounts[i]!;
    sortedEntries[k] = { account, cumulativeAmount };
    sortedAccounts[k] = account;
    hashLeafInto(arena, addresses, i * ADDRESS, cumulativeAmount, SCRATCH, LEAVES + k * NODE);
  }

  // OZ sorts the leaf hashes ascending, then puts sorted leaf p at tree[length − 1 − p].
  const byLeaf = sortIndicesByBytes(bytes.subarray(LEAVES, LEAVES + n * NODE), NODE, n);
  const treeIndexOf = new Uint32Array(n);
  for (let p = 0; p < n; p++) {
    const k = byLeaf[p]!;
    const at = length - 1 - p;
    for (let j = 0; j < NODE; j++) bytes[TREE + at * NODE + j] = bytes[LEAVES + k * NODE + j]!;
    treeIndexOf[k] = at;
  }
  // Children of i are 2i + 1 and 2i + 2; going from the last internal node down
  // to the root means both children exist before their parent is hashed.
  for (let i = n - 2; i >= 0; i--) {
    hashPairInto(arena, TREE + (2 * i + 1) * NODE, TREE + (2 * i + 2) * NODE, TREE + i * NODE);
  }
  // Keep only the tree: the arena is reused or collected.
  const tree = bytes.slice(TREE, TREE + length * NODE);

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
  const { arena, address } = smallArena();
  const bytes = arena.bytes;
  // Small arena layout: node, sibling, root, then the leaf scratch.
  const NODE_AT = 0;
  const SIBLING_AT = NODE;
  const ROOT_AT = 2 * NODE;
  if (typeof root !== 'string' || !parseHexInto(root, NODE, bytes, ROOT_AT)) return false;
  if (typeof account !== 'string' || !parseHexInto(account, ADDRESS, address, 0)) return false;
  if (typeof cumulativeAmount !== 'bigint' || cumulativeAmount < 0n || cumulativeAmount > MAX_UINT256) {
    return false;
  }
  if (!Array.isArray(proof)) return false;

  hashLeafInto(arena, address, 0, cumulativeAmount, 3 * NODE, NODE_AT);
  for (const element of proof) {
    if (typeof element !== 'string' || !parseHexInto(element, NODE, bytes, SIBLING_AT)) return false;
    hashPairInto(arena, NODE_AT, SIBLING_AT, NODE_AT);
  }
  return compareBytes(bytes, NODE_AT, bytes, ROOT_AT, NODE) === 0;
}

/**
 * The leaf hash of `(account, cumulativeAmount)`: keccak256(keccak256(abi.encode(address, uint256))),
 * as OZ's `standardLeafHash(['address', 'uint256'], [account, cumulativeAmount])`.
 * Throws {@link RewardTreeInvalidEntryError} for a bad account or amount.
 */
export function rewardLeafHash(account: string, cumulativeAmount: bigint): `0x${string}` {
  const { arena, address } = smallArena();
  if (typeof account !== 'string' || !parseHexInto(account, ADDRESS, address, 0)) {
    throw new RewardTreeInvalidEntryError(0, 'account', account, 'a 0x-prefixed 20-byte hex address');
  }
  if (typeof cumulativeAmount !== 'bigint' || cumulativeAmount < 0n || cumulativeAmount > MAX_UINT256) {
    throw new RewardTreeInvalidEntryError(0, 'cumulativeAmount', cumulativeAmount, 'a bigint in [0, 2^256)');
  }
  hashLeafInto(arena, address, 0, cumulativeAmount, NODE, 0);
  return toHex32(arena.bytes, 0);
}

// ---------------------------------------------------------------------------
// Byte-level helpers.

/** Bytes of arena scratch a leaf hash needs: abi.encode (64) and the inner hash (32). */
const LEAF_SCRATCH = 3 * NODE;

/**
 * Trees up to this many arena bytes (about 43,000 leaves) share one arena, so that
 * frequent small builds neither allocate nor retain more; larger ones get their own,
 * collected with the build. Sharing is safe: a build runs no caller code while it
 * uses the arena, so builds cannot interleave.
 */
const SHARED_ARENA_BYTES = 1 << 22;
let shared: KeccakArena | undefined;

function arenaOfSize(size: number): KeccakArena {
  if (size > SHARED_ARENA_BYTES) return createKeccakArena(size);
  shared ??= createKeccakArena(SHARED_ARENA_BYTES);
  return shared;
}

let small: { arena: KeccakArena; address: Uint8Array } | undefined;

/** A few nodes of arena for one proof or one leaf; shared, which is safe as nothing here re-enters. */
function smallArena(): { arena: KeccakArena; address: Uint8Array } {
  small ??= { arena: createKeccakArena(3 * NODE + LEAF_SCRATCH), address: new Uint8Array(ADDRESS) };
  return small;
}

/**
 * Writes the leaf hash of (address at `src[srcOff..+20)`, amount) to arena node `out`,
 * using {@link LEAF_SCRATCH} bytes at arena offset `scratch`: first
 * abi.encode(address, uint256) — 12 zero bytes ‖ address ‖ amount as a 32-byte
 * big-endian word — then keccak256 of that.
 */
function hashLeafInto(
  arena: KeccakArena,
  src: Uint8Array,
  srcOff: number,
  amount: bigint,
  scratch: number,
  out: number,
): void {
  const bytes = arena.bytes;
  // Plain loops: for a few bytes they beat the native fill/set calls.
  for (let i = 0; i < 12; i++) bytes[scratch + i] = 0;
  for (let i = 0; i < ADDRESS; i++) bytes[scratch + 12 + i] = src[srcOff + i]!;
  // The amount as a 32-byte big-endian word, from its hex digits (one native conversion
  // instead of a dozen bigint operations), filled from the last byte backwards.
  const word = scratch + 32;
  for (let i = 0; i < 32; i++) bytes[word + i] = 0;
  const digits = amount.toString(16);
  let at = word + 31;
  let i = digits.length;
  for (; i >= 2; i -= 2) {
    bytes[at--] = (NIBBLE[digits.charCodeAt(i - 2)]! << 4) | NIBBLE[digits.charCodeAt(i - 1)]!;
  }
  if (i === 1) bytes[at] = NIBBLE[digits.charCodeAt(0)]!;
  arena.hash64(scratch, scratch + 32, scratch + 64);
  arena.hash32(scratch + 64, out);
}

/** Arena node `out` = keccak256(min(a, b) ‖ max(a, b)) — OZ's `standardNodeHash`. */
function hashPairInto(arena: KeccakArena, a: number, b: number, out: number): void {
  if (compareBytes(arena.bytes, a, arena.bytes, b, NODE) <= 0) arena.hash64(a, b, out);
  else arena.hash64(b, a, out);
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
 * Exported for its own tests only (@internal).
 *
 * Sorting a million records with a JS comparator is slow, so each record's first
 * four bytes and its index are packed into one uint64 and sorted natively; only
 * runs that share those four bytes (rare for hashes and addresses) fall back to a
 * full comparison.
 */
export function sortIndicesByBytes(buf: Uint8Array, width: number, n: number): Uint32Array {
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
