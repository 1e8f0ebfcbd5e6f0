import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KeyType } from '@groundwork/protocol';

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

/** What a verify worker is started with. */
export interface VerifyWorkerData {
  /** Nice steps to lower its own thread's priority by, at start (0: none). */
  nice: number;
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
}

interface Lane {
  worker: Worker;
  busy: number;
}

/**
 * A pool of worker threads that verify signatures in batches, so the main
 * thread (HTTP, parsing, commits) never spends its time in ed25519/P-256.
 * A batch is split across the workers; each worker caches parsed keys.
 */
export class VerifyPool {
  readonly size: number;
  readonly #lanes: Lane[] = [];
  readonly #pending = new Map<number, { resolve: (ok: Uint8Array) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #closed = false;

  constructor(size: number = availableParallelism(), options: VerifyPoolOptions = {}) {
    this.size = Math.max(1, size);
    const nice =
      process.platform === 'linux' ? Math.max(0, Math.trunc(options.nice ?? DEFAULT_VERIFY_NICE)) : 0;
    for (let i = 0; i < this.size; i++) {
      // The .mjs bootstrap registers tsx in the worker, which then runs verifyWorker.ts.
      const worker = new Worker(WORKER_URL, { workerData: { nice } satisfies VerifyWorkerData });
      worker.unref();
      const lane: Lane = { worker, busy: 0 };
      this.#lanes.push(lane);
      worker.on('message', (m: { id: number; ok: Uint8Array }) => {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        lane.busy--;
        p?.resolve(m.ok);
      });
      worker.on('error', (err) => {
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
    }
  }

  /** Verifies every item; resolves with one boolean per item, in order. */
  async verify(items: VerifyItem[]): Promise<boolean[]> {
    if (this.#closed) throw new Error('verify pool is closed');
    if (items.length === 0) return [];
    // Split into one chunk per worker (small batches stay on one worker).
    const chunks = Math.min(this.size, Math.ceil(items.length / 64));
    const per = Math.ceil(items.length / chunks);
    const parts: Promise<Uint8Array>[] = [];
    for (let c = 0; c < chunks; c++) {
      const slice = items.slice(c * per, (c + 1) * per);
      const lane = this.#lanes.reduce((a, b) => (b.busy < a.busy ? b : a));
      const id = this.#nextId++;
      lane.busy++;
      parts.push(
        new Promise<Uint8Array>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          const req = packVerifyBatch(id, slice);
          lane.worker.postMessage(req, [req.keyTypes.buffer, req.lengths.buffer, req.data.buffer]);
        }),
      );
    }
    const results = await Promise.all(parts);
    const out: boolean[] = [];
    for (const r of results) for (const b of r) out.push(b === 1);
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#lanes.map((l) => l.worker.terminate()));
  }
}
