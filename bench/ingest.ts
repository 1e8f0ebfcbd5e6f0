/**
 * Ingest benchmark: envelopes per second accepted and durably stored, over
 * HTTP and over MQTT, beside the raw node:crypto ed25519 verify rate of the
 * node's verify pool on the same envelopes, measured in the same run.
 *
 * The node is set up as `groundwork node` sets it up (Ingestor with a
 * VerifyPool of one worker thread per core, SQLite store, the API server or
 * the embedded MQTT broker) in a process of its own (bench/ingestNode.ts),
 * which also measures the baseline rounds with its pool; this process keeps
 * the pre-signed envelopes, out of the node's heap and RSS. The load
 * generator is a third process (bench/ingestLoad.ts) sending pre-serialized
 * requests or messages — on the same cores.
 *
 * What the ratio means on a small machine: the baseline is the pool's worker
 * threads doing nothing but verify, so it has every core. During an ingest
 * run the same cores also carry the node's main thread (HTTP or MQTT,
 * parsing, canonical JSON, SQLite) and the load generator; a ratio of 1 is
 * out of reach by construction, and how far below it shows what the rest of
 * the pipeline costs.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type DeviceKey,
  deviceKeyFromSeed,
  type Envelope,
  keyTypeCode,
  publicKeyObject,
  signEnvelope,
  signingBytes,
  toHex,
} from '@groundwork/protocol';
import type { LoadJob, LoadResult } from './ingestLoad.ts';
import type {
  BaselineFile,
  BaselineRound,
  BenchDevice,
  Finished,
  Measured,
  NodeRequest,
} from './ingestNode.ts';
import { idleShare, machineCpuTicks } from './procCpu.ts';

/** One ingest run: a protocol, end to end. */
export interface IngestRun {
  perSec: number;
  /** perSec ÷ the baseline `verifyPerSec` (the best round of the whole benchmark). */
  ratio: number;
  /**
   * perSec ÷ the mean of the two baseline rounds measured just before and
   * just after this run: the verify rate the machine had around the run. On
   * a machine whose speed drifts during the benchmark (seen here: rounds
   * falling by a third within a minute) this is the fairer figure for runs
   * after the first; on a steady machine it equals `ratio` within noise.
   */
  ratioAdjacent: number;
  /** Those two rounds' mean (envelopes/s). */
  adjacentBaselinePerSec: number;
  /** Index in `verifyRounds` of the round just before this run (the next one is just after it). */
  baselineRoundBefore: number;
  seconds: number;
  /** Peak RSS of the node's process during the run, and before it. */
  peakRssMb: number;
  rssBeforeMb: number;
  /** Share of the run the node's main thread was busy (event-loop utilization, 0..1). */
  mainThreadBusy: number;
  /**
   * Share of the machine's CPU time idle during the run (idle and iowait in
   * /proc/stat, over all CPUs; 0..1), where Linux tells it. The ingest runs
   * are meant to be CPU-bound: idle time is the pipeline stalling — the
   * verify workers out of work while the main thread commits or the load
   * generator waits for acknowledgements.
   */
  machineIdle?: number;
  /**
   * CPU time per stored envelope, in µs: of the node process (main thread and
   * verify workers) and of the load generator. These move less than the rates
   * when other work shares the machine, but they do move (shared cores run slower).
   */
  cpuUsPerEnvelope: {
    node: number;
    loadGenerator: number;
    /**
     * Of `node`, the main thread alone (HTTP or MQTT, parsing, SQLite; not the
     * verify workers), where the platform tells per-thread CPU time (Linux).
     * It does not move with the cost of a verify, which shared cores change.
     */
    mainThread?: number;
    /**
     * Of `node`, the verify worker threads alone (Linux). Beside the pool's
     * CPU per verify in the baseline rounds it shows how much slower the same
     * verifies run while the main thread and the load generator share the cores.
     */
    verifyWorkers?: number;
  };
  /**
   * Raw verify CPU time ÷ the node's CPU time per envelope: the share of the
   * node's work that is checking signatures (1 = nothing else). The verify
   * CPU is the pool's own per verify, averaged over the baseline rounds just
   * before and after the run (`verifyRoundCpuUs`): the same threads, on the
   * machine as it was around the run. Less moved than `ratio` by other work
   * on the machine; on idle cores, with the load generator elsewhere,
   * `ratio` would be about this.
   */
  verifyShareOfCpu: number;
  /** MQTT: `ingestBatch` calls, i.e. how well the broker's grouping gathered the messages. */
  ingestBatches?: number;
  /** With several repeats: each one's figures, in run order (this run is their median). */
  repeats?: { perSec: number; ratio: number; ratioAdjacent: number; verifyShareOfCpu: number }[];
}

export interface IngestBenchResult {
  envelopes: number;
  devices: number;
  /** HTTP: envelopes per request. */
  batchSize: number;
  workers: number;
  /** The verify workers' nice steps below the node's main thread (0: equal, the node's default). */
  verifyNice: number;
  /** How many times each HTTP and embedded-MQTT run was made. */
  repeats: number;
  /** Raw node:crypto verify rate of the pool's worker threads on the same envelopes (the baseline): the best round. */
  verifyPerSec: number;
  /** Every baseline round, in order: before the runs, between them, after them. */
  verifyRounds: number[];
  /** CPU time per verify of each round (workers and main thread, µs), in the same order. */
  verifyRoundCpuUs: number[];
  /** Of `verifyRoundCpuUs`, the verify worker threads' alone (Linux; empty elsewhere). */
  verifyRoundWorkerCpuUs: number[];
  /** Raw verify rate on one core (the main thread). */
  verifyPerSecOneCore: number;
  /** CPU time of one raw verify, in µs. */
  verifyCpuUs: number;
  http: IngestRun;
  /** MQTT through the embedded broker (the node's default), one envelope per message, QoS 1. */
  mqtt: IngestRun & { broker: 'embedded'; connections: number; window: number };
  /**
   * MQTT through the embedded broker with devices that buffer: each message a
   * device's next `perMessage` envelopes as one batch (docs/PROTOCOL.md §8A),
   * as a meter uploading its intervals or a tracker after a gap would send.
   */
  /** Absent when the run was not asked for (`batched: false`). */
  mqttBatched?: IngestRun & { broker: 'embedded'; connections: number; window: number; perMessage: number };
  /** MQTT through an external Mosquitto and the shared subscription, if one was reachable. */
  mqttExternal?:
    | (IngestRun & { broker: string; connections: number; window: number; maxInFlightSeen: number })
    | { skipped: string };
  /** The largest peak RSS of the runs. */
  peakRssMb: number;
}

const progress = (s: string) => process.stderr.write(`bench ingest: ${s}\n`);
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const LOADER = fileURLToPath(new URL('./ingestLoad.ts', import.meta.url));
const NODE = fileURLToPath(new URL('./ingestNode.ts', import.meta.url));

/**
 * Runs the ingest benchmark. Every run gets a fresh store holding the same
 * devices, so the same pre-signed envelopes (seq 1, 2, … per device) are
 * accepted in each, and each run checks that exactly `envelopes` rows were stored.
 */
export async function benchIngest(o: {
  envelopes: number;
  devices?: number;
  batchSize?: number;
  concurrency?: number;
  workers?: number;
  /** The verify workers' nice steps below the node's main thread (the node's `verify.nice`; default 0). */
  verifyNice?: number;
  /** MQTT connections and messages in flight on each. */
  mqttConnections?: number;
  mqttWindow?: number;
  /** Envelopes per message of the buffering-device MQTT run (default 10). */
  mqttPerMessage?: number;
  /** External broker to measure too (e.g. Mosquitto); undefined skips it. */
  externalMqttUrl?: string;
  /**
   * How many times the HTTP and embedded MQTT runs are made, in turn (default
   * 1): each protocol's figures are then those of its median repeat.
   */
  repeats?: number;
  /** Node-side MQTT settings other than the defaults, to compare them. */
  mqttTuning?: { maxConcurrentBatches?: number };
  /** Whether to make the buffering-device MQTT run (default true). */
  batched?: boolean;
}): Promise<IngestBenchResult> {
  const concurrency = o.concurrency ?? 4;
  const batchSize = o.batchSize ?? 500;
  // Each HTTP lane owns its own devices and sends their seqs in order, so no replay is ever provoked.
  const deviceCount = o.devices ?? concurrency * batchSize;
  const connections = o.mqttConnections ?? 4;
  // Per connection: at most devices ÷ connections (one message in flight per device), and with
  // the default 4 × 500 as many envelopes in flight as HTTP's 4 requests of 500.
  const window = o.mqttWindow ?? 500;
  const perMessage = o.mqttPerMessage ?? 10;
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  let node: NodeProcess | undefined;
  try {
    progress(`${deviceCount} devices, signing ${o.envelopes} envelopes`);
    const keys: DeviceKey[] = [];
    for (let i = 0; i < deviceCount; i++) {
      const seed = Buffer.alloc(32);
      seed.writeUInt32BE(i + 1, 28);
      keys.push(deviceKeyFromSeed('ed25519', seed));
    }
    const now = Date.now();
    const envelopes: Envelope[] = [];
    for (let i = 0; i < o.envelopes; i++) {
      const k = keys[i % deviceCount]!;
      envelopes.push(
        signEnvelope(
          {
            v: 1,
            device: k.deviceId,
            seq: Math.floor(i / deviceCount) + 1,
            time: now,
            kind: 'uptime.heartbeat',
            body: { uptimeSeconds: i },
          },
          k,
        ),
      );
    }

    // Baselines: raw node:crypto verify of the same signatures, on one core and in the pool.
    progress('measuring raw verify rate');
    const n = Math.min(envelopes.length, 20_000);
    const msgs = envelopes.slice(0, n).map((e) => signingBytes(e));
    const sigs = envelopes.slice(0, n).map((e) => Buffer.from(e.sig.slice(2), 'hex'));
    const keyOf = new Map(keys.map((k) => [k.deviceId, k]));
    const keyObjects = new Map(keys.map((k) => [k.deviceId, publicKeyObject(k.keyType, k.publicKey)]));
    const pubKeys = envelopes.slice(0, n).map((e) => keyObjects.get(e.device)!);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      if (!verify(null, msgs[i]!, pubKeys[i]!, sigs[i]!)) throw new Error('baseline verify failed');
    }
    const verifyCpu = process.cpuUsage(cpu0);
    const verifyPerSecOneCore = n / ((performance.now() - t0) / 1000);
    const verifyCpuUs = (verifyCpu.user + verifyCpu.system) / n;
    // The node under test: its own process (bench/ingestNode.ts), holding the verify pool.
    const devicesPath = join(dir, 'devices.json');
    writeFileSync(
      devicesPath,
      JSON.stringify(
        keys.map(
          (k): BenchDevice => ({
            deviceId: k.deviceId,
            publicKey: toHex(k.publicKey),
            keyType: keyTypeCode(k.keyType),
          }),
        ),
      ),
    );
    const baselinePath = join(dir, 'baseline.json');
    writeFileSync(
      baselinePath,
      JSON.stringify({
        items: envelopes.slice(0, n).map((e, i) => ({
          publicKey: Buffer.from(keyOf.get(e.device)!.publicKey).toString('hex'),
          message: Buffer.from(msgs[i]!).toString('hex'),
          signature: sigs[i]!.toString('hex'),
        })),
      } satisfies BaselineFile),
    );
    node = await startNodeProcess();
    const nodeProcess = node;
    const { size: poolSize } = (await nodeProcess.request({
      cmd: 'init',
      ...(o.workers ? { workers: o.workers } : {}),
      nice: o.verifyNice ?? 0,
      baselinePath,
      devicesPath,
    })) as { size: number };
    const verifyRounds: number[] = [];
    const verifyRoundCpuUs: number[] = [];
    const verifyRoundWorkerCpuUs: number[] = [];
    const baselineRound = async () => {
      const r = (await nodeProcess.request({ cmd: 'baseline' })) as BaselineRound;
      verifyRounds.push(r.perSec);
      verifyRoundCpuUs.push(r.cpuUs);
      if (r.workerCpuUs !== undefined) verifyRoundWorkerCpuUs.push(r.workerCpuUs);
    };
    await baselineRound();
    await baselineRound();

    /** Starts a fresh node in the node process, serving `proto`; its URL, or why it could not start. */
    const startNode = async (name: string, proto: Extract<NodeRequest, { cmd: 'start' }>['proto']) =>
      (await nodeProcess.request({ cmd: 'start', name, dbPath: join(dir, `${name}.sqlite`), proto })) as
        | { url: string }
        | { skipped: string };
    /**
     * Runs the load generator on `job` against the running node, timing from `go` to its
     * report, with the node's CPU and RSS measured meanwhile; then stops the node.
     */
    const drive = async (job: LoadJob, name: string) => {
      const jobPath = join(dir, `${name}.job.json`);
      writeFileSync(jobPath, JSON.stringify(job));
      const loader = await startLoader(jobPath);
      const machine0 = machineCpuTicks();
      // The baseline round just before this run; the caller measures the one just after.
      const roundBefore = verifyRounds.length - 1;
      await nodeProcess.request({ cmd: 'measure' });
      const t = performance.now();
      const result = await loader.go();
      const seconds = (performance.now() - t) / 1000;
      const m = (await nodeProcess.request({ cmd: 'measured', name })) as Measured;
      const machine1 = machineCpuTicks();
      // Its exit is not in the run's time, and must not be in the next baseline round's either.
      await loader.exited;
      const finished = (await nodeProcess.request({ cmd: 'finish' })) as Finished;
      const stored = finished.stored;
      const expect = `${envelopes.length} accepted and stored`;
      if (result.accepted !== envelopes.length || stored !== envelopes.length)
        throw new Error(
          `${name}: expected ${expect}, got ${result.accepted} accepted (rejected ${JSON.stringify(result.rejected)}), ${stored} stored`,
        );
      const perSec = stored / seconds;
      return {
        result,
        finished,
        run: {
          perSec: Math.round(perSec),
          // Set once every baseline round is in.
          ratio: 0,
          ratioAdjacent: 0,
          adjacentBaselinePerSec: 0,
          baselineRoundBefore: roundBefore,
          verifyShareOfCpu: 0,
          seconds: Number(seconds.toFixed(3)),
          peakRssMb: mb(m.peakRss),
          rssBeforeMb: mb(m.rssBefore),
          mainThreadBusy: Number(m.busy.toFixed(2)),
          ...(machine0 && machine1 ? { machineIdle: idleShare(machine0, machine1) } : {}),
          cpuUsPerEnvelope: {
            node: Math.round(m.cpuMicros / stored),
            loadGenerator: Math.round(result.cpuMicros / stored),
            ...(m.mainThreadMicros !== undefined
              ? { mainThread: Math.round(m.mainThreadMicros / stored) }
              : {}),
            ...(m.workerMicros !== undefined ? { verifyWorkers: Math.round(m.workerMicros / stored) } : {}),
          },
          ...(job.kind === 'mqtt' ? { ingestBatches: finished.batches } : {}),
        } satisfies IngestRun,
      };
    };

    // HTTP: lane j carries devices j*batchSize … (j+1)*batchSize-1, one seq round per batch.
    const perLane: Envelope[][] = Array.from({ length: concurrency }, () => []);
    for (let i = 0; i < envelopes.length; i++) {
      perLane[Math.floor((i % deviceCount) / batchSize) % concurrency]!.push(envelopes[i]!);
    }
    const httpLanes = perLane.map((list) => {
      const out: string[] = [];
      for (let i = 0; i < list.length; i += batchSize)
        out.push(JSON.stringify({ envelopes: list.slice(i, i + batchSize) }));
      return out;
    });
    /** One HTTP run on a fresh node, then a baseline round. */
    const httpRun = async (name: string) => {
      const started = await startNode(name, { kind: 'http' });
      if ('skipped' in started) throw new Error(started.skipped);
      progress(`HTTP: ${httpLanes.flat().length} batches of ${batchSize}, ${concurrency} in flight`);
      const { run } = await drive({ kind: 'http', url: started.url, lanes: httpLanes }, name);
      await baselineRound();
      return { run };
    };

    // MQTT: device d on connection d % connections, its envelopes in seq order, one per
    // message — or, for devices that buffer, `perMessage` of them per message as a batch.
    const deviceIndex = new Map(keys.map((k, i) => [k.deviceId, i]));
    const mqttClients = (prefix: string, perMessage = 1) =>
      Array.from({ length: connections }, (_, c) => {
        const mine = envelopes.filter((e) => deviceIndex.get(e.device)! % connections === c);
        if (perMessage === 1)
          return {
            clientId: `${prefix}-${c}`,
            messages: mine.map((e) => ({ device: e.device, payload: JSON.stringify(e) })),
          };
        const byDevice = new Map<string, typeof envelopes>();
        for (const e of mine) {
          const list = byDevice.get(e.device);
          if (list) list.push(e);
          else byDevice.set(e.device, [e]);
        }
        // Round by round: every device's first batch, then every device's second, …
        const messages: { device: string; payload: string }[] = [];
        const lists = [...byDevice.values()];
        for (let at = 0; lists.some((l) => at < l.length); at += perMessage)
          for (const l of lists)
            if (at < l.length)
              messages.push({
                device: l[0]!.device,
                payload: JSON.stringify({ envelopes: l.slice(at, at + perMessage) }),
              });
        return { clientId: `${prefix}-${c}`, messages };
      });

    // Node-side MQTT settings other than the defaults, for the embedded and the external runs.
    const tuning = o.mqttTuning?.maxConcurrentBatches
      ? { maxConcurrentBatches: o.mqttTuning.maxConcurrentBatches }
      : {};
    /** One run through the embedded broker (a fresh node), settled by PUBACK (sent after commit). */
    const embeddedRun = async (name: string, perMessage: number) => {
      const started = await startNode(name, { kind: 'embedded', ...tuning });
      if ('skipped' in started) throw new Error(started.skipped);
      const clients = mqttClients(`bench-${name}`, perMessage);
      const { run, result } = await drive(
        { kind: 'mqtt', url: started.url, protocolVersion: 4, window, settle: 'puback', clients },
        name,
      );
      const messages = clients.reduce((n, c) => n + c.messages.length, 0);
      if (result.pubacks !== messages)
        throw new Error(`${name}: ${result.pubacks} PUBACKs for ${messages} messages`);
      await baselineRound();
      return { run };
    };
    // The three runs in turn, `repeats` times, each between two baseline rounds: the
    // machine's speed may drift, and a figure from one run would be that moment's.
    const repeats = Math.max(1, o.repeats ?? 1);
    const httpRuns: Awaited<ReturnType<typeof httpRun>>[] = [];
    const mqttRuns: Awaited<ReturnType<typeof embeddedRun>>[] = [];
    const batchedRuns: Awaited<ReturnType<typeof embeddedRun>>[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      const tag = repeats > 1 ? `-${rep + 1}` : '';
      if (repeats > 1) progress(`round ${rep + 1} of ${repeats}`);
      httpRuns.push(await httpRun(`http${tag}`));
      progress(`MQTT, embedded broker: ${envelopes.length} messages, ${connections} connections × ${window}`);
      mqttRuns.push(await embeddedRun(`mqtt${tag}`, 1));
      if (o.batched === false) continue;
      progress(`MQTT, embedded broker, ${perMessage} envelopes per message`);
      batchedRuns.push(await embeddedRun(`mqtt-batched${tag}`, perMessage));
    }

    let external: IngestBenchResult['mqttExternal'];
    if (o.externalMqttUrl) {
      const url = o.externalMqttUrl;
      progress(`MQTT, external broker ${url}: ${envelopes.length} messages`);
      const run = randomBytes(4).toString('hex');
      const started = await startNode('mqtt-external', {
        kind: 'external',
        url,
        clientId: `bench-ingest-${run}`,
        group: `bench${run}`,
        ...tuning,
      });
      if ('skipped' in started) {
        external = { skipped: started.skipped };
        progress(external.skipped);
      } else {
        const r = await drive(
          {
            kind: 'mqtt',
            url,
            protocolVersion: 5,
            window,
            settle: 'verdict',
            clients: mqttClients(`bench-device-${run}`),
          },
          'mqtt-external',
        );
        external = {
          ...r.run,
          broker: 'external',
          connections,
          window,
          maxInFlightSeen: r.finished.maxInFlightSeen ?? 0,
        };
        await baselineRound();
      }
    }

    const verifyPerSec = Math.max(...verifyRounds);
    const withRatio = <T extends IngestRun>(r: T): T => {
      const before = r.baselineRoundBefore;
      const adjacent = (verifyRounds[before]! + verifyRounds[before + 1]!) / 2;
      return {
        ...r,
        ratio: Number((r.perSec / verifyPerSec).toFixed(3)),
        ratioAdjacent: Number((r.perSec / adjacent).toFixed(3)),
        adjacentBaselinePerSec: Math.round(adjacent),
        verifyShareOfCpu: Number(
          ((verifyRoundCpuUs[before]! + verifyRoundCpuUs[before + 1]!) / 2 / r.cpuUsPerEnvelope.node).toFixed(
            3,
          ),
        ),
      };
    };
    if (external && !('skipped' in external)) external = withRatio(external);
    /**
     * Of a protocol's repeats, the run with the median rate (with an even
     * count, the lower of the middle two), with every repeat's figures beside
     * it. The rate is what was measured; both ratios follow from it, and with
     * the one best round as denominator this is also the median `ratio`.
     */
    const median = (runs: { run: IngestRun }[]): IngestRun => {
      const all = runs.map((r) => withRatio(r.run));
      const chosen = [...all].sort((a, b) => a.perSec - b.perSec)[(all.length - 1) >> 1]!;
      return all.length === 1
        ? chosen
        : {
            ...chosen,
            repeats: all.map((r) => ({
              perSec: r.perSec,
              ratio: r.ratio,
              ratioAdjacent: r.ratioAdjacent,
              verifyShareOfCpu: r.verifyShareOfCpu,
            })),
          };
    };
    return {
      envelopes: envelopes.length,
      devices: deviceCount,
      batchSize,
      workers: poolSize,
      verifyNice: o.verifyNice ?? 0,
      repeats,
      verifyPerSec,
      verifyRounds,
      verifyRoundCpuUs,
      verifyRoundWorkerCpuUs,
      verifyPerSecOneCore: Math.round(verifyPerSecOneCore),
      verifyCpuUs: Number(verifyCpuUs.toFixed(1)),
      http: median(httpRuns),
      mqtt: { ...median(mqttRuns), broker: 'embedded', connections, window },
      ...(batchedRuns.length > 0
        ? {
            mqttBatched: {
              ...median(batchedRuns),
              broker: 'embedded' as const,
              connections,
              window,
              perMessage,
            },
          }
        : {}),
      ...(external ? { mqttExternal: external } : {}),
      peakRssMb: Math.max(
        ...[...httpRuns, ...mqttRuns, ...batchedRuns].map((r) => r.run.peakRssMb),
        external && 'peakRssMb' in external ? external.peakRssMb : 0,
      ),
    };
  } finally {
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a TypeScript file of the bench as a child process with an IPC channel, its output on ours. */
function forkTs(path: string, args: string[]): ChildProcess {
  return fork(path, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

interface NodeProcess {
  /** Sends one request to the node process and resolves with its answer (requests are answered in order). */
  request(r: NodeRequest): Promise<unknown>;
  /** Stops it: its verify pool closed, the process gone. */
  close(): Promise<void>;
}

/** Starts the node process (bench/ingestNode.ts); every request fails once it has exited. */
async function startNodeProcess(): Promise<NodeProcess> {
  const child = forkTs(NODE, []);
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exitError: Error | undefined;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitError = new Error(`bench node process exited (${code ?? signal})`);
      for (const w of waiting.values()) w.reject(exitError);
      waiting.clear();
      resolve();
    }),
  );
  child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.result);
    else w.reject(new Error(`bench node process: ${m.error}`));
  });
  return {
    request: (r) => {
      if (exitError) return Promise.reject(exitError);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ id, ...r });
      });
    },
    close: async () => {
      if (!exitError) {
        child.send({ id: 0, cmd: 'exit' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Starts the load generator on a job file; resolves once it is connected and
 * waiting for `go`. `exited` resolves when the process has gone, after its report.
 */
async function startLoader(
  jobPath: string,
): Promise<{ go: () => Promise<LoadResult>; exited: Promise<void> }> {
  const child = forkTs(LOADER, [jobPath]);
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // While a report is awaited, an exit is a failure.
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`load generator exited (${code ?? signal}) before reporting`)),
    ),
  );
  exited.catch(() => {});
  const next = () =>
    Promise.race([
      new Promise<{ event: 'ready' } | LoadResult>((resolve) => child.once('message', resolve as never)),
      exited,
    ]);
  const ready = await next();
  if (ready.event !== 'ready') throw new Error(`load generator: unexpected ${JSON.stringify(ready)}`);
  return {
    go: async () => {
      const done = next();
      child.send('go');
      const result = await done;
      if (result.event !== 'done') throw new Error(`load generator: unexpected ${JSON.stringify(result)}`);
      return result;
    },
    exited: gone,
  };
}
