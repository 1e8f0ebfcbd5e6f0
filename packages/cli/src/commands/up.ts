import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { groundTokenAbi, rewardsDistributorAbi } from '@groundwork/abi';
import {
  type AnvilHandle,
  connectChain,
  DEV_KEYS,
  ensureNetwork,
  loadModules,
  loadSettings,
  type NodeHandle,
  type SettingsOverrides,
  startAnvil,
  startNode,
  writeDeployment,
} from '@groundwork/node';
import { DASHBOARD_DIST } from '@groundwork/node/api/dashboard.ts';
import pino from 'pino';
import { type Address, type Hex, parseEventLogs } from 'viem';
import { planFleet, registerFleet, runFleet } from '../fleet.ts';
import { intFlag, type UpOptions } from '../main.ts';
import { clearRuntime, writeRuntime } from '../runtime.ts';

/** Operators of the simulated fleet: development accounts 4–8. */
const OPERATOR_KEYS = DEV_KEYS.slice(4, 9) as unknown as Hex[];

/**
 * `groundwork up`: local chain (anvil, state in the data directory), contracts
 * deployed once, the node, and a simulated fleet. Runs until Ctrl-C, or with
 * `--exit` for `--epochs` epochs, then claims and prints a summary.
 */
export async function upCommand(opts: UpOptions): Promise<number> {
  const overrides: SettingsOverrides = {};
  if (opts['data-dir']) overrides.dataDir = opts['data-dir'];
  if (opts['log-level']) overrides.logLevel = opts['log-level'] as SettingsOverrides['logLevel'];
  if (opts.port !== undefined) overrides.api = { port: intFlag('port', opts.port, 8787) };
  if (opts['chain-port'] !== undefined || opts.rpc) {
    overrides.chain = {
      ...(opts['chain-port'] !== undefined
        ? { anvilPort: intFlag('chain-port', opts['chain-port'], 8545) }
        : {}),
      ...(opts.rpc ? { rpcUrl: opts.rpc } : {}),
    };
  }
  if (opts.modules) overrides.modules = opts.modules.split(',').map((m) => m.trim());
  if (opts['epoch-seconds'] !== undefined)
    overrides.genesis = { epochSeconds: intFlag('epoch-seconds', opts['epoch-seconds'], 3600) };
  const settings = loadSettings(overrides, opts.config ? { configPath: opts.config } : {});
  const devicesWanted = intFlag('devices', opts.devices, 50);
  const epochsWanted = intFlag('epochs', opts.epochs, 3);
  const exitAfter = opts.exit === true;
  const json = opts.json === true;
  const seed = opts.seed ?? 'groundwork';
  const say = (line: string) => process.stderr.write(`${line}\n`);

  mkdirSync(settings.dataDir, { recursive: true });
  const fileLog = pino(
    { level: settings.logLevel },
    pino.destination({ dest: join(settings.dataDir, 'node.log'), sync: false }),
  );
  fileLog.info({
    msg: 'effective settings',
    settings: { ...settings, oracleKeys: '[redacted]', deployerKey: '[redacted]' },
  });

  let anvil: AnvilHandle | undefined;
  let node: NodeHandle | undefined;
  let fleet: ReturnType<typeof runFleet> | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      await fleet?.stop();
      await node?.stop();
      await anvil?.stop();
      clearRuntime(settings.dataDir);
    })());

  // Ctrl-C or a TERM at any point stops everything cleanly (the chain state is saved).
  let interrupted = false;
  const signalled = new Promise<void>((resolve) => {
    const on = () => {
      interrupted = true;
      resolve();
    };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
  void signalled.then(async () => {
    if (!exitAfter && node) return; // the running loop below handles it
    say('stopping…');
    await shutdown().catch(() => {});
    process.exit(130);
  });

  try {
    let rpcUrl = settings.chain.rpcUrl;
    if (!rpcUrl) {
      say(`chain: starting anvil (state in ${join(settings.dataDir, 'chain')})`);
      anvil = await startAnvil({
        port: settings.chain.anvilPort,
        stateFile: join(settings.dataDir, 'chain', 'state.json'),
        gasLimit: settings.chain.gasLimit,
      });
      rpcUrl = anvil.rpcUrl;
    }
    const clients = await connectChain(rpcUrl);
    const modules = await loadModules({ only: settings.modules });
    const { deployment, created } = await ensureNetwork({
      settings,
      clients,
      modules,
      onProgress: (step) => say(`deploy: ${step}`),
    });
    say(
      created
        ? `network: deployed at block ${deployment.deployBlock}`
        : 'network: resumed from the data directory',
    );

    const plan =
      devicesWanted > 0
        ? planFleet({ count: devicesWanted, seed, modules, operatorKeys: OPERATOR_KEYS })
        : [];
    if (plan.length > 0) {
      const n = await registerFleet(plan, clients, deployment.contracts.registry, (done, total) =>
        say(`fleet: registered ${done}/${total} devices`),
      );
      if (n === 0)
        say(`fleet: ${plan.filter((d) => d.role !== 'unregistered').length} devices already registered`);
    }
    if (created) {
      // The network launches once its first devices are on chain: epoch 1 starts now.
      deployment.genesisTime = Date.now();
      writeDeployment(settings.dataDir, deployment);
    }

    if (!existsSync(join(DASHBOARD_DIST, 'index.html'))) {
      say('dashboard: not built yet, building it once (npm run build:dashboard)…');
      const code = await new Promise<number | null>((resolve) =>
        spawn('npm', ['run', 'build:dashboard', '--silent'], {
          cwd: join(DASHBOARD_DIST, '../../..'),
          stdio: ['ignore', 'ignore', 'inherit'],
        })
          .on('exit', resolve)
          .on('error', () => resolve(null)),
      );
      if (code !== 0) say('dashboard: build failed; the API works, and / says how to build it');
    }
    node = await startNode({ settings, deployment, clients, log: fileLog, modules });
    writeRuntime(settings.dataDir, { pid: process.pid, apiUrl: node.url, rpcUrl });
    say(`api: ${node.url}  (OpenAPI: ${node.url}/openapi.json)`);
    say(`dashboard: ${node.url}/`);
    if (node.mqttUrl) say(`mqtt: ${node.mqttUrl}  (devices publish to groundwork/v1/<device>/up)`);
    say(`rpc: ${rpcUrl}  chain id ${deployment.chainId}`);
    const params = node.ctx.indexer.params;
    say(`epochs: ${params.get('epoch.seconds')} s each; data in ${settings.dataDir}`);

    const firstEpoch =
      (await node.ctx.db.selectFrom('epochs').select('epoch').where('status', '=', 'open').executeTakeFirst())
        ?.epoch ?? 1;
    const submitted: { epoch: number; tx: Hex }[] = [];
    const done = new Promise<void>((resolve) => {
      node!.ctx.closer.on('submitted', (epoch, tx) => {
        if (epoch < firstEpoch) return;
        submitted.push({ epoch, tx });
        say(`epoch ${epoch}: root submitted in ${tx}`);
        if (exitAfter && submitted.length >= epochsWanted) resolve();
      });
    });
    if (plan.length > 0) {
      fleet = runFleet({ apiUrl: node.url, devices: plan, params: () => node!.ctx.indexer.params, seed });
      say(
        `fleet: ${plan.length} simulated devices sending (${plan.filter((d) => d.role !== 'honest').length} misbehaving)`,
      );
    }

    if (!exitAfter) {
      say('running — Ctrl-C stops everything; `groundwork up` again resumes this network');
      await signalled;
      say('stopping…');
      await shutdown();
      return 0;
    }

    await Promise.race([done, signalled]);
    if (interrupted) return 130;
    await fleet?.stop();
    const stats = fleet?.stats ?? { accepted: 0, rejected: {} };
    fleet = undefined;

    // Operators claim: one relayed claimMany for every operator owed something.
    const operators = [...new Set(plan.map((d) => d.operator.toLowerCase()))].sort();
    const claimable = [];
    for (const account of operators) {
      const res = await fetch(`${node.url}/v1/accounts/${account}/claimable`);
      const c = (await res.json()) as { cumulativeAmount: string; claimable: string; proof: Hex[] };
      if (BigInt(c.claimable) > 0n)
        claimable.push({
          account: account as Address,
          cumulative: BigInt(c.cumulativeAmount),
          proof: c.proof,
        });
    }
    let claimedAmount = 0n;
    const paid = new Set<string>();
    if (claimable.length > 0) {
      // A relayer key of its own: the node submits roots with the deployer key meanwhile.
      const relayer = clients.walletFor(DEV_KEYS[9] as Hex);
      const hash = await relayer.writeContract({
        address: deployment.contracts.distributor,
        abi: rewardsDistributorAbi,
        functionName: 'claimMany',
        args: [
          claimable.map((c) => c.account),
          claimable.map((c) => c.cumulative),
          claimable.map((c) => c.proof),
        ],
      });
      const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`claimMany reverted in ${hash}`);
      // What moved is read back from the token's Transfer events, not from our books.
      const transfers = parseEventLogs({
        abi: groundTokenAbi,
        logs: receipt.logs,
        eventName: 'Transfer',
      }).filter(
        (l) =>
          l.address.toLowerCase() === deployment.contracts.token.toLowerCase() &&
          l.args.from.toLowerCase() === deployment.contracts.distributor.toLowerCase(),
      );
      for (const t of transfers) {
        claimedAmount += t.args.value;
        paid.add(t.args.to.toLowerCase());
      }
      say(`claims: ${paid.size} operators claimed in ${hash}`);
    }

    const epochs = [];
    for (const s of submitted.slice(0, epochsWanted)) {
      const e = await node.ctx.db
        .selectFrom('epochs')
        .selectAll()
        .where('epoch', '=', s.epoch)
        .executeTakeFirstOrThrow();
      epochs.push({
        epoch: e.epoch,
        root: e.root,
        total: e.total,
        epochTotal: e.epoch_total,
        tx: s.tx,
        bundle: e.bundle_path,
      });
    }
    const summary = {
      devices: devicesWanted,
      envelopes: { accepted: stats.accepted, rejected: stats.rejected },
      epochs,
      claims: { accounts: paid.size, amount: claimedAmount.toString() },
    };
    await shutdown();
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  } catch (err) {
    await shutdown().catch(() => {});
    throw err;
  }
}
