import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '@groundwork/node';
import { deviceKeyFromSeed } from '@groundwork/protocol';
import type { Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedDevice } from '../../../packages/node/test/helpers.ts';
import { handoffTypedData } from './handoff.ts';
import { catchUp } from './processor.ts';
import type { HandoffMessage, Rule } from './schemas.ts';
import { attachTracker, createShipment, recordHandoff } from './shipments.ts';
import { ldb } from './store.ts';
import { freshLogisticsStore, genesisParams, storeReading } from './testHelpers.ts';
import { deliverDue, setWebhook, signWebhookBody } from './webhooks.ts';

const params = genesisParams();
const network = { chainId: 31337, anchorRegistry: '0x00000000000000000000000000000000000000a1' as Address };
const shipper = privateKeyToAccount('0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a');
const carrier = privateKeyToAccount('0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba');
const receiver = privateKeyToAccount('0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e');
const stranger = privateKeyToAccount('0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356');
const lc = (a: { address: string }) => a.address.toLowerCase() as Address;
const tracker = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(9));
const other = deviceKeyFromSeed('p256', new Uint8Array(32).fill(10));
const NOW = 1_767_225_600_000;
const HOUR = 3_600_000;
const rules: Rule[] = [{ kind: 'temperature', minMc: 2_000, maxMc: 8_000, toleranceSeconds: 0 }];

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return `${(err as { statusCode?: number }).statusCode} ${(err as { code: string }).code}`;
  }
}

describe('shipments, hand-offs and alerts', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await freshLogisticsStore());
    await seedDevice(store, tracker, { module: 'logistics', operator: shipper.address });
    await seedDevice(store, other, { module: 'logistics', operator: stranger.address });
  });
  afterEach(async () => cleanup());

  const create = (o: Partial<Parameters<typeof createShipment>[3]> = {}) =>
    createShipment(
      store.db,
      params,
      lc(shipper),
      {
        reference: 'PO-77',
        trackers: [tracker.deviceId],
        parties: [
          { account: lc(carrier), role: 'carrier' },
          { account: lc(receiver), role: 'receiver' },
        ],
        route: { waypoints: [{ latE7: 519_000_000, lngE7: 44_000_000 }] },
        rules,
        startAt: NOW - 2 * HOUR,
        ...o,
      },
      NOW,
    );

  async function signedHandoff(m: HandoffMessage, by: { from?: typeof shipper; to?: typeof shipper } = {}) {
    const typed = handoffTypedData(m, network);
    return {
      from: await (by.from ?? shipper).signTypedData(typed),
      to: await (by.to ?? carrier).signTypedData(typed),
    };
  }

  it('attaches readings the tracker sent before the shipment existed and alerts on the excursion', async () => {
    await storeReading(store, tracker, 1, { at: NOW - 3 * HOUR, tempMc: 9_999 }, NOW - 3 * HOUR + 1000); // before startAt
    await storeReading(store, tracker, 2, { at: NOW - HOUR, tempMc: 5_000 }, NOW - HOUR + 1000);
    await storeReading(store, tracker, 3, { at: NOW - HOUR + 600_000, tempMc: 9_000 }, NOW - HOUR + 601_000);
    await catchUp(store.db, params, NOW);
    const s = await create();
    expect(s.trackers).toEqual([{ deviceId: tracker.deviceId, fromMs: NOW - 2 * HOUR, toMs: null }]);
    expect(await catchUp(store.db, params, NOW)).toEqual({ readings: 0, alerts: 1 });
    const db = ldb(store.db);
    const attached = await db
      .selectFrom('logistics_readings')
      .select(['seq', 'shipment_id'])
      .orderBy('seq')
      .execute();
    expect(attached.map((r) => [Number(r.seq), r.shipment_id])).toEqual([
      [1, null],
      [2, s.id],
      [3, s.id],
    ]);
    const alerts = await db.selectFrom('logistics_alerts').selectAll().execute();
    expect(alerts.map((a) => [a.code, Number(a.start_at), Number(a.worst)])).toEqual([
      ['TEMPERATURE_HIGH', NOW - HOUR + 600_000, 9_000],
    ]);
    // The same breach growing does not raise a second alert.
    await storeReading(store, tracker, 4, { at: NOW - HOUR + 1_200_000, tempMc: 9_500 }, NOW);
    expect(await catchUp(store.db, params, NOW)).toEqual({ readings: 1, alerts: 0 });
    const events = await db.selectFrom('logistics_events').select(['type', 'shipment_id']).execute();
    expect(events).toEqual([{ type: 'logistics.alert', shipment_id: s.id }]);
  });

  it('refuses a tracker whose operator is not a party, one already on a shipment, and a shipment without a receiver', async () => {
    expect(await failure(create({ trackers: [other.deviceId] }))).toBe('400 TRACKER_OPERATOR_NOT_PARTY');
    expect(await failure(create({ parties: [{ account: lc(carrier), role: 'carrier' }] }))).toBe(
      '400 SHIPMENT_NEEDS_RECEIVER',
    );
    await create();
    expect(await failure(create())).toBe('409 TRACKER_BUSY');
    expect(await failure(create({ startAt: NOW - 30 * 86_400_000 }))).toBe('400 SHIPMENT_START_INVALID');
    expect(await failure(create({ parties: [{ account: lc(shipper), role: 'receiver' }] }))).toBe(
      '400 SHIPMENT_RECEIVER_IS_SHIPPER',
    );
  });

  it('refuses a hand-off with one signature, a forged one, or from someone without custody — and changes nothing', async () => {
    const s = await create();
    const m: HandoffMessage = {
      shipment: s.id as Address,
      index: 0,
      from: lc(shipper),
      to: lc(carrier),
      at: NOW - HOUR,
      latE7: 519_000_000,
      lngE7: 44_000_000,
      place: 'Rotterdam',
      note: '',
    };
    const sigs = await signedHandoff(m);
    const submit = (sig: { from?: string; to?: string }, msg = m, actor = lc(shipper)) =>
      recordHandoff(store.db, params, network, actor, s.id, { handoff: msg, signatures: sig }, NOW);
    expect(await failure(submit({ from: sigs.from }))).toBe('400 HANDOFF_SIGNATURE_MISSING');
    expect(await failure(submit({ to: sigs.to }))).toBe('400 HANDOFF_SIGNATURE_MISSING');
    const forged = await signedHandoff(m, { to: stranger });
    expect(await failure(submit({ from: sigs.from, to: forged.to }))).toBe('400 HANDOFF_BAD_SIGNATURE');
    expect(await failure(submit(sigs, m, lc(stranger)))).toBe('403 SHIPMENT_FORBIDDEN');
    const wrongFrom = { ...m, from: lc(carrier), to: lc(receiver) };
    expect(
      await failure(submit(await signedHandoff(wrongFrom, { from: carrier, to: receiver }), wrongFrom)),
    ).toBe('409 HANDOFF_NOT_CUSTODIAN');
    const db = ldb(store.db);
    expect(await db.selectFrom('logistics_handoffs').selectAll().execute()).toEqual([]);
    expect(
      await db.selectFrom('logistics_shipments').select(['custodian', 'status']).executeTakeFirstOrThrow(),
    ).toEqual({
      custodian: lc(shipper),
      status: 'created',
    });
    const ok = await submit(sigs);
    expect([ok.index, ok.delivered]).toEqual([0, false]);
    expect(await failure(submit(sigs))).toBe('409 HANDOFF_OUT_OF_ORDER');
  });

  it('delivers at the hand-off to the receiver and detaches later readings', async () => {
    const s = await create();
    const steps: [typeof shipper, typeof shipper, number][] = [
      [shipper, carrier, NOW - 90 * 60_000],
      [carrier, receiver, NOW - 30 * 60_000],
    ];
    for (const [i, [from, to, at]] of steps.entries()) {
      const m: HandoffMessage = {
        shipment: s.id as Address,
        index: i,
        from: lc(from),
        to: lc(to),
        at,
        latE7: 0,
        lngE7: 0,
        place: '',
        note: '',
      };
      await recordHandoff(
        store.db,
        params,
        network,
        lc(from),
        s.id,
        { handoff: m, signatures: await signedHandoff(m, { from, to }) },
        NOW,
      );
    }
    await storeReading(store, tracker, 1, { at: NOW - 40 * 60_000, tempMc: 5_000 }, NOW);
    await storeReading(store, tracker, 2, { at: NOW - 20 * 60_000, tempMc: 5_000 }, NOW);
    await catchUp(store.db, params, NOW);
    const db = ldb(store.db);
    const rows = await db
      .selectFrom('logistics_readings')
      .select(['seq', 'shipment_id'])
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.shipment_id)).toEqual([s.id, null]);
    const ship = await db.selectFrom('logistics_shipments').selectAll().executeTakeFirstOrThrow();
    expect([ship.status, Number(ship.delivered_at), ship.custodian]).toEqual([
      'delivered',
      NOW - 30 * 60_000,
      lc(receiver),
    ]);
    expect(await failure(attachTracker(store.db, lc(shipper), s.id, other.deviceId, NOW))).toBe(
      '409 SHIPMENT_DELIVERED',
    );
    // The tracker is free for the next shipment from the delivery on.
    const next = await create({ startAt: NOW - 30 * 60_000 });
    expect(next.trackers[0]!.deviceId).toBe(tracker.deviceId);
  });

  it('posts alerts to a registered webhook, signed with its secret, and retries a failing one', async () => {
    const got: { headers: IncomingMessage['headers']; body: string }[] = [];
    let fail = true;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.statusCode = fail ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const s = await create();
      const { secret } = await setWebhook(store.db, s.id, lc(receiver), url, undefined, NOW);
      await storeReading(store, tracker, 1, { at: NOW - HOUR, tempMc: 12_000 }, NOW - HOUR + 1000);
      await catchUp(store.db, params, NOW);
      expect(await deliverDue(store.db, { now: NOW })).toEqual({ delivered: 0, failed: 0 });
      fail = false;
      expect(await deliverDue(store.db, { now: NOW + 1_000 })).toEqual({ delivered: 0, failed: 0 }); // backing off
      expect(await deliverDue(store.db, { now: NOW + 5_000 })).toEqual({ delivered: 1, failed: 0 });
      expect(got).toHaveLength(2);
      const last = got[1]!;
      expect(last.headers['x-groundwork-event']).toBe('logistics.alert');
      expect(last.headers['x-groundwork-signature']).toBe(signWebhookBody(secret, last.body));
      const payload = JSON.parse(last.body);
      expect(payload.shipment).toBe(s.id);
      expect(payload.data.code).toBe('TEMPERATURE_HIGH');
      expect(payload.data.readingCount).toBe(1);
      expect(payload.data.readings).toHaveLength(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
