import { once } from 'node:events';
import { createConnection } from 'node:net';
import uptime from '@groundwork/module-uptime';
import {
  type DeviceKey,
  deviceKeyFromSeed,
  type Envelope,
  signEnvelope,
  type UnsignedEnvelope,
} from '@groundwork/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type EmbeddedBroker,
  filterMatchesUpTopics,
  startEmbeddedBroker,
  UP_IN_FLIGHT_MESSAGES,
} from '../src/ingest/broker.ts';
import { type EnvelopeVerdict, Ingestor } from '../src/ingest/ingest.ts';
import {
  deviceOfUpTopic,
  type IngestBatchFn,
  type MqttDownMessage,
  mqttDownTopic,
  mqttUpTopic,
  UpMessageHandler,
} from '../src/ingest/mqtt.ts';
import { OverloadedError } from '../src/internal/errors.ts';
import type { Store } from '../src/store/db.ts';
import { freshStore, loadDirectory, newMetrics, seedDevice, silentLog } from './helpers.ts';

const NOW = 1_767_225_600_000;
const alice = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(11));
const bob = deviceKeyFromSeed('p256', new Uint8Array(32).fill(12));
const stranger = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(13));
const params = new Map<string, bigint>([['ingest.maxSkewMs', 60_000n]]);

function heartbeat(k: DeviceKey, seq: number, over: Partial<UnsignedEnvelope> = {}): Envelope {
  return signEnvelope(
    {
      v: 1,
      device: k.deviceId,
      seq,
      time: NOW,
      kind: 'uptime.heartbeat',
      body: { uptimeSeconds: seq },
      ...over,
    },
    k,
  );
}

/** Polls `check` every 10 ms until it holds; fails with `what` after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A promise with its resolve function: a gate a test opens when it wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

interface Device {
  client: MqttClient;
  /** Messages received on /down topics, in order. */
  downs: { topic: string; message: MqttDownMessage }[];
}

describe('embedded MQTT broker', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let ingestor: Ingestor;
  let broker: EmbeddedBroker | undefined;
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    const f = await freshStore();
    store = f.store;
    cleanup = f.cleanup;
    for (const k of [alice, bob]) await seedDevice(store, k);
    ingestor = new Ingestor({
      db: store.db,
      devices: await loadDirectory(store),
      modules: [uptime],
      params: () => params,
      log: silentLog,
      metrics: newMetrics(),
      now: () => NOW,
    });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await broker?.close();
    broker = undefined;
    await cleanup();
  });

  async function start(
    o: { ingestBatch?: IngestBatchFn; maxPacketBytes?: number; maxPayloadBytes?: number } = {},
  ): Promise<EmbeddedBroker> {
    broker = await startEmbeddedBroker({
      port: 0,
      ingestBatch: o.ingestBatch ?? ((e) => ingestor.ingestBatch(e)),
      log: silentLog,
      metrics: newMetrics(),
      ...(o.maxPacketBytes ? { maxPacketBytes: o.maxPacketBytes } : {}),
      ...(o.maxPayloadBytes ? { maxPayloadBytes: o.maxPayloadBytes } : {}),
    });
    return broker;
  }

  /** A device connection (MQTT 3.1.1, as aedes speaks) subscribed to its /down topics. */
  async function device(
    url: string,
    keys: DeviceKey[],
    o: {
      reconnectPeriod?: number;
      clientId?: string;
      clean?: boolean;
      keepalive?: number;
      qos?: 0 | 1;
    } = {},
  ): Promise<Device> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: o.reconnectPeriod ?? 0,
      connectTimeout: 5000,
      ...(o.clientId ? { clientId: o.clientId } : {}),
      ...(o.clean !== undefined ? { clean: o.clean } : {}),
      ...(o.keepalive !== undefined ? { keepalive: o.keepalive } : {}),
    });
    clients.push(client);
    const downs: Device['downs'] = [];
    client.on('message', (topic, payload) => downs.push({ topic, message: JSON.parse(payload.toString()) }));
    await client.subscribeAsync(
      keys.map((k) => mqttDownTopic(k.deviceId)),
      { qos: o.qos ?? 1 },
    );
    return { client, downs };
  }

  const stored = async () =>
    (await store.db.selectFrom('envelopes').select(['device_id', 'seq']).orderBy('id').execute()).map((r) => [
      r.device_id,
      Number(r.seq),
    ]);

  it('acknowledges a QoS 1 publish only after ingest has committed it, then answers on /down', async () => {
    const hold = gate();
    const events: string[] = [];
    const { url } = await start({
      ingestBatch: async (inputs) => {
        events.push(`ingest ${inputs.length}`);
        await hold.promise;
        const verdicts = await ingestor.ingestBatch(inputs);
        events.push('committed');
        return verdicts;
      },
    });
    const dev = await device(url, [alice]);
    // In wire order: the broker writes each commit's PUBACKs and verdicts
    // together, one TCP segment may carry both, and mqtt.js then emits the
    // message before it settles the publish promise.
    dev.client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback') events.push('puback');
      if (packet.cmd === 'publish') events.push('verdict');
    });
    const acked = dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(alice, 1)), {
      qos: 1,
    });

    await until('the ingest call', () => events.length > 0);
    // Ingest is held: a PUBACK now would acknowledge an envelope not stored.
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual(['ingest 1']);
    expect(await stored()).toEqual([]);

    hold.open();
    await acked;
    await until('the verdict', () => dev.downs.length === 1);
    expect(events).toEqual(['ingest 1', 'committed', 'puback', 'verdict']);
    expect(await stored()).toEqual([[alice.deviceId, 1]]);
    expect(dev.downs).toEqual([
      {
        topic: mqttDownTopic(alice.deviceId),
        message: { results: [{ index: 0, status: 'accepted', seq: 1 }] },
      },
    ]);
  });

  it('acknowledges QoS 1 publishes in the order they came, a refusal after an envelope still committing too', async () => {
    const hold = gate();
    let calls = 0;
    const { url } = await start({
      ingestBatch: async (inputs) => {
        calls++;
        await hold.promise;
        return ingestor.ingestBatch(inputs);
      },
    });
    const dev = await device(url, [alice]);
    const pubacks: number[] = [];
    dev.client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback') pubacks.push(packet.messageId!);
    });
    const first = dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(alice, 1)), {
      qos: 1,
    });
    await until('the ingest call', () => calls === 1);
    // A later read holding only a refusal, which needs no commit: its PUBACK waits for the first's.
    const second = dev.client.publishAsync(mqttUpTopic(alice.deviceId), 'not json {', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(pubacks).toEqual([]);
    hold.open();
    const [a, b] = await Promise.all([first, second]);
    expect(pubacks).toEqual([a!.messageId, b!.messageId]);
    expect(a!.messageId).toBeLessThan(b!.messageId!);
    await until('two answers', () => dev.downs.length === 2);
    expect(dev.downs.map((d) => d.message)).toEqual([
      { results: [{ index: 0, status: 'accepted', seq: 1 }] },
      { error: { code: 'MALFORMED_JSON', message: 'payload is not UTF-8 JSON' } },
    ]);
  });

  it('answers a payload that is not JSON with MALFORMED_JSON, acknowledges it, and keeps serving', async () => {
    const { url } = await start();
    const dev = await device(url, [alice]);
    await dev.client.publishAsync(mqttUpTopic(alice.deviceId), 'not json {', { qos: 1 });
    await dev.client.publishAsync(mqttUpTopic(alice.deviceId), Buffer.from([0x7b, 0xff, 0x7d]), { qos: 1 });
    await dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(alice, 1)), {
      qos: 1,
    });
    await until('three answers', () => dev.downs.length === 3);
    expect(dev.downs.map((d) => d.message)).toEqual([
      { error: { code: 'MALFORMED_JSON', message: 'payload is not UTF-8 JSON' } },
      { error: { code: 'MALFORMED_JSON', message: 'payload is not UTF-8 JSON' } },
      { results: [{ index: 0, status: 'accepted', seq: 1 }] },
    ]);
    expect(await stored()).toEqual([[alice.deviceId, 1]]);
  });

  it("rejects an envelope published on another device's topic as MALFORMED and stores nothing", async () => {
    const { url } = await start();
    const dev = await device(url, [alice, bob]);
    // Bob's envelope, correctly signed, on Alice's topic.
    await dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(bob, 4)), { qos: 1 });
    await until('the verdict', () => dev.downs.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(dev.downs).toEqual([
      {
        topic: mqttDownTopic(alice.deviceId),
        message: { results: [{ index: 0, status: 'rejected', reason: 'MALFORMED', seq: 4 }] },
      },
    ]);
    expect(await stored()).toEqual([]);
  });

  it('ingests a batch and answers every envelope in order, rejected ones with their seq', async () => {
    const { url } = await start();
    const dev = await device(url, [alice]);
    const forged = { ...heartbeat(stranger, 3), device: alice.deviceId };
    const batch = {
      envelopes: [
        heartbeat(alice, 1),
        heartbeat(alice, 2),
        heartbeat(alice, 2),
        forged,
        heartbeat(bob, 1),
        'x',
        heartbeat(alice, 5, { time: NOW + 3_600_000 }),
        heartbeat(alice, 6),
      ],
    };
    await dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(batch), { qos: 1 });
    await until('the verdicts', () => dev.downs.length === 1);
    expect(dev.downs[0]!.message).toEqual({
      results: [
        { index: 0, status: 'accepted', seq: 1 },
        { index: 1, status: 'accepted', seq: 2 },
        { index: 2, status: 'rejected', reason: 'SEQ_REPLAYED', seq: 2 },
        { index: 3, status: 'rejected', reason: 'BAD_SIGNATURE', seq: 3 },
        { index: 4, status: 'rejected', reason: 'MALFORMED', seq: 1 },
        { index: 5, status: 'rejected', reason: 'MALFORMED' },
        { index: 6, status: 'rejected', reason: 'CLOCK_SKEW', seq: 5 },
        { index: 7, status: 'accepted', seq: 6 },
      ],
    });
    expect(await stored()).toEqual([
      [alice.deviceId, 1],
      [alice.deviceId, 2],
      [alice.deviceId, 6],
    ]);
  });

  it('refuses an empty batch and one over 1000 envelopes as a whole', async () => {
    const { url } = await start();
    const dev = await device(url, [alice]);
    const env = heartbeat(alice, 1);
    await dev.client.publishAsync(mqttUpTopic(alice.deviceId), '{"envelopes":[]}', { qos: 1 });
    await dev.client.publishAsync(
      mqttUpTopic(alice.deviceId),
      JSON.stringify({ envelopes: new Array(1001).fill(env) }),
      { qos: 1 },
    );
    await until('two answers', () => dev.downs.length === 2);
    expect(dev.downs.map((d) => d.message)).toEqual([
      { error: { code: 'BAD_REQUEST', message: 'envelopes must be an array of at least one envelope' } },
      { error: { code: 'BATCH_TOO_LARGE', message: 'at most 1000 envelopes per message' } },
    ]);
    expect(await stored()).toEqual([]);
  });

  it('group-commits concurrent publishes of many devices into fewer ingest calls', async () => {
    const keys = Array.from({ length: 20 }, (_, i) =>
      deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(100 + i)),
    );
    for (const k of keys) await seedDevice(store, k);
    ingestor = new Ingestor({
      db: store.db,
      devices: await loadDirectory(store),
      modules: [uptime],
      params: () => params,
      log: silentLog,
      metrics: newMetrics(),
      now: () => NOW,
    });
    const sizes: number[] = [];
    const b = await start({
      ingestBatch: (inputs) => {
        sizes.push(inputs.length);
        return ingestor.ingestBatch(inputs);
      },
    });
    const devs = await Promise.all(keys.map((k) => device(b.url, [k])));
    await Promise.all(
      devs.flatMap((d, i) =>
        [1, 2, 3, 4, 5].map((seq) =>
          d.client.publishAsync(mqttUpTopic(keys[i]!.deviceId), JSON.stringify(heartbeat(keys[i]!, seq)), {
            qos: 1,
          }),
        ),
      ),
    );
    await until('100 verdicts', () => devs.every((d) => d.downs.length === 5));
    const statuses = devs.flatMap((d) =>
      d.downs.map((x) => ('results' in x.message ? x.message.results[0]!.status : 'error')),
    );
    expect(statuses).toEqual(new Array(100).fill('accepted'));
    expect(sizes.reduce((a, n) => a + n, 0)).toBe(100);
    expect(sizes.length).toBeLessThan(100);
    expect(b.batches).toBe(sizes.length);
    expect((await stored()).length).toBe(100);
  });

  it('stops reading a flooding client while its messages wait for ingest, then answers them all', async () => {
    const hold = gate();
    let entered = 0;
    const b = await start({
      ingestBatch: async (inputs) => {
        entered += inputs.length;
        await hold.promise;
        return ingestor.ingestBatch(inputs);
      },
    });
    const dev = await device(b.url, [alice]);
    const topic = mqttUpTopic(alice.deviceId);
    const payloads = Array.from({ length: 3000 }, (_, i) => JSON.stringify(heartbeat(alice, i + 1)));
    const acks = payloads.map((p) => dev.client.publishAsync(topic, p, { qos: 1 }));

    await until('the first ingest call', () => entered > 0);
    await new Promise((r) => setTimeout(r, 400));
    const held = b.pending;
    await new Promise((r) => setTimeout(r, 400));
    // The connection stops reading once UP_IN_FLIGHT_MESSAGES are held; the
    // socket read that crossed the line (at most 64 KiB) is taken whole.
    const packetBytes = 2 + 2 + topic.length + 2 + Math.min(...payloads.map((p) => p.length));
    expect(held).toBeGreaterThanOrEqual(UP_IN_FLIGHT_MESSAGES);
    expect(held).toBeLessThanOrEqual(UP_IN_FLIGHT_MESSAGES + Math.ceil((64 * 1024) / packetBytes));
    expect(b.pending).toBe(held);

    hold.open();
    await Promise.all(acks);
    await until('3000 verdicts', () => dev.downs.length === 3000, 30_000);
    expect(
      dev.downs.every((d) => 'results' in d.message && d.message.results[0]!.status === 'accepted'),
    ).toBe(true);
    expect((await stored()).length).toBe(3000);
    expect(b.pending).toBe(0);
  });

  it('does not acknowledge when ingest fails: the client is disconnected, re-sends, and the envelope is stored once', async () => {
    let failures = 1;
    const b = await start({
      ingestBatch: async (inputs) => {
        if (failures-- > 0) throw new Error('disk full');
        return ingestor.ingestBatch(inputs);
      },
    });
    const dev = await device(b.url, [alice], { reconnectPeriod: 50 });
    let closes = 0;
    dev.client.on('close', () => closes++);
    // mqtt.js keeps the unacknowledged QoS 1 publish and sends it again on reconnect.
    await dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(alice, 1)), {
      qos: 1,
    });
    // The re-subscription to /down may land after the verdict; the store is the proof.
    expect(closes).toBe(1);
    expect(await stored()).toEqual([[alice.deviceId, 1]]);
  });

  it('delivers envelopes to no subscriber: filters matching up topics are refused, /down is allowed', async () => {
    const { url } = await start();
    const spy = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(spy);
    const seen: string[] = [];
    spy.on('message', (topic) => seen.push(topic));
    // mqtt.js fails the whole SUBSCRIBE when one filter is refused; the SUBACK rides on the error.
    const suback = await spy
      .subscribeAsync(
        [
          '#',
          'groundwork/#',
          'groundwork/v1/+/up',
          `groundwork/v1/${alice.deviceId}/+`,
          'groundwork/v1/+/down',
        ],
        { qos: 1 },
      )
      .then(
        () => undefined,
        (err: { packet?: { granted?: number[] } }) => err.packet?.granted,
      );
    expect(suback).toEqual([128, 128, 128, 128, 1]);
    const dev = await device(url, [alice]);
    await dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(alice, 1)), {
      qos: 1,
    });
    await until('the verdict', () => dev.downs.length === 1 && seen.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([mqttDownTopic(alice.deviceId)]);
  });

  it('disconnects a client that publishes to a /down topic', async () => {
    const { url } = await start();
    const forger = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(forger);
    const closed = new Promise<void>((r) => forger.once('close', () => r()));
    forger.publish(mqttDownTopic(alice.deviceId), '{"results":[]}', { qos: 1 });
    await closed;
    const dev = await device(url, [alice]);
    await dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(alice, 1)), {
      qos: 1,
    });
    await until('the verdict', () => dev.downs.length === 1);
    expect(dev.downs.map((d) => d.message)).toEqual([
      { results: [{ index: 0, status: 'accepted', seq: 1 }] },
    ]);
  });

  it('answers a payload over the payload limit with PAYLOAD_TOO_LARGE and cuts a packet over the packet limit', async () => {
    const { url } = await start({ maxPayloadBytes: 1500, maxPacketBytes: 2048 });
    const big = await device(url, [alice]);
    await big.client.publishAsync(mqttUpTopic(alice.deviceId), 'x'.repeat(1600), { qos: 1 });
    await until('the refusal', () => big.downs.length === 1);
    expect(big.downs[0]!.message).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: 'payload is larger than 1500 bytes' },
    });
    const closed = new Promise<void>((r) => big.client.once('close', () => r()));
    big.client.publish(mqttUpTopic(alice.deviceId), 'x'.repeat(3000), { qos: 1 });
    await closed;
    // The broker keeps serving everyone else.
    const dev = await device(url, [bob]);
    await dev.client.publishAsync(mqttUpTopic(bob.deviceId), JSON.stringify(heartbeat(bob, 1)), { qos: 1 });
    await until('the verdict', () => dev.downs.length === 1);
    expect(dev.downs[0]!.message).toEqual({ results: [{ index: 0, status: 'accepted', seq: 1 }] });
  });

  it('writes verdicts straight to clean-session subscribers, at their QoS, and takes their PUBACKs', async () => {
    const b = await start();
    const dev = await device(b.url, [alice]);
    const sub0 = await device(b.url, [bob], { qos: 0 });
    const received: { cmd: string; qos?: number }[] = [];
    dev.client.on('packetreceive', (p) =>
      received.push({ cmd: p.cmd, ...('qos' in p ? { qos: p.qos } : {}) }),
    );
    sub0.client.on('packetreceive', (p) =>
      received.push({ cmd: p.cmd, ...('qos' in p ? { qos: p.qos } : {}) }),
    );
    for (let seq = 1; seq <= 3; seq++)
      await dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(alice, seq)), {
        qos: 1,
      });
    // Bob's verdict goes to the other connection, which subscribed at QoS 0.
    await dev.client.publishAsync(mqttUpTopic(bob.deviceId), JSON.stringify(heartbeat(bob, 1)), { qos: 1 });
    await until('4 verdicts', () => dev.downs.length === 3 && sub0.downs.length === 1);
    expect(dev.downs.map((d) => d.message)).toEqual(
      [1, 2, 3].map((seq) => ({ results: [{ index: 0, status: 'accepted', seq }] })),
    );
    expect(sub0.downs).toEqual([
      {
        topic: mqttDownTopic(bob.deviceId),
        message: { results: [{ index: 0, status: 'accepted', seq: 1 }] },
      },
    ]);
    expect(b.verdictsDirect).toBe(4);
    expect(received.filter((p) => p.cmd === 'publish')).toEqual([
      { cmd: 'publish', qos: 1 },
      { cmd: 'publish', qos: 1 },
      { cmd: 'publish', qos: 1 },
      { cmd: 'publish', qos: 0 },
    ]);
    // mqtt.js acknowledged each QoS 1 verdict; aedes, which never sent them, saw none of
    // those PUBACKs, and the connection still works through aedes (a subscription).
    await dev.client.subscribeAsync('other/topic', { qos: 1 });
    expect(dev.client.connected).toBe(true);
  });

  it('keeps a client whose every packet takes the direct paths alive past its keep-alive', async () => {
    const b = await start();
    const dev = await device(b.url, [alice], { keepalive: 1 });
    let closed = false;
    dev.client.on('close', () => {
      closed = true;
    });
    // aedes disconnects a client silent for 1.5 × keep-alive; mqtt.js sends no PINGREQ
    // while it is publishing. 3 s of publishes every 200 ms.
    for (let seq = 1; seq <= 15 && !closed; seq++) {
      await dev.client.publishAsync(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(alice, seq)), {
        qos: 1,
      });
      await new Promise((r) => setTimeout(r, 200));
    }
    await until('15 verdicts', () => dev.downs.length === 15);
    expect(closed).toBe(false);
    expect(b.verdictsDirect).toBe(15);
  });

  it('publishes through aedes while a wildcard subscriber or a persistent session could want the verdict', async () => {
    const b = await start();
    const dev = await device(b.url, [alice]);
    const publish = (k: DeviceKey, seq: number) =>
      dev.client.publishAsync(mqttUpTopic(k.deviceId), JSON.stringify(heartbeat(k, seq)), { qos: 1 });
    const monitor = await mqtt.connectAsync(b.url, { protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(monitor);
    const seen: string[] = [];
    monitor.on('message', (topic) => seen.push(topic));
    await monitor.subscribeAsync('groundwork/v1/+/down', { qos: 1 });
    await publish(alice, 1);
    await until('both copies', () => dev.downs.length === 1 && seen.length === 1);
    expect(b.verdictsDirect).toBe(0);
    await monitor.unsubscribeAsync('groundwork/v1/+/down');
    await publish(alice, 2);
    await until('the second verdict', () => dev.downs.length === 2);
    expect(b.verdictsDirect).toBe(1);
    expect(seen).toEqual([mqttDownTopic(alice.deviceId)]);

    // Bob keeps a persistent session and goes away: aedes queues his verdict for him.
    const away = await device(b.url, [bob], { clientId: 'bob-persistent', clean: false });
    await away.client.endAsync();
    await until('bob gone', () => !away.client.connected);
    await new Promise((r) => setTimeout(r, 100));
    await publish(bob, 1);
    await until('the commit', async () => (await stored()).length === 3);
    // The queued verdict follows the CONNACK at once: listen before connecting.
    const back = mqtt.connect(b.url, {
      protocolVersion: 4,
      clientId: 'bob-persistent',
      clean: false,
      reconnectPeriod: 0,
    });
    clients.push(back);
    const queued: string[] = [];
    back.on('message', (topic, payload) => queued.push(`${topic} ${payload}`));
    await until("bob's queued verdict", () => queued.length === 1);
    expect(queued).toEqual([
      `${mqttDownTopic(bob.deviceId)} {"results":[{"index":0,"status":"accepted","seq":1}]}`,
    ]);
    expect(b.verdictsDirect).toBe(1);
  });

  it('takes packets split across reads and a publish sent before the CONNACK', async () => {
    const b = await start();
    const socket = createConnection({ host: '127.0.0.1', port: b.port });
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const str = (t: string) => Buffer.concat([Buffer.from([0, t.length]), Buffer.from(t)]);
    const frame = (first: number, body: Buffer) => {
      const length: number[] = [];
      let n = body.length;
      do {
        length.push((n % 128) | (n >= 128 ? 0x80 : 0));
        n = Math.floor(n / 128);
      } while (n > 0);
      return Buffer.concat([Buffer.from([first, ...length]), body]);
    };
    const connect = frame(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 2, 0, 0]), str('raw-device')]));
    const subscribe = frame(
      0x82,
      Buffer.concat([Buffer.from([0, 1]), str(mqttDownTopic(alice.deviceId)), Buffer.from([1])]),
    );
    const publish = (seq: number, id: number) =>
      frame(
        0x32,
        Buffer.concat([
          str(mqttUpTopic(alice.deviceId)),
          Buffer.from([0, id]),
          Buffer.from(JSON.stringify(heartbeat(alice, seq))),
        ]),
      );
    // CONNECT, SUBSCRIBE and a PUBLISH in one write, before any CONNACK: aedes takes the publish.
    socket.write(Buffer.concat([connect, subscribe, publish(1, 7)]));
    await until('the first verdict', () => Buffer.concat(chunks).includes('"seq":1'));
    // Then a publish one byte per write, and two in one write split mid-header.
    for (const byte of publish(2, 8)) {
      socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    const two = Buffer.concat([publish(3, 9), publish(4, 10)]);
    socket.write(two.subarray(0, two.length - publish(4, 10).length + 1));
    await new Promise((r) => setTimeout(r, 20));
    socket.write(two.subarray(two.length - publish(4, 10).length + 1));
    await until('4 commits', async () => (await stored()).length === 4);
    await until(
      '3 more verdicts',
      () =>
        (
          Buffer.concat(chunks)
            .toString('latin1')
            .match(/"seq":/g) ?? []
        ).length === 4,
    );
    const received = Buffer.concat(chunks);
    // A PUBACK (0x40 0x02 + id) for each packet id, 7 to 10.
    for (const id of [7, 8, 9, 10]) expect(received.includes(Buffer.from([0x40, 2, 0, id]))).toBe(true);
    expect(await stored()).toEqual([1, 2, 3, 4].map((seq) => [alice.deviceId, seq]));
    expect(b.verdictsDirect).toBe(4);
    socket.destroy();
  });

  it('answers a QoS 0 publish on /down too', async () => {
    const { url } = await start();
    const dev = await device(url, [alice]);
    dev.client.publish(mqttUpTopic(alice.deviceId), JSON.stringify(heartbeat(alice, 9)), { qos: 0 });
    await until('the verdict', () => dev.downs.length === 1);
    expect(dev.downs[0]!.message).toEqual({ results: [{ index: 0, status: 'accepted', seq: 9 }] });
  });
});

describe('UpMessageHandler', () => {
  it('holds messages while ingest is OVERLOADED and answers once it takes them', async () => {
    let refusals = 2;
    const calls: number[] = [];
    const handler = new UpMessageHandler({
      log: silentLog,
      maxWaitMs: 0,
      ingestBatch: async (inputs): Promise<EnvelopeVerdict[]> => {
        calls.push(inputs.length);
        if (refusals-- > 0) throw new OverloadedError('full');
        return inputs.map((_, index) => ({ index, status: 'accepted', seq: 7 }));
      },
    });
    const reply = await handler.handle(
      mqttUpTopic(alice.deviceId),
      Buffer.from(JSON.stringify(heartbeat(alice, 7))),
    );
    expect(calls).toEqual([1, 1, 1]);
    expect(reply?.message).toEqual({ results: [{ index: 0, status: 'accepted', seq: 7 }] });
    expect(handler.pending).toBe(0);
  });

  it('rejects (so nothing is acknowledged) when ingest fails', async () => {
    const handler = new UpMessageHandler({
      log: silentLog,
      ingestBatch: async () => {
        throw new Error('connection refused');
      },
    });
    await expect(
      handler.handle(mqttUpTopic(alice.deviceId), Buffer.from(JSON.stringify(heartbeat(alice, 1)))),
    ).rejects.toThrow('connection refused');
  });

  it('answers a single envelope that ingest rejects with its reason and seq', async () => {
    const handler = new UpMessageHandler({
      log: silentLog,
      maxWaitMs: 0,
      ingestBatch: async (inputs) =>
        inputs.map((_, index) => ({ index, status: 'rejected', reason: 'SEQ_REPLAYED' })),
    });
    const reply = await handler.handle(
      mqttUpTopic(alice.deviceId),
      Buffer.from(JSON.stringify(heartbeat(alice, 3))),
    );
    expect(reply).toEqual({
      topic: mqttDownTopic(alice.deviceId),
      payload: '{"results":[{"index":0,"status":"rejected","reason":"SEQ_REPLAYED","seq":3}]}',
      message: { results: [{ index: 0, status: 'rejected', reason: 'SEQ_REPLAYED', seq: 3 }] },
    });
  });

  it('splits one ingest call back into the verdicts of each message', async () => {
    const handler = new UpMessageHandler({
      log: silentLog,
      maxWaitMs: 20,
      ingestBatch: async (inputs) =>
        inputs.map((e, index) => ({ index, status: 'accepted', seq: (e as Envelope).seq })),
    });
    const [a, b] = await Promise.all([
      handler.handle(
        mqttUpTopic(alice.deviceId),
        Buffer.from(JSON.stringify({ envelopes: [heartbeat(alice, 1), heartbeat(alice, 2)] })),
      ),
      handler.handle(mqttUpTopic(bob.deviceId), Buffer.from(JSON.stringify(heartbeat(bob, 5)))),
    ]);
    expect(handler.batches).toBe(1);
    expect(a?.message).toEqual({
      results: [
        { index: 0, status: 'accepted', seq: 1 },
        { index: 1, status: 'accepted', seq: 2 },
      ],
    });
    expect(b).toEqual({
      topic: mqttDownTopic(bob.deviceId),
      payload: '{"results":[{"index":0,"status":"accepted","seq":5}]}',
      message: { results: [{ index: 0, status: 'accepted', seq: 5 }] },
    });
  });

  it('answers several messages handed over at once from one ingest job, in message order', async () => {
    const calls: number[][] = [];
    const handler = new UpMessageHandler({
      log: silentLog,
      ingestBatch: async (inputs) => {
        calls.push(inputs.map((e) => (e as Envelope).seq));
        return inputs.map((e, index) =>
          (e as Envelope).seq === 3
            ? { index, status: 'rejected', reason: 'SEQ_REPLAYED' }
            : { index, status: 'accepted', seq: (e as Envelope).seq },
        );
      },
    });
    const msg = (device: string, body: unknown) => ({
      device,
      payload: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    });
    const replies = await handler.handleMany([
      msg(alice.deviceId, heartbeat(alice, 1)),
      msg(alice.deviceId, heartbeat(bob, 9)),
      msg(alice.deviceId, 'not json {'),
      msg(alice.deviceId, { envelopes: [heartbeat(alice, 2), heartbeat(bob, 8), heartbeat(alice, 3)] }),
      msg(bob.deviceId, heartbeat(bob, 5)),
    ]);
    // One call: the envelopes of the topic's device, in message order; the others never reach ingest.
    expect(calls).toEqual([[1, 2, 3, 5]]);
    expect(replies.map((r) => [r.topic, r.message])).toEqual([
      [mqttDownTopic(alice.deviceId), { results: [{ index: 0, status: 'accepted', seq: 1 }] }],
      [
        mqttDownTopic(alice.deviceId),
        { results: [{ index: 0, status: 'rejected', reason: 'MALFORMED', seq: 9 }] },
      ],
      [
        mqttDownTopic(alice.deviceId),
        { error: { code: 'MALFORMED_JSON', message: 'payload is not UTF-8 JSON' } },
      ],
      [
        mqttDownTopic(alice.deviceId),
        {
          results: [
            { index: 0, status: 'accepted', seq: 2 },
            { index: 1, status: 'rejected', reason: 'MALFORMED', seq: 8 },
            { index: 2, status: 'rejected', reason: 'SEQ_REPLAYED', seq: 3 },
          ],
        },
      ],
      [mqttDownTopic(bob.deviceId), { results: [{ index: 0, status: 'accepted', seq: 5 }] }],
    ]);
    // Every payload is what its message says, as JSON text.
    for (const r of replies) expect(JSON.parse(r.payload)).toEqual(r.message);
  });

  it('starts the next ingest call while the previous one is still running, and answers each message from its own call', async () => {
    const held = gate();
    const calls: number[][] = [];
    const handler = new UpMessageHandler({
      log: silentLog,
      maxWaitMs: 0,
      ingestBatch: async (inputs) => {
        calls.push(inputs.map((e) => (e as Envelope).seq));
        await held.promise;
        return inputs.map((e, index) => ({ index, status: 'accepted', seq: (e as Envelope).seq }));
      },
    });
    const send = (seq: number) =>
      handler.handle(mqttUpTopic(alice.deviceId), Buffer.from(JSON.stringify(heartbeat(alice, seq))));
    const first = send(1);
    await until('the first call', () => calls.length === 1);
    const second = send(2);
    await until('the second call, the first still running', () => calls.length === 2);
    const third = send(3);
    await until('the third call, two still running', () => calls.length === 3);
    const fourth = send(4);
    await until('the fourth call, three still running', () => calls.length === 4);
    // Four calls are running (the default): the fifth message waits for one of them.
    const fifth = send(5);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([[1], [2], [3], [4]]);
    held.open();
    for (const [i, reply] of [first, second, third, fourth, fifth].entries())
      expect((await reply)?.message).toEqual({ results: [{ index: 0, status: 'accepted', seq: i + 1 }] });
    expect(calls).toEqual([[1], [2], [3], [4], [5]]);
  });

  it('makes one ingest call at a time with maxConcurrentBatches 1', async () => {
    const held = gate();
    const calls: number[] = [];
    const handler = new UpMessageHandler({
      log: silentLog,
      maxWaitMs: 0,
      maxConcurrentBatches: 1,
      ingestBatch: async (inputs) => {
        calls.push(inputs.length);
        if (calls.length === 1) await held.promise;
        return inputs.map((e, index) => ({ index, status: 'accepted', seq: (e as Envelope).seq }));
      },
    });
    const send = (seq: number) =>
      handler.handle(mqttUpTopic(alice.deviceId), Buffer.from(JSON.stringify(heartbeat(alice, seq))));
    const first = send(1);
    await until('the first call', () => calls.length === 1);
    const rest = [send(2), send(3)];
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([1]);
    held.open();
    await Promise.all([first, ...rest]);
    // The two that waited went together.
    expect(calls).toEqual([1, 2]);
  });

  it('starts no later ingest call while an earlier one waits on OVERLOADED', async () => {
    let refusals = 2;
    const calls: number[] = [];
    const handler = new UpMessageHandler({
      log: silentLog,
      maxWaitMs: 0,
      ingestBatch: async (inputs): Promise<EnvelopeVerdict[]> => {
        const seq = (inputs[0] as Envelope).seq;
        calls.push(seq);
        if (seq === 1 && refusals-- > 0) throw new OverloadedError('full');
        return inputs.map((e, index) => ({ index, status: 'accepted', seq: (e as Envelope).seq }));
      },
    });
    const send = (seq: number) =>
      handler.handle(mqttUpTopic(alice.deviceId), Buffer.from(JSON.stringify(heartbeat(alice, seq))));
    const first = send(1);
    await until('the first refusal', () => calls.length === 1);
    const second = send(2);
    await Promise.all([first, second]);
    expect(calls).toEqual([1, 1, 1, 2]);
  });

  it('ignores topics that are not up topics', async () => {
    const handler = new UpMessageHandler({ log: silentLog, ingestBatch: async () => [] });
    expect(await handler.handle('groundwork/v1/x/down', Buffer.from('{}'))).toBe(undefined);
  });
});

describe('MQTT topics', () => {
  it('reads the device of an up topic and nothing else', () => {
    expect(deviceOfUpTopic(`groundwork/v1/${alice.deviceId}/up`)).toBe(alice.deviceId);
    expect(deviceOfUpTopic('groundwork/v1//up')).toBe(undefined);
    expect(deviceOfUpTopic('groundwork/v1/a/b/up')).toBe(undefined);
    expect(deviceOfUpTopic('groundwork/v1/a/down')).toBe(undefined);
    expect(deviceOfUpTopic('groundwork/v2/a/up')).toBe(undefined);
  });

  it('knows which subscription filters would match an up topic', () => {
    const cases: [string, boolean][] = [
      ['#', true],
      ['groundwork/#', true],
      ['groundwork/v1/#', true],
      ['groundwork/v1/+/up', true],
      ['groundwork/v1/+/+', true],
      ['+/+/+/+', true],
      [`groundwork/v1/${alice.deviceId}/up`, true],
      ['groundwork/v1/+/up/#', true],
      ['groundwork/v1/+/down', false],
      ['groundwork/v1/+', false],
      ['groundwork/v1/+/up/x', false],
      ['groundwork/v2/#', false],
      ['groundwork/v1//up', false],
      ['other/#', false],
    ];
    expect(cases.map(([f]) => [f, filterMatchesUpTopics(f)])).toEqual(cases);
  });
});
