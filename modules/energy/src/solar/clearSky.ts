/**
 * How much a solar array can possibly produce at a place and time: the sun's
 * position (NOAA's solar calculator equations) and a clear-sky irradiance
 * bound on a plane facing the sun (Kasten–Young air mass, Meinel's direct
 * beam, a tenth more for diffuse and reflected light). This is an upper bound,
 * not a forecast: a real array, tilted at a fixed angle, under real air,
 * produces less.
 *
 * The arithmetic is IEEE 754 binary64 with `Math.sin`, `Math.cos`,
 * `Math.exp` and `Math.pow`, floored to whole Wh at the end; an
 * implementation that rounds differently can differ by 1 Wh at most for a
 * read that sits exactly on the bound.
 *
 * @module
 */

const RAD = Math.PI / 180;
const DEG = 180 / Math.PI;

/** Meinel's extraterrestrial beam constant, W/m² (the air-mass model below is calibrated for it). */
const SOLAR_CONSTANT = 1353;
/** Diffuse and ground-reflected light on a sun-facing plane under a clear sky, as a share of the beam. */
const DIFFUSE_SHARE = 0.1;
/** Irradiance at which a module's watt-peak rating is defined (standard test conditions), W/m². */
const STC_IRRADIANCE = 1000;
/** Integration steps per slot: one per minute for a 15-minute slot. */
const STEPS_PER_SLOT = 15;

/**
 * The sun's elevation above the horizon, degrees (negative below it), at a
 * place and a time (NOAA solar calculator; about 0.01° from the full model
 * between 1800 and 2100, refraction ignored).
 *
 * @example sunElevationDeg(38.72, -9.14, Date.UTC(2030, 5, 21, 13, 0)) // ≈ 74.0 (Lisbon, midsummer noon)
 */
export function sunElevationDeg(latDeg: number, lonDeg: number, timeMs: number): number {
  return sunPositionDeg(latDeg, lonDeg, timeMs).elevation;
}

/** The sun's elevation and azimuth (degrees clockwise from north) at a place and a time; see {@link sunElevationDeg}. */
export function sunPositionDeg(
  latDeg: number,
  lonDeg: number,
  timeMs: number,
): { elevation: number; azimuth: number } {
  const jd = timeMs / 86_400_000 + 2440587.5;
  const t = (jd - 2451545) / 36525;
  const l0 = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360;
  const m = 357.52911 + t * (35999.05029 - 0.0001537 * t);
  const e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
  const c =
    Math.sin(m * RAD) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
    Math.sin(2 * m * RAD) * (0.019993 - 0.000101 * t) +
    Math.sin(3 * m * RAD) * 0.000289;
  const omega = 125.04 - 1934.136 * t;
  const apparentLong = l0 + c - 0.00569 - 0.00478 * Math.sin(omega * RAD);
  const meanObliquity = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60;
  const obliquity = meanObliquity + 0.00256 * Math.cos(omega * RAD);
  const declination = Math.asin(Math.sin(obliquity * RAD) * Math.sin(apparentLong * RAD));
  const y = Math.tan((obliquity / 2) * RAD) ** 2;
  const equationOfTimeMin =
    4 *
    DEG *
    (y * Math.sin(2 * l0 * RAD) -
      2 * e * Math.sin(m * RAD) +
      4 * e * y * Math.sin(m * RAD) * Math.cos(2 * l0 * RAD) -
      0.5 * y * y * Math.sin(4 * l0 * RAD) -
      1.25 * e * e * Math.sin(2 * m * RAD));
  const minutesOfDay = (((timeMs % 86_400_000) + 86_400_000) % 86_400_000) / 60_000;
  const trueSolarMin = (((minutesOfDay + equationOfTimeMin + 4 * lonDeg) % 1440) + 1440) % 1440;
  const hourAngle = trueSolarMin / 4 < 0 ? trueSolarMin / 4 + 180 : trueSolarMin / 4 - 180;
  const cosZenith =
    Math.sin(latDeg * RAD) * Math.sin(declination) +
    Math.cos(latDeg * RAD) * Math.cos(declination) * Math.cos(hourAngle * RAD);
  const zenith = Math.acos(Math.min(1, Math.max(-1, cosZenith)));
  const sinZenith = Math.sin(zenith);
  const cosAz =
    sinZenith < 1e-9
      ? 1
      : (Math.sin(latDeg * RAD) * Math.cos(zenith) - Math.sin(declination)) /
        (Math.cos(latDeg * RAD) * sinZenith);
  const az = Math.acos(Math.min(1, Math.max(-1, cosAz))) * DEG;
  const azimuth = hourAngle > 0 ? (az + 180) % 360 : (540 - az) % 360;
  return { elevation: 90 - zenith * DEG, azimuth };
}

/**
 * The most irradiance a plane facing the sun can receive under a clear sky,
 * W/m², for a sun at `elevationDeg` (0 when the sun is down).
 *
 * Guarantees: 0 for elevation ≤ 0; increasing in elevation; at most
 * 1353 × 0.7 × 1.1 ≈ 1042 W/m² (the sun at the zenith).
 */
export function clearSkyIrradiance(elevationDeg: number): number {
  if (!(elevationDeg > 0)) return 0;
  const zenith = 90 - elevationDeg;
  // Kasten & Young (1989) relative air mass.
  const airMass = 1 / (Math.cos(zenith * RAD) + 0.50572 * (96.07995 - zenith) ** -1.6364);
  // Meinel & Meinel (1976) direct normal irradiance.
  const beam = SOLAR_CONSTANT * 0.7 ** (airMass ** 0.678);
  return beam * (1 + DIFFUSE_SHARE);
}

/**
 * The most energy an array of `pvWp` watts peak can produce at (lat, lon) in
 * the interval [startMs, startMs + slotMs), Wh, floored: the clear-sky
 * irradiance on a sun-facing plane, integrated with the midpoint rule in
 * {@link STEPS_PER_SLOT} steps, times `pvWp / 1000 W/m²`.
 *
 * Guarantees: 0 when `pvWp` is 0 or the sun stays down; linear in `pvWp` up
 * to the final floor; never more than `pvWp × 1.05 × slotMs / 3,600,000`.
 */
export function clearSkyWh(
  latDeg: number,
  lonDeg: number,
  startMs: number,
  slotMs: number,
  pvWp: number,
): number {
  if (pvWp <= 0) return 0;
  const step = slotMs / STEPS_PER_SLOT;
  let sum = 0;
  for (let i = 0; i < STEPS_PER_SLOT; i++) {
    sum += clearSkyIrradiance(sunElevationDeg(latDeg, lonDeg, startMs + (i + 0.5) * step));
  }
  const meanIrradiance = sum / STEPS_PER_SLOT;
  return Math.floor((pvWp * meanIrradiance * slotMs) / (STC_IRRADIANCE * 3_600_000));
}
