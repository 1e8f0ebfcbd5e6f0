import type { Hex } from 'viem';
import type { ChainClients } from './chain/clients.ts';
import { deployNetwork } from './chain/deploy.ts';
import { type Deployment, readDeployment, writeDeployment } from './chain/deployment.ts';
import { EPOCH_SECONDS_PARAM } from './epochs/closer.ts';
import { BaseError } from './internal/errors.ts';
import type { Settings } from './internal/settings.ts';
import type { GroundworkModule } from './modules/types.ts';

/** Core parameters written at genesis; modules add their own. */
export const CORE_PARAMETERS = {
  'ingest.maxSkewMs': 120_000n,
} as const;

/** The genesis parameter set: core values, every module's, then explicit overrides. */
export function genesisParameters(
  settings: Settings,
  modules: GroundworkModule[],
  overrides: Record<string, bigint> = {},
): Record<string, bigint> {
  const p: Record<string, bigint> = {
    ...CORE_PARAMETERS,
    [EPOCH_SECONDS_PARAM]: BigInt(settings.genesis.epochSeconds),
  };
  const epochSeconds = BigInt(settings.genesis.epochSeconds);
  for (const m of modules) {
    for (const spec of m.parameters) {
      p[spec.key] = typeof spec.genesis === 'function' ? spec.genesis({ epochSeconds }) : spec.genesis;
    }
  }
  return { ...p, ...overrides };
}

/**
 * Returns the network recorded in the data directory, or deploys a new one
 * and records it. Fails clearly when the recorded contracts are not on the
 * chain (the chain was reset while the data directory was kept).
 */
export async function ensureNetwork(o: {
  settings: Settings;
  clients: ChainClients;
  modules: GroundworkModule[];
  parameterOverrides?: Record<string, bigint>;
  onProgress?: (step: string) => void;
}): Promise<{ deployment: Deployment; created: boolean }> {
  const existing = readDeployment(o.settings.dataDir);
  const progress = o.onProgress ?? (() => {});
  // Module contracts: deployed with a new network, or when a module joins an existing one.
  const deployModules = async (d: Deployment): Promise<boolean> => {
    let changed = false;
    for (const m of o.modules) {
      if (!m.deploy || d.modules?.[m.id]) continue;
      const addresses = await m.deploy({
        clients: o.clients,
        deployerKey: o.settings.deployerKey as Hex,
        oracleKeys: o.settings.oracleKeys as Hex[],
        oracleThreshold: o.settings.oracleThreshold,
        core: d.contracts,
        onProgress: (step) => progress(`${m.id}: ${step}`),
      });
      d.modules = { ...(d.modules ?? {}), [m.id]: addresses };
      changed = true;
    }
    return changed;
  };
  if (existing) {
    const code = await o.clients.publicClient.getCode({ address: existing.contracts.distributor });
    if (!code || code === '0x') {
      throw new BaseError(
        'NETWORK_MISSING',
        `contracts recorded in ${o.settings.dataDir}/deployment.json are not on the chain at ${o.clients.rpcUrl}; ` +
          'start with the chain state that belongs to this data directory, or use a new --data-dir',
      );
    }
    if (await deployModules(existing)) writeDeployment(o.settings.dataDir, existing);
    return { deployment: existing, created: false };
  }
  const s = o.settings;
  const partial = await deployNetwork({
    clients: o.clients,
    deployerKey: s.deployerKey as Hex,
    oracleKeys: s.oracleKeys as Hex[],
    oracleThreshold: s.oracleThreshold,
    tokenCap: BigInt(s.genesis.tokenCap),
    initialEpochPool: BigInt(s.genesis.initialEpochPool),
    halvingEpochs: BigInt(s.genesis.halvingEpochs),
    parameters: genesisParameters(s, o.modules, o.parameterOverrides),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  const deployment: Deployment = { ...partial, genesisTime: Date.now() };
  await deployModules(deployment);
  writeDeployment(s.dataDir, deployment);
  return { deployment, created: true };
}
