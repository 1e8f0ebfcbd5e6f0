/**
 * Radio physics of the witness checks. Distances are metres, powers tenths of
 * a dB (integers), frequencies kHz. Floating point is used inside and every
 * result that a verdict compares is rounded to an integer first, so two nodes
 * on the same code reach the same verdicts.
 *
 * @module
 */
import {
  cellToCenterChild,
  cellToLatLng,
  cellToParent,
  getResolution,
  gridDistance,
  isValidCell,
} from 'h3-js';

const EARTH_RADIUS_M = 6_371_008.8;

/** A point on the ground, degrees. */
export interface LatLng {
  lat: number;
  lng: number;
}

const centres = new Map<string, LatLng>();

/** Centre of an H3 cell (memoised: the same cells are looked up many times per epoch). */
export function cellCentre(cell: string): LatLng {
  let c = centres.get(cell);
  if (!c) {
    const [lat, lng] = cellToLatLng(cell);
    c = { lat, lng };
    if (centres.size > 200_000) centres.clear();
    centres.set(cell, c);
  }
  return c;
}

/** Whether a string is a valid H3 cell index. */
export function isCell(cell: string): boolean {
  return cell !== '' && cell !== '0' && isValidCell(cell);
}

/** Great-circle (haversine) distance between two points, metres. */
export function haversineM(a: LatLng, b: LatLng): number {
  const toRad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * toRad;
  const dLng = (b.lng - a.lng) * toRad;
  const s =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * toRad) * Math.cos(b.lat * toRad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Distance between the centres of two cells, whole metres. */
export function cellDistanceM(a: string, b: string): number {
  return Math.round(haversineM(cellCentre(a), cellCentre(b)));
}

/** A cell expressed at resolution `res`: its parent, or its centre child when it is coarser. */
export function cellAtRes(cell: string, res: number): string {
  const r = getResolution(cell);
  if (r === res) return cell;
  return r > res ? cellToParent(cell, res) : cellToCenterChild(cell, res);
}

/**
 * Grid distance in H3 cells at resolution `res`, or `Infinity` when H3 cannot
 * tell (cells too far apart or across a pentagon — far in any case).
 */
export function cellGridDistance(a: string, b: string, res: number): number {
  try {
    return gridDistance(cellAtRes(a, res), cellAtRes(b, res));
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Free-space path loss, tenths of a dB:
 * FSPL(dB) = 20·log10(d_km) + 20·log10(f_MHz) + 32.44, with d at least 1 m.
 * @example fsplDdb(1000, 868_000) === 912 // 91.2 dB at 1 km, 868 MHz
 */
export function fsplDdb(distanceM: number, frequencyKhz: number): number {
  const dKm = Math.max(distanceM, 1) / 1000;
  const fMhz = frequencyKhz / 1000;
  return Math.round(10 * (20 * Math.log10(dKm) + 20 * Math.log10(fMhz) + 32.44));
}

/**
 * The strongest RSSI physics allows at the receiver, tenths of a dBm: the
 * transmitter's EIRP plus the receiver's antenna gain, minus free-space loss
 * over the asserted distance, plus the governed measurement margin. No
 * environment does better than free space, so a report above it was not
 * received over that distance.
 */
export function maxRssiDdbm(o: {
  eirpDdbm: number;
  rxGainDdbi: number;
  distanceM: number;
  frequencyKhz: number;
  marginDdb: number;
}): number {
  return o.eirpDdbm + o.rxGainDdbi - fsplDdb(o.distanceM, o.frequencyKhz) + o.marginDdb;
}

/**
 * Log-distance path-loss model of the statistical location test, tenths of a
 * dB: PL(d) = intercept + slope·log10(d_km). The governed intercept is the
 * typical loss at 1 km including building and site losses; the slope the
 * loss per decade (37.6 dB: COST-231 Hata, urban, 868 MHz, 15 m base).
 */
export function modelPathLossDdb(distanceM: number, interceptDdb: number, slopeDdb: number): number {
  return interceptDdb + slopeDdb * Math.log10(Math.max(distanceM, 10) / 1000);
}

/** Local flat projection around a reference point (metres east, metres north); fine within ~100 km. */
export function projector(ref: LatLng): {
  toXY(p: LatLng): [number, number];
  toLatLng(x: number, y: number): LatLng;
} {
  const mPerDegLat = 111_132.92;
  const mPerDegLng = 111_319.49 * Math.cos((ref.lat * Math.PI) / 180);
  return {
    toXY: (p) => [(p.lng - ref.lng) * mPerDegLng, (p.lat - ref.lat) * mPerDegLat],
    toLatLng: (x, y) => ({ lat: ref.lat + y / mPerDegLat, lng: ref.lng + x / mPerDegLng }),
  };
}
