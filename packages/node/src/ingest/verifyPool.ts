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

export interface VerifyBatchRequest {
  id: number;
  items: VerifyItem[];
}

// Kept apart from `new Worker(…)` so bundlers (the dashboard's Vite build, which
// imports node code for its in-browser verifier) do not try to bundle the worker.
const WORKER_URL = new URL('./verifyWorker.mjs', import.meta.url);

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

  constructor(size: number = availableParallelism()) {
    this.size = Math.max(1, size);
    for (let i = 0; i < this.size; i++) {
      // The .mjs bootstrap registers tsx in the worker, which then runs verifyWorker.ts.
      const worker = new Worker(WORKER_URL);
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
          lane.worker.postMessage({ id, items: slice } satisfies VerifyBatchRequest);
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
