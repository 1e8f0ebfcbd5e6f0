import { keccak_256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { keccak256Of32, keccak256Of64 } from './keccak.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('keccak256Of32 and keccak256Of64 (properties)', () => {
  it('equal noble keccak_256 on every 32-byte input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (input) => {
        const out = new Uint8Array(32);
        keccak256Of32(input, 0, out, 0);
        return hex(out) === hex(keccak_256(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('equal noble keccak_256 on every 64-byte input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (input) => {
        const out = new Uint8Array(32);
        keccak256Of64(input, 0, input, 32, out, 0);
        return hex(out) === hex(keccak_256(input));
      }),
      { numRuns: 2000 },
    );
  });
});
