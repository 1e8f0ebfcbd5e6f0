import { testStableAbi, testStableBytecode } from '@groundwork/abi';
import { connectChain, DEV_KEYS, startAnvil } from '@groundwork/node';
import type { Abi, Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';

const anvil = await startAnvil({ port: 0 });
const c = await connectChain(anvil.rpcUrl, { pollingInterval: 20 });
const w = c.walletFor(DEV_KEYS[0] as Hex);
let t = performance.now();
const h = await w.deployContract({
  abi: testStableAbi as Abi,
  bytecode: testStableBytecode,
  args: [w.account.address],
} as never);
const r = await c.publicClient.waitForTransactionReceipt({ hash: h });
const token = r.contractAddress!;
console.log('deploy ms', performance.now() - t);
t = performance.now();
for (let i = 0; i < 100; i++) {
  const hash = await w.writeContract({
    address: token,
    abi: testStableAbi,
    functionName: 'mint',
    args: [w.account.address, 5n],
  });
  await c.publicClient.waitForTransactionReceipt({ hash });
}
console.log('100 sequential mints ms', performance.now() - t);
t = performance.now();
const keys = Array.from({ length: 100 }, () => generatePrivateKey());
await Promise.all(
  keys.map((k) =>
    c.publicClient.request({
      method: 'anvil_setBalance' as never,
      params: [privateKeyToAccount(k).address, '0xDE0B6B3A7640000'] as never,
    }),
  ),
);
console.log('100 setBalance ms', performance.now() - t);
t = performance.now();
await Promise.all(
  keys.map(async (k) => {
    const hash = await c
      .walletFor(k)
      .writeContract({ address: token, abi: testStableAbi, functionName: 'approve', args: [token, 5n] });
    await c.publicClient.waitForTransactionReceipt({ hash });
  }),
);
console.log('100 parallel approves ms', performance.now() - t);
await anvil.stop();
