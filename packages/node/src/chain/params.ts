import { type Hex, hexToString, stringToHex } from 'viem';

/** A parameter key (short ASCII) as the bytes32 ParameterRegistry stores: left-aligned, zero-padded. */
export function paramKeyToBytes32(key: string): Hex {
  if (key.length > 31 || !/^[\x20-\x7e]+$/.test(key))
    throw new Error(`parameter key "${key}" must be 1–31 printable ASCII chars`);
  return stringToHex(key, { size: 32 });
}

/** The inverse of {@link paramKeyToBytes32}. */
export function paramKeyFromBytes32(b: Hex): string {
  return hexToString(b, { size: 32 }).replace(/\0+$/, '');
}

/** Module id as DeviceRegistry stores it (bytes32, left-aligned). */
export const moduleToBytes32 = paramKeyToBytes32;
export const moduleFromBytes32 = paramKeyFromBytes32;

/** H3 cell index (hex string, as h3-js writes it) ⇄ the uint64 stored on chain. */
export function h3ToUint64(cell: string): bigint {
  return BigInt(`0x${cell}`);
}
export function h3FromUint64(v: bigint): string {
  return v.toString(16);
}
