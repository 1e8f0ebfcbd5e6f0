import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Address } from 'viem';
import { ConfigError } from '../internal/errors.ts';

/** Where a network's contracts live; written once at deploy into the data directory. */
export interface Deployment {
  chainId: number;
  deployBlock: number;
  /** Start of epoch 1, ms since Unix epoch. */
  genesisTime: number;
  contracts: {
    token: Address;
    schedule: Address;
    registry: Address;
    distributor: Address;
    parameters: Address;
  };
  /** Contracts of modules, by module id then name. */
  modules?: Record<string, Record<string, Address>>;
}

export function deploymentPath(dataDir: string): string {
  return join(dataDir, 'deployment.json');
}

export function readDeployment(dataDir: string): Deployment | undefined {
  const p = deploymentPath(dataDir);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Deployment;
  } catch (cause) {
    throw new ConfigError(`${p} is not valid JSON`, { cause });
  }
}

export function writeDeployment(dataDir: string, d: Deployment): void {
  writeFileSync(deploymentPath(dataDir), `${JSON.stringify(d, null, 2)}\n`);
}
