import { randomBytes } from 'node:crypto';
import type { Db, Params } from '@groundwork/node';
import type { Envelope } from '@groundwork/protocol';
import type { Kysely } from 'kysely';
import { positionToLatLng } from './geo.ts';
import { withWriteLock } from './lock.ts';
import type { Hash } from './merkle.ts';
import { type AlertRecord, type ReadingRecord, sealRecord } from './records.ts';
import { type Breach, evaluateRules, type RuleReading, sameBreach } from './rules.ts';
import type { ReadingBody, Route, Rule } from './schemas.ts';
import {
  getKv,
  type LogisticsTables,
  ldb,
  nextSeq,
  type ReadingTable,
  type RecordTable,
  setKv,
} from './store.ts';

const CURSOR = 'processor.cursor';
const CHUNK = 2000;
/** At most this many reading ids are listed in an alert record (the count is always complete). */
export const ALERT_READINGS_LISTED = 64;

/** A new event in the outbox, as SSE streams and webhooks receive it. */
export interface LogisticsEvent {
  seq: number;
  shipment: string;
  type: 'logistics.alert' | 'logistics.handoff' | 'logistics.delivered';
  payload: Record<string, unknown>;
  createdAt: number;
}

/**
 * Appends an event to the outbox and queues one webhook delivery per
 * registered webhook of the shipment, in the caller's transaction.
 */
export async function appendEvent(
  trx: Kysely<LogisticsTables>,
  shipment: string,
  type: LogisticsEvent['type'],
  payload: Record<string, unknown>,
  now: number,
): Promise<number> {
  const seq = await nextSeq(trx, 'logistics_events');
  await trx
    .insertInto('logistics_events')
    .values({ seq, shipment_id: shipment, type, payload: JSON.stringify(payload), created_at: now })
    .execute();
  const hooks = await trx
    .selectFrom('logistics_webhooks')
    .select(['account', 'url'])
    .where('shipment_id', '=', shipment)
    .execute();
  for (const h of hooks) {
    await trx
      .insertInto('logistics_deliveries')
      .values({
        id: `dlv_${randomBytes(12).toString('hex')}`,
        event_seq: seq,
        shipment_id: shipment,
        account: h.account,
        url: h.url,
        status: 'pending',
        attempts: 0,
        next_at: now,
        last_error: null,
        created_at: now,
        delivered_at: null,
      })
      .execute();
  }
  return seq;
}

interface Assignment {
  shipment_id: string;
  device_id: string;
  from_ms: number;
  to_ms: number | null;
}

function shipmentFor(assignments: Assignment[] | undefined, at: number): string | null {
  let best: Assignment | undefined;
  for (const a of assignments ?? []) {
    if (Number(a.from_ms) <= at && (a.to_ms === null || at < Number(a.to_ms))) {
      if (!best || Number(a.from_ms) > Number(best.from_ms)) best = a;
    }
  }
  return best?.shipment_id ?? null;
}

/** Parsed values of a reading body as stored in `logistics_readings`. */
export function readingColumns(body: ReadingBody) {
  let lat: number | null = null;
  let lng: number | null = null;
  if (body.position) {
    const p = positionToLatLng(body.position);
    lat = Math.round(p.lat * 1e7);
    lng = Math.round(p.lng * 1e7);
  }
  return {
    temp_mc: body.tempMc ?? null,
    humidity_pm: body.humidityPm ?? null,
    lat_e7: lat,
    lng_e7: lng,
    shock_mg: body.shockMg ?? null,
  };
}

/**
 * Turns accepted readings (after the module verifier) into anchored-to-be
 * records and attaches each to the shipment its tracker was on at the
 * measurement time. Returns how many readings it stored.
 */
async function ingestReadings(db: Kysely<LogisticsTables>, core: Db, now: number): Promise<number> {
  let total = 0;
  for (;;) {
    const after = Number((await getKv(db, CURSOR)) ?? 0);
    const rows = await core
      .selectFrom('verdicts as v')
      .innerJoin('envelopes as e', 'e.id', 'v.envelope_id')
      .select(['e.id', 'e.device_id', 'e.seq', 'e.time', 'e.received_at', 'e.kind', 'e.body', 'e.sig'])
      .where('v.module', '=', 'logistics')
      .where('v.status', '=', 'accepted')
      .where('v.envelope_id', '>', after)
      .orderBy('v.envelope_id')
      .limit(CHUNK)
      .execute();
    if (rows.length === 0) return total;
    const devices = [...new Set(rows.map((r) => r.device_id))];
    const assignments = new Map<string, Assignment[]>();
    for (let i = 0; i < devices.length; i += 500) {
      const list = await db
        .selectFrom('logistics_trackers')
        .selectAll()
        .where('device_id', 'in', devices.slice(i, i + 500))
        .execute();
      for (const a of list) assignments.set(a.device_id, [...(assignments.get(a.device_id) ?? []), a]);
    }
    const touched = new Set<string>();
    const records: Omit<RecordTable, 'seq'>[] = [];
    const readings: ReadingTable[] = [];
    for (const r of rows) {
      if (r.kind !== 'logistics.reading') continue;
      const body = JSON.parse(r.body) as ReadingBody;
      const envelope: Envelope = {
        v: 1,
        device: r.device_id as Hash,
        seq: Number(r.seq),
        time: Number(r.time),
        kind: r.kind,
        body,
        sig: r.sig as Hash,
      };
      const record: ReadingRecord = { type: 'logistics.reading', envelope };
      const sealed = sealRecord(record);
      const shipment = shipmentFor(assignments.get(r.device_id), body.at);
      if (shipment) touched.add(shipment);
      records.push({
        id: sealed.id,
        type: record.type,
        shipment_id: shipment,
        device_id: r.device_id,
        at: body.at,
        json: sealed.json,
        salt: sealed.salt,
        leaf: sealed.leaf,
        batch: null,
        created_at: now,
      });
      readings.push({
        record_id: sealed.id,
        envelope_id: Number(r.id),
        device_id: r.device_id,
        seq: Number(r.seq),
        at: body.at,
        received_at: Number(r.received_at),
        shipment_id: shipment,
        ...readingColumns(body),
      });
    }
    const last = Number(rows[rows.length - 1]!.id);
    await db.transaction().execute(async (trx) => {
      let seq = await nextSeq(trx, 'logistics_records');
      for (let i = 0; i < records.length; i += 200) {
        await trx
          .insertInto('logistics_records')
          .values(records.slice(i, i + 200).map((x) => ({ ...x, seq: seq++ })))
          .execute();
        await trx
          .insertInto('logistics_readings')
          .values(readings.slice(i, i + 200))
          .execute();
      }
      if (touched.size > 0)
        await trx
          .updateTable('logistics_shipments')
          .set({ needs_eval: 1 })
          .where('id', 'in', [...touched])
          .execute();
      await setKv(trx, CURSOR, String(last));
    });
    total += records.length;
    if (rows.length < CHUNK) return total;
  }
}

/** The readings of a shipment in the form the rule engine takes. */
export async function ruleReadingsOf(db: Kysely<LogisticsTables>, shipment: string): Promise<RuleReading[]> {
  const rows = await db
    .selectFrom('logistics_readings')
    .select(['record_id', 'device_id', 'seq', 'at', 'temp_mc', 'humidity_pm', 'lat_e7', 'lng_e7', 'shock_mg'])
    .where('shipment_id', '=', shipment)
    .execute();
  return rows.map((r) => ({
    recordId: r.record_id as Hash,
    device: r.device_id as Hash,
    seq: Number(r.seq),
    at: Number(r.at),
    tempMc: r.temp_mc,
    humidityPm: r.humidity_pm,
    lat: r.lat_e7 === null ? null : r.lat_e7 / 1e7,
    lng: r.lng_e7 === null ? null : r.lng_e7 / 1e7,
    shockMg: r.shock_mg,
  }));
}

/** The public JSON of an alert (events, webhooks, API). */
export function alertJson(recordId: string, a: AlertRecord, breach?: Breach) {
  return {
    recordId,
    shipment: a.shipment,
    index: a.index,
    code: a.code,
    ruleIndex: a.ruleIndex,
    rule: a.rule,
    startAt: a.startAt,
    lastAt: a.lastAt,
    worst: a.worst,
    trackers: a.trackers,
    readings: a.readings,
    readingCount: a.readingCount,
    raisedAt: a.raisedAt,
    ...(breach ? { endAt: breach.endAt } : {}),
  };
}

/** Evaluates the rules of every shipment with new readings and raises an alert for each new breach. */
async function evaluateDirty(db: Kysely<LogisticsTables>, now: number): Promise<number> {
  const dirty = await db
    .selectFrom('logistics_shipments')
    .select(['id', 'route', 'rules'])
    .where('needs_eval', '=', 1)
    .orderBy('id')
    .execute();
  let raised = 0;
  for (const s of dirty) {
    const rules = JSON.parse(s.rules) as Rule[];
    const route = JSON.parse(s.route) as Route;
    const breaches = evaluateRules(rules, route, await ruleReadingsOf(db, s.id));
    await db.transaction().execute(async (trx) => {
      const ship = await trx
        .selectFrom('logistics_shipments')
        .select('alert_count')
        .where('id', '=', s.id)
        .executeTakeFirstOrThrow();
      const existing = await trx
        .selectFrom('logistics_alerts')
        .select(['rule_index', 'start_at', 'last_at'])
        .where('shipment_id', '=', s.id)
        .execute();
      const known = existing.map((a) => ({
        ruleIndex: a.rule_index,
        startAt: Number(a.start_at),
        lastAt: Number(a.last_at),
      }));
      let index = ship.alert_count;
      let seq = await nextSeq(trx, 'logistics_records');
      for (const b of breaches) {
        if (known.some((a) => sameBreach(b, a))) continue;
        const record: AlertRecord = {
          type: 'logistics.alert',
          shipment: s.id as Hash,
          index,
          ruleIndex: b.ruleIndex,
          rule: rules[b.ruleIndex]!,
          code: b.code,
          startAt: b.startAt,
          lastAt: b.lastAt,
          worst: b.worst,
          trackers: b.trackers,
          readings: b.readings.slice(0, ALERT_READINGS_LISTED),
          readingCount: b.readings.length,
          raisedAt: now,
        };
        const sealed = sealRecord(record);
        await trx
          .insertInto('logistics_records')
          .values({
            id: sealed.id,
            seq: seq++,
            type: record.type,
            shipment_id: s.id,
            device_id: null,
            at: b.lastAt,
            json: sealed.json,
            salt: sealed.salt,
            leaf: sealed.leaf,
            batch: null,
            created_at: now,
          })
          .execute();
        await trx
          .insertInto('logistics_alerts')
          .values({
            record_id: sealed.id,
            shipment_id: s.id,
            idx: index,
            rule_index: b.ruleIndex,
            code: b.code,
            start_at: b.startAt,
            last_at: b.lastAt,
            worst: b.worst,
            created_at: now,
          })
          .execute();
        await appendEvent(trx, s.id, 'logistics.alert', alertJson(sealed.id, record, b), now);
        known.push({ ruleIndex: b.ruleIndex, startAt: b.startAt, lastAt: b.lastAt });
        index++;
        raised++;
      }
      await trx
        .updateTable('logistics_shipments')
        .set({ needs_eval: 0, alert_count: index })
        .where('id', '=', s.id)
        .execute();
    });
  }
  return raised;
}

/**
 * The module's processing step, idempotent and crash-safe (each chunk and
 * each shipment evaluation is one transaction): stores new accepted readings
 * as records, attaches them to shipments, evaluates rules and raises alerts.
 * Runs under the module's write lock.
 */
export function catchUp(core: Db, _params: Params, now: number = Date.now()) {
  return withWriteLock(core, async () => {
    const db = ldb(core);
    const readings = await ingestReadings(db, core, now);
    const alerts = await evaluateDirty(db, now);
    return { readings, alerts };
  });
}
