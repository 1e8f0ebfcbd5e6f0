import { createHash } from 'node:crypto';
import { clearSkyIrradiance, sunPositionDeg } from '../solar/clearSky.ts';

/** A seeded pseudo-random generator (sfc32): the same seed and label give the same stream. */
export function rng(seed: string, label: string): () => number {
  const h = createHash('sha256').update(`groundwork-energy-sim:${seed}:${label}`).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** 32 bytes from the seed, for keys. */
export function seedBytes(seed: string, label: string): Buffer {
  return createHash('sha256').update(`groundwork-energy-sim:${seed}:${label}`).digest();
}

/** What a simulated home is, and how it behaves. */
export interface Home {
  index: number;
  lat: number;
  lng: number;
  dailyKwh: number;
  pvWp: number;
  panelAzimuth: number;
  battery: { capacityWh: number; powerW: number } | null;
  connectionW: number;
  role: 'honest' | 'flaky' | 'inflator' | 'replayer';
  /** A buyer bids this share of the import it expects... */
  bidCoverage: number;
  /** ...at this share of the import tariff. */
  bidFactor: number;
  /** A seller offers this share of the export it expects... */
  askShare: number;
  /** ...at this multiple of the export tariff. */
  askFactor: number;
  importTotal0: number;
  exportTotal0: number;
}

/** Residential load by local hour (relative), a typical two-peak weekday. */
const LOAD_SHAPE = [
  0.5, 0.4, 0.35, 0.35, 0.35, 0.4, 0.7, 1.1, 1.0, 0.8, 0.7, 0.7, 0.8, 0.8, 0.7, 0.7, 0.8, 1.1, 1.5, 1.7, 1.6,
  1.3, 1.0, 0.7,
];
const SHAPE_SUM = LOAD_SHAPE.reduce((s, x) => s + x, 0);
const PANEL_TILT = 30;
const PERFORMANCE_RATIO = 0.8;
const NEIGHBOURHOOD = { lat: 38.72, lng: -9.14, spread: 0.02 };

/**
 * Plans `count` homes: a quarter with solar (3–8 kWp), two in five of those
 * with a battery; the rest only consume (7–16 kWh a day). A few cheaters —
 * solar homes that inflate their export, and homes that replay reads — and a
 * few honest meters with a flaky link (they drop reads: gaps) are among them.
 */
export function planHomes(count: number, seed: string): Home[] {
  const solar = Math.round(count / 4);
  const cheaters = Math.max(2, Math.round(count * 0.02));
  const homes: Home[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng(seed, `home:${i}`);
    const isSolar = i < solar;
    const hasBattery = isSolar && i % 5 < 2;
    // Inflators are solar homes without a battery; replayers and flaky meters are consumers.
    const role: Home['role'] =
      isSolar && !hasBattery && i >= solar - Math.ceil(cheaters / 2)
        ? 'inflator'
        : !isSolar && i >= count - Math.floor(cheaters / 2)
          ? 'replayer'
          : !isSolar && i >= count - Math.floor(cheaters / 2) - 3
            ? 'flaky'
            : 'honest';
    homes.push({
      index: i,
      lat: NEIGHBOURHOOD.lat + (r() * 2 - 1) * NEIGHBOURHOOD.spread,
      lng: NEIGHBOURHOOD.lng + (r() * 2 - 1) * NEIGHBOURHOOD.spread,
      dailyKwh: 7 + r() * 9,
      pvWp: isSolar ? Math.round((3000 + r() * 5000) / 100) * 100 : 0,
      panelAzimuth: 150 + r() * 60,
      battery: hasBattery
        ? { capacityWh: Math.round(5000 + r() * 8500), powerW: Math.round(2500 + r() * 2500) }
        : null,
      connectionW: isSolar ? 11_000 : 6_900,
      role,
      bidCoverage: 0.6 + r() * 0.4,
      bidFactor: 0.45 + r() * 0.5,
      askShare: 0.8 + r() * 0.15,
      askFactor: 1.1 + r() * 1.9,
      importTotal0: Math.round(1_000_000 + r() * 8_000_000),
      exportTotal0: isSolar ? Math.round(r() * 5_000_000) : 0,
    });
  }
  return homes;
}

/** The day's weather: a clearness for the day and a cloud factor per slot shared by the neighbourhood. */
export function planWeather(seed: string, slots: number): number[] {
  const r = rng(seed, 'weather');
  const clearness = 0.8 + r() * 0.2;
  const out: number[] = [];
  let cloud = 1;
  for (let i = 0; i < slots; i++) {
    // Passing clouds: a bounded random walk.
    cloud = Math.min(1, Math.max(0.35, cloud + (r() - 0.45) * 0.25));
    out.push(clearness * cloud);
  }
  return out;
}

/** Irradiance on the home's tilted array under a clear sky at a time, W/m² (beam on the plane plus diffuse). */
function planeIrradiance(h: Home, t: number): number {
  const sun = sunPositionDeg(h.lat, h.lng, t);
  if (sun.elevation <= 0) return 0;
  const total = clearSkyIrradiance(sun.elevation);
  const beam = total / 1.1;
  const zen = ((90 - sun.elevation) * Math.PI) / 180;
  const tilt = (PANEL_TILT * Math.PI) / 180;
  const cosIncidence =
    Math.cos(zen) * Math.cos(tilt) +
    Math.sin(zen) * Math.sin(tilt) * Math.cos(((sun.azimuth - h.panelAzimuth) * Math.PI) / 180);
  return beam * Math.max(0, cosIncidence) + beam * 0.1 * ((1 + Math.cos(tilt)) / 2);
}

export interface SlotFlows {
  importWh: number;
  exportWh: number;
}

/**
 * A home's metered flows for each slot of a day: load with noise and the odd
 * appliance, solar on its tilted array under the day's weather, and a battery
 * (if any) that stores surplus and covers the evening — never exporting.
 * With `forecast`, the same without noise under an average sky: what the home
 * expects when it bids the day before.
 */
export function simulateDay(
  h: Home,
  dayStartMs: number,
  weather: number[],
  seed: string,
  forecast = false,
): SlotFlows[] {
  const r = rng(seed, `flows:${h.index}:${forecast ? 'f' : 'a'}`);
  const slots = weather.length;
  const slotMs = 86_400_000 / slots;
  let soc = h.battery ? h.battery.capacityWh * 0.3 : 0;
  const out: SlotFlows[] = [];
  for (let i = 0; i < slots; i++) {
    const t = dayStartMs + (i + 0.5) * slotMs;
    // Local (UTC+1) time of the slot's middle, in hours; the load shape is interpolated between the hours.
    const hours = ((i + 0.5) * 24) / slots + 1;
    const localHour = Math.floor(hours) % 24;
    const frac = hours - Math.floor(hours);
    const shape = LOAD_SHAPE[localHour]! * (1 - frac) + LOAD_SHAPE[(localHour + 1) % 24]! * frac;
    const mean = (h.dailyKwh * 1000 * shape) / SHAPE_SUM / (slots / 24);
    const load = forecast
      ? mean
      : Math.max(20, mean * (0.75 + r() * 0.5) + (r() < 0.08 ? 200 + r() * 400 : 0));
    const sky = forecast ? 0.85 : weather[i]! * (0.95 + r() * 0.1);
    const gen = (h.pvWp * planeIrradiance(h, t) * PERFORMANCE_RATIO * sky) / 1000 / (slots / 24);
    let net = load - gen;
    if (h.battery) {
      const step = h.battery.powerW / (slots / 24);
      if (net < 0) {
        const charge = Math.min(-net, step, (h.battery.capacityWh - soc) / 0.95);
        soc += charge * 0.95;
        net += charge;
      } else if (localHour >= 17 || localHour < 8) {
        const discharge = Math.min(net, step, soc);
        soc -= discharge;
        net -= discharge;
      }
    }
    out.push({ importWh: Math.round(Math.max(0, net)), exportWh: Math.round(Math.max(0, -net)) });
  }
  return out;
}
