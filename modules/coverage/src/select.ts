import { witnessRank } from './entropy.ts';

/**
 * Chooses at most `max` of a beacon's eligible witnesses, fairly: by the rank
 * sha256(entropy ‖ packet ‖ witness id), lowest first. Nobody can predict or
 * bias the rank before the round's entropy exists, and it ignores arrival
 * order and signal strength, so racing or shouting does not help.
 *
 * Guarantees:
 * - returns min(max, |eligible|) distinct ids, all from `eligible`;
 * - the result does not depend on the order of `eligible` (duplicates count once);
 * - deterministic in (entropy, packet, eligible, max);
 * - raising `max` only adds witnesses (the chosen set for max k is a subset of the one for k + 1).
 *
 * @example selectWitnesses('0x…entropy', '0x…packet', ['0xa…', '0xb…', '0xc…'], 2) // two of the three
 */
export function selectWitnesses(
  entropy: string,
  packet: string,
  eligible: readonly string[],
  max: number,
): string[] {
  if (max <= 0) return [];
  const unique = [...new Set(eligible)];
  const ranked = unique.map((id) => [witnessRank(entropy, packet, id), id] as const);
  ranked.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  return ranked.slice(0, max).map((r) => r[1]);
}
