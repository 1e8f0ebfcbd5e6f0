/**
 * A bounded cache of parsed public keys, as each verify worker keeps one.
 *
 * Why bounded: a parsed key (a KeyObject over an OpenSSL EVP_PKEY) costs
 * about 1.06 KB of RSS (measured: 100,000 ed25519 keys in a Map, 1,061 bytes
 * each), and every verify worker keeps its own. A million devices would cost
 * about 2.1 GB with two workers. Parsing one again (a JWK import) costs about
 * 10 µs against about 115 µs for the verify itself (same run), so a node
 * whose fleet outgrows the cache pays roughly a tenth more verify CPU, not an
 * unbounded heap.
 *
 * How: two generations. Keys are added to the young one; a hit in the old
 * one moves the key to the young one; when the young one holds half the
 * capacity it becomes the old one and the previous old one is dropped. So at
 * most `capacity` keys are held, a key used at least once per half-capacity
 * of other keys' arrivals is never parsed again, and every operation is one
 * or two Map lookups — no per-hit bookkeeping as an exact LRU would need.
 */
export class KeyCache<K, V> {
  readonly capacity: number;
  readonly #half: number;
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  /** Values made (misses) since the cache was created. */
  misses = 0;

  /** `capacity`: most entries held at once (at least 2). */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 2)
      throw new RangeError(`key cache capacity must be an integer of at least 2, got ${capacity}`);
    this.capacity = capacity;
    this.#half = Math.floor(capacity / 2);
  }

  /** Entries held now (never more than `capacity`). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** The cached value for `key`, or `make()`'s, which is then cached. A `make` that throws caches nothing. */
  get(key: K, make: () => V): V {
    let v = this.#young.get(key);
    if (v !== undefined) return v;
    v = this.#old.get(key);
    if (v !== undefined) this.#old.delete(key);
    else {
      v = make();
      this.misses++;
    }
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, v);
    return v;
  }
}

/** Keys each verify worker caches by default: about 280 MB per worker at 1.06 KB a key. */
export const DEFAULT_MAX_CACHED_KEYS = 262_144;
