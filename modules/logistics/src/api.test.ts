import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceRegistryAbi } from '@groundwork/abi';
import {
  type AnvilHandle,
  type ChainClients,
  createLogger,
  DEV_KEYS,
  type Deployment,
  moduleToBytes32,
  type NodeHandle,
  type Settings,
  startNode,
} from '@groundwork/node';
import {
  canonicalize,
  type DeviceKey,
  deviceKeyFromSeed,
  keyTypeCode,
  registrationDigest,
  signEnvelope,
  signRegistration,
  toHex,
} from '@groundwork/protocol';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestNetwork } from '../../../packages/node/test/helpers.ts';
import { anchorPending } from './anchor.ts';
import { ApiError, type LogisticsClient, signIn } from './client.ts';
import { handoffTypedData } from './handoff.ts';
import logistics from './index.ts';
import { LOGISTICS_PARAMS } from './params.ts';
import { catchUp } from './processor.ts';
import type { Proof } from './proof.ts';
import type { HandoffMessage } from './schemas.ts';
import { rpcChainReader, verifyProofText } from './verifyProof.ts';
import { signWebhookBody } from './webhooks.ts';

const HOUR = 3_600_000;
const shipperKey = DEV_KEYS[4] as Hex;
const carrierKey = '0x1111111111111111111111111111111111111111111111111111111111111111' as Hex;
const receiverKey = '0x2222222222222222222222222222222222222222222222222222222222222222' as Hex;
const auditorKey = '0x3333333333333333333333333333333333333333333333333333333333333333' as Hex;
const outsiderKey = '0x4444444444444444444444444444444444444444444444444444444444444444' as Hex;
const addr = (k: Hex) => privateKeyToAccount(k).address.toLowerCase() as Address;
const trackers: DeviceKey[] = [
  deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(21)),
  deviceKeyFromSeed('p256', new Uint8Array(32).fill(22)),
  deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(23)),
];

/** Runs a CLI command of the module, capturing what it prints. */
async function cli(cmd: { run(argv: string[]): Promise<number> }, argv: string[]) {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  try {
    return { code: await cmd.run(argv), out };
  } finally {
    spy.mockRestore();
  }
}

async function status(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof ApiError) return `${err.status} ${err.code}`;
    throw err;
  }
}

describe('logistics API on a running node and chain', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-logistics-api-'));
  let anvil: AnvilHandle;
  let clients: ChainClients;
  let node: NodeHandle;
  let shipper: LogisticsClient;
  let carrier: LogisticsClient;
  let receiver: LogisticsClient;
  let auditor: LogisticsClient;
  let outsider: LogisticsClient;
  let network: { chainId: number; anchorRegistry: Address };
  let shipmentId: string;
  let seq = 0;
  const hooks: { headers: IncomingMessage['headers']; body: string }[] = [];
  let hookServer: Server;
  let hookUrl: string;
  const now = Date.now();

  async function send(k: DeviceKey, body: Record<string, unknown>) {
    const env = signEnvelope(
      { v: 1, device: k.deviceId, seq: ++seq, time: Date.now(), kind: 'logistics.reading', body },
      k,
    );
    const res = await fetch(`${node.url}/v1/envelopes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ envelopes: [env] }),
    });
    expect(((await res.json()) as { results: { status: string }[] }).results[0]!.status).toBe('accepted');
  }
  async function settle() {
    await node.ctx.verifier.drain();
    await catchUp(node.ctx.db, node.ctx.indexer.params);
  }
  const anchorCtx = () => ({
    db: node.ctx.db,
    clients,
    registry: network.anchorRegistry,
    anchorKey: DEV_KEYS[1] as Hex,
    params: node.ctx.indexer.params,
  });

  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hooks.push({ headers: req.headers, body });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/alerts`;

    let settings: Settings;
    let deployment: Deployment;
    ({ anvil, clients, settings, deployment } = await startTestNetwork({
      settings: { dataDir, mqtt: { enabled: false }, genesis: { epochSeconds: 3600 } },
      modules: [logistics],
      parameterOverrides: { [LOGISTICS_PARAMS.anchorLoadRecords]: 2n ** 53n },
    }));
    network = {
      chainId: deployment.chainId,
      anchorRegistry: deployment.modules!.logistics!.AnchorRegistry! as Address,
    };
    const w = clients.walletFor(shipperKey);
    const registry = deployment.contracts.registry;
    const regs = trackers.map((k) => ({
      keyType: keyTypeCode(k.keyType),
      publicKey: toHex(k.publicKey) as Hex,
      module: moduleToBytes32('logistics'),
      h3Cell: 0n,
      signature: toHex(
        signRegistration(
          k.privateKey,
          k.keyType,
          registrationDigest({
            chainId: deployment.chainId,
            registry,
            operator: w.account.address,
            nonce: 0,
          }),
        ),
      ) as Hex,
    }));
    const hash = await w.writeContract({
      address: registry,
      abi: deviceRegistryAbi,
      functionName: 'registerBatch',
      args: [regs],
    });
    await clients.publicClient.waitForTransactionReceipt({ hash });
    node = await startNode({
      settings,
      deployment,
      clients,
      log: createLogger({ level: 'silent' }),
      modules: [logistics],
    });
    const sessions = await Promise.all(
      [shipperKey, carrierKey, receiverKey, auditorKey, outsiderKey].map((k) => signIn(node.url, k)),
    );
    [shipper, carrier, receiver, auditor, outsider] = sessions as [
      LogisticsClient,
      LogisticsClient,
      LogisticsClient,
      LogisticsClient,
      LogisticsClient,
    ];
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await anvil?.stop();
    await new Promise((r) => hookServer.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("describes its routes in the node's OpenAPI document", async () => {
    const res = await fetch(`${node.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { security?: unknown }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    for (const p of [
      '/v1/modules/logistics/auth/login',
      '/v1/modules/logistics/shipments/{id}/handoffs',
      '/v1/modules/logistics/records/{id}/proof',
    ])
      expect(Object.keys(doc.paths)).toContain(p);
    // Session routes name the node's bearer scheme; signing in needs none.
    expect(doc.components.securitySchemes.sessionToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/modules/logistics/shipments/{id}/handoffs']!.post!.security).toEqual([
      { sessionToken: [] },
    ]);
    expect(doc.paths['/v1/modules/logistics/auth/login']!.post!.security).toBeUndefined();
  });

  it('creates a shipment for its shipper with trackers, parties, route and rules', async () => {
    const s = await shipper.post<{ id: string; status: string; custodian: string; parties: unknown[] }>(
      '/shipments',
      {
        reference: 'PO-2026-0042 vaccines',
        trackers: [trackers[0]!.deviceId, trackers[1]!.deviceId],
        parties: [
          { account: addr(carrierKey), role: 'carrier' },
          { account: addr(receiverKey), role: 'receiver' },
          { account: addr(auditorKey), role: 'auditor' },
        ],
        route: {
          waypoints: [
            { latE7: 519_244_000, lngE7: 44_777_000, name: 'Rotterdam' },
            { latE7: 509_375_000, lngE7: 69_603_000, name: 'Cologne' },
          ],
        },
        rules: [
          { kind: 'temperature', minMc: 2_000, maxMc: 8_000, toleranceSeconds: 0 },
          { kind: 'shock', maxMg: 4_000 },
          { kind: 'corridor', widthM: 20_000 },
        ],
        startAt: now - 3 * HOUR,
      },
    );
    shipmentId = s.id;
    expect(s.status).toBe('created');
    expect(s.custodian).toBe(addr(shipperKey));
    expect(s.parties).toHaveLength(4);
    const mine = await receiver.get<{ shipments: { id: string; roles: string[] }[] }>('/me');
    expect(mine.shipments).toEqual([
      { id: shipmentId, reference: 'PO-2026-0042 vaccines', status: 'created', roles: ['receiver'] },
    ]);
  });

  it('refuses sign-in for a domain this node does not answer to (a phishing site’s signature)', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${node.url}/v1/modules/logistics/auth/nonce`,
        { method: 'POST', headers: { host: 'evil.example' } },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).error.code).toBe('AUTH_DOMAIN_UNKNOWN');
  });

  it('answers 401 without a session and 403 with a coded body to an account outside the shipment', async () => {
    const anon = await fetch(`${node.url}/v1/modules/logistics/shipments/${shipmentId}`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { error: { code: string } }).error.code).toBe('AUTH_REQUIRED');
    for (const path of [
      `/shipments/${shipmentId}`,
      `/shipments/${shipmentId}/readings`,
      `/shipments/${shipmentId}/records`,
      `/shipments/${shipmentId}/alerts`,
      `/shipments/${shipmentId}/report`,
      `/shipments/${shipmentId}/report.html`,
      `/shipments/${shipmentId}/handoffs`,
    ]) {
      const res = await outsider.raw('GET', path);
      expect([path, res.status]).toEqual([path, 403]);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({
        code: 'SHIPMENT_FORBIDDEN',
        message: `account ${addr(outsiderKey)} is not a party of shipment ${shipmentId}`,
      });
    }
    expect(await status(outsider.put(`/shipments/${shipmentId}/webhook`, { url: hookUrl }))).toBe(
      '403 SHIPMENT_FORBIDDEN',
    );
    expect(
      await status(
        carrier.post(`/shipments/${shipmentId}/parties`, { account: addr(outsiderKey), role: 'auditor' }),
      ),
    ).toBe('403 ROLE_FORBIDDEN');
  });

  it('refuses a hand-off with one signature, then records it with both', async () => {
    const draft = await shipper.post<{ handoff: HandoffMessage }>(`/shipments/${shipmentId}/handoffs/draft`, {
      from: addr(shipperKey),
      to: addr(carrierKey),
      at: now - 2 * HOUR,
      latE7: 519_244_000,
      lngE7: 44_777_000,
      place: 'Rotterdam, reefer dock 4',
      note: 'seal 778812 intact',
    });
    expect(draft.handoff.index).toBe(0);
    const typed = handoffTypedData(draft.handoff, network);
    const from = await privateKeyToAccount(shipperKey).signTypedData(typed);
    const to = await privateKeyToAccount(carrierKey).signTypedData(typed);
    const one = await shipper.raw('POST', `/shipments/${shipmentId}/handoffs`, {
      handoff: draft.handoff,
      signatures: { from },
    });
    expect(one.status).toBe(400);
    expect(((await one.json()) as { error: unknown }).error).toEqual({
      code: 'HANDOFF_SIGNATURE_MISSING',
      message: 'a custody hand-off needs the signatures of both parties; missing: to',
      details: { missing: ['to'] },
    });
    expect(
      (await shipper.get<{ handoffs: unknown[] }>(`/shipments/${shipmentId}/handoffs`)).handoffs,
    ).toEqual([]);
    const ok = await carrier.post<{ recordId: string; index: number }>(`/shipments/${shipmentId}/handoffs`, {
      handoff: draft.handoff,
      signatures: { from, to },
    });
    expect(ok.index).toBe(0);
    const s = await auditor.get<{ custodian: string; status: string }>(`/shipments/${shipmentId}`);
    expect([s.custodian, s.status]).toEqual([addr(carrierKey), 'in_transit']);
  });

  it('raises an alert with the readings that caused it, on the event stream and to the webhook', async () => {
    const hook = await receiver.put<{ secret: string }>(`/shipments/${shipmentId}/webhook`, { url: hookUrl });
    const stream = await fetch(`${node.url}/v1/modules/logistics/events`, {
      headers: { authorization: `Bearer ${receiver.token}` },
    });
    const reader = stream.body!.getReader();
    const events: string[] = [];
    const reading = (async () => {
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += Buffer.from(value).toString();
        if (buf.includes('event: logistics.alert')) {
          events.push(buf);
          return;
        }
      }
    })();
    let alerts: { alerts: { code: string; readings: string[]; readingCount: number; trackers: string[] }[] };
    try {
      const base = now - 90 * 60_000;
      const temps = [5_000, 5_200, 10_400, 11_100, 5_300];
      // Both trackers' buffered readings arrive in one request (one commit), so the alert sees the whole excursion.
      const envs = temps.flatMap((t, i) =>
        [trackers[0]!, trackers[1]!].map((k) =>
          signEnvelope(
            {
              v: 1,
              device: k.deviceId,
              seq: ++seq,
              time: Date.now(),
              kind: 'logistics.reading',
              body: {
                at: base + i * 600_000,
                tempMc: t,
                humidityPm: 520,
                position: { latE7: 516_000_000 + i * 100_000, lngE7: 56_000_000 },
                shockMg: 300,
              },
            },
            k,
          ),
        ),
      );
      const res = await fetch(`${node.url}/v1/envelopes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ envelopes: envs }),
      });
      const results = ((await res.json()) as { results: { status: string }[] }).results;
      expect(results.map((r) => r.status)).toEqual(envs.map(() => 'accepted'));
      // A reading of a tracker on no shipment: accepted, visible to its operator only.
      await send(trackers[2]!, { at: base, tempMc: 4_000 });
      await settle();
      alerts = await auditor.get(`/shipments/${shipmentId}/alerts`);
      expect(alerts.alerts.map((a) => [a.code, a.readingCount, a.trackers.length])).toEqual([
        ['TEMPERATURE_HIGH', 4, 2],
      ]);
      const deadline = Date.now() + 30_000;
      while ((hooks.length === 0 || events.length === 0) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
    } finally {
      await reader.cancel().catch(() => {});
      await reading.catch(() => {});
    }
    expect(events[0]).toContain(`"code":"TEMPERATURE_HIGH"`);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.headers['x-groundwork-signature']).toBe(signWebhookBody(hook.secret, hooks[0]!.body));
    const payload = JSON.parse(hooks[0]!.body) as { type: string; data: { readings: string[] } };
    expect(payload.type).toBe('logistics.alert');
    expect(payload.data.readings).toEqual(alerts.alerts[0]!.readings);
  });

  let proofFile: string;
  let proofText: string;
  it('anchors every record and writes a proof that checks out against the chain', async () => {
    const batches = await anchorPending(anchorCtx());
    expect(batches.map((b) => [b.status, b.records])).toEqual([['anchored', 13]]); // 10 + 1 readings, a hand-off, an alert
    const records = await auditor.get<{ records: { id: string; type: string; anchored: boolean }[] }>(
      `/shipments/${shipmentId}/records`,
    );
    expect(records.records.every((r) => r.anchored)).toBe(true);
    const reading = records.records.find((r) => r.type === 'logistics.reading')!;
    proofFile = join(dataDir, 'reading-proof.json');
    const made = await cli(logistics.cli!.commands!.proof!, [
      reading.id,
      '--out',
      proofFile,
      '--api',
      node.url,
      '--private-key',
      auditorKey,
    ]);
    expect(made.code).toBe(0);
    expect(made.out).toContain(`wrote ${proofFile}: logistics.reading anchored in batch 1`);
    proofText = readFileSync(proofFile, 'utf8');
    const v = await cli(logistics.cli!.topLevel!['verify-proof']!, [proofFile, '--rpc', anvil.rpcUrl]);
    expect(v.code).toBe(0);
    expect(v.out).toContain('VALID');
    for (const check of [
      'record id',
      'leaf',
      'device key',
      'device signature',
      'merkle path',
      'chain',
      'root on chain',
      'anchor transaction',
      'device registry',
    ])
      expect(v.out).toMatch(new RegExp(`ok\\s+${check}`));
  });

  it('fails, naming what failed, when any byte of the record, the path or the root is altered', async () => {
    const chain = rpcChainReader(anvil.rpcUrl);
    const proof = JSON.parse(proofText) as Proof;
    expect((await verifyProofText(proofText, { chain })).ok).toBe(true);
    const record = canonicalize(proof.record);
    const alter = (s: string, i: number) =>
      s.slice(0, i) + (s[i] === 'a' ? 'b' : s[i] === '0' ? '1' : 'a') + s.slice(i + 1);
    const withRecord = (text: string) => {
      try {
        return JSON.stringify({ ...proof, record: JSON.parse(text) });
      } catch {
        return `{"format":${JSON.stringify(proof.format)},"record":${text}}`;
      }
    };
    const failures = new Map<string, number>();
    for (let i = 0; i < record.length; i++) {
      const r = await verifyProofText(withRecord(alter(record, i)), { chain });
      expect(r.ok, `record byte ${i}`).toBe(false);
      for (const f of r.failed) failures.set(f, (failures.get(f) ?? 0) + 1);
    }
    // Every alteration fails; which check names it depends on the byte (a type name, a key, a value, the syntax).
    const named = [
      'device key',
      'device signature',
      'format',
      'leaf',
      'merkle path',
      'record id',
      'signature',
    ];
    expect([...failures.keys()].filter((k) => !named.includes(k))).toEqual([]);
    expect(failures.get('merkle path')).toBeGreaterThan(record.length / 2);
    for (const [k, sibling] of proof.path.entries())
      for (let i = 2; i < sibling.length; i++) {
        const path = [...proof.path];
        path[k] = alter(sibling, i);
        const r = await verifyProofText(JSON.stringify({ ...proof, path }), { chain });
        expect(r.ok, `path ${k} byte ${i}`).toBe(false);
        expect(r.failed).toContain('merkle path');
      }
    for (let i = 2; i < proof.root.length; i++) {
      const r = await verifyProofText(JSON.stringify({ ...proof, root: alter(proof.root, i) }), { chain });
      expect(r.failed).toEqual(['merkle path', 'root on chain', 'anchor transaction']);
    }
    const altered = join(dataDir, 'altered-proof.json');
    const reading = proof.record as { envelope: { body: { tempMc: number } } };
    writeFileSync(
      altered,
      JSON.stringify({
        ...proof,
        record: {
          ...proof.record,
          envelope: { ...reading.envelope, body: { ...reading.envelope.body, tempMc: 4_000 } },
        },
      }),
    );
    const v = await cli(logistics.cli!.topLevel!['verify-proof']!, [altered, '--rpc', anvil.rpcUrl]);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/FAIL\s+device signature/);
    expect(v.out).toMatch(/FAIL\s+merkle path/);
    expect(v.out).toContain('INVALID: record id, leaf, device signature, merkle path failed');
    const r = await verifyProofText(
      JSON.stringify({ ...proof, anchor: { ...proof.anchor, registry: addr(outsiderKey) } }),
      {
        chain,
        expectRegistry: network.anchorRegistry,
      },
    );
    expect(r.failed).toContain('anchor registry');
  });

  it('proves hand-offs by both parties’ signatures and alerts by the anchor alone', async () => {
    const chain = rpcChainReader(anvil.rpcUrl);
    const records = await auditor.get<{ records: { id: string; type: string }[] }>(
      `/shipments/${shipmentId}/records`,
    );
    for (const type of ['logistics.handoff', 'logistics.alert']) {
      const rec = records.records.find((r) => r.type === type)!;
      const proof = await auditor.get<Proof>(`/records/${rec.id}/proof`);
      const rep = await verifyProofText(JSON.stringify(proof), {
        chain,
        expectRegistry: network.anchorRegistry,
      });
      expect([type, rep.ok, rep.failed]).toEqual([type, true, []]);
      expect(rep.checks.map((c) => c.name)).toContain(
        type === 'logistics.handoff' ? 'party signatures' : 'signature',
      );
    }
    const handoff = records.records.find((r) => r.type === 'logistics.handoff')!;
    const proof = await auditor.get<Proof>(`/records/${handoff.id}/proof`);
    const swapped = {
      ...proof,
      record: {
        ...proof.record,
        signatures: {
          from: (proof.record.signatures as { to: string }).to,
          to: (proof.record.signatures as { from: string }).from,
        },
      },
    };
    const bad = await verifyProofText(JSON.stringify(swapped), { chain });
    expect(bad.failed).toContain('party signatures');
  });

  it('keeps records private: an outsider gets 403, a tracker operator sees its unassigned reading', async () => {
    const records = await auditor.get<{ records: { id: string }[] }>(`/shipments/${shipmentId}/records`);
    const res = await outsider.raw('GET', `/records/${records.records[0]!.id}/proof`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RECORD_FORBIDDEN');
    const own = await shipper.get<{ readings: { recordId: string; shipment: string | null }[] }>(
      `/trackers/${trackers[2]!.deviceId}/readings`,
    );
    expect(own.readings.map((r) => r.shipment)).toEqual([null]);
    expect(await status(shipper.get(`/records/${own.readings[0]!.recordId}/proof`))).toBe('ok');
    expect(await status(receiver.get(`/records/${own.readings[0]!.recordId}/proof`))).toBe(
      '403 RECORD_FORBIDDEN',
    );
    expect(await status(receiver.get(`/trackers/${trackers[2]!.deviceId}/readings`))).toBe(
      '403 TRACKER_FORBIDDEN',
    );
  });

  it('serves the report as JSON and as a printable HTML page with an inline map and temperature chart', async () => {
    const report = await receiver.get<{
      breaches: { code: string; alertRecordId: string | null }[];
      custody: unknown[];
      temperatureBand: unknown;
      integrity: { checked: number; failed: unknown[]; chainChecked: boolean };
      stats: { readings: number; records: number; anchoredRecords: number };
    }>(`/shipments/${shipmentId}/report?verify=true`);
    expect(report.breaches.map((b) => b.code)).toEqual(['TEMPERATURE_HIGH']);
    expect(report.breaches[0]!.alertRecordId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(report.custody).toHaveLength(1);
    expect(report.temperatureBand).toEqual({ minMc: 2_000, maxMc: 8_000 });
    expect(report.stats).toMatchObject({ readings: 10, records: 12, anchoredRecords: 12 });
    expect(report.integrity).toEqual({ checked: 12, anchored: 12, failed: [], chainChecked: true });
    const html = await receiver.text(`/shipments/${shipmentId}/report.html?verify=true`);
    expect(html).toContain('<title>Shipment report — PO-2026-0042 vaccines</title>');
    expect(html).toContain('aria-label="map of the shipment');
    expect(html).toContain('aria-label="temperature over time"');
    expect(html).toContain('TEMPERATURE_HIGH');
    expect(html).toContain('@media print');
    expect(html).not.toMatch(/<script|<link|src=|href="http/);
    const out = join(dataDir, 'report.html');
    const json = join(dataDir, 'report.json');
    const written = await cli(logistics.cli!.commands!.report!, [
      shipmentId,
      '--out',
      out,
      '--json',
      json,
      '--api',
      node.url,
      '--token',
      auditor.token,
    ]);
    expect(written).toEqual({ code: 0, out: `wrote ${out}\nwrote ${json}\n` });
    expect(readFileSync(out, 'utf8')).toContain('<svg');
    expect(JSON.parse(readFileSync(json, 'utf8')).shipment.id).toBe(shipmentId);
  });
});
