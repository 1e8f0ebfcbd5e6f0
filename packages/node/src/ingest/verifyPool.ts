import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KeyType } from '@groundwork/protocol';
import { DEFAULT_MAX_CACHED_KEYS } from './keyCache.ts';

/** One signature to check: the device's raw public key, the signing bytes and the 64-byte signature. */
export interface VerifyItem {
  keyType: KeyType;
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * A batch as it travels to a worker: every item's key, signature and message
 * back to back in one buffer that is transferred, not copied — one object to
 * post however many items, instead of four per item for the structured clone.
 */
export interface VerifyBatchRequest {
  id: number;
  /** Per item: 1 ed25519, 2 p256. */
  keyTypes: Uint8Array<ArrayBuffer>;
  /** Per item: byte lengths of its key, signature and message, in that order. */
  lengths: Uint32Array<ArrayBuffer>;
  /** Per item: key, signature, message. */
  data: Uint8Array<ArrayBuffer>;
}

/** A worker's answer to a {@link VerifyBatchRequest}. */
export interface VerifyBatchReply {
  id: number;
  /** Per item: 1 valid, 0 not. */
  ok: Uint8Array;
  /** Public keys the worker parsed for this batch (not found in its cache). */
  keyImports: number;
}

/** What a verify worker is started with. */
export interface VerifyWorkerData {
  /** Nice steps to lower its own thread's priority by, at start (0: none). */
  nice: number;
  /** Most parsed public keys the worker keeps (keyCache.ts). */
  maxCachedKeys: number;
}

const KEY_TYPE_CODES: Record<KeyType, number> = { ed25519: 1, p256: 2 };

/** Packs items into one {@link VerifyBatchRequest}. */
export function packVerifyBatch(id: number, items: readonly VerifyItem[]): VerifyBatchRequest {
  const n = items.length;
  const keyTypes = new Uint8Array(n);
  const lengths = new Uint32Array(3 * n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    keyTypes[i] = KEY_TYPE_CODES[it.keyType];
    lengths[3 * i] = it.publicKey.byteLength;
    lengths[3 * i + 1] = it.signature.byteLength;
    lengths[3 * i + 2] = it.message.byteLength;
    total += it.publicKey.byteLength + it.signature.byteLength + it.message.byteLength;
  }
  // A buffer of its own (not a slice of Node's shared pool), since it is transferred.
  const data = new Uint8Array(total);
  let pos = 0;
  for (const it of items) {
    data.set(it.publicKey, pos);
    pos += it.publicKey.byteLength;
    data.set(it.signature, pos);
    pos += it.signature.byteLength;
    data.set(it.message, pos);
    pos += it.message.byteLength;
  }
  return { id, keyTypes, lengths, data };
}

// Kept apart from `new Worker(…)` so bundlers (the dashboard's Vite build, which
// imports node code for its in-browser verifier) do not try to bundle the worker.
const WORKER_URL = new URL('./verifyWorker.mjs', import.meta.url);

/** How many nice steps below the thread that creates the pool its workers run by default: none. */
export const DEFAULT_VERIFY_NICE = 0;

export interface VerifyPoolOptions {
  /**
   * Scheduling priority of the worker threads, as nice steps below the
   * thread that creates the pool (the node's main thread), up to nice 19; 0
   * keeps them equal. Linux only: elsewhere nice is per process, and the
   * workers keep the process's. With the workers lower, the main thread
   * (HTTP, MQTT, commits, acknowledgements) runs as soon as it has work
   * instead of waiting for a worker's time slice, while the workers still get
   * every cycle it leaves. Measured on the 2-core machine with the ingest
   * bench's MQTT run (one envelope per message), runs alternating between
   * equal and lowered workers in one process: +10 was faster in 11 of 16
   * pairs over two sessions (median ratio to the best baseline round 0.795
   * and 0.787 against 0.782 and 0.773), and its slowest runs were less slow
   * (worst 0.723 against 0.644); +5 in 3 of 5 pairs; the main thread raised
   * by 5 instead (which needs privilege) in 4 of 4.
   *
   * Default {@link DEFAULT_VERIFY_NICE} (off), because the workers then also
   * come after every other thread at the main thread's priority in the same
   * scheduling group (with Linux autogroups, the same session): +10 gives
   * them about a tenth of a core against one busy such thread — a shell's
   * other jobs, a test runner's other processes. Set it (`verify.nice`,
   * `GROUNDWORK_VERIFY_NICE`) on a machine whose node runs as its own service
   * (its own session) and mostly alone.
   */
  nice?: number;
  /**
   * Most parsed public keys each worker keeps, default
   * {@link DEFAULT_MAX_CACHED_KEYS}: about 1.06 KB each per worker. A fleet
   * larger than this that reports round-robin has each key parsed again
   * (about 10 µs, against about 115 µs per verify); `keyImports` counts them.
   */
  maxCachedKeys?: number;
  /** Items per chunk a worker takes at a time. Default {@link DEFAULT_CHUNK_ITEMS}. */
  chunkItems?: number;
  /** Chunks each worker holds at once. Default {@link DEFAULT_WORKER_DEPTH}. */
  workerDepth?: number;
  /** Makes each worker (tests: a fake one that answers when told). Default: a verify worker thread. */
  createWorker?: (data: VerifyWorkerData) => VerifyWorkerLike;
}

/** What the pool needs of a worker thread. */
export interface VerifyWorkerLike {
  postMessage(message: VerifyBatchRequest, transfer: ArrayBuffer[]): void;
  on(event: 'message', listener: (m: VerifyBatchReply) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  unref(): void;
  terminate(): Promise<unknown>;
}

interface Lane {
  worker: VerifyWorkerLike;
  /** Chunks posted to this worker and not yet answered. */
  posted: number;
}

/** A part of one `verify` call, packed, waiting for a worker or at one. */
interface Chunk {
  req: VerifyBatchRequest;
  resolve: (ok: Uint8Array) => void;
  reject: (e: Error) => void;
}

/**
 * Items per chunk: the unit a worker takes. A chunk costs a message each way
 * and its packing, tens of µs against 60–110 µs per ed25519 check, and is the
 * most by which the two workers' shares of one call can differ.
 */
export const DEFAULT_CHUNK_ITEMS = 64;

/**
 * Chunks a worker holds at once: the one it checks and the next ones, so that
 * it has work while the main thread is in a commit (a few ms; SQLite's
 * commits block it) and cannot hand it the next chunk. Measured with the
 * ingest bench's MQTT run (one envelope per message), workers' idle gaps
 * over 0.5 ms per run of 60,000 envelopes: 64 × 6 174 and 199 ms, 128 × 3
 * 200 and 156, 64 × 4 208 and 335, 64 × 3 from 219 to 435 in three runs,
 * 128 × 2 338 and 254, 64 × 2 481 and 415, 32 × 3 570 and 657 — against
 * 789 ms with one chunk per worker per call, as before.
 */
export const DEFAULT_WORKER_DEPTH = 6;

/**
 * A pool of worker threads that verify signatures in batches, so the main
 * thread (HTTP, parsing, commits) never spends its time in ed25519/P-256.
 * Calls are cut into chunks that wait in one queue, and each worker pulls
 * from it; each worker caches parsed keys.
 */
export class VerifyPool {
  readonly size: number;
  readonly #lanes: Lane[] = [];
  /** Chunks not yet posted, oldest first. */
  readonly #queue: Chunk[] = [];
  #queueHead = 0;
  readonly #posted = new Map<number, Chunk>();
  readonly #chunkItems: number;
  readonly #depth: number;
  #nextId = 1;
  #keyImports = 0;
  #closed = false;
  /** Set when a worker failed: every call since is refused with it. */
  #failed: Error | undefined;

  constructor(size: number = availableParallelism(), options: VerifyPoolOptions = {}) {
    this.size = Math.max(1, size);
    this.#chunkItems = Math.max(1, Math.trunc(options.chunkItems ?? DEFAULT_CHUNK_ITEMS));
    this.#depth = Math.max(1, Math.trunc(options.workerDepth ?? DEFAULT_WORKER_DEPTH));
    const nice =
      process.platform === 'linux' ? Math.max(0, Math.trunc(options.nice ?? DEFAULT_VERIFY_NICE)) : 0;
    const maxCachedKeys = options.maxCachedKeys ?? DEFAULT_MAX_CACHED_KEYS;
    if (!Number.isSafeInteger(maxCachedKeys) || maxCachedKeys < 2)
      throw new RangeError(`maxCachedKeys must be an integer of at least 2, got ${maxCachedKeys}`);
    for (let i = 0; i < this.size; i++) {
      // The .mjs bootstrap registers tsx in the worker, which then runs verifyWorker.ts.
      const data: VerifyWorkerData = { nice, maxCachedKeys };
      const worker = options.createWorker?.(data) ?? new Worker(WORKER_URL, { workerData: data });
      worker.unref();
      const lane: Lane = { worker, posted: 0 };
      this.#lanes.push(lane);
      worker.on('message', (m: VerifyBatchReply) => {
        this.#keyImports += m.keyImports;
        const chunk = this.#posted.get(m.id);
        // Unknown: its call was already failed (a worker error, close).
        if (!chunk) return;
        this.#posted.delete(m.id);
        lane.posted--;
        // The next chunk first: the worker may already be idle.
        this.#pump();
        chunk.resolve(m.ok);
      });
      // A worker that failed is gone with the chunks it held: fail everything outstanding,
      // and every later call, rather than leave calls waiting for an answer that cannot come.
      worker.on('error', (err) =>
        this.#failAll((this.#failed ??= new Error(`verify worker failed: ${err.message}`))),
      );
    }
  }

  /**
   * Verifies every item; resolves with one boolean per item, in order. The
   * items are cut into chunks that wait in one queue, oldest call first; each
   * worker holds up to a few chunks at once and takes the next as it answers
   * one. So whichever worker runs faster takes more (the main thread shares a
   * core with one of them), both finish a call within about a chunk of each
   * other, and a worker has work queued while the main thread commits.
   * Before, a call was split into one chunk per worker, handed to the
   * workers with the fewest chunks outstanding: whenever one worker still
   * had a chunk, both halves of the next call went to the other, and in the
   * MQTT bench the workers took turns idling, 14 % of their time.
   *
   * `chunkItems` overrides the pool's chunk size for this call (the bench's
   * baseline verifies its items in one chunk per worker).
   */
  async verify(items: VerifyItem[], options: { chunkItems?: number } = {}): Promise<boolean[]> {
    if (this.#closed) throw new Error('verify pool is closed');
    if (this.#failed) throw this.#failed;
    if (items.length === 0) return [];
    const size = Math.max(1, Math.trunc(options.chunkItems ?? this.#chunkItems));
    const parts: Promise<Uint8Array>[] = [];
    for (let from = 0; from < items.length; from += size) {
      const req = packVerifyBatch(this.#nextId++, items.slice(from, from + size));
      parts.push(new Promise<Uint8Array>((resolve, reject) => this.#queue.push({ req, resolve, reject })));
    }
    this.#pump();
    const results = await Promise.all(parts);
    const out: boolean[] = new Array(items.length);
    let k = 0;
    for (const r of results) for (const b of r) out[k++] = b === 1;
    return out;
  }

  /** Public keys the workers have parsed so far: each key once per worker, more when their caches overflow. */
  get keyImports(): number {
    return this.#keyImports;
  }

  /** Posts queued chunks to workers holding fewer than their depth, least held first. */
  #pump(): void {
    if (this.#failed || this.#closed) return;
    while (this.#queueHead < this.#queue.length) {
      let lane: Lane | undefined;
      for (const l of this.#lanes) if (l.posted < this.#depth && (!lane || l.posted < lane.posted)) lane = l;
      if (!lane) return;
      const chunk = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as Chunk;
      // Taken from the head by index (shift is linear); the spent head is dropped when the
      // queue empties, or once it is most of the array, so a queue that never empties
      // under sustained load does not grow without bound.
      if (this.#queueHead === this.#queue.length) {
        this.#queue.length = 0;
        this.#queueHead = 0;
      } else if (this.#queueHead >= 1024 && 2 * this.#queueHead >= this.#queue.length) {
        this.#queue.splice(0, this.#queueHead);
        this.#queueHead = 0;
      }
      lane.posted++;
      this.#posted.set(chunk.req.id, chunk);
      const { req } = chunk;
      lane.worker.postMessage(req, [req.keyTypes.buffer, req.lengths.buffer, req.data.buffer]);
    }
  }

  /** Rejects every chunk queued or at a worker. */
  #failAll(err: Error): void {
    const chunks = [...this.#posted.values(), ...this.#queue.slice(this.#queueHead)];
    this.#posted.clear();
    this.#queue.length = 0;
    this.#queueHead = 0;
    for (const l of this.#lanes) l.posted = 0;
    for (const c of chunks) c.reject(err);
  }

  /** Stops the workers; calls still waiting are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#failAll(new Error('verify pool is closed'));
    await Promise.all(this.#lanes.map((l) => l.worker.terminate()));
  }
}
