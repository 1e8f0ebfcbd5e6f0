import {
  deviceRegistryAbi,
  deviceRegistryBytecode,
  emissionScheduleAbi,
  emissionScheduleBytecode,
  groundTokenAbi,
  groundTokenBytecode,
  parameterRegistryAbi,
  parameterRegistryBytecode,
  rewardsDistributorAbi,
  rewardsDistributorBytecode,
} from '@groundwork/abi';
import type { Abi, Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { ChainClients, Wallet } from './clients.ts';
import type { Deployment } from './deployment.ts';
import { paramKeyToBytes32 } from './params.ts';

export interface DeployParameters {
  clients: ChainClients;
  deployerKey: Hex;
  oracleKeys: Hex[];
  oracleThreshold: number;
  tokenCap: bigint;
  initialEpochPool: bigint;
  halvingEpochs: bigint;
  /** Genesis values written to ParameterRegistry. */
  parameters: Record<string, bigint>;
  onProgress?: (step: string) => void;
}

async function deploy(
  w: Wallet,
  c: ChainClients,
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

async function send(c: ChainClients, hash: Hex): Promise<void> {
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
}

/**
 * Deploys a new network: token, emission schedule, registries and the
 * distributor with its oracle set; wires minter and distributor; writes the
 * genesis parameters. Returns the deployment record (without genesis time).
 */
export async function deployNetwork(p: DeployParameters): Promise<Omit<Deployment, 'genesisTime'>> {
  const { clients: c } = p;
  const w = c.walletFor(p.deployerKey);
  const owner = w.account.address;
  const progress = p.onProgress ?? (() => {});
  const startBlock = Number(await c.publicClient.getBlockNumber());

  progress('GroundToken');
  const token = await deploy(w, c, groundTokenAbi as Abi, groundTokenBytecode, [p.tokenCap, owner]);
  progress('EmissionSchedule');
  const schedule = await deploy(w, c, emissionScheduleAbi as Abi, emissionScheduleBytecode, [
    token,
    p.initialEpochPool,
    p.halvingEpochs,
    owner,
  ]);
  await send(
    c,
    await w.writeContract({
      address: token,
      abi: groundTokenAbi,
      functionName: 'setMinter',
      args: [schedule],
    }),
  );
  progress('RewardsDistributor');
  const oracles = p.oracleKeys.map((k) => privateKeyToAccount(k).address);
  const distributor = await deploy(w, c, rewardsDistributorAbi as Abi, rewardsDistributorBytecode, [
    token,
    schedule,
    owner,
    oracles,
    BigInt(p.oracleThreshold),
  ]);
  await send(
    c,
    await w.writeContract({
      address: schedule,
      abi: emissionScheduleAbi,
      functionName: 'setDistributor',
      args: [distributor],
    }),
  );
  progress('DeviceRegistry');
  const registry = await deploy(w, c, deviceRegistryAbi as Abi, deviceRegistryBytecode, [owner]);
  progress('ParameterRegistry');
  const parameters = await deploy(w, c, parameterRegistryAbi as Abi, parameterRegistryBytecode, [owner]);
  const keys = Object.keys(p.parameters).sort();
  await send(
    c,
    await w.writeContract({
      address: parameters,
      abi: parameterRegistryAbi,
      functionName: 'setMany',
      args: [keys.map(paramKeyToBytes32), keys.map((k) => p.parameters[k]!)],
    }),
  );
  return {
    chainId: c.chain.id,
    deployBlock: startBlock,
    contracts: { token, schedule, registry, distributor, parameters },
  };
}
