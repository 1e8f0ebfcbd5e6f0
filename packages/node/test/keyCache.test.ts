import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyCache } from '../src/ingest/keyCache.ts';

describe('KeyCache', () => {
  it('makes a value once per key while it stays cached, and a thrown make caches nothing', () => {
    const cache = new KeyCache<string, number>(8);
    let made = 0;
    const make = (v: number) => () => {
      made++;
      return v;
    };
    expect(cache.get('a', make(1))).toBe(1);
    expect(cache.get('a', make(2))).toBe(1);
    expect(() =>
      cache.get('b', () => {
        throw new Error('bad key');
      }),
    ).toThrow('bad key');
    expect(cache.get('b', make(3))).toBe(3);
    expect(made).toBe(2);
    expect(cache.misses).toBe(2);
    expect(cache.size).toBe(2);
  });

  it('drops the keys not used during a whole generation, and keeps a key used in each', () => {
    const cache = new KeyCache<number, number>(4);
    // Generations of 2: 0 and 1 fill the young one; 2 turns it old; 0, used again, moves back.
    for (const k of [0, 1, 2, 0, 3]) cache.get(k, () => k);
    expect(cache.misses).toBe(4);
    // 1 was old when 3 turned the young one (2, 0) old: gone. 0 is still held.
    cache.get(0, () => -1);
    expect(cache.misses).toBe(4);
    cache.get(1, () => 1);
    expect(cache.misses).toBe(5);
  });

  it('never holds more than its capacity, and answers every key with its own value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 400 }),
        (capacity, keys) => {
          const cache = new KeyCache<number, string>(capacity);
          let misses = 0;
          for (const k of keys) {
            expect(
              cache.get(k, () => {
                misses++;
                return `v${k}`;
              }),
            ).toBe(`v${k}`);
            expect(cache.size).toBeLessThanOrEqual(capacity);
          }
          expect(cache.misses).toBe(misses);
          // With no more distinct keys than half the capacity, each is made exactly once.
          if (new Set(keys).size <= Math.floor(capacity / 2)) expect(misses).toBe(new Set(keys).size);
        },
      ),
    );
  });

  it('refuses a capacity below 2', () => {
    expect(() => new KeyCache(1)).toThrow('at least 2');
    expect(() => new KeyCache(2.5)).toThrow('at least 2');
  });
});
