import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Hex } from 'viem';
import { buildApi } from './api/server.ts';
import type { ChainClients } from './chain/clients.ts';
import type { Deployment } from './chain/deployment.ts';
import { ChainIndexer } from './chain/indexer.ts';
import { EpochCloser } from './epochs/closer.ts';
import { digestFor } from './epochs/prepare.ts';
import { startEmbeddedBroker } from './ingest/broker.ts';
import { Ingestor } from './ingest/ingest.ts';
import { startMqttIngest } from './ingest/mqtt.ts';
import { VerifyPool } from './ingest/verifyPool.ts';
import type { Logger } from './internal/logger.ts';
import { createMetrics, type Metrics } from './internal/metrics.ts';
import type { Settings } from './internal/settings.ts';
import { loadModules } from './modules/load.ts';
import type { GroundworkModule, ModuleRuntime, ModuleWork } from './modules/types.ts';
import { openStore, type Store } from './store/db.ts';
import { DeviceDirectory } from './store/devices.ts';
import { pruneEpochData, pruneRejections } from './store/prune.ts';
import { Verifier } from './verify/verifier.ts';

/** A one-line account of an error for logs (viem errors otherwise carry whole ABIs). */
export function describeError(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string; metaMessages?: string[] };
  const meta = e.metaMessages?.filter((m) => /Error:|\(/.test(m)).join(' ') ?? '';
  return `${e.shortMessage ?? e.message ?? String(err)}${meta ? ` ${meta}` : ''}`
    .replace(/\s+/g, ' ')
    .slice(0, 600);
}

/** Everything a running node holds; the API reads from it. */
export interface NodeContext {
  settings: Settings;
  store: Store;
  db: Store['db'];
  deployment: Deployment;
  clients: ChainClients;
  devices: DeviceDirectory;
  modules: GroundworkModule[];
  ingestor: Ingestor;
  verifier: Verifier;
  indexer: ChainIndexer;
  closer: EpochCloser;
  log: Logger;
  metrics: Metrics;
  /** Live events for the SSE stream: envelopes, epoch, claim, device. */
  bus: EventEmitter;
  /** What a module's routes and background work get to use. */
  runtimeFor(moduleId: string): ModuleRuntime;
}

export interface NodeHandle {
  ctx: NodeContext;
  app: FastifyInstance;
  url: string;
  /** Where devices publish over MQTT: the embedded broker, or the external one. */
  mqttUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts a node against a deployed network: opens the store, catches up with
 * the chain, then runs the API, the verifier, the indexer and the epoch
 * closer until stopped.
 */
export async function startNode(o: {
  settings: Settings;
  deployment: Deployment;
  clients: ChainClients;
  log: Logger;
  modules?: GroundworkModule[];
  store?: Store;
}): Promise<NodeHandle> {
  const { settings, deployment, clients, log } = o;
  const metrics = createMetrics({ defaults: true });
  const modules = o.modules ?? (await loadModules({ only: settings.modules }));
  const store =
    o.store ??
    (await openStore({
      databaseUrl: settings.database.url,
      sqlitePath: join(settings.dataDir, 'node.sqlite'),
      modules,
      log,
    }));
  const db = store.db;
  const devices = new DeviceDirectory();
  await devices.load(db);
  const indexer = new ChainIndexer({ db, clients, deployment, devices, log, metrics });
  await indexer.load();
  if (settings.role === 'all') await indexer.sync();
  const params = () => indexer.params;
  const verifyPool = new VerifyPool(undefined, {
    nice: settings.verify.nice,
    maxCachedKeys: settings.verify.maxCachedKeys,
  });
  const ingestor = new Ingestor({ db, devices, modules, params, log, metrics, verifyPool });
  const verifier = new Verifier({ db, modules, params, log, metrics });
  // A node that already runs a large fleet starts its digest worker now, while it is idle.
  const digest = digestFor(db, store.source, { prewarm: settings.role === 'all' && devices.size >= 50_000 });
  // The modules' running services (started below, with the background work).
  const moduleWork: ModuleWork[] = [];
  const closer = new EpochCloser({
    db,
    clients,
    deployment,
    indexer,
    verifier,
    ingestBarrier: () => ingestor.barrier(),
    beforeCollect: async () => {
      for (const w of moduleWork) await w.beforeClose?.();
    },
    digest,
    modules,
    oracleKeys: settings.oracleKeys as Hex[],
    submitterKey: settings.deployerKey as Hex,
    dataDir: settings.dataDir,
    log,
    metrics,
  });
  const bus = new EventEmitter();
  bus.setMaxListeners(1000);
  indexer.on('device', (id) => bus.emit('device', { deviceId: id }));
  indexer.on('claim', (account, amount) => bus.emit('claim', { account, amount: amount.toString() }));
  closer.on('closed', (epoch) => bus.emit('epoch', { epoch, status: 'closed' }));
  closer.on('submitted', (epoch, tx) => bus.emit('epoch', { epoch, status: 'submitted', tx }));
  closer.on('indexed', (epoch) => bus.emit('epoch', { epoch, status: 'indexed' }));

  const runtimeFor = (moduleId: string): ModuleRuntime => ({
    db,
    clients,
    deployment,
    contracts: deployment.modules?.[moduleId] ?? {},
    params,
    log: log.child({ module: moduleId }),
    bus,
    dataDir: settings.dataDir,
    keys: { deployer: settings.deployerKey as Hex, oracles: settings.oracleKeys as Hex[] },
  });
  const ctx: NodeContext = {
    runtimeFor,
    settings,
    store,
    db,
    deployment,
    clients,
    devices,
    modules,
    ingestor,
    verifier,
    indexer,
    closer,
    log,
    metrics,
    bus,
  };
  const app = await buildApi(ctx);
  await app.listen({ host: settings.api.host, port: settings.api.port });
  const addr = app.server.address() as AddressInfo;
  const url = `http://${settings.api.host}:${addr.port}`;

  let stopped = false;
  const loops: Promise<void>[] = [];
  // Loops sleep between runs; stop() wakes them so that it never waits out a long interval.
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  const every = (name: string, ms: number, fn: () => Promise<unknown>) => {
    loops.push(
      (async () => {
        while (!stopped) {
          try {
            await fn();
          } catch (err) {
            if (!stopped) log.warn({ msg: `${name} failed; retrying`, error: describeError(err) });
          }
          if (!stopped) await sleep(ms);
        }
      })(),
    );
  };
  if (settings.role === 'all') {
    every('indexer', settings.chain.pollMs, () => indexer.sync());
    every('verifier', 250, () => verifier.drain());
    every('epoch closer', 250, () => closer.tick());
    every('rejections pruning', 60_000, async () => {
      const n = await pruneRejections(db, settings.database.keepRejections);
      if (n > 0)
        log.info({ msg: 'rejections log pruned', deleted: n, keep: settings.database.keepRejections });
    });
    const keepEpochs = settings.database.keepEpochs;
    if (keepEpochs !== undefined)
      every('epoch data pruning', 60_000, async () => {
        const r = await pruneEpochData(db, keepEpochs);
        if (r.envelopes + r.contributions + r.verdicts > 0)
          log.info({ msg: "old epochs' raw data pruned", keep_epochs: keepEpochs, ...r });
      });
    for (const m of modules) {
      const w = m.start ? await m.start(runtimeFor(m.id)) : undefined;
      if (w) moduleWork.push(w);
    }
  } else {
    // An ingest worker: devices and parameters come from the shared store,
    // which the full node keeps current from the chain. The directory reads
    // only the devices changed since (at a million devices a whole reload took
    // 8–14 s, every 2 s).
    every('device refresh', 2000, async () => {
      await devices.refresh(db);
      await indexer.load();
    });
  }

  // MQTT ingest: an external broker through the shared subscription, or the embedded broker.
  let mqtt: { url: string; stop(): Promise<void> } | undefined;
  if (settings.mqtt.url) {
    const m = await startMqttIngest({
      url: settings.mqtt.url,
      clientId:
        settings.mqtt.clientId ??
        `groundwork-${settings.role}-${createHash('sha256').update(settings.dataDir).digest('hex').slice(0, 12)}`,
      group: settings.mqtt.group,
      maxInFlight: settings.mqtt.maxInFlight,
      ingestBatch: (b) => ingestor.ingestBatch(b),
      log,
      metrics,
    });
    mqtt = { url: settings.mqtt.url, stop: () => m.stop() };
  } else if (settings.mqtt.enabled) {
    const start = (port: number) =>
      startEmbeddedBroker({
        host: settings.mqtt.embeddedHost,
        port,
        ingestBatch: (b) => ingestor.ingestBatch(b),
        log,
        metrics,
      });
    let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
    try {
      broker = await start(settings.mqtt.embeddedPort);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      log.warn({ msg: 'mqtt port taken; embedded broker on a free port', port: settings.mqtt.embeddedPort });
      broker = await start(0);
    }
    mqtt = { url: broker.url, stop: () => broker.close() };
  }
  log.info({
    msg: 'node started',
    role: settings.role,
    url,
    mqtt: mqtt?.url,
    modules: modules.map((m) => m.id),
    devices: devices.size,
  });

  return {
    ctx,
    app,
    url,
    mqttUrl: mqtt?.url,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await mqtt?.stop();
      for (const w of moduleWork) await w.stop();
      await app.close();
      await verifyPool.close();
      await digest.close();
      await Promise.all(loops);
      await store.close();
    },
  };
}
