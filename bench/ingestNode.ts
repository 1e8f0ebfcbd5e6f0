/**
 * The node under test of the ingest benchmark, run as its own process:
 * `node --import tsx bench/ingestNode.ts`, driven over IPC by
 * bench/ingest.ts. It holds the verify pool (and measures the baseline
 * rounds with it), and for each run a fresh node — store, Ingestor and the
 * HTTP API, the embedded broker or an external broker's ingest — wired as
 * `groundwork node` wires them.
 *
 * Why a process of its own: the benchmark keeps every envelope pre-signed,
 * in several encodings (hundreds of MB), and that heap is the harness's, not
 * the node's. In one process the node's RSS counted it, and every major
 * collection marked it on the node's cores. How much that can cost, measured
 * with a fake verify pool on the MQTT run: the process's CPU per envelope
 * rose from 27–28 to 34–38 µs with 4 million more small objects retained.
 * With the benchmark's own data the difference was inside this machine's
 * noise (two alternating pairs of full ingest runs, the three runs of each:
 * node CPU 103–110 µs per envelope here, 100–110 µs in one process), so the
 * point is the figures' meaning: the CPU time and RSS reported are the
 * node's alone.
 *
 * Requests are `{ id, cmd, … }`; each is answered `{ id, ok: true, result }`
 * or `{ id, ok: false, error }`, in order.
 */

import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import uptime from '@groundwork/module-uptime';
import { buildApi } from '@groundwork/node/api/server.ts';
import { startEmbeddedBroker } from '@groundwork/node/ingest/broker.ts';
import { Ingestor } from '@groundwork/node/ingest/ingest.ts';
import { startMqttIngest } from '@groundwork/node/ingest/mqtt.ts';
import { VerifyPool } from '@groundwork/node/ingest/verifyPool.ts';
import { createLogger } from '@groundwork/node/internal/logger.ts';
import { createMetrics } from '@groundwork/node/internal/metrics.ts';
import type { NodeContext } from '@groundwork/node/node.ts';
import { openSqliteStore, type Store } from '@groundwork/node/store/db.ts';
import { DeviceDirectory } from '@groundwork/node/store/devices.ts';
import { cpuSince, mainThreadCpuMicros, sumOf, threadCpuMicros } from './procCpu.ts';

/** A device as the parent writes it to the devices file. */
export interface BenchDevice {
  deviceId: string;
  /** As the devices table holds it (`toHex`). */
  publicKey: string;
  keyType: number;
}

/** The baseline's signatures as the parent writes them (hex): the same envelopes the runs send. */
export interface BaselineFile {
  items: { publicKey: string; message: string; signature: string }[];
}

export type NodeRequest =
  | { cmd: 'init'; workers?: number; nice: number; baselinePath: string; devicesPath: string }
  | { cmd: 'baseline' }
  | {
      cmd: 'start';
      name: string;
      dbPath: string;
      proto:
        | { kind: 'http' }
        | { kind: 'embedded'; maxConcurrentBatches?: number }
        | { kind: 'external'; url: string; clientId: string; group: string; maxConcurrentBatches?: number };
    }
  | { cmd: 'measure' }
  | { cmd: 'measured'; name: string }
  | { cmd: 'finish' }
  | { cmd: 'exit' };

export interface BaselineRound {
  perSec: number;
  /** CPU per verify of the whole process, µs. */
  cpuUs: number;
  /** Of it, the verify workers' (Linux). */
  workerCpuUs?: number;
}

export interface Measured {
  /** CPU time of the process (every thread) in the measured span, µs. */
  cpuMicros: number;
  mainThreadMicros?: number;
  workerMicros?: number;
  busy: number;
  peakRss: number;
  rssBefore: number;
}

export interface Finished {
  stored: number;
  batches: number;
  maxInFlightSeen?: number;
}

const log = createLogger({ level: 'silent' });
let pool: VerifyPool | undefined;
let devices: BenchDevice[] = [];
let baselineItems: Parameters<VerifyPool['verify']>[0] = [];
// The pool's threads: those that used the most CPU in the first baseline round, which only they worked in.
let workerTids: string[] | undefined;

interface Running {
  store: Store;
  ingestor: Ingestor;
  batches: number;
  stop: () => Promise<{ maxInFlightSeen?: number }>;
}
let running: Running | undefined;

interface Measuring {
  sampler: NodeJS.Timeout;
  peakRss: number;
  rssBefore: number;
  elu: ReturnType<typeof performance.eventLoopUtilization>;
  cpu: NodeJS.CpuUsage;
  main0: number | undefined;
  threads0: Map<string, number>;
  profiler: Awaited<ReturnType<typeof startProfile>>;
}
let measuring: Measuring | undefined;

const hex = (s: string) => Buffer.from(s, 'hex');

async function init(r: Extract<NodeRequest, { cmd: 'init' }>): Promise<{ size: number }> {
  devices = JSON.parse(readFileSync(r.devicesPath, 'utf8')) as BenchDevice[];
  const file = JSON.parse(readFileSync(r.baselinePath, 'utf8')) as BaselineFile;
  baselineItems = file.items.map((it) => ({
    keyType: 'ed25519' as const,
    publicKey: hex(it.publicKey),
    message: hex(it.message),
    signature: hex(it.signature),
  }));
  pool = new VerifyPool(r.workers, { nice: r.nice });
  // Warm the workers (JIT, and every key in each worker's cache) before timing anything.
  for (let w = 0; w < 2; w++) await pool.verify(baselineItems);
  return { size: pool.size };
}

async function baseline(): Promise<BaselineRound> {
  const p = pool!;
  const n = baselineItems.length;
  const threads0 = threadCpuMicros();
  const t = performance.now();
  const c = process.cpuUsage();
  // One chunk per worker: the least overhead the pool can verify with. The node's calls are
  // cut into small chunks the workers pull (verifyPool.ts), which shares a call out more
  // evenly but costs a message per chunk; the baseline does not pay that.
  const ok = await p.verify(baselineItems, { chunkItems: Math.ceil(n / p.size) });
  const used = process.cpuUsage(c);
  const perSec = Math.round(n / ((performance.now() - t) / 1000));
  const threads = cpuSince(threads0, threadCpuMicros());
  workerTids ??= [...threads.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, p.size)
    .map(([tid]) => tid);
  if (!ok.every(Boolean)) throw new Error('pool baseline verify failed');
  return {
    perSec,
    cpuUs: Number(((used.user + used.system) / n).toFixed(1)),
    ...(threads.size > 0 ? { workerCpuUs: Number((sumOf(threads, workerTids) / n).toFixed(1)) } : {}),
  };
}

/** A fresh store holding the benchmark's devices, every device at seq 0. */
async function seedStore(path: string): Promise<Store> {
  const store = await openSqliteStore(path, [uptime]);
  for (let i = 0; i < devices.length; i += 500) {
    const slice = devices.slice(i, i + 500);
    await store.db
      .insertInto('devices')
      .values(
        slice.map((d) => ({
          device_id: d.deviceId,
          key_type: d.keyType,
          public_key: d.publicKey,
          module: 'uptime',
          h3_cell: '8a392ad5a6dffff',
          operator: '0x00000000000000000000000000000000000000aa',
          active: 1,
          registered_block: 1,
        })),
      )
      .execute();
    await store.db
      .insertInto('device_seq')
      .values(slice.map((d) => ({ device_id: d.deviceId, last_seq: 0 })))
      .execute();
  }
  return store;
}

/** A node's ingest over a fresh store, as `groundwork node` wires it, serving one protocol. */
async function start(
  r: Extract<NodeRequest, { cmd: 'start' }>,
): Promise<{ url: string } | { skipped: string }> {
  if (running) throw new Error('a node is already running');
  const store = await seedStore(r.dbPath);
  const directory = new DeviceDirectory();
  await directory.load(store.db);
  const metrics = createMetrics();
  const params = new Map([['ingest.maxSkewMs', 3_600_000n]]);
  const ingestor = new Ingestor({
    db: store.db,
    devices: directory,
    modules: [uptime],
    params: () => params,
    log,
    metrics,
    verifyPool: pool!,
  });
  const node: Running = { store, ingestor, batches: 0, stop: async () => ({}) };
  const ingestBatch = (inputs: readonly unknown[]) => {
    node.batches++;
    return ingestor.ingestBatch(inputs);
  };
  const p = r.proto;
  let url: string;
  if (p.kind === 'http') {
    const ctx = {
      db: store.db,
      store,
      ingestor,
      log,
      metrics,
      bus: new EventEmitter(),
      modules: [uptime],
      devices: directory,
    } as unknown as NodeContext;
    const app = await buildApi(ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    url = `http://127.0.0.1:${port}/v1/envelopes`;
    node.stop = async () => {
      await app.close();
      return {};
    };
  } else if (p.kind === 'embedded') {
    const broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      ingestBatch,
      log,
      metrics,
      ...(p.maxConcurrentBatches ? { maxConcurrentBatches: p.maxConcurrentBatches } : {}),
    });
    url = broker.url;
    node.stop = async () => {
      await broker.close();
      return {};
    };
  } else {
    const ingest = await startMqttIngest({
      url: p.url,
      clientId: p.clientId,
      group: p.group,
      sessionExpirySeconds: 0,
      connectTimeoutMs: 3000,
      ingestBatch,
      log,
      metrics,
      ...(p.maxConcurrentBatches ? { maxConcurrentBatches: p.maxConcurrentBatches } : {}),
    }).catch((err: Error) => err);
    if (ingest instanceof Error) {
      await store.close();
      return { skipped: `no broker at ${p.url}: ${ingest.message}` };
    }
    url = p.url;
    node.stop = async () => {
      const stats = ingest.stats();
      await ingest.stop({ leaveGroup: true });
      return { maxInFlightSeen: stats.maxInFlightSeen };
    };
  }
  running = node;
  return { url };
}

async function measure(): Promise<Record<string, never>> {
  // memoryUsage.rss() alone: memoryUsage() also asks V8 for its heap figures, about 1 % of
  // the main thread's profile samples (idle included) at 40 calls a second.
  const rssBefore = process.memoryUsage.rss();
  const m: Measuring = {
    sampler: setInterval(() => (m.peakRss = Math.max(m.peakRss, process.memoryUsage.rss())), 25),
    peakRss: rssBefore,
    rssBefore,
    elu: performance.eventLoopUtilization(),
    main0: mainThreadCpuMicros(),
    threads0: threadCpuMicros(),
    profiler: await startProfile(),
    cpu: process.cpuUsage(),
  };
  measuring = m;
  return {};
}

async function measured(name: string): Promise<Measured> {
  const m = measuring!;
  measuring = undefined;
  const busy = performance.eventLoopUtilization(m.elu).utilization;
  const cpu = process.cpuUsage(m.cpu);
  const main1 = mainThreadCpuMicros();
  const threads = cpuSince(m.threads0, threadCpuMicros());
  clearInterval(m.sampler);
  m.peakRss = Math.max(m.peakRss, process.memoryUsage.rss());
  await m.profiler?.stop(name);
  return {
    cpuMicros: cpu.user + cpu.system,
    ...(m.main0 !== undefined && main1 !== undefined ? { mainThreadMicros: main1 - m.main0 } : {}),
    ...(threads.size > 0 && workerTids ? { workerMicros: sumOf(threads, workerTids) } : {}),
    busy,
    peakRss: m.peakRss,
    rssBefore: m.rssBefore,
  };
}

async function finish(): Promise<Finished> {
  const node = running!;
  running = undefined;
  await node.ingestor.barrier();
  const row = await node.store.db
    .selectFrom('envelopes')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  const stats = await node.stop();
  await node.store.close();
  return { stored: Number(row.n), batches: node.batches, ...stats };
}

/**
 * With BENCH_CPU_PROFILE=<dir>, each run's main thread is profiled by V8
 * (the load generator's and the verify workers' are not) and written to
 * <dir>/<run>.cpuprofile, which Chrome DevTools or speedscope open. The
 * profiler costs the main thread a few per cent, so a profiled run's figures
 * are not the report's.
 */
async function startProfile(): Promise<{ stop: (name: string) => Promise<void> } | undefined> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    stop: async (name) => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      process.stderr.write(
        `bench ingest: CPU profile of the main thread: ${join(dir, `${name}.cpuprofile`)}\n`,
      );
    },
  };
}

async function handle(r: NodeRequest): Promise<unknown> {
  switch (r.cmd) {
    case 'init':
      return init(r);
    case 'baseline':
      return baseline();
    case 'start':
      return start(r);
    case 'measure':
      return measure();
    case 'measured':
      return measured(r.name);
    case 'finish':
      return finish();
    case 'exit':
      await pool?.close();
      process.exit(0);
  }
}

// One request at a time, in arrival order.
let chain = Promise.resolve();
process.on('message', (msg: NodeRequest & { id: number }) => {
  chain = chain.then(async () => {
    try {
      const result = await handle(msg);
      process.send!({ id: msg.id, ok: true, result });
    } catch (err) {
      process.send!({ id: msg.id, ok: false, error: (err as Error).stack ?? String(err) });
    }
  });
});
