import { createPrivateKey, sign } from 'node:crypto';
import { EventEmitter } from 'node:events';
import uptime from '@groundwork/module-uptime';
import { deviceKeyFromSeed, fromHex, P256_N, signEnvelope, VECTORS } from '@groundwork/protocol';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApi, PENDING_SCAN_ENVELOPES } from '../src/api/server.ts';
import { Ingestor } from '../src/ingest/ingest.ts';
import type { GroundworkModule } from '../src/modules/types.ts';
import type { NodeContext } from '../src/node.ts';
import type { Store } from '../src/store/db.ts';
import { freshStore, loadDirectory, newMetrics, seedDevice, silentLog } from './helpers.ts';

// A stand-in for the city module, so the protocol's own test vector (kind city.air_quality) has a home.
const city: GroundworkModule = {
  ...uptime,
  id: 'city',
  kinds: { air_quality: { body: z.record(z.string(), z.unknown()), description: 'test' } },
};

const edKey = deviceKeyFromSeed('ed25519', fromHex(VECTORS.ed25519.seed));
const p256Key = deviceKeyFromSeed('p256', fromHex(VECTORS.p256.privateKey));
const NOW = VECTORS.ed25519.envelope.time;

describe('HTTP API', () => {
  let app: FastifyInstance;
  let base: string;
  let cleanup: () => Promise<void>;
  let store: Store;
  let bus: EventEmitter;

  beforeAll(async () => {
    const f = await freshStore();
    cleanup = f.cleanup;
    store = f.store;
    await seedDevice(f.store, edKey, { module: 'city' });
    await seedDevice(f.store, p256Key, { module: 'uptime' });
    const devices = await loadDirectory(f.store);
    const params = new Map([['ingest.maxSkewMs', 120_000n]]);
    const metrics = newMetrics();
    const modules = [city, uptime];
    const ingestor = new Ingestor({
      db: f.store.db,
      devices,
      modules,
      params: () => params,
      log: silentLog,
      metrics,
      now: () => NOW,
    });
    const ctx = {
      db: f.store.db,
      store: f.store,
      devices,
      modules,
      ingestor,
      log: silentLog,
      metrics,
      bus: (bus = new EventEmitter()),
      deployment: {
        chainId: 31337,
        deployBlock: 0,
        genesisTime: 0,
        contracts: {},
        modules: { city: { AirRegistry: '0x00000000000000000000000000000000000000a1' } },
      },
      clients: { rpcUrl: 'http://127.0.0.1:1' },
      indexer: { head: 0 },
    } as unknown as NodeContext;
    app = await buildApi(ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app.close();
    await cleanup();
  });

  it('publishes each module with its message kinds and the contracts its deploy hook recorded', async () => {
    const status = (await (await fetch(`${base}/v1/status`)).json()) as {
      modules: { id: string; kinds: string[]; contracts: Record<string, string> }[];
    };
    expect(status.modules.map((m) => [m.id, m.kinds, m.contracts])).toEqual([
      ['city', ['air_quality'], { AirRegistry: '0x00000000000000000000000000000000000000a1' }],
      ['uptime', ['heartbeat'], {}],
    ]);
  });

  const post = (body: string, contentType = 'application/json') =>
    fetch(`${base}/v1/envelopes`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('accepts the documented test vector envelope, then rejects it as a replay', async () => {
    const body = `{"envelopes":[${VECTORS.ed25519.signedEnvelope}]}`;
    const first = await post(body);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ results: [{ index: 0, status: 'accepted', seq: 42 }] });
    const again = await post(body);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({
      results: [{ index: 0, status: 'rejected', reason: 'SEQ_REPLAYED' }],
    });
  });

  it('accepts an envelope built by hand from docs/PROTOCOL.md (p256, low s), and rejects it sent twice', async () => {
    // §5: the signing string is the canonical JSON of the envelope without sig, keys sorted.
    const signing = `{"body":{"uptimeSeconds":5},"device":"${VECTORS.p256.deviceId}","kind":"uptime.heartbeat","seq":7,"time":${NOW},"v":1}`;
    const d = Buffer.from(VECTORS.p256.privateKey.slice(2), 'hex');
    const [x, y] = [VECTORS.p256.publicKey.slice(2, 66), VECTORS.p256.publicKey.slice(66)];
    const b64 = (h: string) => Buffer.from(h, 'hex').toString('base64url');
    const key = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', d: d.toString('base64url'), x: b64(x), y: b64(y) },
      format: 'jwk',
    });
    const sig = sign('sha256', Buffer.from(signing, 'utf8'), { key, dsaEncoding: 'ieee-p1363' });
    let s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
    if (s > P256_N / 2n) s = P256_N - s; // §5.3 low s
    const sigHex = `0x${sig.subarray(0, 32).toString('hex')}${s.toString(16).padStart(64, '0')}`;
    const envelope = `${signing.slice(0, -1)},"sig":"${sigHex}"}`;
    const res = await post(`{"envelopes":[${envelope}]}`);
    expect(await res.json()).toEqual({ results: [{ index: 0, status: 'accepted', seq: 7 }] });
    const replay = await post(`{"envelopes":[${envelope}]}`);
    expect(await replay.json()).toEqual({
      results: [{ index: 0, status: 'rejected', reason: 'SEQ_REPLAYED' }],
    });
  });

  it('answers malformed requests with a coded 4xx and keeps serving', async () => {
    const cases: [string, string, number, string][] = [
      ['{"envelopes":[', 'application/json', 400, 'MALFORMED_JSON'],
      ['{"envelopes":"x"}', 'application/json', 400, 'BAD_REQUEST'],
      ['{"other":[]}', 'application/json', 400, 'BAD_REQUEST'],
      ['{"envelopes":[]}', 'application/json', 400, 'BAD_REQUEST'],
      [
        JSON.stringify({ envelopes: Array.from({ length: 1001 }, () => ({})) }),
        'application/json',
        400,
        'BATCH_TOO_LARGE',
      ],
      [`{"envelopes":["${'a'.repeat(4 * 1024 * 1024)}"]}`, 'application/json', 413, 'PAYLOAD_TOO_LARGE'],
      ['hello', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ];
    for (const [body, type, status, code] of cases) {
      const res = await post(body, type);
      expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([
        status,
        code,
      ]);
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('gives a verdict for every kind of bad envelope inside a good request', async () => {
    const res = await post(
      JSON.stringify({ envelopes: [null, 42, { v: 1 }, JSON.parse(VECTORS.ed25519.signedEnvelope)] }),
    );
    expect(res.status).toBe(202);
    const { results } = (await res.json()) as { results: { status: string; reason?: string }[] };
    expect(results.map((r) => r.reason)).toEqual(['MALFORMED', 'MALFORMED', 'MALFORMED', 'SEQ_REPLAYED']);
  });

  it("lists a device's envelopes and rejections", async () => {
    const res = await fetch(`${base}/v1/devices/${VECTORS.ed25519.deviceId}/verdicts`);
    const body = (await res.json()) as {
      envelopes: { seq: number; verdict: { status: string } }[];
      rejections: { reason: string; seq: number }[];
    };
    expect(body.envelopes.map((e) => [e.seq, e.verdict.status])).toEqual([[42, 'pending']]);
    expect(body.rejections.map((r) => [r.reason, r.seq])).toEqual([
      ['SEQ_REPLAYED', 42],
      ['SEQ_REPLAYED', 42],
    ]);
  });

  it("lists a device's judged envelopes with their verdicts, newest first, and the ones not judged yet as pending", async () => {
    const { db } = store;
    const e42 = await db
      .selectFrom('envelopes')
      .select('id')
      .where('device_id', '=', VECTORS.ed25519.deviceId)
      .executeTakeFirstOrThrow();
    // The verifier judged envelope 42 (its verdict and cursor); seq 43 arrives after it.
    await db
      .insertInto('verdicts')
      .values({
        envelope_id: e42.id,
        device_id: VECTORS.ed25519.deviceId,
        module: 'city',
        status: 'accepted',
        reason: 'CITY_OK',
        created_at: NOW,
      })
      .execute();
    await db
      .insertInto('cursors')
      .values({ name: 'verifier', position: Number(e42.id) })
      .execute();
    const next = { ...JSON.parse(VECTORS.ed25519.signedEnvelope), seq: 43 };
    const { sig: _, ...unsigned } = next;
    const res = await post(JSON.stringify({ envelopes: [signEnvelope(unsigned, edKey)] }));
    expect(((await res.json()) as { results: { status: string }[] }).results[0]!.status).toBe('accepted');
    const list = (await (await fetch(`${base}/v1/devices/${VECTORS.ed25519.deviceId}/verdicts`)).json()) as {
      envelopes: { seq: number; verdict: { status: string; reason: string | null } }[];
    };
    expect(list.envelopes.map((e) => [e.seq, e.verdict.status, e.verdict.reason])).toEqual([
      [43, 'pending', null],
      [42, 'accepted', 'CITY_OK'],
    ]);
    const one = (await (
      await fetch(`${base}/v1/devices/${VECTORS.ed25519.deviceId}/verdicts?limit=1`)
    ).json()) as {
      envelopes: { seq: number }[];
    };
    expect(one.envelopes.map((e) => e.seq)).toEqual([43]);

    // The verifier falls far behind: 50,001 more envelopes of another device after 43. Only the
    // newest PENDING_SCAN_ENVELOPES are read for pending ones, and the answer says so.
    const { id: last } = await db
      .selectFrom('envelopes')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirstOrThrow();
    await sql`insert into envelopes (id, device_id, seq, time, received_at, kind, body, sig)
      select ${Number(last)} + k, ${`0x${'77'.repeat(32)}`}, k, ${NOW}, ${NOW}, 'city.x', '{}', '0x00'
      from (with recursive n(k) as (select 1 union all select k + 1 from n where k < ${PENDING_SCAN_ENVELOPES + 1})
            select k from n) t`.execute(db);
    const behind = (await (
      await fetch(`${base}/v1/devices/${VECTORS.ed25519.deviceId}/verdicts`)
    ).json()) as {
      pendingComplete: boolean;
      envelopes: { seq: number; verdict: { status: string } }[];
    };
    expect(behind.pendingComplete).toBe(false);
    expect(behind.envelopes.map((e) => [e.seq, e.verdict.status])).toEqual([[42, 'accepted']]);
    expect(list).toMatchObject({ pendingComplete: true });
  });

  it("streams each module's public events as module.<id>, and nothing it emits under other names", async () => {
    const res = await fetch(`${base}/v1/events`);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        text += new TextDecoder().decode(value);
      }
    };
    await readUntil(': connected');
    bus.emit('city:private', { type: 'secret' });
    bus.emit('city', { type: 'reading', sensor: 7 });
    bus.emit('epoch', { epoch: 3, status: 'indexed' });
    await readUntil('"indexed"');
    await reader.cancel();
    expect(text).toContain('event: module.city\ndata: {"type":"reading","sensor":7}\n\n');
    expect(text).toContain('event: epoch\ndata: {"epoch":3,"status":"indexed"}\n\n');
    expect(text).not.toContain('secret');
  });

  it('validates path parameters and reports unknown resources', async () => {
    const bad = await fetch(`${base}/v1/devices/not-a-device`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    const missing = await fetch(`${base}/v1/devices/0x${'ab'.repeat(32)}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: `device 0x${'ab'.repeat(32)} not found` },
    });
    expect((await fetch(`${base}/v1/epochs/0`)).status).toBe(400);
    expect((await fetch(`${base}/v1/nope`)).status).toBe(404);
  });

  it('reports nothing claimable before any epoch', async () => {
    const res = await fetch(`${base}/v1/accounts/0x${'11'.repeat(20)}/claimable`);
    expect(await res.json()).toEqual({
      account: `0x${'11'.repeat(20)}`,
      epoch: null,
      root: null,
      cumulativeAmount: '0',
      claimed: '0',
      claimable: '0',
      proof: [],
    });
  });

  it('serves an OpenAPI document describing the routes', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/v1/envelopes',
      '/v1/devices/{id}',
      '/v1/epochs/{epoch}/bundle',
      '/v1/accounts/{address}/claimable',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });
});
