import { computeRewards, type ModuleScores } from './computeRewards.ts';
import { buildRewardTree } from './merkle.ts';
import { parseRewardOutput, serializeRewardOutput } from './serializeRewardOutput.ts';

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
for (let r = 0; r < 1; r++) {
  let t = performance.now();
  const out = computeRewards({ epoch: 1, pool: 10n ** 24n, modules, previousCumulative: prev });
  console.log(
    'computeRewards',
    (performance.now() - t).toFixed(0),
    'ms',
    out.lines.length,
    out.cumulative.length,
    out.dust,
  );
  t = performance.now();
  const tree = buildRewardTree(out.cumulative);
  console.log('tree', (performance.now() - t).toFixed(0), 'ms', tree.root);
  t = performance.now();
  const text = JSON.stringify(serializeRewardOutput(out));
  console.log('serialize', (performance.now() - t).toFixed(0), 'ms', (text.length / 1e6).toFixed(0), 'MB');
  t = performance.now();
  parseRewardOutput(JSON.parse(text));
  console.log('parse', (performance.now() - t).toFixed(0), 'ms');
}
