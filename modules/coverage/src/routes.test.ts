import { EventEmitter } from 'node:events';
import type { ModuleRuntime } from '@groundwork/node/modules/types.ts';
import { deviceKeyFromSeed } from '@groundwork/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../../packages/node/src/api/errors.ts';
import { freshStore, seedDevice, silentLog } from '../../../packages/node/test/helpers.ts';
import { issueEntropyRound } from './chain.ts';
import coverage from './index.ts';
import { coverageRoutes } from './routes.ts';
import { coverageDb } from './store/schema.ts';
import { cellAt, testParams } from './test/factsBuilder.ts';

const hotspot = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(9));
const quiet = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(10));

describe('coverage routes', () => {
  let app: FastifyInstance;
  let cleanup: () => Promise<void>;
  let db: ReturnType<typeof coverageDb>;
  let store: Parameters<typeof seedDevice>[0];
  const { map } = testParams({ 'coverage.deny.0': 5n });

  beforeAll(async () => {
    const f = await freshStore('sqlite', [coverage]);
    cleanup = f.cleanup;
    store = f.store;
    db = coverageDb(f.store.db);
    await seedDevice(f.store, hotspot, { module: 'coverage', h3Cell: cellAt(0, 0) });
    await issueEntropyRound({
      db: f.store.db,
      latestBlock: async () => ({ number: 3n, hash: `0x${'33'.repeat(32)}` }),
      nowMs: 1_000,
      entropySeconds: 60,
    });
    const rt = {
      db: f.store.db,
      params: () => map,
      contracts: {},
      log: silentLog,
      bus: new EventEmitter(),
    } as unknown as ModuleRuntime;
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    installErrorHandler(app, silentLog);
    await app.register(async (sub) => coverageRoutes(sub, rt), { prefix: '/v1/modules/coverage' });
  });
  afterAll(async () => {
    await app.close();
    await cleanup();
  });

  const get = (url: string) => app.inject({ method: 'GET', url: `/v1/modules/coverage${url}` });

  it('publishes entropy rounds with their revealed secret and the commitment to the next', async () => {
    const res = await get('/entropy');
    expect(res.statusCode).toBe(200);
    const [r] = res.json().rounds;
    expect(r).toMatchObject({ round: 1, blockNumber: 3, commitment: null, issuedAt: 1_000 });
    expect(Object.keys(r)).not.toContain('next_secret');
    expect(JSON.stringify(res.json())).not.toContain('nextSecret');
  });

  it('tells a hotspot whether it is challenged', async () => {
    const res = await get(`/challenges/${hotspot.deviceId}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ deviceId: hotspot.deviceId, round: 1, expiresAt: 1_000 + 180_000 });
    expect(typeof res.json().challenged).toBe('boolean');
  });

  it('shows a hotspot and answers 404 with a code for an unknown one, 400 for a malformed id', async () => {
    const ok = await get(`/hotspots/${hotspot.deviceId}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      deviceId: hotspot.deviceId,
      denylisted: false,
      latestEpoch: null,
      beacons: [],
    });
    const missing = await get(`/hotspots/0x${'00'.repeat(32)}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
    const bad = await get('/hotspots/0x1234');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_REQUEST');
  });

  it('lists the denylist and every parameter with its meaning', async () => {
    expect((await get('/denylist')).json()).toEqual({
      entries: [{ key: 'coverage.deny.0', deviceId: `0x${'0'.repeat(63)}5` }],
    });
    const params = (await get('/parameters')).json().parameters as {
      key: string;
      value: string;
      description: string;
    }[];
    expect(params.find((x) => x.key === 'coverage.maxWitnesses')).toMatchObject({ value: '14' });
    expect(params.every((x) => x.description.length > 10)).toBe(true);
  });

  it('answers empty verdict and reward lists for a quiet hotspot', async () => {
    expect((await get(`/hotspots/${hotspot.deviceId}/verdicts`)).json()).toEqual({
      deviceId: hotspot.deviceId,
      beacons: [],
      witnessReports: [],
      sessions: [],
      receipts: [],
    });
    expect((await get(`/hotspots/${hotspot.deviceId}/rewards`)).json()).toEqual({
      deviceId: hotspot.deviceId,
      lines: [],
    });
    expect((await get('/beacons/12')).statusCode).toBe(404);
  });

  it('lists every hotspot with its latest flags and verdict counts', async () => {
    await seedDevice(store, quiet, { module: 'coverage', h3Cell: cellAt(900, 0) });
    const id = hotspot.deviceId;
    await db
      .insertInto('coverage_hotspot_epochs')
      .values([
        { epoch: 1, device_id: id, flags: '', reason: 'COVERAGE', score: '500', detail: '{}' },
        {
          epoch: 2,
          device_id: id,
          flags: 'HOTSPOT_RING,HOTSPOT_PHYSICS',
          reason: 'HOTSPOT_FLAGGED',
          score: '0',
          detail: '{}',
        },
      ])
      .execute();
    const beacon = (envelope_id: number, reason: string | null) => ({
      envelope_id,
      device_id: id,
      received_at: 1_000,
      round: 1,
      nonce: `0x${'00'.repeat(16)}`,
      packet: null,
      frequency_khz: 868_100,
      eirp_ddbm: 160,
      gain_ddbi: 30,
      cell: cellAt(0, 0),
      operator: `0x${'11'.repeat(20)}`,
      dup: 0,
      reason,
      final: 1,
      epoch: 2,
    });
    await db
      .insertInto('coverage_beacons')
      .values([beacon(101, 'BEACON_WITNESSED'), beacon(102, 'BEACON_WITNESSED'), beacon(103, null)])
      .execute();
    await db
      .insertInto('coverage_witnesses')
      .values({
        envelope_id: 104,
        device_id: id,
        received_at: 1_000,
        packet: `0x${'22'.repeat(16)}`,
        beacon_id: null,
        rssi_ddbm: -300,
        snr_ddb: 60,
        frequency_khz: 868_100,
        gain_ddbi: 30,
        cell: cellAt(0, 0),
        operator: `0x${'11'.repeat(20)}`,
        dup: 0,
        reason: 'WITNESS_RSSI_TOO_HIGH',
        final: 1,
        epoch: 2,
        distance_m: 900,
        max_rssi_ddbm: -600,
      })
      .execute();
    const res = await get('/hotspots');
    expect(res.statusCode).toBe(200);
    const byId = new Map(
      (res.json().hotspots as { deviceId: string }[]).map((h) => [h.deviceId, h] as const),
    );
    expect(byId.size).toBe(2);
    expect(byId.get(id)).toEqual({
      deviceId: id,
      operator: expect.stringMatching(/^0x[0-9a-f]{40}$/),
      h3Cell: cellAt(0, 0),
      active: true,
      denylisted: false,
      latestEpoch: {
        epoch: 2,
        flags: ['HOTSPOT_RING', 'HOTSPOT_PHYSICS'],
        reason: 'HOTSPOT_FLAGGED',
        score: '0',
      },
      beacons: { BEACON_WITNESSED: 2, PENDING: 1 },
      witnessReports: { WITNESS_RSSI_TOO_HIGH: 1 },
    });
    expect(byId.get(quiet.deviceId)).toMatchObject({
      h3Cell: cellAt(900, 0),
      latestEpoch: null,
      beacons: {},
      witnessReports: {},
    });
    const page = await get('/hotspots?limit=1&offset=1');
    expect(page.json().hotspots).toHaveLength(1);
    expect((await get('/hotspots?limit=0')).statusCode).toBe(400);
  });
});
