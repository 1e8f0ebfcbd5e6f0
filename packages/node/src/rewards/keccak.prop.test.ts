import { keccak_256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createJsKeccakArena, createWasmKeccakArena, type KeccakArena } from './keccak.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const arenas: [string, KeccakArena][] = [
  ['the WebAssembly arena', createWasmKeccakArena(1024)],
  ['the JS fallback arena', createJsKeccakArena(1024)],
];

// Offsets anywhere in the arena (not only multiples of 8 or 32) such that a 32-byte slice fits.
const offset = fc.integer({ min: 0, max: 1024 - 32 });

describe.each(arenas)('%s (properties)', (_, arena) => {
  it('equals noble keccak_256 on every 32-byte input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), offset, offset, (input, a, out) => {
        arena.bytes.set(input, a);
        arena.hash32(a, out);
        return hex(arena.bytes.subarray(out, out + 32)) === hex(keccak_256(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals noble keccak_256 on every 64-byte input split in two halves', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 16, max: 30 }),
        offset,
        (input, aSlot, bSlot, out) => {
          // Halves in disjoint 32-byte slots; the output may land anywhere, even over them.
          const a = aSlot * 32;
          const b = bSlot * 32;
          arena.bytes.set(input.subarray(0, 32), a);
          arena.bytes.set(input.subarray(32), b);
          arena.hash64(a, b, out);
          return hex(arena.bytes.subarray(out, out + 32)) === hex(keccak_256(input));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
