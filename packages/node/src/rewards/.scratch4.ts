import { createKeccakArena } from './keccak.ts';

const arena = createKeccakArena(1 << 20);
const N = 1_000_000;
for (let r = 0; r < 4; r++) {
  let c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) arena.hash64((i & 1023) * 32, ((i + 1) & 1023) * 32, ((i + 7) & 1023) * 32);
  let c = process.cpuUsage(c0);
  console.log('hash64', ((c.user + c.system) / N).toFixed(3), 'us cpu');
  c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) arena.hash32((i & 1023) * 32, ((i + 7) & 1023) * 32);
  c = process.cpuUsage(c0);
  console.log('hash32', ((c.user + c.system) / N).toFixed(3), 'us cpu');
}
