import type { KeyObject } from 'node:crypto';
import { fromHex, type KeyType, publicKeyObject } from '@groundwork/protocol';

const cache = new Map<string, KeyObject>();

/**
 * A device's public key as a node:crypto KeyObject, parsed once and kept: an
 * audit checks many readings of the same few devices, and parsing costs more
 * than the signature check.
 */
export function devicePublicKey(keyType: KeyType, hex: string): KeyObject {
  const k = `${keyType}:${hex}`;
  let o = cache.get(k);
  if (!o) {
    o = publicKeyObject(keyType, fromHex(hex as `0x${string}`));
    if (cache.size >= 10_000) cache.clear();
    cache.set(k, o);
  }
  return o;
}
