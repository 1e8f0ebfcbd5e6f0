import { resolve } from 'node:path';
import {
  BaseError,
  connectChain,
  createLogger,
  loadModules,
  loadSettings,
  readDeployment,
  type SettingsOverrides,
  startNode,
} from '@groundwork/node';
import { intFlag, type NodeOptions } from '../main.ts';

/**
 * `groundwork node`: one node process against a network that already exists
 * (its deployment.json in --data-dir, its chain at --rpc / RPC_URL). With
 * `--role ingest` it only ingests (HTTP and MQTT) into the shared store — run
 * several behind one MQTT broker (MQTT_URL) and one PostgreSQL (DATABASE_URL).
 */
export async function nodeCommand(opts: NodeOptions): Promise<number> {
  const overrides: SettingsOverrides = {};
  if (opts['data-dir']) overrides.dataDir = resolve(opts['data-dir']);
  if (opts.port !== undefined) overrides.api = { port: intFlag('port', opts.port, 8787) };
  if (opts.rpc) overrides.chain = { rpcUrl: opts.rpc };
  if (opts.role) {
    if (opts.role !== 'all' && opts.role !== 'ingest')
      throw new BaseError('USAGE', '--role is all or ingest');
    overrides.role = opts.role;
  }
  if (opts['mqtt-url'] || opts['client-id']) {
    overrides.mqtt = {
      ...(opts['mqtt-url'] ? { url: opts['mqtt-url'] } : {}),
      ...(opts['client-id'] ? { clientId: opts['client-id'] } : {}),
    };
  }
  if (opts['log-level']) overrides.logLevel = opts['log-level'] as SettingsOverrides['logLevel'];
  const settings = loadSettings(overrides);
  const deployment = readDeployment(settings.dataDir);
  if (!deployment)
    throw new BaseError(
      'USAGE',
      `no deployment.json in ${settings.dataDir}: start the network with groundwork up, or copy its deployment.json here`,
    );
  if (!settings.chain.rpcUrl)
    throw new BaseError('USAGE', 'groundwork node needs the chain: --rpc <url> or RPC_URL');
  const log = createLogger({ level: settings.logLevel, name: `groundwork-${settings.role}` });
  const clients = await connectChain(settings.chain.rpcUrl);
  const modules = await loadModules({ only: settings.modules });
  const node = await startNode({ settings, deployment, clients, log, modules });
  process.stderr.write(
    `node (${settings.role}): api ${node.url}${node.mqttUrl ? `, mqtt ${node.mqttUrl}` : ''}\n`,
  );
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  await node.stop();
  return 0;
}
