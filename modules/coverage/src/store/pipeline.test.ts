import { deviceKeyFromSeed } from '@groundwork/protocol';
import { type Hex, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../../packages/node/src/store/db.ts';
import { freshStore, STORE_KINDS, seedDevice } from '../../../../packages/node/test/helpers.ts';
import { issueEntropyRound } from '../chain.ts';
import { beaconPacket } from '../entropy.ts';
import coverage from '../index.ts';
import { sessionAuthorizationTypedData, usageReceiptTypedData } from '../signatures.ts';
import { cellAt, testParams } from '../test/factsBuilder.ts';
import { verifyCoverageEnvelope } from '../verify.ts';
import {
  assertFeeRef,
  chainWindow,
  collectCoverageInputs,
  FEE_PURPOSE,
  importContributions,
  judgeClosedBeacons,
  onboardFeeRef,
  recordCreditsDomain,
} from './pipeline.ts';
import { coverageDb } from './schema.ts';

const T = 1_700_000_000_000;
const CREDITS = '0x00000000000000000000000000000000000000dc' as const;
const CHAIN = 31337;
const client = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const keys = [1, 2, 3].map((n) => deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(n)));
const operators = [
  '0x00000000000000000000000000000000000000a1',
  '0x00000000000000000000000000000000000000a2',
  '0x00000000000000000000000000000000000000a3',
];
const cells = [cellAt(0, 0), cellAt(900, 0), cellAt(0, 900)];
// Fees off, rings allowed (a three-hotspot test world is an isolated group by construction), every round
// challenges every hotspot.
const { map: params } = testParams({
  'coverage.feesRequired': 0n,
  'coverage.ringMaxSize': 0n,
  'coverage.beaconIntervalS': 60n,
});

describe.each(STORE_KINDS)('coverage pipeline (%s)', (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let nextId = 1;

  beforeEach(async () => {
    ({ store, cleanup } = await freshStore(kind, [coverage]));
    for (let i = 0; i < 3; i++)
      await seedDevice(store, keys[i]!, { module: 'coverage', operator: operators[i]!, h3Cell: cells[i]! });
    await recordCreditsDomain(store.db, CHAIN, CREDITS);
    nextId = 1;
  });
  afterEach(async () => cleanup());

  /** Runs the module's verify as the core verifier would and stores the contribution if accepted. */
  async function send(device: number, kind: string, body: Record<string, unknown>, at: number) {
    const id = nextId++;
    const v = verifyCoverageEnvelope({
      envelope: {
        id,
        deviceId: keys[device]!.deviceId,
        seq: id,
        time: at,
        receivedAt: at,
        kind: `coverage.${kind}`,
        body,
      },
      device: {
        deviceId: keys[device]!.deviceId,
        module: 'coverage',
        h3Cell: cells[device]!,
        operator: operators[device]!,
        active: true,
      },
      params,
    });
    if (v.status === 'accepted')
      await store.db
        .insertInto('contributions')
        .values({
          envelope_id: id,
          module: 'coverage',
          device_id: keys[device]!.deviceId,
          at,
          data: JSON.stringify(v.contribution),
        })
        .execute();
    return { id, verdict: v };
  }

  async function entropyRound(at: number) {
    const r = await issueEntropyRound({
      db: store.db,
      latestBlock: async () => ({ number: 7n, hash: `0x${'77'.repeat(32)}` as Hex }),
      nowMs: at,
      entropySeconds: 60,
    });
    return r!;
  }

  it('imports beacons and witnesses, judges them once the window closes, and finalises them at the epoch', async () => {
    const db = coverageDb(store.db);
    const r = await entropyRound(T);
    const nonce = `0x${'01'.repeat(16)}`;
    await send(
      0,
      'beacon',
      { round: r.round, nonce, frequencyKhz: 868_100, eirpDdbm: 160, gainDdbi: 30 },
      T + 2_000,
    );
    const packet = beaconPacket(r.entropy, keys[0]!.deviceId, nonce);
    await send(
      1,
      'witness',
      { packet, rssiDdbm: -1_000, snrDdb: 40, frequencyKhz: 868_100, gainDdbi: 30, time: T + 2_100 },
      T + 2_200,
    );
    await send(
      2,
      'witness',
      { packet, rssiDdbm: -300, snrDdb: 40, frequencyKhz: 868_100, gainDdbi: 30, time: T + 2_100 },
      T + 2_300,
    );
    await send(
      2,
      'witness',
      { packet, rssiDdbm: -1_000, snrDdb: 40, frequencyKhz: 868_100, gainDdbi: 30, time: T + 2_100 },
      T + 2_400,
    );
    await send(
      1,
      'witness',
      {
        packet: `0x${'ee'.repeat(16)}`,
        rssiDdbm: -1_000,
        snrDdb: 40,
        frequencyKhz: 868_100,
        gainDdbi: 30,
        time: T,
      },
      T + 2_500,
    );
    expect(await importContributions(store.db, params)).toBe(5);
    const b = await db.selectFrom('coverage_beacons').selectAll().executeTakeFirstOrThrow();
    expect(b.packet).toBe(packet);
    expect(b.dup).toBe(0);

    // Not before the witness window has closed.
    expect(await judgeClosedBeacons(store.db, params, T + 2_000 + 3_999)).toBe(0);
    expect(await judgeClosedBeacons(store.db, params, T + 60_000)).toBe(1);
    const provisional = await db
      .selectFrom('coverage_witnesses')
      .select(['envelope_id', 'reason', 'final'])
      .orderBy('envelope_id')
      .execute();
    expect(provisional.map((w) => w.reason)).toEqual([
      'WITNESS_VALID',
      'WITNESS_RSSI_TOO_HIGH',
      'WITNESS_DUPLICATE',
      'WITNESS_UNKNOWN_BEACON',
    ]);
    expect(provisional.every((w) => w.final === 0)).toBe(true);
    expect((await db.selectFrom('coverage_beacons').select('reason').executeTakeFirstOrThrow()).reason).toBe(
      'BEACON_VALID',
    );

    const window = { epoch: 1, startMs: T, endMs: T + 3_600_000 };
    const facts = await collectCoverageInputs(store.db, window, params);
    expect(facts.beacons).toHaveLength(1);
    expect(facts.witnesses).toHaveLength(4);
    expect(facts.hotspots.map((h) => h.id).sort()).toEqual(keys.map((k) => k.deviceId).sort());
    const final = await db
      .selectFrom('coverage_witnesses')
      .select(['reason', 'final', 'epoch'])
      .orderBy('envelope_id')
      .execute();
    // Reciprocity: the beaconer never heard its witness, so the valid report is not paid.
    expect(final.map((w) => w.reason)).toEqual([
      'WITNESS_NOT_RECIPROCAL',
      'WITNESS_RSSI_TOO_HIGH',
      'WITNESS_DUPLICATE',
      'WITNESS_UNKNOWN_BEACON',
    ]);
    expect(final.every((w) => w.final === 1 && w.epoch === 1)).toBe(true);
    const tests = await db.selectFrom('coverage_hotspot_epochs').selectAll().where('epoch', '=', 1).execute();
    expect(tests).toHaveLength(3);
    // The module's score reads the very facts the bundle publishes.
    const lines = coverage.score({
      window,
      inputs: JSON.parse(JSON.stringify(facts)),
      devices: keys.map((k) => k.deviceId),
      params,
    });
    expect(lines.map((l) => l.reason)).toEqual([
      'NO_VERIFIED_ACTIVITY',
      'NO_VERIFIED_ACTIVITY',
      'NO_VERIFIED_ACTIVITY',
    ]);
  });

  it('marks a beacon for a round it already answered as a resend or an extra beacon', async () => {
    const db = coverageDb(store.db);
    const r = await entropyRound(T);
    const body = {
      round: r.round,
      nonce: `0x${'01'.repeat(16)}`,
      frequencyKhz: 868_100,
      eirpDdbm: 160,
      gainDdbi: 30,
    };
    await send(0, 'beacon', body, T + 1_000);
    await send(0, 'beacon', body, T + 2_000);
    await send(0, 'beacon', { ...body, nonce: `0x${'02'.repeat(16)}` }, T + 3_000);
    await importContributions(store.db, params);
    expect(
      (await db.selectFrom('coverage_beacons').select('dup').orderBy('envelope_id').execute()).map(
        (b) => b.dup,
      ),
    ).toEqual([0, 1, 2]);
  });

  it('accepts a session signed by the client and receipts signed by both sides, and rejects the rest by reason', async () => {
    const db = coverageDb(store.db);
    const hotspot = keys[0]!;
    const domain = { chainId: CHAIN, verifyingContract: CREDITS };
    const sessionId = keccak256(toHex('session-1'));
    const deadline = Math.floor(T / 1000) + 3_600;
    const auth = await client.signTypedData(
      sessionAuthorizationTypedData(domain, {
        sessionId,
        provider: BigInt(hotspot.deviceId),
        maxCredits: 50_000n,
        deadline: BigInt(deadline),
      }),
    );
    const session = {
      sessionId,
      client: client.address,
      maxCredits: '50000',
      deadline,
      chainId: CHAIN,
      credits: CREDITS,
    };
    expect((await send(0, 'session', session, T)).verdict.status).toBe('rejected');
    expect((await send(0, 'session', { ...session, clientSig: auth }, T)).verdict).toMatchObject({
      status: 'accepted',
    });
    // The same authorization presented by another hotspot does not verify (the signature binds the hotspot).
    expect((await send(1, 'session', { ...session, clientSig: auth }, T)).verdict).toEqual({
      status: 'rejected',
      reason: 'SESSION_CLIENT_SIGNATURE_INVALID',
    });

    const receipt = async (counter: number, cumulativeBytes: number, at: number, sign = true) => {
      const body: Record<string, unknown> = {
        sessionId,
        client: client.address,
        counter,
        cumulativeBytes,
        chainId: CHAIN,
        credits: CREDITS,
      };
      if (sign)
        body.clientSig = await client.signTypedData(
          usageReceiptTypedData(domain, {
            sessionId,
            provider: BigInt(hotspot.deviceId),
            counter: BigInt(counter),
            cumulativeBytes: BigInt(cumulativeBytes),
          }),
        );
      return send(0, 'receipt', body, at);
    };
    expect((await receipt(1, 120_000, T + 10_000, false)).verdict).toEqual({
      status: 'rejected',
      reason: 'RECEIPT_CLIENT_SIGNATURE_MISSING',
    });
    await receipt(1, 120_000, T + 10_000);
    await receipt(1, 120_000, T + 11_000); // the same bytes again
    await receipt(2, 100_000, T + 12_000); // fewer bytes than already counted
    await receipt(3, 240_000, T + 20_000);
    await importContributions(store.db, params);
    const reasons = await db
      .selectFrom('coverage_receipts')
      .select('reason')
      .orderBy('envelope_id')
      .execute();
    expect(reasons.map((r) => r.reason)).toEqual([
      'RECEIPT_ACCEPTED',
      'RECEIPT_DUPLICATE',
      'RECEIPT_BYTES_NOT_INCREASING',
      'RECEIPT_ACCEPTED',
    ]);
    const s = await db.selectFrom('coverage_settlements').selectAll().executeTakeFirstOrThrow();
    expect(Number(s.accepted_bytes)).toBe(240_000);
    expect(s.owed_credits).toBe('10000'); // 240,000 bytes / 24 per credit
    expect(s.client).toBe(client.address.toLowerCase());
  });

  it('rejects sessions with the hotspot operator as client, on another domain, or expired', async () => {
    const db = coverageDb(store.db);
    const owner = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
    await seedDevice(store, keys[2]!, {
      module: 'coverage',
      operator: owner.address,
      h3Cell: cells[2]!,
    }).catch(() => {});
    const make = async (who: typeof client, id: string, o: { chainId?: number; deadline?: number } = {}) => {
      const deadline = o.deadline ?? Math.floor(T / 1000) + 3_600;
      const chainId = o.chainId ?? CHAIN;
      const sessionId = keccak256(toHex(id));
      const clientSig = await who.signTypedData(
        sessionAuthorizationTypedData(
          { chainId, verifyingContract: CREDITS },
          { sessionId, provider: BigInt(keys[0]!.deviceId), maxCredits: 1n, deadline: BigInt(deadline) },
        ),
      );
      return {
        sessionId,
        client: who.address,
        maxCredits: '1',
        deadline,
        chainId,
        credits: CREDITS,
        clientSig,
      };
    };
    // Device 0's operator is 0x…a1; make the client that operator by re-seeding device 0 with the owner as operator.
    await db
      .updateTable('devices')
      .set({ operator: owner.address.toLowerCase() })
      .where('device_id', '=', keys[0]!.deviceId)
      .execute();
    const opInfo = {
      deviceId: keys[0]!.deviceId,
      module: 'coverage',
      h3Cell: cells[0]!,
      operator: owner.address.toLowerCase(),
      active: true,
    };
    let id = 100;
    for (const body of [
      await make(owner, 'self'),
      await make(client, 'other-chain', { chainId: 1 }),
      await make(client, 'old', { deadline: 1 }),
    ]) {
      const v = verifyCoverageEnvelope({
        envelope: {
          id,
          deviceId: keys[0]!.deviceId,
          seq: id,
          time: T,
          receivedAt: T,
          kind: 'coverage.session',
          body,
        },
        device: opInfo,
        params,
      });
      expect(v.status).toBe('accepted');
      if (v.status === 'accepted')
        await store.db
          .insertInto('contributions')
          .values({
            envelope_id: id,
            module: 'coverage',
            device_id: keys[0]!.deviceId,
            at: T,
            data: JSON.stringify(v.contribution),
          })
          .execute();
      id++;
    }
    await importContributions(store.db, params);
    const rows = await db.selectFrom('coverage_sessions').select('reason').orderBy('envelope_id').execute();
    expect(rows.map((r) => r.reason)).toEqual([
      'SESSION_SELF_DEALING',
      'SESSION_WRONG_DOMAIN',
      'SESSION_EXPIRED',
    ]);
    expect(await db.selectFrom('coverage_settlements').selectAll().execute()).toEqual([]);
  });

  it('collects paid sessions from chain debits, links clients funded by the operator, and checks fees', async () => {
    const db = coverageDb(store.db);
    const { map: withFees } = testParams({ 'coverage.ringMaxSize': 0n });
    const ev = (name: string, i: number, v: Partial<Record<string, string | number | null>>) =>
      db
        .insertInto('coverage_credit_events')
        .values({
          tx_hash: `0x${i.toString(16).padStart(64, '0')}`,
          log_index: 0,
          block: i,
          block_time: T + i * 1000,
          name,
          account: '',
          other: '',
          session_id: null,
          hotspot: null,
          amount: '0',
          total: '0',
          bytes: '0',
          data: '{}',
          ...v,
        } as never)
        .execute();
    const h0 = BigInt(keys[0]!.deviceId).toString();
    const h1 = BigInt(keys[1]!.deviceId).toString();
    const fundedClient = '0x00000000000000000000000000000000000000f1';
    await ev('CreditsMinted', 1, { account: fundedClient, other: operators[1]!, amount: '1000000' });
    await ev('SessionDebited', 2, {
      account: client.address.toLowerCase(),
      session_id: '0x01',
      hotspot: h0,
      amount: '10000',
      bytes: '240000',
    });
    await ev('SessionDebited', 3, {
      account: fundedClient,
      session_id: '0x02',
      hotspot: h1,
      amount: '5000',
      bytes: '120000',
    });
    await ev('CreditsSpent', 4, {
      account: operators[0]!,
      other: FEE_PURPOSE.onboard,
      hotspot: onboardFeeRef(keys[0]!.deviceId),
      amount: '4000000',
    });
    await ev('CreditsSpent', 5, {
      account: operators[0]!,
      other: FEE_PURPOSE.assert,
      hotspot: assertFeeRef(keys[0]!.deviceId, cells[0]!),
      amount: '1000000',
    });
    // Fee for an old cell does not count for the current one.
    await ev('CreditsSpent', 6, {
      account: operators[1]!,
      other: FEE_PURPOSE.onboard,
      hotspot: onboardFeeRef(keys[1]!.deviceId),
      amount: '4000000',
    });
    await ev('CreditsSpent', 7, {
      account: operators[1]!,
      other: FEE_PURPOSE.assert,
      hotspot: assertFeeRef(keys[1]!.deviceId, cells[2]!),
      amount: '1000000',
    });
    const window = { epoch: 1, startMs: T, endMs: T + 3_600_000 };
    const facts = await collectCoverageInputs(store.db, window, withFees);
    const byId = (d: string) => facts.hotspots.findIndex((h) => h.id === d);
    expect(facts.hotspots[byId(keys[0]!.deviceId)]!.fees).toBe(1);
    expect(facts.hotspots[byId(keys[1]!.deviceId)]!.fees).toBe(0);
    expect(facts.sessions).toEqual(
      expect.arrayContaining([
        ['0x01', byId(keys[0]!.deviceId), client.address.toLowerCase(), 0, '10000', '240000'],
        ['0x02', byId(keys[1]!.deviceId), fundedClient, 1, '5000', '120000'],
      ]),
    );
    const lines = coverage.score({
      window,
      inputs: JSON.parse(JSON.stringify(facts)),
      devices: keys.map((k) => k.deviceId),
      params: withFees,
    });
    const line0 = lines.find((l) => l.deviceId === keys[0]!.deviceId)!;
    expect(line0.reason).toBe('DATA_TRANSFER');
    expect(line0.detail).toMatchObject({ paidCredits: '10000', paidBytes: '240000' });
    expect(lines.find((l) => l.deviceId === keys[1]!.deviceId)!.reason).toBe('HOTSPOT_SELF_DEALING');
  });
  it('places chain events by whole seconds: a block in the second an epoch ends in belongs to the next epoch', async () => {
    const db = coverageDb(store.db);
    const h0 = BigInt(keys[0]!.deviceId).toString();
    // Bounds 0.4 s past a whole second, as a genesis taken from the clock gives.
    const first = { epoch: 1, startMs: T + 400, endMs: T + 8_400 };
    const second = { epoch: 2, startMs: T + 8_400, endMs: T + 16_400 };
    let n = 0;
    const debit = (blockTime: number, amount: number) =>
      db
        .insertInto('coverage_credit_events')
        .values({
          tx_hash: `0x${(++n).toString(16).padStart(64, '0')}`,
          log_index: 0,
          block: n,
          block_time: blockTime,
          name: 'SessionDebited',
          account: client.address.toLowerCase(),
          other: '',
          session_id: `0x0${n}`,
          hotspot: h0,
          amount: String(amount),
          total: String(amount),
          bytes: String(amount * 24),
          data: '{}',
        } as never)
        .execute();
    // Mined in the second the first epoch started in (before or after its start), 7 s later,
    // and in the second it ended in: timestamp T + 8,000, before its end in milliseconds.
    await debit(T, 100);
    await debit(T + 7_000, 200);
    await debit(T + 8_000, 400);
    await debit(T + 16_000, 800);
    expect(chainWindow(first)).toEqual({ startMs: T, endMs: T + 8_000 });
    const credits = async (w: typeof first) =>
      (await collectCoverageInputs(store.db, w, params)).sessions.map((s) => s[4]);
    expect(await credits(first)).toEqual(['100', '200']);
    expect(await credits(second)).toEqual(['400']);
    // Whole-second bounds stay as they are.
    expect(chainWindow({ startMs: T, endMs: T + 8_000 })).toEqual({ startMs: T, endMs: T + 8_000 });
  });
});
