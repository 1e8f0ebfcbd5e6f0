import { clearSkyIrradiance, clearSkyWh, sunElevationDeg, sunPositionDeg } from '../src/solar/clearSky.ts';

const lat = 38.72,
  lon = -9.14;
for (const h of [5, 5.2, 6, 9, 12, 12.64, 13, 16, 19, 20.1, 21]) {
  const t = Date.UTC(2030, 5, 21) + h * 3600e3;
  console.log(
    h,
    sunElevationDeg(lat, lon, t).toFixed(3),
    clearSkyIrradiance(sunElevationDeg(lat, lon, t)).toFixed(1),
  );
}
console.log('eq noon', sunElevationDeg(lat, lon, Date.UTC(2030, 2, 20, 12, 38)).toFixed(3));
console.log('dec noon', sunElevationDeg(lat, lon, Date.UTC(2030, 11, 21, 12, 38)).toFixed(3));
let day = 0;
for (let s = 0; s < 96; s++) day += clearSkyWh(lat, lon, Date.UTC(2030, 5, 21) + s * 900e3, 900e3, 1000);
console.log('day Wh per kWp', day);
const t0 = performance.now();
for (let i = 0; i < 20000; i++) clearSkyWh(lat, lon, Date.UTC(2030, 5, 21) + i * 900e3, 900e3, 4000);
console.log('us each', ((performance.now() - t0) / 20000) * 1000);
for (const h of [6, 9, 12.64, 16, 19])
  console.log('az', h, sunPositionDeg(lat, lon, Date.UTC(2030, 5, 21) + h * 3600e3));
