import { computeRewards, type ModuleScores } from './computeRewards.ts';

const N = 1_000_000;
const names = ['coverage', 'energy', 'logistics', 'city', 'compute'];
const modules: ModuleScores[] = names.map((module, m) => ({
  module,
  weight: BigInt(1000 * (m + 1)),
  devices: [] as ModuleScores['devices'],
}));
for (let i = 0; i < N; i++) {
  const id =
    `0x${((i * 2654435761) % 4294967296).toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}` as `0x${string}`;
  const ben = `0x${(i % 700_000).toString(16).padStart(40, 'a')}` as `0x${string}`;
  (modules[i % 5]!.devices as unknown[]).push({
    deviceId: id,
    beneficiary: ben,
    score: BigInt(i % 1000),
    reason: 'OK',
  });
}
const prev: Record<string, bigint> = {};
for (let i = 0; i < 500_000; i++) prev[`0x${i.toString(16).padStart(40, 'a')}`] = BigInt(i) * 10n ** 18n;
// Flatten every string, as data read from a database or JSON would be.
const flat = (x: string) => JSON.parse(JSON.stringify(x)) as `0x${string}`;
if (process.env.FLAT) {
  for (const m of modules)
    for (const d of m.devices as { deviceId: `0x${string}`; beneficiary: `0x${string}` }[]) {
      d.deviceId = flat(d.deviceId);
      d.beneficiary = flat(d.beneficiary);
    }
}
for (let r = 0; r < 3; r++) {
  const c0 = process.cpuUsage();
  const t = performance.now();
  const out = computeRewards({ epoch: 1, pool: 10n ** 24n, modules, previousCumulative: prev });
  const c = process.cpuUsage(c0);
  console.log(
    'computeRewards wall',
    (performance.now() - t).toFixed(0),
    'ms cpu',
    ((c.user + c.system) / 1000).toFixed(0),
    out.lines.length,
    out.cumulative.length,
    out.dust,
  );
}
