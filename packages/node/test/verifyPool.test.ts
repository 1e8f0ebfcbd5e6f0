import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { deviceKeyFromSeed, signEnvelope, signingBytes } from '@groundwork/protocol';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VERIFY_NICE, VerifyPool } from '../src/ingest/verifyPool.ts';

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
      // 200 items: two chunks, one per worker.
      const items = Array.from({ length: 200 }, (_, i) => (i % 3 === 1 ? forged : item));
      expect(await pool.verify(items)).toEqual(items.map((_, i) => i % 3 !== 1));
      expect(await pool.verify([])).toEqual([]);
    } finally {
      await pool.close();
    }
    await expect(pool.verify([item])).rejects.toThrow('verify pool is closed');
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
});
