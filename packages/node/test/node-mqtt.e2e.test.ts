/**
 * A node pointed at an external broker (`mqtt.url`, as `MQTT_URL` sets it):
 * devices publish to Mosquitto, the node's worker takes their envelopes
 * through the shared subscription, stores them, and answers on each device's
 * down topic; the worker asks the broker for `mqtt.maxInFlight` messages at
 * most. The MqttIngest class has its own tests against the broker; this one
 * covers the node's wiring of it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import uptime from '@groundwork/module-uptime';
import { deviceKeyFromSeed, signEnvelope } from '@groundwork/protocol';
import mqtt from 'mqtt';
import pino from 'pino';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnvilHandle } from '../src/chain/anvil.ts';
import type { ChainClients } from '../src/chain/clients.ts';
import type { Deployment } from '../src/chain/deployment.ts';
import { DEV_KEYS, type Settings } from '../src/internal/settings.ts';
import { type NodeHandle, startNode } from '../src/node.ts';
import { registerOnChain, startTestNetwork } from './helpers.ts';

const BROKER_URL = process.env.GROUNDWORK_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const key = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(0x5a));
const up = `groundwork/v1/${key.deviceId}/up`;
const down = `groundwork/v1/${key.deviceId}/down`;

describe('a node with an external MQTT broker', () => {
  let anvil: AnvilHandle;
  let clients: ChainClients;
  let deployment: Deployment;
  let node: NodeHandle;
  const logLines: Record<string, unknown>[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-node-mqtt-'));
  // Of this run alone: the broker is shared with other tests and keeps sessions for a minute.
  const run = randomBytes(4).toString('hex');

  beforeAll(async () => {
    let settings: Settings;
    ({ anvil, clients, settings, deployment } = await startTestNetwork({
      settings: {
        dataDir,
        mqtt: { url: BROKER_URL, group: `node${run}`, clientId: `node-mqtt-${run}`, maxInFlight: 7 },
      },
      modules: [uptime],
    }));
    const hash = await registerOnChain(clients, deployment, key, {
      operatorKey: DEV_KEYS[5] as Hex,
      module: 'uptime',
    });
    await clients.publicClient.waitForTransactionReceipt({ hash });
    const log = pino(
      { level: 'info' },
      { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    node = await startNode({ settings, deployment, clients, log, modules: [uptime] });
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await anvil?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores what devices publish to the broker and answers each on its down topic', async () => {
    expect(node.mqttUrl).toBe(BROKER_URL);
    // The worker asked the broker for at most mqtt.maxInFlight messages, on the node's group.
    expect(logLines.find((l) => l.msg === 'mqtt connected')).toMatchObject({
      receive_maximum: 7,
      filter: `$share/node${run}/groundwork/v1/+/up`,
    });

    const device = await mqtt.connectAsync(BROKER_URL, { clientId: `device-${run}`, clean: true });
    try {
      const verdicts: { results: { index: number; status: string; seq?: number; reason?: string }[] }[] = [];
      device.on('message', (_topic, payload) => verdicts.push(JSON.parse(payload.toString())));
      await device.subscribeAsync(down, { qos: 1 });
      const now = Date.now();
      const envelope = (seq: number) =>
        signEnvelope(
          {
            v: 1,
            device: key.deviceId,
            seq,
            time: now,
            kind: 'uptime.heartbeat',
            body: { uptimeSeconds: seq },
          },
          key,
        );
      for (const seq of [1, 2, 3]) await device.publishAsync(up, JSON.stringify(envelope(seq)), { qos: 1 });
      // A forged signature and a replay: answered, not stored.
      const forged = { ...envelope(4), sig: `0x${'11'.repeat(64)}` };
      await device.publishAsync(up, JSON.stringify(forged), { qos: 1 });
      await device.publishAsync(up, JSON.stringify(envelope(2)), { qos: 1 });

      const deadline = Date.now() + 30_000;
      while (verdicts.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(verdicts.map((v) => v.results[0])).toEqual([
        { index: 0, status: 'accepted', seq: 1 },
        { index: 0, status: 'accepted', seq: 2 },
        { index: 0, status: 'accepted', seq: 3 },
        { index: 0, status: 'rejected', reason: 'BAD_SIGNATURE', seq: 4 },
        { index: 0, status: 'rejected', reason: 'SEQ_REPLAYED', seq: 2 },
      ]);
      const stored = await node.ctx.db
        .selectFrom('envelopes')
        .select(['seq'])
        .where('device_id', '=', key.deviceId)
        .orderBy('seq')
        .execute();
      expect(stored.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
    } finally {
      await device.endAsync();
    }
  }, 60_000);
});
