import { createHash } from 'node:crypto';
import { distanceM, distanceToRouteM, type LatLng } from '../geo.ts';
import type { Rule } from '../schemas.ts';

/** A seeded PRNG (mulberry32 over a SHA-256 of the seed): the same seed plans the same scenario. */
export function seededRandom(seed: string, label: string): () => number {
  let a = createHash('sha256').update(`logistics-sim:${seed}:${label}`).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic 32 bytes from the seed. */
export function derive(seed: string, label: string): Uint8Array {
  return createHash('sha256').update(`logistics-sim:${seed}:${label}`).digest();
}

const CITIES: (LatLng & { name: string })[] = [
  { name: 'Rotterdam', lat: 51.9244, lng: 4.4777 },
  { name: 'Antwerp', lat: 51.2194, lng: 4.4025 },
  { name: 'Hamburg', lat: 53.5511, lng: 9.9937 },
  { name: 'Bremen', lat: 53.0793, lng: 8.8017 },
  { name: 'Duisburg', lat: 51.4344, lng: 6.7623 },
  { name: 'Cologne', lat: 50.9375, lng: 6.9603 },
  { name: 'Frankfurt', lat: 50.1109, lng: 8.6821 },
  { name: 'Basel', lat: 47.5596, lng: 7.5886 },
  { name: 'Lyon', lat: 45.764, lng: 4.8357 },
  { name: 'Paris', lat: 48.8566, lng: 2.3522 },
  { name: 'Lille', lat: 50.6292, lng: 3.0573 },
  { name: 'Munich', lat: 48.1351, lng: 11.582 },
  { name: 'Leipzig', lat: 51.3397, lng: 12.3731 },
  { name: 'Prague', lat: 50.0755, lng: 14.4378 },
  { name: 'Vienna', lat: 48.2082, lng: 16.3738 },
  { name: 'Milan', lat: 45.4642, lng: 9.19 },
  { name: 'Zurich', lat: 47.3769, lng: 8.5417 },
  { name: 'Strasbourg', lat: 48.5734, lng: 7.7521 },
  { name: 'Luxembourg', lat: 49.6116, lng: 6.1319 },
  { name: 'Hanover', lat: 52.3759, lng: 9.732 },
];

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Reading interval of the simulated loggers. */
export const READING_INTERVAL_MS = 30 * MIN;
const SPEED_M_PER_MS = 65_000 / HOUR;
const DWELL_MS = 2 * HOUR;

/** The condition rules every simulated cold-chain shipment carries. */
export const SIM_RULES: Rule[] = [
  { kind: 'temperature', minMc: 2_000, maxMc: 8_000, toleranceSeconds: 2_700 },
  { kind: 'humidity', minPm: 200, maxPm: 850, toleranceSeconds: 0 },
  { kind: 'shock', maxMg: 4_000 },
  { kind: 'corridor', widthM: 20_000, toleranceSeconds: 0 },
  { kind: 'silence', maxGapSeconds: 3 * 3_600 },
];

export interface PlannedReading {
  tracker: number;
  at: number;
  tempMc: number;
  humidityPm: number;
  latE7: number;
  lngE7: number;
  shockMg: number;
}

export interface PlannedHandoff {
  index: number;
  /** Party indices: -1 shipper, 0.. carriers of the legs, `legs` the receiver. */
  from: number;
  to: number;
  at: number;
  latE7: number;
  lngE7: number;
  place: string;
  note: string;
}

/** A breach the scenario puts in on purpose; the node must find exactly these. */
export interface InjectedBreach {
  shipment: number;
  kind: Rule['kind'];
  startAt: number;
  endAt: number;
}

export interface PlannedShipment {
  index: number;
  reference: string;
  shipper: number;
  carriers: number[];
  receiver: number;
  trackers: number[];
  route: { latE7: number; lngE7: number; name: string }[];
  startAt: number;
  deliveredAt: number;
  handoffs: PlannedHandoff[];
  readings: PlannedReading[];
}

export interface Scenario {
  shipments: PlannedShipment[];
  trackers: number;
  injected: InjectedBreach[];
  /** A reading out of band for less than the tolerance: it must not raise an alert. */
  blips: number;
  /** The shipment whose stored reading a party edits after the fact. */
  tamperShipment: number;
}

const e7 = (deg: number) => Math.round(deg * 1e7);

/** Where a shipment is at time t: at the origin until departure, along the legs, dwelling at each hub. */
function positionAt(route: LatLng[], depart: number, t: number): { p: LatLng; leg: number; dwell: boolean } {
  let clock = depart;
  if (t <= clock) return { p: route[0]!, leg: 0, dwell: true };
  for (let i = 0; i + 1 < route.length; i++) {
    const a = route[i]!;
    const b = route[i + 1]!;
    const dur = distanceM(a, b) / SPEED_M_PER_MS;
    if (t <= clock + dur) {
      const f = (t - clock) / dur;
      return {
        p: { lat: a.lat + (b.lat - a.lat) * f, lng: a.lng + (b.lng - a.lng) * f },
        leg: i,
        dwell: false,
      };
    }
    clock += dur;
    if (i + 2 < route.length) {
      if (t <= clock + DWELL_MS) return { p: b, leg: i + 1, dwell: true };
      clock += DWELL_MS;
    }
  }
  return { p: route[route.length - 1]!, leg: route.length - 2, dwell: true };
}

/**
 * Plans `count` cold-chain shipments deterministically from `seed`, ending
 * before `now`: each runs origin → 1–2 hubs → destination with a custody
 * hand-off at every stop, 1–3 trackers reading every 30 minutes; a few get a
 * temperature excursion at a hub (one of them a second one on the road), one
 * a dropped pallet (shock), one a detour out of its corridor, and one a short
 * blip that stays within the rule's tolerance.
 */
export function planScenario(seed: string, count: number, now: number): Scenario {
  const rnd = seededRandom(seed, 'scenario');
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const t0 = now - 4 * 24 * HOUR;
  const shipments: PlannedShipment[] = [];
  let trackerCount = 0;
  for (let i = 0; i < count; i++) {
    const picks: number[] = [];
    const stops = int(3, 4);
    while (picks.length < stops) {
      const c = int(0, CITIES.length - 1);
      if (!picks.includes(c)) picks.push(c);
    }
    const route = picks.map((c) => CITIES[c]!);
    const legs = route.length - 1;
    const trackers = Array.from(
      { length: 1 + (rnd() < 0.7 ? 1 : 0) + (rnd() < 0.2 ? 1 : 0) },
      () => trackerCount++,
    );
    const startAt = t0 + int(0, 24 * 60) * MIN;
    const depart = startAt + HOUR;
    let travel = 0;
    for (let l = 0; l < legs; l++) travel += distanceM(route[l]!, route[l + 1]!) / SPEED_M_PER_MS;
    const arrive = Math.round(depart + travel + (legs - 1) * DWELL_MS);
    const deliveredAt = arrive + 30 * MIN;
    const shipper = i % 5;
    const carriers = Array.from({ length: legs }, (_, l) => (i * 3 + l * 5) % 8);
    const receiver = i % 6;
    const handoffs: PlannedHandoff[] = [
      {
        index: 0,
        from: -1,
        to: 0,
        at: startAt + 50 * MIN,
        latE7: e7(route[0]!.lat),
        lngE7: e7(route[0]!.lng),
        place: `${route[0]!.name} shipper dock`,
        note: 'loaded, seal intact',
      },
    ];
    let clock = depart;
    for (let l = 0; l + 1 < legs; l++) {
      clock += distanceM(route[l]!, route[l + 1]!) / SPEED_M_PER_MS;
      handoffs.push({
        index: l + 1,
        from: l,
        to: l + 1,
        at: Math.round(clock + HOUR),
        latE7: e7(route[l + 1]!.lat),
        lngE7: e7(route[l + 1]!.lng),
        place: `${route[l + 1]!.name} cross-dock`,
        note: 'seal checked',
      });
      clock += DWELL_MS;
    }
    handoffs.push({
      index: legs,
      from: legs - 1,
      to: legs,
      at: deliveredAt,
      latE7: e7(route[legs]!.lat),
      lngE7: e7(route[legs]!.lng),
      place: `${route[legs]!.name} receiving`,
      note: 'received',
    });
    const phase = rnd() * Math.PI * 2;
    const offsets = trackers.map(() => int(-200, 200));
    const readings: PlannedReading[] = [];
    for (let at = startAt; at < deliveredAt; at += READING_INTERVAL_MS) {
      const { p } = positionAt(route, depart, at);
      trackers.forEach((tracker, k) => {
        const wave = 1_200 * Math.sin((2 * Math.PI * (at - t0)) / (24 * HOUR) + phase);
        const temp = Math.max(
          2_600,
          Math.min(7_400, Math.round(5_000 + wave + offsets[k]! + (rnd() - 0.5) * 500)),
        );
        readings.push({
          tracker,
          at,
          tempMc: temp,
          humidityPm: int(490, 610),
          latE7: e7(p.lat + (rnd() - 0.5) * 0.0006),
          lngE7: e7(p.lng + (rnd() - 0.5) * 0.0006),
          shockMg: int(100, 1_500),
        });
      });
    }
    shipments.push({
      index: i,
      reference: `PO-${seed.slice(0, 8)}-${String(i + 1).padStart(4, '0')}`,
      shipper,
      carriers,
      receiver,
      trackers,
      route: route.map((c) => ({ latE7: e7(c.lat), lngE7: e7(c.lng), name: c.name })),
      startAt,
      deliveredAt,
      handoffs,
      readings,
    });
  }

  const injected: InjectedBreach[] = [];
  // Fisher–Yates with the seeded generator: the same seed picks the same shipments on every engine.
  const order = shipments.map((s) => s.index);
  for (let k = order.length - 1; k > 0; k--) {
    const j = Math.floor(rnd() * (k + 1));
    [order[k], order[j]] = [order[j]!, order[k]!];
  }
  const take = () => order.shift();
  // Temperature excursions: a reefer left open at a hub (≈8 % of shipments, at least one).
  const excursions = Math.max(1, Math.round(count * 0.08));
  const excursionShipments: number[] = [];
  for (let k = 0; k < excursions; k++) {
    const i = take();
    if (i === undefined) break;
    excursionShipments.push(i);
    const s = shipments[i]!;
    const hub = s.handoffs[1]!; // the first stop after loading: a hub, or the destination
    const start = hub.at - 40 * MIN;
    const end = start + int(80, 140) * MIN;
    const first = heat(s, start, end, int(9_500, 13_000), rnd);
    injected.push(first);
    // A second, separate excursion on the road three hours later, where the journey is long enough.
    const s2 = first.endAt + 3 * HOUR;
    if (k === 0 && count >= 10 && s2 + 120 * MIN <= s.deliveredAt)
      injected.push(heat(s, s2, s2 + 100 * MIN, 11_000, rnd));
  }
  // A dropped pallet at the first hand-off.
  const dropped = take();
  if (dropped !== undefined) {
    const s = shipments[dropped]!;
    const at =
      s.handoffs[0]!.at - ((s.handoffs[0]!.at - s.startAt) % READING_INTERVAL_MS) + READING_INTERVAL_MS;
    for (const r of s.readings) if (r.at === at) r.shockMg = 7_500;
    injected.push({ shipment: dropped, kind: 'shock', startAt: at, endAt: at + READING_INTERVAL_MS });
  }
  // A detour 45 km off the route (20 km corridor) for two hours, mid-journey.
  for (let tries = 0; tries < 5; tries++) {
    const detour = take();
    if (detour === undefined) break;
    const s = shipments[detour]!;
    const path = s.route.map((w) => ({ lat: w.latE7 / 1e7, lng: w.lngE7 / 1e7 }));
    const mid =
      s.startAt + Math.floor((s.deliveredAt - s.startAt) / 2 / READING_INTERVAL_MS) * READING_INTERVAL_MS;
    const end = mid + 2 * HOUR;
    const moved = s.readings.filter((r) => r.at >= mid && r.at < end);
    const shifted = moved.map((r) => {
      // Perpendicular to the leg the truck is on, so the detour really leaves the corridor.
      const { leg } = positionAt(path, s.startAt + HOUR, r.at);
      const a = path[leg]!;
      const b = path[leg + 1]!;
      const k = Math.cos((a.lat * Math.PI) / 180);
      const dx = (b.lng - a.lng) * k;
      const dy = b.lat - a.lat;
      const len = Math.hypot(dx, dy) || 1;
      const deg = 45_000 / 111_320;
      return { lat: r.latE7 / 1e7 + (dx / len) * deg, lng: r.lngE7 / 1e7 - ((dy / len) * deg) / k };
    });
    if (!shifted.every((p) => distanceToRouteM(p, path) > 30_000)) continue;
    moved.forEach((r, j) => {
      r.latE7 = e7(shifted[j]!.lat);
      r.lngE7 = e7(shifted[j]!.lng);
    });
    injected.push({ shipment: detour, kind: 'corridor', startAt: mid, endAt: end });
    break;
  }
  // A blip: one reading just above the band, back in band 30 minutes later — within the 45-minute tolerance.
  let blips = 0;
  const blip = take();
  if (blip !== undefined) {
    const s = shipments[blip]!;
    const r = s.readings[Math.floor(s.readings.length / 2)]!;
    for (const x of s.readings) if (x.at === r.at) x.tempMc = 8_700;
    blips = 1;
  }
  return {
    shipments,
    trackers: trackerCount,
    injected,
    blips,
    tamperShipment: excursionShipments[0] ?? 0,
  };
}

/** Warms every tracker of a shipment over [start, end) to about `peakMc`. */
function heat(
  s: PlannedShipment,
  start: number,
  end: number,
  peakMc: number,
  rnd: () => number,
): InjectedBreach {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const r of s.readings) {
    if (r.at >= start && r.at < end) {
      r.tempMc = peakMc + Math.round((rnd() - 0.5) * 800);
      first = Math.min(first, r.at);
      last = Math.max(last, r.at);
    }
  }
  return { shipment: s.index, kind: 'temperature', startAt: first, endAt: last + READING_INTERVAL_MS };
}
