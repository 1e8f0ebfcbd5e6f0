import type { Hex } from './hex.ts';
import type { DeviceId } from './keys.ts';

/** An envelope before signing: exactly the fields covered by the signature. */
export interface UnsignedEnvelope {
  /** Protocol version, always 1. */
  v: 1;
  /** Device id: `0x` + 64 lowercase hex digits. */
  device: DeviceId;
  /** Per-device sequence number, 1 ..= 2^53 - 1, strictly increasing over accepted envelopes. */
  seq: number;
  /** Device clock at creation: integer milliseconds since the Unix epoch. */
  time: number;
  /** `<module>.<name>`, matching {@link KIND_PATTERN}. */
  kind: string;
  /** Module-defined JSON object. */
  body: Record<string, unknown>;
}

/** A signed envelope as sent on the wire. */
export interface Envelope extends UnsignedEnvelope {
  /** `0x` + 128 lowercase hex digits: the 64-byte signature over `signingBytes`. */
  sig: Hex;
}

/** Syntax of `kind`: the part before the first dot is the module id. */
export const KIND_PATTERN = /^[a-z][a-z0-9_]{0,31}\.[a-z][a-z0-9_.]{0,62}$/;

/** The module id of a kind: the part before the first dot (`'energy.interval'` → `'energy'`). */
export function moduleIdOfKind(kind: string): string {
  const dot = kind.indexOf('.');
  return dot < 0 ? kind : kind.slice(0, dot);
}
