import { cellToLatLng } from 'h3-js';
import type { Position, Waypoint } from './schemas.ts';

/** Mean Earth radius, metres (IUGG). */
const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

export interface LatLng {
  lat: number;
  lng: number;
}

/** Degrees of a reading's position: from 1e-7 degrees, or the centre of an H3 cell. */
export function positionToLatLng(p: Position): LatLng {
  if ('h3' in p) {
    const [lat, lng] = cellToLatLng(p.h3);
    return { lat, lng };
  }
  return { lat: p.latE7 / 1e7, lng: p.lngE7 / 1e7 };
}

export function waypointToLatLng(w: Pick<Waypoint, 'latE7' | 'lngE7'>): LatLng {
  return { lat: w.latE7 / 1e7, lng: w.lngE7 / 1e7 };
}

/** Great-circle distance (haversine), metres. */
export function distanceM(a: LatLng, b: LatLng): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLng = (b.lng - a.lng) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Distance from a point to a route polyline, metres: the least distance to any
 * segment, each measured in a plane tangent at the point (equirectangular
 * around it). Exact enough for corridors: the error stays far below a
 * percent for segments up to a few hundred kilometres away from the poles.
 */
export function distanceToRouteM(p: LatLng, route: readonly LatLng[]): number {
  if (route.length === 0) return Number.POSITIVE_INFINITY;
  if (route.length === 1) return distanceM(p, route[0]!);
  const k = Math.cos(p.lat * RAD);
  // Longitudes are unwrapped around the point so a route across ±180° still measures right.
  const xy = (q: LatLng) => {
    let dLng = q.lng - p.lng;
    if (dLng > 180) dLng -= 360;
    if (dLng < -180) dLng += 360;
    return { x: dLng * RAD * k * EARTH_RADIUS_M, y: (q.lat - p.lat) * RAD * EARTH_RADIUS_M };
  };
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < route.length; i++) {
    const a = xy(route[i]!);
    const b = xy(route[i + 1]!);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(a.x * dx + a.y * dy) / len2));
    const d = Math.hypot(a.x + t * dx, a.y + t * dy);
    if (d < best) best = d;
  }
  return best;
}

/** Length of a path through the points in order, metres. */
export function pathLengthM(points: readonly LatLng[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += distanceM(points[i - 1]!, points[i]!);
  return total;
}
