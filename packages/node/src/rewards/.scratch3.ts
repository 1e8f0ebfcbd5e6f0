import { encodeAbiParameters, keccak256, concat } from 'viem';
const entries = [
  ['0x1111111111111111111111111111111111111111', 1000000000000000000n],
  ['0x2222222222222222222222222222222222222222', 2500000000000000000n],
  ['0x3333333333333333333333333333333333333333', 42n],
] as const;
for (const [a, v] of entries) { const enc = encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [a, v]); const inner = keccak256(enc); console.log(enc, inner, keccak256(inner)); }
console.log(keccak256(concat(['0xb38ec842db1cd54e5e5ce48491f1a404551e9726ebda349d0478e189e0996dd4', '0xb92c48e9d7abe27fd8dfd6b5dfdbfb1c9a463f80c712b66f3a5180a090cccafc'])));
console.log(keccak256(concat(['0x5aafa111a8add43a7c11e121dc72ce8d1e138114e148625f6411b4cf96664fd7', '0xe17e2469047adc6db21d0ec305f3d9cb275607495e7ef0363a7609b1e77073ae'])));
