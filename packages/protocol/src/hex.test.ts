import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.ts';
import { fromHex, toHex } from './hex.ts';

describe('toHex and fromHex', () => {
  it('encode lowercase with 0x and decode either case', () => {
    expect(toHex(new Uint8Array([0, 1, 0xab, 0xff]))).toBe('0x0001abff');
    expect(toHex(new Uint8Array(0))).toBe('0x');
    expect(Array.from(fromHex('0x0001ABff'))).toEqual([0, 1, 0xab, 0xff]);
  });

  it('encode only the viewed part of a subarray', () => {
    const whole = new Uint8Array([1, 2, 3, 4]);
    expect(toHex(whole.subarray(1, 3))).toBe('0x0203');
  });

  it.each(['0001', '0x0', '0x0g', 0 as unknown as string])('fromHex rejects %s', (input) => {
    expect(() => fromHex(input)).toThrow(ProtocolError);
  });

  it('fromHex checks the byte length when asked', () => {
    expect(() => fromHex('0x0001', 3)).toThrow('expected 3 bytes of hex, got 2');
    expect(fromHex('0x000102', 3).length).toBe(3);
  });
});
