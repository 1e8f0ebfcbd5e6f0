import { randomBytes } from 'node:crypto';
import { type Db, NotFoundError, type Params } from '@groundwork/node';
import type { Kysely } from 'kysely';
import type { Address, Hex } from 'viem';
import { badInput, conflict, forbidden } from './errors.ts';
import { checkHandoffSignatures } from './handoff.ts';
import { withWriteLock } from './lock.ts';
import type { Hash } from './merkle.ts';
import { apiParam, LOGISTICS_PARAMS } from './params.ts';
import { appendEvent } from './processor.ts';
import { type HandoffRecord, sealRecord } from './records.ts';
import type { CreateShipment, HandoffMessage, Role } from './schemas.ts';
import { type LogisticsTables, ldb, nextSeq } from './store.ts';

/** The network facts hand-off signatures are bound to. */
export interface HandoffNetwork {
  chainId: number;
  anchorRegistry: Address;
}

/** Roles an account holds in a shipment (empty: not a party). */
export async function rolesOf(
  db: Kysely<LogisticsTables>,
  shipment: string,
  account: string,
): Promise<Role[]> {
  const rows = await db
    .selectFrom('logistics_parties')
    .select('role')
    .where('shipment_id', '=', shipment)
    .where('account', '=', account.toLowerCase())
    .execute();
  return rows.map((r) => r.role as Role);
}

/** Loads a shipment and checks the account is one of its parties (404 if unknown, 403 if not a party). */
export async function requireParty(
  db: Kysely<LogisticsTables>,
  shipment: string,
  account: string,
  need?: Role[],
) {
  const row = await db
    .selectFrom('logistics_shipments')
    .selectAll()
    .where('id', '=', shipment)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`shipment ${shipment}`);
  const roles = await rolesOf(db, shipment, account);
  if (roles.length === 0)
    throw forbidden('SHIPMENT_FORBIDDEN', `account ${account} is not a party of shipment ${shipment}`);
  if (need && !roles.some((r) => need.includes(r)))
    throw forbidden(
      'ROLE_FORBIDDEN',
      `this needs the role ${need.join(' or ')}; account ${account} has ${roles.join(', ')}`,
      {
        roles,
        needed: need,
      },
    );
  return { shipment: row, roles };
}

/** The public JSON of a shipment. */
export async function shipmentJson(db: Kysely<LogisticsTables>, id: string) {
  const s = await db
    .selectFrom('logistics_shipments')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const parties = await db
    .selectFrom('logistics_parties')
    .select(['account', 'role'])
    .where('shipment_id', '=', id)
    .orderBy('added_at')
    .orderBy('account')
    .execute();
  const trackers = await db
    .selectFrom('logistics_trackers')
    .selectAll()
    .where('shipment_id', '=', id)
    .orderBy('device_id')
    .execute();
  return {
    id: s.id,
    reference: s.reference,
    shipper: s.shipper,
    status: s.status,
    createdAt: Number(s.created_at),
    startAt: Number(s.start_at),
    deliveredAt: s.delivered_at === null ? null : Number(s.delivered_at),
    custodian: s.custodian,
    handoffs: s.handoff_count,
    alerts: s.alert_count,
    route: JSON.parse(s.route),
    rules: JSON.parse(s.rules),
    parties: parties.map((p) => ({ account: p.account, role: p.role })),
    trackers: trackers.map((t) => ({
      deviceId: t.device_id,
      fromMs: Number(t.from_ms),
      toMs: t.to_ms === null ? null : Number(t.to_ms),
    })),
  };
}

/** Attaches already stored readings of a tracker to a shipment over [from, to) and marks it for rule evaluation. */
async function attachStored(
  trx: Kysely<LogisticsTables>,
  shipment: string,
  device: string,
  from: number,
  to: number | null,
): Promise<void> {
  let q = trx
    .selectFrom('logistics_readings')
    .select('record_id')
    .where('device_id', '=', device)
    .where('shipment_id', 'is', null)
    .where('at', '>=', from);
  if (to !== null) q = q.where('at', '<', to);
  const ids = (await q.execute()).map((r) => r.record_id);
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    await trx
      .updateTable('logistics_readings')
      .set({ shipment_id: shipment })
      .where('record_id', 'in', part)
      .execute();
    await trx
      .updateTable('logistics_records')
      .set({ shipment_id: shipment })
      .where('id', 'in', part)
      .execute();
  }
  if (ids.length > 0)
    await trx.updateTable('logistics_shipments').set({ needs_eval: 1 }).where('id', '=', shipment).execute();
}

/** Checks a tracker can join a shipment: a registered, active logistics device whose operator is a party, and free. */
async function checkTracker(
  core: Db,
  db: Kysely<LogisticsTables>,
  device: string,
  parties: Set<string>,
  from: number,
) {
  const d = await core.selectFrom('devices').selectAll().where('device_id', '=', device).executeTakeFirst();
  if (!d) throw badInput('TRACKER_UNKNOWN', `device ${device} is not registered in DeviceRegistry`);
  if (d.module !== 'logistics')
    throw badInput(
      'TRACKER_WRONG_MODULE',
      `device ${device} is registered for module ${d.module}, not logistics`,
    );
  if (d.active !== 1) throw badInput('TRACKER_INACTIVE', `device ${device} is deactivated`);
  if (!parties.has(d.operator.toLowerCase()))
    throw badInput(
      'TRACKER_OPERATOR_NOT_PARTY',
      `the operator ${d.operator} of tracker ${device} must be a party of the shipment (its readings become visible to the parties)`,
    );
  const busy = await db
    .selectFrom('logistics_trackers')
    .select(['shipment_id', 'from_ms', 'to_ms'])
    .where('device_id', '=', device)
    .execute();
  for (const b of busy) {
    if (b.to_ms === null || Number(b.to_ms) > from)
      throw conflict('TRACKER_BUSY', `tracker ${device} is on shipment ${b.shipment_id} over that time`, {
        shipment: b.shipment_id,
      });
  }
}

/**
 * Creates a shipment with the caller as shipper (and first custodian), its
 * parties, trackers, route and rules. Readings its trackers already sent
 * since `startAt` are attached at once.
 */
export async function createShipment(
  core: Db,
  params: Params,
  shipper: string,
  input: CreateShipment,
  now: number = Date.now(),
) {
  const db = ldb(core);
  shipper = shipper.toLowerCase();
  const receivers = input.parties.filter((p) => p.role === 'receiver');
  if (receivers.length !== 1)
    throw badInput('SHIPMENT_NEEDS_RECEIVER', `a shipment has exactly one receiver, got ${receivers.length}`);
  if (receivers[0]!.account === shipper)
    throw badInput('SHIPMENT_RECEIVER_IS_SHIPPER', 'the receiver must be another account than the shipper');
  const backfill = apiParam(params, LOGISTICS_PARAMS.maxBackfillSeconds) * 1000;
  const startAt = input.startAt ?? now;
  if (startAt < now - backfill || startAt > now + backfill)
    throw badInput('SHIPMENT_START_INVALID', `startAt must be within ${backfill / 1000} s of now`, {
      earliest: now - backfill,
      latest: now + backfill,
    });
  input.rules.forEach((r, i) => {
    if (r.kind === 'corridor' && input.route.waypoints.length < 2)
      throw badInput('RULE_NEEDS_ROUTE', `rule ${i} (corridor) needs a route of at least two waypoints`);
  });
  const trackers = [...new Set(input.trackers)];
  const partySet = new Set([shipper, ...input.parties.map((p) => p.account)]);
  return withWriteLock(core, async () => {
    for (const t of trackers) await checkTracker(core, db, t, partySet, startAt);
    const id = `0x${randomBytes(32).toString('hex')}`;
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('logistics_shipments')
        .values({
          id,
          reference: input.reference,
          shipper,
          status: 'created',
          created_at: now,
          start_at: startAt,
          delivered_at: null,
          route: JSON.stringify(input.route),
          rules: JSON.stringify(input.rules),
          custodian: shipper,
          handoff_count: 0,
          alert_count: 0,
          needs_eval: 0,
        })
        .execute();
      const parties = new Map<string, { account: string; role: string }>();
      parties.set(`${shipper}:shipper`, { account: shipper, role: 'shipper' });
      for (const p of input.parties) parties.set(`${p.account}:${p.role}`, p);
      await trx
        .insertInto('logistics_parties')
        .values([...parties.values()].map((p) => ({ shipment_id: id, ...p, added_at: now })))
        .execute();
      for (const t of trackers) {
        await trx
          .insertInto('logistics_trackers')
          .values({ shipment_id: id, device_id: t, from_ms: startAt, to_ms: null })
          .execute();
        await attachStored(trx, id, t, startAt, null);
      }
    });
    return shipmentJson(db, id);
  });
}

/** Adds a party (shipper only): an auditor or insurer later, another carrier, … */
export async function addParty(
  core: Db,
  actor: string,
  shipment: string,
  account: string,
  role: Role,
  now = Date.now(),
) {
  const db = ldb(core);
  const { shipment: s } = await requireParty(db, shipment, actor, ['shipper']);
  if (role === 'shipper') throw badInput('ROLE_INVALID', 'a shipment has one shipper, its creator');
  if (role === 'receiver')
    throw badInput('ROLE_INVALID', 'the receiver is fixed when the shipment is created');
  if (s.status === 'delivered') throw conflict('SHIPMENT_DELIVERED', `shipment ${shipment} was delivered`);
  await db
    .insertInto('logistics_parties')
    .values({ shipment_id: shipment, account: account.toLowerCase(), role, added_at: now })
    .onConflict((oc) => oc.columns(['shipment_id', 'account', 'role']).doNothing())
    .execute();
  return shipmentJson(db, shipment);
}

/** Puts another tracker on a shipment from `fromMs` (default now); shipper only. */
export async function attachTracker(
  core: Db,
  actor: string,
  shipment: string,
  device: string,
  now = Date.now(),
  fromMs?: number,
) {
  const db = ldb(core);
  return withWriteLock(core, async () => {
    const { shipment: s } = await requireParty(db, shipment, actor, ['shipper']);
    if (s.status === 'delivered') throw conflict('SHIPMENT_DELIVERED', `shipment ${shipment} was delivered`);
    const parties = await db
      .selectFrom('logistics_parties')
      .select('account')
      .where('shipment_id', '=', shipment)
      .execute();
    const existing = await db
      .selectFrom('logistics_trackers')
      .select('device_id')
      .where('shipment_id', '=', shipment)
      .where('device_id', '=', device)
      .executeTakeFirst();
    if (existing)
      throw conflict('TRACKER_ALREADY_ON_SHIPMENT', `tracker ${device} is already on this shipment`);
    const from = Math.max(fromMs ?? now, Number(s.start_at));
    await checkTracker(core, db, device, new Set(parties.map((p) => p.account)), from);
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('logistics_trackers')
        .values({ shipment_id: shipment, device_id: device, from_ms: from, to_ms: null })
        .execute();
      await attachStored(trx, shipment, device, from, null);
    });
    return shipmentJson(db, shipment);
  });
}

/** The public JSON of a hand-off. */
export function handoffJson(recordId: string, h: HandoffMessage, delivered: boolean) {
  return { recordId, ...h, delivered };
}

/**
 * Records a custody hand-off signed by both parties (EIP-712, see
 * handoff.ts). The submitter must be a party; the signatures are what count.
 * A hand-off to the receiver delivers the shipment: its trackers leave it at
 * the hand-off time.
 *
 * Refuses, changing nothing: a missing signature (`HANDOFF_SIGNATURE_MISSING`),
 * a signature that is not the named party's (`HANDOFF_BAD_SIGNATURE`), a
 * sender who is not the custodian, a recipient who is not a carrier or the
 * receiver, an index that is not the next one, a time out of order.
 */
export async function recordHandoff(
  core: Db,
  params: Params,
  network: HandoffNetwork,
  actor: string,
  shipment: string,
  req: { handoff: HandoffMessage; signatures: { from?: string | undefined; to?: string | undefined } },
  now: number = Date.now(),
) {
  const db = ldb(core);
  const h = req.handoff;
  await requireParty(db, shipment, actor);
  const missing = (['from', 'to'] as const).filter((k) => !req.signatures[k]);
  if (missing.length > 0)
    throw badInput(
      'HANDOFF_SIGNATURE_MISSING',
      `a custody hand-off needs the signatures of both parties; missing: ${missing.join(', ')}`,
      { missing },
    );
  if (h.shipment !== shipment)
    throw badInput(
      'HANDOFF_SHIPMENT_MISMATCH',
      `the signed hand-off is for shipment ${h.shipment}, not ${shipment}`,
    );
  if (h.from === h.to) throw badInput('HANDOFF_SAME_PARTY', 'a hand-off goes from one party to another');
  const signatures = { from: req.signatures.from as Hex, to: req.signatures.to as Hex };
  const invalid = await checkHandoffSignatures(h, signatures, network);
  if (invalid.length > 0)
    throw badInput(
      'HANDOFF_BAD_SIGNATURE',
      `the ${invalid.join(' and ')} signature is not by the named party over this hand-off`,
      { invalid },
    );
  const skew = Number(params.get('ingest.maxSkewMs') ?? 120_000n);
  return withWriteLock(core, async () => {
    const s = await db
      .selectFrom('logistics_shipments')
      .selectAll()
      .where('id', '=', shipment)
      .executeTakeFirstOrThrow();
    if (s.status === 'delivered')
      throw conflict('SHIPMENT_DELIVERED', `shipment ${shipment} was already delivered`);
    if (h.index !== s.handoff_count)
      throw conflict(
        'HANDOFF_OUT_OF_ORDER',
        `the next hand-off of this shipment has index ${s.handoff_count}`,
        {
          expected: s.handoff_count,
        },
      );
    if (h.from !== s.custodian)
      throw conflict('HANDOFF_NOT_CUSTODIAN', `${h.from} does not hold custody; ${s.custodian} does`, {
        custodian: s.custodian,
      });
    const toRoles = await rolesOf(db, shipment, h.to);
    if (!toRoles.some((r) => r === 'carrier' || r === 'receiver'))
      throw badInput(
        'HANDOFF_RECIPIENT_NOT_PARTY',
        `${h.to} is neither a carrier nor the receiver of this shipment`,
      );
    const previous = await db
      .selectFrom('logistics_handoffs')
      .select((eb) => eb.fn.max('at').as('at'))
      .where('shipment_id', '=', shipment)
      .executeTakeFirst();
    const earliest = Math.max(Number(s.start_at), Number(previous?.at ?? 0));
    if (h.at < earliest || h.at > now + skew)
      throw badInput('HANDOFF_TIME_INVALID', `the hand-off time must be between ${earliest} and now`, {
        earliest,
        latest: now + skew,
      });
    const delivered = toRoles.includes('receiver');
    const record: HandoffRecord = {
      type: 'logistics.handoff',
      handoff: h,
      signatures: signatures as { from: Hash; to: Hash },
    };
    const sealed = sealRecord(record);
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('logistics_records')
        .values({
          id: sealed.id,
          seq: await nextSeq(trx, 'logistics_records'),
          type: record.type,
          shipment_id: shipment,
          device_id: null,
          at: h.at,
          json: sealed.json,
          salt: sealed.salt,
          leaf: sealed.leaf,
          batch: null,
          created_at: now,
        })
        .execute();
      await trx
        .insertInto('logistics_handoffs')
        .values({
          record_id: sealed.id,
          shipment_id: shipment,
          idx: h.index,
          from_account: h.from,
          to_account: h.to,
          at: h.at,
          lat_e7: h.latE7,
          lng_e7: h.lngE7,
          place: h.place,
          note: h.note,
        })
        .execute();
      await trx
        .updateTable('logistics_shipments')
        .set({
          custodian: h.to,
          handoff_count: s.handoff_count + 1,
          status: delivered ? 'delivered' : 'in_transit',
          delivered_at: delivered ? h.at : null,
        })
        .where('id', '=', shipment)
        .execute();
      await appendEvent(trx, shipment, 'logistics.handoff', handoffJson(sealed.id, h, delivered), now);
      if (delivered) {
        await trx
          .updateTable('logistics_trackers')
          .set({ to_ms: h.at })
          .where('shipment_id', '=', shipment)
          .where('to_ms', 'is', null)
          .execute();
        // Readings measured after delivery belong to whatever the tracker does next, not to this shipment.
        const late = await trx
          .selectFrom('logistics_readings')
          .select('record_id')
          .where('shipment_id', '=', shipment)
          .where('at', '>=', h.at)
          .execute();
        const ids = late.map((r) => r.record_id);
        for (let i = 0; i < ids.length; i += 500) {
          const part = ids.slice(i, i + 500);
          await trx
            .updateTable('logistics_readings')
            .set({ shipment_id: null })
            .where('record_id', 'in', part)
            .execute();
          await trx
            .updateTable('logistics_records')
            .set({ shipment_id: null })
            .where('id', 'in', part)
            .execute();
        }
        await trx
          .updateTable('logistics_shipments')
          .set({ needs_eval: 1 })
          .where('id', '=', shipment)
          .execute();
        await appendEvent(trx, shipment, 'logistics.delivered', { shipment, at: h.at, receiver: h.to }, now);
      }
    });
    return handoffJson(sealed.id, h, delivered);
  });
}
