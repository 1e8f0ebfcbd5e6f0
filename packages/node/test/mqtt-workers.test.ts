import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import uptime from '@groundwork/module-uptime';
import { type DeviceKey, type Envelope, generateDeviceKey, signEnvelope } from '@groundwork/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ingestor } from '../src/ingest/ingest.ts';
import {
  type MqttDownMessage,
  type MqttIngest,
  type MqttIngestStats,
  mqttUpTopic,
  startMqttIngest,
} from '../src/ingest/mqtt.ts';
import { openSqliteStore, type Store } from '../src/store/db.ts';
import { loadDirectory, newMetrics, seedDevice, silentLog } from './helpers.ts';

/** The broker these tests need: Mosquitto (or any MQTT 5 broker with shared subscriptions). CI runs one. */
const BROKER_URL = process.env.GROUNDWORK_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const workerScript = fileURLToPath(new URL('./fixtures/mqtt-worker.ts', import.meta.url));
const run = randomBytes(4).toString('hex');
const DOWN_FILTER = 'groundwork/v1/+/down';

/** A worker child process and what it last reported. */
interface WorkerProcess {
  clientId: string;
  proc: ChildProcess;
  stats: MqttIngestStats | undefined;
  ready: Promise<void>;
  /** With `standby`: resolves once loaded; `go()` then makes it connect. */
  standby: Promise<void>;
  go: () => void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

const spawned: ChildProcess[] = [];
const clientIds = new Set<string>();

function spawnWorker(o: {
  db: string;
  clientId: string;
  group: string;
  commitDelayMs?: number;
  sessionExpiry?: number;
  standby?: boolean;
}): WorkerProcess {
  clientIds.add(o.clientId);
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      workerScript,
      ...['--db', o.db, '--url', BROKER_URL, '--client-id', o.clientId, '--group', o.group],
      ...[
        '--commit-delay-ms',
        String(o.commitDelayMs ?? 0),
        '--session-expiry',
        String(o.sessionExpiry ?? 60),
      ],
      ...(o.standby ? ['--standby'] : []),
    ],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  spawned.push(proc);
  let err = '';
  let onStandby = () => {};
  const standby = new Promise<void>((r) => {
    onStandby = r;
  });
  proc.stderr!.on('data', (d: Buffer) => {
    if (err.length < 20_000) err += d.toString();
  });
  const w: WorkerProcess = {
    clientId: o.clientId,
    proc,
    stats: undefined,
    stderr: () => err,
    standby,
    go: () => proc.stdin!.write('go\n'),
    exited: new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))),
    ready: new Promise((resolve, reject) => {
      // Generous: three workers loading TypeScript at once on a busy 2-core machine take a while.
      const timer = setTimeout(
        () => reject(new Error(`worker ${o.clientId} not ready in 60 s: ${err}`)),
        60_000,
      );
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker ${o.clientId} exited (${code ?? signal}) before ready: ${err}`));
      });
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        const m = JSON.parse(line) as { event: string } & MqttIngestStats;
        if (m.event === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.event === 'standby') onStandby();
        else w.stats = m;
      });
    }),
  };
  // Awaited by the tests that need it; a worker killed before it was ready must not be an unhandled rejection.
  w.ready.catch(() => {});
  return w;
}

/** A fresh SQLite file with `n` fresh devices (unique per run: parallel or repeated runs never share one). */
async function seededStore(
  n: number,
): Promise<{ path: string; store: Store; keys: DeviceKey[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-'));
  const path = join(dir, 'node.sqlite');
  const store = await openSqliteStore(path, [uptime]);
  const keys = Array.from({ length: n }, () => generateDeviceKey('ed25519'));
  for (const k of keys) await seedDevice(store, k);
  return { path, store, keys, dir };
}

function heartbeat(k: DeviceKey, seq: number): Envelope {
  return signEnvelope(
    {
      v: 1,
      device: k.deviceId,
      seq,
      time: Date.now(),
      kind: 'uptime.heartbeat',
      body: { uptimeSeconds: seq },
    },
    k,
  );
}

/** The test's device side: one connection publishing for every device and reading every /down. */
async function connectDevices(): Promise<{
  client: MqttClient;
  onVerdict: (fn: (device: string, message: MqttDownMessage) => void) => void;
}> {
  const client = await mqtt.connectAsync(BROKER_URL, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  const fns: ((device: string, message: MqttDownMessage) => void)[] = [];
  client.on('message', (topic, payload) => {
    const device = topic.split('/')[2]!;
    const message = JSON.parse(payload.toString()) as MqttDownMessage;
    for (const fn of fns) fn(device, message);
  });
  await client.subscribeAsync(DOWN_FILTER, { qos: 1 });
  return { client, onVerdict: (fn) => fns.push(fn) };
}

const key = (device: string, seq: number) => `${device}:${seq}`;

describe('MQTT ingest workers on an external broker', () => {
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    const probe = await mqtt
      .connectAsync(BROKER_URL, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 3000 })
      .catch((err: Error) => {
        throw new Error(
          `No MQTT broker at ${BROKER_URL} (${err.message}). These tests need Mosquitto (2.x, shared ` +
            'subscriptions) listening there — CI runs one; locally: `mosquitto -p 1883`.',
        );
      });
    await probe.endAsync();
  });

  afterEach(async () => {
    for (const p of spawned.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  afterAll(async () => {
    // Persistent sessions outlive their workers; end them so the broker drops their queues.
    for (const clientId of clientIds) {
      const c = await mqtt.connectAsync(BROKER_URL, {
        protocolVersion: 5,
        clientId,
        clean: true,
        reconnectPeriod: 0,
        properties: { sessionExpiryInterval: 0 },
      });
      await c.endAsync();
    }
  });

  async function storedRows(store: Store) {
    return (await store.db.selectFrom('envelopes').select(['device_id', 'seq', 'sig']).execute()).map(
      (r) => ({
        device: r.device_id,
        seq: Number(r.seq),
        sig: r.sig,
      }),
    );
  }

  /**
   * 50 devices × 60 envelopes through three workers; one worker is killed
   * with SIGKILL once 1000 envelopes are accepted (and, with `restart`,
   * started again under its client id at once). Each device sends in seq
   * order with one message in flight (§7.3), single envelopes then batches,
   * and re-sends the same bytes when no verdict came within 1.5 s.
   */
  async function killOneOfThree(o: { restart: boolean; sessionExpiry: number }) {
    const { path, store, keys, dir } = await seededStore(50);
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const group = `gw-test-${run}-${o.restart ? 'r' : 'k'}`;
    const workerIds = [1, 2, 3].map((i) => `${group}-w${i}`);
    // 20 ms per ingest call: a slow disk, so messages are always held unacknowledged somewhere.
    const workerOptions = (clientId: string) => ({
      db: path,
      clientId,
      group,
      commitDelayMs: 20,
      sessionExpiry: o.sessionExpiry,
    });
    const workers = workerIds.map((id) => spawnWorker(workerOptions(id)));
    // The victim's successor, loaded and waiting: a supervisor's restart, minus the start-up seconds.
    const successor = o.restart ? spawnWorker({ ...workerOptions(workerIds[1]!), standby: true }) : undefined;
    await Promise.all([...workers.map((w) => w.ready), successor?.standby]);

    // Per device: seqs 1–10 one envelope per message, then 11–60 in batches of 5.
    const messages = keys.map((k) => {
      const envs = Array.from({ length: 60 }, (_, s) => heartbeat(k, s + 1));
      const groups = [
        ...envs.slice(0, 10).map((e) => [e]),
        ...Array.from({ length: 10 }, (_, g) => envs.slice(10 + g * 5, 15 + g * 5)),
      ];
      return groups.map((g) => ({
        seqs: g.map((e) => e.seq),
        payload: JSON.stringify(g.length === 1 ? g[0] : { envelopes: g }),
      }));
    });
    const sent = keys.flatMap((k, i) =>
      messages[i]!.flatMap((m) => {
        const p = JSON.parse(m.payload) as Envelope | { envelopes: Envelope[] };
        return ('envelopes' in p ? p.envelopes : [p]).map((e) => ({
          device: k.deviceId,
          seq: e.seq,
          sig: e.sig,
        }));
      }),
    );

    const { client, onVerdict } = await connectDevices();
    cleanups.push(() => client.endAsync(true));
    const verdicts = new Map<string, string[]>();
    const waiters = new Map<string, () => void>();
    let accepted = 0;
    let victim: WorkerProcess | undefined;
    const refusals: MqttDownMessage[] = [];
    onVerdict((device, message) => {
      if (!('results' in message)) {
        refusals.push(message);
        return;
      }
      for (const r of message.results) {
        const k = key(device, r.seq!);
        verdicts.set(k, [...(verdicts.get(k) ?? []), r.status === 'accepted' ? 'accepted' : r.reason]);
        if (r.status === 'accepted') accepted++;
      }
      if (!victim && accepted >= 1000) {
        victim = workers[1]!;
        victim.proc.kill('SIGKILL');
        // Only once the broker has seen the connection drop: a CONNECT with the
        // same client id while the old one is up would take the session over.
        void victim.exited.then(() => successor?.go());
      }
      waiters.get(device)?.();
    });

    const resent = new Set<string>();
    const started = Date.now();
    await Promise.all(
      keys.map(async (k, i) => {
        for (const m of messages[i]!) {
          const done = () => m.seqs.every((s) => verdicts.has(key(k.deviceId, s)));
          for (let attempt = 1; !done(); attempt++) {
            if (attempt > 15) throw new Error(`device ${i} got no verdict for seqs ${m.seqs} after 15 sends`);
            if (attempt > 1) for (const s of m.seqs) resent.add(key(k.deviceId, s));
            // Listening before publishing: the verdict can beat the broker's PUBACK.
            const answered = new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 1500);
              waiters.set(k.deviceId, () => {
                if (!done()) return;
                clearTimeout(timer);
                resolve();
              });
            });
            await client.publishAsync(mqttUpTopic(k.deviceId), m.payload, { qos: 1 });
            await answered;
          }
        }
      }),
    );
    const elapsed = Date.now() - started;

    expect(refusals).toEqual([]);
    expect(victim).toBeDefined();
    expect(await victim!.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const rows = await storedRows(store);
    const storedKeys = rows.map((r) => key(r.device, r.seq));
    // Every envelope stored, each exactly once, with the bytes the device signed.
    const bySeq = (a: { device: string; seq: number }, b: { device: string; seq: number }) =>
      a.device.localeCompare(b.device) || a.seq - b.seq;
    expect(rows.length).toBe(3000);
    expect(new Set(storedKeys).size).toBe(3000);
    expect(rows.sort(bySeq)).toEqual(sent.sort(bySeq));
    // Acknowledged (an accepted verdict on /down) ⇒ stored.
    const acceptedKeys = [...verdicts].filter(([, v]) => v.includes('accepted')).map(([k]) => k);
    const stored = new Set(storedKeys);
    expect(acceptedKeys.filter((k) => !stored.has(k))).toEqual([]);
    // Every verdict is `accepted`, or SEQ_REPLAYED for a copy of an envelope already stored;
    // no seq is accepted twice.
    const others = [...verdicts.values()].flat().filter((v) => v !== 'accepted' && v !== 'SEQ_REPLAYED');
    expect(others).toEqual([]);
    expect([...verdicts].filter(([, v]) => v.filter((x) => x === 'accepted').length > 1)).toEqual([]);
    expect(elapsed).toBeLessThan(60_000);

    if (successor) await successor.ready;
    const survivors = [workers[0]!, workers[2]!, ...(successor ? [successor] : [])];
    for (const w of survivors) w.proc.kill('SIGTERM');
    for (const w of survivors) expect((await w.exited).code).toBe(0);
    return { verdicts, resent, successor, elapsed };
  }

  it('loses no acknowledged envelope and stores none twice when one of three workers is killed', {
    timeout: 120_000,
  }, async () => {
    // Clean sessions: Mosquitto drops what the dead worker held; the devices' re-sends recover it.
    const { verdicts, resent } = await killOneOfThree({ restart: false, sessionExpiry: 0 });
    expect(resent.size).toBeGreaterThan(0);
    // With one message in flight per device, a SEQ_REPLAYED can only answer a copy.
    const replayed = [...verdicts].filter(([, v]) => v.includes('SEQ_REPLAYED')).map(([k]) => k);
    expect(replayed.filter((k) => !resent.has(k))).toEqual([]);
  });

  it('redelivers what a killed worker had not acknowledged to its successor with the same client id', {
    timeout: 120_000,
  }, async () => {
    const { successor } = await killOneOfThree({ restart: true, sessionExpiry: 60 });
    expect(successor?.stats?.redelivered).toBeGreaterThan(0);
  });

  it('never acknowledges before the commit: a message held by a killed worker comes back to its successor', {
    timeout: 120_000,
  }, async () => {
    const { path, store, keys, dir } = await seededStore(1);
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const group = `gw-test-${run}-hold`;
    const clientId = `${group}-w1`;
    // This worker's ingest never finishes: the message is received, never committed.
    const holder = spawnWorker({ db: path, clientId, group, commitDelayMs: 3_600_000 });
    const successor = spawnWorker({ db: path, clientId, group, standby: true });
    await Promise.all([holder.ready, successor.standby]);
    const { client, onVerdict } = await connectDevices();
    cleanups.push(() => client.endAsync(true));
    const answers: MqttDownMessage[] = [];
    onVerdict((_device, m) => answers.push(m));
    const k = keys[0]!;
    await client.publishAsync(mqttUpTopic(k.deviceId), JSON.stringify(heartbeat(k, 1)), { qos: 1 });
    for (let i = 0; (holder.stats?.received ?? 0) < 1; i++) {
      if (i > 500) throw new Error('the holding worker never received the message');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(holder.stats).toMatchObject({ received: 1, acked: 0, inFlight: 1 });
    holder.proc.kill('SIGKILL');
    await holder.exited;

    // No re-send by the device: only the broker can bring the message back.
    successor.go();
    await successor.ready;
    for (let i = 0; answers.length < 1; i++) {
      if (i > 2000) throw new Error('no verdict after the successor started');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(answers).toEqual([{ results: [{ index: 0, status: 'accepted', seq: 1 }] }]);
    for (let i = 0; (successor.stats?.acked ?? 0) < 1; i++) {
      if (i > 500) throw new Error('the successor never acknowledged');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(successor.stats).toMatchObject({ received: 1, redelivered: 1, acked: 1, failed: 0 });
    expect((await storedRows(store)).map((r) => [r.device, r.seq])).toEqual([[k.deviceId, 1]]);
    successor.proc.kill('SIGTERM');
    expect((await successor.exited).code).toBe(0);
  });

  it('splits one stream between in-process workers of one group and answers every envelope', async () => {
    const { store, keys, dir } = await seededStore(10);
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const group = `gw-test-${run}-split`;
    const ingestor = new Ingestor({
      db: store.db,
      devices: await loadDirectory(store),
      modules: [uptime],
      params: () => new Map([['ingest.maxSkewMs', 600_000n]]),
      log: silentLog,
      metrics: newMetrics(),
    });
    const workers: MqttIngest[] = [];
    for (const i of [1, 2]) {
      const clientId = `${group}-w${i}`;
      clientIds.add(clientId);
      workers.push(
        await startMqttIngest({
          url: BROKER_URL,
          clientId,
          group,
          log: silentLog,
          sessionExpirySeconds: 0,
          ingestBatch: (e) => ingestor.ingestBatch(e),
        }),
      );
    }
    cleanups.push(async () => {
      for (const w of workers) await w.stop({ timeoutMs: 2000 });
    });
    const { client, onVerdict } = await connectDevices();
    cleanups.push(() => client.endAsync(true));
    const statuses: string[] = [];
    onVerdict((_d, m) => {
      if ('results' in m) for (const r of m.results) statuses.push(r.status);
    });
    // One device's envelopes go as one batch: the order within a device holds across workers.
    await Promise.all(
      keys.map((k) =>
        client.publishAsync(
          mqttUpTopic(k.deviceId),
          JSON.stringify({ envelopes: Array.from({ length: 20 }, (_, s) => heartbeat(k, s + 1)) }),
          { qos: 1 },
        ),
      ),
    );
    for (let i = 0; statuses.length < 200; i++) {
      if (i > 1000) throw new Error(`only ${statuses.length} verdicts of 200`);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(statuses).toEqual(new Array(200).fill('accepted'));
    const [a, b] = workers.map((w) => w.stats());
    expect(a!.received + b!.received).toBe(10);
    expect(a!.received).toBeGreaterThan(0);
    expect(b!.received).toBeGreaterThan(0);
    expect(a!.acked + b!.acked).toBe(10);
    expect((await storedRows(store)).length).toBe(200);
    for (const w of workers) await w.stop();
    expect(workers.map((w) => w.stats().inFlight)).toEqual([0, 0]);
  });

  it('holds at most maxInFlight unacknowledged messages and takes the rest as it acknowledges', async () => {
    const { store, keys, dir } = await seededStore(100);
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const ingestor = new Ingestor({
      db: store.db,
      devices: await loadDirectory(store),
      modules: [uptime],
      params: () => new Map([['ingest.maxSkewMs', 600_000n]]),
      log: silentLog,
      metrics: newMetrics(),
    });
    let open!: () => void;
    const held = new Promise<void>((r) => {
      open = r;
    });
    const clientId = `gw-test-${run}-flow`;
    clientIds.add(clientId);
    const worker = await startMqttIngest({
      url: BROKER_URL,
      clientId,
      group: clientId,
      log: silentLog,
      sessionExpirySeconds: 0,
      maxInFlight: 10,
      ingestBatch: async (e) => {
        await held;
        return ingestor.ingestBatch(e);
      },
    });
    cleanups.push(() => worker.stop({ timeoutMs: 2000 }));
    const { client, onVerdict } = await connectDevices();
    cleanups.push(() => client.endAsync(true));
    let answered = 0;
    onVerdict(() => answered++);
    await Promise.all(
      keys.map((k) =>
        client.publishAsync(mqttUpTopic(k.deviceId), JSON.stringify(heartbeat(k, 1)), { qos: 1 }),
      ),
    );
    for (let i = 0; worker.stats().received < 10; i++) {
      if (i > 500) throw new Error(`received only ${worker.stats().received}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // The broker keeps the other 90 (Receive Maximum 10): nothing more arrives while none is acknowledged.
    await new Promise((r) => setTimeout(r, 300));
    expect(worker.stats()).toMatchObject({ received: 10, inFlight: 10, acked: 0 });
    open();
    for (let i = 0; answered < 100; i++) {
      if (i > 1000) throw new Error(`only ${answered} verdicts of 100`);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(worker.stats()).toMatchObject({ received: 100, acked: 100, maxInFlightSeen: 10, failed: 0 });
    expect((await storedRows(store)).length).toBe(100);
  });

  it('acknowledges in arrival order: an instant refusal waits for the commit of an earlier message', async () => {
    const { store, keys, dir } = await seededStore(1);
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const ingestor = new Ingestor({
      db: store.db,
      devices: await loadDirectory(store),
      modules: [uptime],
      params: () => new Map([['ingest.maxSkewMs', 600_000n]]),
      log: silentLog,
      metrics: newMetrics(),
    });
    let open!: () => void;
    const held = new Promise<void>((r) => {
      open = r;
    });
    const clientId = `gw-test-${run}-order`;
    clientIds.add(clientId);
    const worker = await startMqttIngest({
      url: BROKER_URL,
      clientId,
      group: clientId,
      log: silentLog,
      sessionExpirySeconds: 0,
      ingestBatch: async (e) => {
        await held;
        return ingestor.ingestBatch(e);
      },
    });
    cleanups.push(() => worker.stop({ timeoutMs: 2000 }));
    const { client, onVerdict } = await connectDevices();
    cleanups.push(() => client.endAsync(true));
    const answers: MqttDownMessage[] = [];
    onVerdict((_d, m) => answers.push(m));
    const k = keys[0]!;
    await client.publishAsync(mqttUpTopic(k.deviceId), JSON.stringify(heartbeat(k, 1)), { qos: 1 });
    await client.publishAsync(mqttUpTopic(k.deviceId), 'not json', { qos: 1 });
    for (let i = 0; answers.length < 1; i++) {
      if (i > 500) throw new Error('no answer to the bad message');
      await new Promise((r) => setTimeout(r, 10));
    }
    // The second message is answered, but its PUBACK waits behind the first (MQTT §4.6).
    expect(answers).toEqual([{ error: { code: 'MALFORMED_JSON', message: 'payload is not UTF-8 JSON' } }]);
    expect(worker.stats()).toMatchObject({ received: 2, acked: 0, inFlight: 1 });
    open();
    for (let i = 0; worker.stats().acked < 2 || answers.length < 2; i++) {
      if (i > 500) throw new Error(`acked ${worker.stats().acked} of 2, ${answers.length} answers of 2`);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(answers[1]).toEqual({ results: [{ index: 0, status: 'accepted', seq: 1 }] });
  });

  it('fails to start with MQTT_UNREACHABLE when no broker answers', async () => {
    // A port that was free a moment ago: connection refused.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    await expect(
      startMqttIngest({
        url: `mqtt://127.0.0.1:${port}`,
        clientId: `gw-test-${run}-nobody`,
        log: silentLog,
        connectTimeoutMs: 500,
        reconnectMs: 100,
        ingestBatch: async () => [],
      }),
    ).rejects.toMatchObject({
      code: 'MQTT_UNREACHABLE',
      message: `could not connect to the MQTT broker at mqtt://127.0.0.1:${port} within 500 ms`,
    });
  });
});
