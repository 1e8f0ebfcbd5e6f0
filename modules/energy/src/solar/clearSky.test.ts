import { describe, expect, it } from 'vitest';
import { clearSkyIrradiance, clearSkyWh, sunElevationDeg } from './clearSky.ts';

const LISBON = { lat: 38.72, lng: -9.14 };
const at = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);

describe('clear-sky solar bound', () => {
  it('puts the sun where astronomy does: solar noon elevations at the solstices and equinox', () => {
    // 90° − latitude + declination: 74.72° (June), 27.84° (December), ~51.3° (March equinox).
    expect(sunElevationDeg(LISBON.lat, LISBON.lng, at(2030, 6, 21, 12, 38))).toBeCloseTo(74.71, 1);
    expect(sunElevationDeg(LISBON.lat, LISBON.lng, at(2030, 12, 21, 12, 38))).toBeCloseTo(27.84, 1);
    expect(sunElevationDeg(LISBON.lat, LISBON.lng, at(2030, 3, 20, 12, 38))).toBeCloseTo(51.2, 0);
    // Lisbon's midsummer sunrise is at 05:12 UTC, when the geometric centre is 0.83° below the horizon.
    expect(sunElevationDeg(LISBON.lat, LISBON.lng, at(2030, 6, 21, 5, 12))).toBeCloseTo(-0.83, 0);
  });

  it('bounds irradiance by elevation: none below the horizon, rising with the sun, about 1 kW/m² overhead', () => {
    expect(clearSkyIrradiance(-1)).toBe(0);
    expect(clearSkyIrradiance(0)).toBe(0);
    const e = [5, 10, 30, 60, 90].map(clearSkyIrradiance);
    for (let i = 1; i < e.length; i++) expect(e[i]!).toBeGreaterThan(e[i - 1]!);
    // Kasten–Young air mass at the zenith is 0.9997, so a hair above 1353 × 0.7 × 1.1.
    expect(e[4]).toBeCloseTo(1041.88, 2);
  });

  it('integrates a slot: nothing at night, linear in the array size, below the array’s peak', () => {
    const noon = at(2030, 6, 21, 12, 30);
    expect(clearSkyWh(LISBON.lat, LISBON.lng, at(2030, 6, 21, 2, 0), 900_000, 5000)).toBe(0);
    expect(clearSkyWh(LISBON.lat, LISBON.lng, noon, 900_000, 0)).toBe(0);
    const one = clearSkyWh(LISBON.lat, LISBON.lng, noon, 900_000, 1000);
    const five = clearSkyWh(LISBON.lat, LISBON.lng, noon, 900_000, 5000);
    expect(one).toBe(258);
    expect(Math.abs(five - 5 * one)).toBeLessThanOrEqual(5);
    expect(five).toBeLessThanOrEqual(5000 * 1.05 * 0.25);
  });
});
