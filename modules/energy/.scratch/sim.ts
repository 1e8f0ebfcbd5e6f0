import { runEnergySim } from '../src/sim/run.ts';

const t = performance.now();
const homes = Number(process.argv[2] ?? 200);
const { report, details } = await runEnergySim({
  homes,
  days: 1,
  seed: '1',
  onProgress: (l) => console.error(((performance.now() - t) / 1000).toFixed(1), l),
});
console.log(JSON.stringify({ ...report, slots: report.slots.filter((s) => s.volumeWh > 0).length }));
console.log(JSON.stringify(details));
