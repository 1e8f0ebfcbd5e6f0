import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import {
  createJsKeccakArena,
  createKeccakArena,
  createWasmKeccakArena,
  encodeKeccakModule,
  type KeccakArena,
} from './keccak.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const arenas: [string, (size: number) => KeccakArena][] = [
  ['the WebAssembly arena', (size) => createWasmKeccakArena(size)],
  ['the JS fallback arena', createJsKeccakArena],
];

describe.each(arenas)('%s', (_, create) => {
  it('hashes 32 zero bytes to the well-known keccak256(bytes32(0))', () => {
    const arena = create(64);
    arena.hash32(0, 32);
    expect(hex(arena.bytes.subarray(32, 64))).toBe(
      '290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563',
    );
  });

  it('hashes 64 zero bytes to the well-known keccak256(bytes32(0) ‖ bytes32(0))', () => {
    const arena = create(96);
    arena.hash64(0, 32, 64);
    expect(hex(arena.bytes.subarray(64, 96))).toBe(
      'ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5',
    );
  });

  it('hashes all-0xff inputs as noble does', () => {
    const arena = create(128);
    arena.bytes.fill(0xff, 0, 64);
    arena.hash64(0, 32, 64);
    arena.hash32(0, 96);
    const ones = new Uint8Array(64).fill(0xff);
    expect(hex(arena.bytes.subarray(64, 96))).toBe(hex(keccak_256(ones)));
    expect(hex(arena.bytes.subarray(96, 128))).toBe(hex(keccak_256(ones.subarray(0, 32))));
  });

  it('concatenates two halves from anywhere in the arena, in the order given', () => {
    const arena = create(256);
    arena.bytes.set(
      Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff),
      0,
    );
    const before = arena.bytes.slice();
    arena.hash64(160, 8, 200);
    const joined = new Uint8Array([...before.subarray(160, 192), ...before.subarray(8, 40)]);
    expect(hex(arena.bytes.subarray(200, 232))).toBe(hex(keccak_256(joined)));
    expect(hex(arena.bytes.subarray(0, 200))).toBe(hex(before.subarray(0, 200)));
    expect(hex(arena.bytes.subarray(232, 256))).toBe(hex(before.subarray(232, 256)));
  });

  it('may write its output over its input', () => {
    const arena = create(64);
    arena.bytes.set(
      Array.from({ length: 64 }, (_, i) => i),
      0,
    );
    const input = arena.bytes.slice(0, 64);
    arena.hash64(0, 32, 0);
    expect(hex(arena.bytes.subarray(0, 32))).toBe(hex(keccak_256(input)));
    arena.hash32(32, 32);
    expect(hex(arena.bytes.subarray(32, 64))).toBe(hex(keccak_256(input.subarray(32, 64))));
  });

  it('has at least the size asked for, zero-filled', () => {
    const arena = create(70_000);
    expect(arena.bytes.length >= 70_000).toBe(true);
    expect(arena.bytes.every((b) => b === 0)).toBe(true);
  });
});

describe('createKeccakArena', () => {
  it('uses WebAssembly when the runtime has it', () => {
    // A WebAssembly memory is a whole number of 64 KiB pages, less 256 bytes of round constants;
    // the fallback is exactly the size asked.
    expect(createKeccakArena(32).bytes.length).toBe(65_536 - 256);
    expect(createJsKeccakArena(32).bytes.length).toBe(32);
  });

  it('generates a module that WebAssembly accepts', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } })
      .WebAssembly;
    expect(wasm.validate(encodeKeccakModule())).toBe(true);
  });
});
