import { energyMarketAbi, energyMarketBytecode, testStableAbi, testStableBytecode } from '@groundwork/abi';
import type { ChainClients, Wallet } from '@groundwork/node/chain/clients.ts';
import type { Deployment } from '@groundwork/node/chain/deployment.ts';
import type { Abi, Address, Hex } from 'viem';
import { ENERGY_PARAMETER_SPECS, ENERGY_PARAMS } from '../params.ts';

/** How long after a slot's end its settlement may still take effect; then depositors reclaim (7 days). */
export const SETTLEMENT_WINDOW_SECONDS = 7n * 24n * 3600n;
/** The grid reserve a local network starts with: 10,000 tUSD. */
export const LOCAL_GRID_RESERVE = 10_000n * 10n ** 6n;

async function deployContract(
  c: ChainClients,
  w: Wallet,
  abi: Abi,
  bytecode: Hex,
  args: unknown[],
): Promise<Address> {
  const hash = await w.deployContract({ abi, bytecode, args } as Parameters<Wallet['deployContract']>[0]);
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress || receipt.status !== 'success')
    throw new Error(`deployment failed in ${hash}`);
  return receipt.contractAddress;
}

/** Sends a transaction and waits for it; throws when it reverted. */
export async function sendAndWait(c: ChainClients, hash: Hex): Promise<void> {
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
}

/**
 * The module's deploy hook: a `TestStable` (tUSD, 6 decimals, minted by the
 * deployer — a test token, never money) and the `EnergyMarket`, which reads
 * its oracle set and quorum from the spine's RewardsDistributor. The deployer
 * is the grid account of a local network and funds the grid reserve with
 * {@link LOCAL_GRID_RESERVE}. The slot length is the genesis value of
 * `energy.slotSeconds`; governance must not change that parameter without
 * deploying a new market.
 */
export async function deployEnergyContracts(ctx: {
  clients: ChainClients;
  deployerKey: Hex;
  core: Deployment['contracts'];
  onProgress: (step: string) => void;
}): Promise<Record<string, Address>> {
  const c = ctx.clients;
  const w = c.walletFor(ctx.deployerKey);
  const owner = w.account.address;
  const slotSeconds = ENERGY_PARAMETER_SPECS.find((s) => s.key === ENERGY_PARAMS.slotSeconds)!
    .genesis as bigint;
  ctx.onProgress('TestStable');
  const stable = await deployContract(c, w, testStableAbi as Abi, testStableBytecode, [owner]);
  ctx.onProgress('EnergyMarket');
  const market = await deployContract(c, w, energyMarketAbi as Abi, energyMarketBytecode, [
    stable,
    ctx.core.distributor,
    owner,
    owner,
    slotSeconds,
    SETTLEMENT_WINDOW_SECONDS,
  ]);
  ctx.onProgress('grid reserve');
  await sendAndWait(
    c,
    await w.writeContract({
      address: stable,
      abi: testStableAbi,
      functionName: 'mint',
      args: [owner, LOCAL_GRID_RESERVE],
    }),
  );
  await sendAndWait(
    c,
    await w.writeContract({
      address: stable,
      abi: testStableAbi,
      functionName: 'approve',
      args: [market, LOCAL_GRID_RESERVE],
    }),
  );
  await sendAndWait(
    c,
    await w.writeContract({
      address: market,
      abi: energyMarketAbi,
      functionName: 'fundGridReserve',
      args: [LOCAL_GRID_RESERVE],
    }),
  );
  return { TestStable: stable, EnergyMarket: market };
}
