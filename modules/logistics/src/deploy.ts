import { anchorRegistryAbi, anchorRegistryBytecode } from '@groundwork/abi';
import type { GroundworkModule } from '@groundwork/node';
import type { Abi, Address } from 'viem';

type DeployContext = Parameters<NonNullable<GroundworkModule['deploy']>>[0];

/**
 * Deploys `AnchorRegistry(oracleSet = RewardsDistributor, deviceRegistry)`:
 * anchorers are the network's oracles, read live from the distributor.
 */
export async function deployLogistics(ctx: DeployContext): Promise<Record<string, Address>> {
  ctx.onProgress('AnchorRegistry');
  const w = ctx.clients.walletFor(ctx.deployerKey);
  const hash = await w.deployContract({
    abi: anchorRegistryAbi as Abi,
    bytecode: anchorRegistryBytecode,
    args: [ctx.core.distributor, ctx.core.registry],
  });
  const receipt = await ctx.clients.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress)
    throw new Error(`AnchorRegistry deployment failed in ${hash}`);
  return { AnchorRegistry: receipt.contractAddress };
}
