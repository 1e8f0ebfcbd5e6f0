import { ProtocolError } from './errors.ts';

/** A `0x`-prefixed hexadecimal string. */
export type Hex = `0x${string}`;

const HEX_BODY = /^(?:[0-9a-fA-F]{2})*$/;

/** Encode bytes as `0x` + lowercase hex. */
export function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/**
 * Decode `0x`-prefixed hex (either case) into bytes; throws `INVALID_ARGUMENT` for anything
 * else, or when `length` is given and the byte length differs.
 */
export function fromHex(hex: string, length?: number): Uint8Array {
  if (typeof hex !== 'string' || !hex.startsWith('0x') || !HEX_BODY.test(hex.slice(2))) {
    throw new ProtocolError('INVALID_ARGUMENT', `expected 0x-prefixed hex with an even number of digits`);
  }
  const bytes = new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
  if (length !== undefined && bytes.length !== length) {
    throw new ProtocolError('INVALID_ARGUMENT', `expected ${length} bytes of hex, got ${bytes.length}`);
  }
  return bytes;
}
