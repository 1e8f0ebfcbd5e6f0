import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { deviceKeyFromSeed, signEnvelope, signingBytes } from '@groundwork/protocol';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VERIFY_NICE,
  type VerifyBatchReply,
  type VerifyBatchRequest,
  VerifyPool,
  type VerifyWorkerLike,
} from '../src/ingest/verifyPool.ts';

/** Nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

const count = (xs: number[], x: number) => xs.filter((v) => v === x).length;

const key = deviceKeyFromSeed('ed25519', Buffer.alloc(32, 7));
const envelope = signEnvelope(
  { v: 1, device: key.deviceId, seq: 1, time: 1_700_000_000_000, kind: 'uptime.heartbeat', body: { n: 1 } },
  key,
);
const item = {
  keyType: 'ed25519' as const,
  publicKey: key.publicKey,
  message: signingBytes(envelope),
  signature: Buffer.from(envelope.sig.slice(2), 'hex'),
};

describe('VerifyPool', () => {
  it('answers one boolean per item, in order, across its workers', async () => {
    const pool = new VerifyPool(2);
    try {
      const forged = { ...item, signature: Buffer.from(item.signature).fill(1, 0, 1) };
      // 200 items: four chunks of 64 or fewer, over both workers.
      const items = Array.from({ length: 200 }, (_, i) => (i % 3 === 1 ? forged : item));
      expect(await pool.verify(items)).toEqual(items.map((_, i) => i % 3 !== 1));
      expect(await pool.verify([])).toEqual([]);
    } finally {
      await pool.close();
    }
    await expect(pool.verify([item])).rejects.toThrow('verify pool is closed');
  });

  it('keeps at most maxCachedKeys parsed keys per worker, parsing a key again once it has been dropped', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => deviceKeyFromSeed('ed25519', Buffer.alloc(32, i + 1)));
    const items = keys.map((k) => {
      const e = signEnvelope(
        {
          v: 1,
          device: k.deviceId,
          seq: 1,
          time: 1_700_000_000_000,
          kind: 'uptime.heartbeat',
          body: { n: 1 },
        },
        k,
      );
      return {
        keyType: 'ed25519' as const,
        publicKey: k.publicKey,
        message: signingBytes(e),
        signature: Buffer.from(e.sig.slice(2), 'hex'),
      };
    });
    // One worker, so the count is exact. Room for 4: ten keys in turn never find theirs again.
    const small = new VerifyPool(1, { maxCachedKeys: 4 });
    try {
      expect(await small.verify([...items, ...items])).toEqual(Array(20).fill(true));
      expect(small.keyImports).toBe(20);
      // Two keys in turn stay cached: parsed once each.
      const before = small.keyImports;
      expect(await small.verify([items[0]!, items[1]!, items[0]!, items[1]!, items[0]!])).toEqual(
        Array(5).fill(true),
      );
      expect(small.keyImports - before).toBe(2);
    } finally {
      await small.close();
    }
    // Room for all ten: each parsed once, however often it comes.
    const large = new VerifyPool(1, { maxCachedKeys: 64 });
    try {
      expect(await large.verify([...items, ...items, ...items])).toEqual(Array(30).fill(true));
      expect(large.keyImports).toBe(10);
    } finally {
      await large.close();
    }
    expect(() => new VerifyPool(1, { maxCachedKeys: 1 })).toThrow(
      'maxCachedKeys must be an integer of at least 2',
    );
  });

  it.runIf(process.platform === 'linux')(
    'runs its workers the asked nice steps below the creating thread, and equal by default or with 0',
    async () => {
      const base = getPriority();
      /** How many more threads run at `base + nice` while a pool made with `options` is up. */
      const lowered = async (nice: number, options?: { nice: number }) => {
        const level = Math.min(19, base + nice);
        const before = count(threadNices(), level);
        const pool = new VerifyPool(2, options);
        try {
          // Answered: both workers have started (128 items are two chunks of 64, one each).
          expect(await pool.verify(Array.from({ length: 128 }, () => item))).toEqual(Array(128).fill(true));
          return count(threadNices(), level) - before;
        } finally {
          await pool.close();
          expect(count(threadNices(), level)).toBe(before);
        }
      };
      expect(DEFAULT_VERIFY_NICE).toBe(0);
      expect(await lowered(7, { nice: 7 })).toBe(2);
      expect(await lowered(10, { nice: 10 })).toBe(2);
      expect(await lowered(10)).toBe(0);
      expect(await lowered(7, { nice: 0 })).toBe(0);
    },
  );

  it('answers interleaved calls in order when they are cut into many chunks', async () => {
    const pool = new VerifyPool(2, { chunkItems: 8, workerDepth: 2 });
    try {
      const forged = { ...item, signature: Buffer.from(item.signature).fill(1, 0, 1) };
      const make = (n: number, bad: number) =>
        Array.from({ length: n }, (_, i) => (i % bad === 0 ? forged : item));
      const calls = [make(50, 7), make(3, 2), make(100, 5), make(1, 1)];
      const answers = await Promise.all(calls.map((c) => pool.verify(c)));
      answers.forEach((a, k) => {
        expect(a).toEqual(calls[k]!.map((x) => x === item));
      });
    } finally {
      await pool.close();
    }
  });
});

/** Workers that answer only when told, recording what they were sent. */
function fakeWorkers() {
  const workers: {
    sent: VerifyBatchRequest[];
    answer: (ok?: boolean) => void;
    fail: (err: Error) => void;
  }[] = [];
  const create = (): VerifyWorkerLike => {
    const sent: VerifyBatchRequest[] = [];
    let onMessage: ((m: VerifyBatchReply) => void) | undefined;
    let onError: ((err: Error) => void) | undefined;
    workers.push({
      sent,
      // Answers the oldest chunk it holds: all valid, or all invalid.
      answer: (ok = true) => {
        const req = sent.shift()!;
        onMessage!({ id: req.id, ok: new Uint8Array(req.keyTypes.length).fill(ok ? 1 : 0), keyImports: 0 });
      },
      fail: (err) => onError!(err),
    });
    return {
      postMessage: (m) => sent.push(m),
      on: ((event: string, fn: never) => {
        if (event === 'message') onMessage = fn;
        else onError = fn;
      }) as VerifyWorkerLike['on'],
      unref: () => {},
      terminate: async () => 0,
    };
  };
  return { workers, create };
}

describe('VerifyPool scheduling', () => {
  it('queues chunks oldest first, each worker holding at most its depth, and gives the next to whoever answers', async () => {
    const { workers, create } = fakeWorkers();
    const pool = new VerifyPool(2, { chunkItems: 10, workerDepth: 2, createWorker: create });
    const [w0, w1] = workers as [(typeof workers)[0], (typeof workers)[0]];
    // 55 items: chunks of 10, 10, 10, 10, 10, 5. Two each go out at once; two wait.
    const first = pool.verify(Array.from({ length: 55 }, () => item));
    const second = pool.verify(Array.from({ length: 12 }, () => item));
    const sizes = (w: typeof w0) => w.sent.map((r) => r.keyTypes.length);
    expect(sizes(w0)).toEqual([10, 10]);
    expect(sizes(w1)).toEqual([10, 10]);
    // Worker 1 answers four times while worker 0 is busy: every freed place goes to it, in
    // queue order, so it takes the rest of the first call and both chunks of the second.
    w1.answer();
    w1.answer();
    expect(sizes(w1)).toEqual([10, 5]);
    w1.answer();
    expect(sizes(w1)).toEqual([5, 10]);
    w1.answer();
    expect(sizes(w1)).toEqual([10, 2]);
    expect(sizes(w0)).toEqual([10, 10]);
    // The first call still waits for worker 0's two chunks; its answer keeps the items' order.
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await new Promise((r) => setImmediate(r));
    expect(firstDone).toBe(false);
    w0.answer(false);
    w0.answer();
    expect(await first).toEqual([...Array(10).fill(false), ...Array(45).fill(true)]);
    expect(sizes(w0)).toEqual([]);
    w1.answer();
    w1.answer(false);
    expect(await second).toEqual([...Array(10).fill(true), false, false]);
    await pool.close();
  });

  it('fails every waiting call, and every later one, when a worker fails', async () => {
    const { workers, create } = fakeWorkers();
    const pool = new VerifyPool(2, { chunkItems: 4, workerDepth: 1, createWorker: create });
    const a = pool.verify(Array.from({ length: 4 }, () => item));
    const b = pool.verify(Array.from({ length: 12 }, () => item));
    workers[1]!.fail(new Error('out of memory'));
    await expect(a).rejects.toThrow('verify worker failed: out of memory');
    await expect(b).rejects.toThrow('verify worker failed: out of memory');
    await expect(pool.verify([item])).rejects.toThrow('verify worker failed: out of memory');
    // A late answer from the other worker changes nothing.
    workers[0]!.answer();
    await pool.close();
  });

  it('keeps order through a queue that never empties (its spent head is dropped as it goes)', async () => {
    const { workers, create } = fakeWorkers();
    const pool = new VerifyPool(2, { chunkItems: 1, workerDepth: 1, createWorker: create });
    // Call k's one item has a signature starting with k % 256; a worker finds it valid when even.
    const call = (k: number) => {
      const signature = Buffer.from(item.signature);
      signature[0] = k % 256;
      return pool.verify([{ ...item, signature }]);
    };
    const answerByFirstSigByte = (w: (typeof workers)[0]) => {
      const req = w.sent[0]!;
      const sig0 = req.data[req.lengths[0]!]!;
      w.answer(sig0 % 2 === 0);
    };
    const calls: Promise<boolean[]>[] = [];
    for (let k = 0; k < 50; k++) calls.push(call(k));
    // 5,000 answers while new calls keep 48 waiting behind the two at the workers.
    for (let k = 50; k < 5_000; k++) {
      answerByFirstSigByte(workers[k % 2]!);
      calls.push(call(k));
    }
    while (workers.some((w) => w.sent.length > 0))
      for (const w of workers) if (w.sent.length > 0) answerByFirstSigByte(w);
    const answers = await Promise.all(calls);
    expect(answers).toEqual(calls.map((_, k) => [k % 2 === 0]));
    await pool.close();
  });

  it('rejects the calls still waiting when it is closed', async () => {
    const { create } = fakeWorkers();
    const pool = new VerifyPool(1, { createWorker: create });
    const waiting = pool.verify([item, item]);
    await pool.close();
    await expect(waiting).rejects.toThrow('verify pool is closed');
  });
});
