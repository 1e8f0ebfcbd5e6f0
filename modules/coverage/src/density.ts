/**
 * Hex density scaling (HIP-17 style): a hotspot's coverage reward is scaled
 * down where hotspots crowd, so that piling hotspots into one hex earns no
 * more than the hex is worth. Pure, integer results.
 *
 * @module
 */
import { cellToParent, getResolution, gridDisk } from 'h3-js';
import type { HexDensityLevel } from './params.ts';
import { cellAtRes } from './physics.ts';

/** Scales are parts per million: 1,000,000 = full reward. */
export const SCALE_ONE = 1_000_000n;

/**
 * Computes every hotspot's density scale.
 *
 * For each governed resolution r, finest first: a hex's raw count is the
 * number of hotspots in it at the finest level, and at coarser levels the sum
 * of its children's clipped counts. A hex is clipped to
 * `limit = min(max_r, target_r · max(1, occupiedNeighbours − nbrs_r + 1))`,
 * where occupied neighbours are the hexes of its ring 1 at r whose raw count
 * reaches target_r. A hotspot's scale is the product over r of
 * clipped/raw of its hex at r, floored to parts per million.
 *
 * Guarantees:
 * - every scale is in [0, 1,000,000] and is 1,000,000 when no hex is over its limit;
 * - for every governed resolution r and hex h at r, the scales of the hotspots in h sum to at most
 *   `limit(h) · 1,000,000` — stacking hotspots into a hex never raises what the hex earns;
 * - adding a hotspot to a hex never raises the scale of the hotspots already in it;
 * - the result depends only on the multiset of cells (order of input does not matter).
 *
 * Throws nothing for valid H3 cells; cells coarser than the finest governed
 * resolution are taken at their centre child.
 *
 * @example hexDensityScales(['8a2a1072b59ffff', '8a2a1072b59ffff'], levels) // two in one res-10 hex (max 1): 500000n each
 */
export function hexDensityScales(cells: readonly string[], levels: readonly HexDensityLevel[]): bigint[] {
  if (cells.length === 0) return [];
  if (levels.length === 0) return cells.map(() => SCALE_ONE);
  const sorted = [...levels].sort((a, b) => b.res - a.res); // finest first
  const finest = sorted[0]!.res;
  const leaf = cells.map((c) => (getResolution(c) === finest ? c : cellAtRes(c, finest)));
  // Per level: raw and clipped counts per hex.
  const raw: Map<string, number>[] = [];
  const clipped: Map<string, number>[] = [];
  let counts = new Map<string, number>();
  for (const c of leaf) counts.set(c, (counts.get(c) ?? 0) + 1);
  for (let li = 0; li < sorted.length; li++) {
    const lv = sorted[li]!;
    raw.push(counts);
    const clip = new Map<string, number>();
    for (const [hex, count] of counts) {
      let occupied = 0;
      for (const nb of gridDisk(hex, 1)) if (nb !== hex && (counts.get(nb) ?? 0) >= lv.target) occupied++;
      const limit = Math.min(lv.max, lv.target * Math.max(1, occupied - lv.nbrs + 1));
      clip.set(hex, Math.min(count, limit));
    }
    clipped.push(clip);
    const next = sorted[li + 1];
    if (next) {
      const up = new Map<string, number>();
      for (const [hex, c] of clip) {
        const par = cellToParent(hex, next.res);
        up.set(par, (up.get(par) ?? 0) + c);
      }
      counts = up;
    }
  }
  return leaf.map((c) => {
    let num = 1n;
    let den = 1n;
    let hex = c;
    for (let li = 0; li < sorted.length; li++) {
      if (li > 0) hex = cellToParent(hex, sorted[li]!.res);
      num *= BigInt(clipped[li]!.get(hex)!);
      den *= BigInt(raw[li]!.get(hex)!);
    }
    return (SCALE_ONE * num) / den;
  });
}
