import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { keccak256Of32, keccak256Of64 } from './keccak.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function of32(input: Uint8Array): string {
  const out = new Uint8Array(32);
  keccak256Of32(input, 0, out, 0);
  return hex(out);
}

function of64(input: Uint8Array): string {
  const out = new Uint8Array(32);
  keccak256Of64(input, 0, input, 32, out, 0);
  return hex(out);
}

describe('keccak256Of32', () => {
  it('hashes 32 zero bytes to the well-known keccak256(bytes32(0))', () => {
    expect(of32(new Uint8Array(32))).toBe('290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563');
  });

  it('hashes 32 bytes of 0xff as noble does', () => {
    const input = new Uint8Array(32).fill(0xff);
    expect(of32(input)).toBe(hex(keccak_256(input)));
  });

  it('reads from and writes to the given offsets only', () => {
    const buf = new Uint8Array(100).map((_, i) => i);
    const before = buf.slice();
    keccak256Of32(buf, 3, buf, 60);
    expect(hex(buf.subarray(60, 92))).toBe(hex(keccak_256(before.subarray(3, 35))));
    expect(hex(buf.subarray(0, 60))).toBe(hex(before.subarray(0, 60)));
    expect(hex(buf.subarray(92))).toBe(hex(before.subarray(92)));
  });

  it('writes its output over its own input when asked', () => {
    const buf = new Uint8Array(32).map((_, i) => i * 7);
    const expected = hex(keccak_256(buf));
    keccak256Of32(buf, 0, buf, 0);
    expect(hex(buf)).toBe(expected);
  });
});

describe('keccak256Of64', () => {
  it('hashes 64 zero bytes to the well-known keccak256(bytes32(0) ‖ bytes32(0))', () => {
    expect(of64(new Uint8Array(64))).toBe('ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5');
  });

  it('hashes 64 bytes of 0xff as noble does', () => {
    const input = new Uint8Array(64).fill(0xff);
    expect(of64(input)).toBe(hex(keccak_256(input)));
  });

  it('concatenates two halves taken from different buffers', () => {
    const a = new Uint8Array(40).map((_, i) => 255 - i);
    const b = new Uint8Array(50).map((_, i) => i * 3);
    const out = new Uint8Array(32);
    keccak256Of64(a, 8, b, 17, out, 0);
    const joined = new Uint8Array(64);
    joined.set(a.subarray(8, 40), 0);
    joined.set(b.subarray(17, 49), 32);
    expect(hex(out)).toBe(hex(keccak_256(joined)));
  });

  it('writes its output over its first half when asked', () => {
    const buf = new Uint8Array(64).map((_, i) => i);
    const expected = hex(keccak_256(buf));
    keccak256Of64(buf, 0, buf, 32, buf, 0);
    expect(hex(buf.subarray(0, 32))).toBe(expected);
  });
});
