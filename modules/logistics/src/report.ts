import type { Db } from '@groundwork/node';
import {
  type Envelope,
  fromHex,
  keyTypeFromCode,
  publicKeyObject,
  verifyEnvelopeSignature,
} from '@groundwork/protocol';
import type { Address } from 'viem';
import { treeOf } from './anchor.ts';
import { type LatLng, pathLengthM } from './geo.ts';
import { type Hash, keccakHex, leafOf, verifyPath } from './merkle.ts';
import { alertJson } from './processor.ts';
import type { AlertRecord } from './records.ts';
import { type Breach, evaluateRules, type RuleReading, sameBreach } from './rules.ts';
import type { Route, Rule } from './schemas.ts';
import { shipmentJson } from './shipments.ts';
import { ldb } from './store.ts';
import type { ChainReader } from './verifyProof.ts';

export const REPORT_FORMAT = 'groundwork.logistics.report';

export interface ReportReading {
  recordId: string;
  deviceId: string;
  seq: number;
  at: number;
  receivedAt: number;
  tempMc: number | null;
  humidityPm: number | null;
  lat: number | null;
  lng: number | null;
  shockMg: number | null;
  anchored: boolean;
}

export interface ReportBreach extends Breach {
  rule: Rule;
  alertRecordId: string | null;
}

export interface IntegrityResult {
  checked: number;
  anchored: number;
  failed: { recordId: string; type: string; problems: string[] }[];
  chainChecked: boolean;
}

export type ShipmentReport = Awaited<ReturnType<typeof buildReport>>;

/**
 * Builds a shipment report as JSON: the shipment and its parties, the custody
 * chain, a timeline, every reading (for the path map and the charts), the
 * breaches (evaluated now, each matched to the alert that reported it),
 * anchoring, and — with `verify` — an integrity audit: every record of the
 * shipment re-hashed from what is stored and checked against its anchored
 * root (and, with a chain, that root on chain).
 */
export async function buildReport(
  core: Db,
  shipmentId: string,
  o: {
    now?: number;
    verify?: boolean;
    /** Delivery delay up to which a reading counts as on time (the governed `logistics.onTimeSeconds`), ms. */
    onTimeMs?: number;
    chain?: ChainReader;
    network?: { anchorRegistry: string; chainId: number };
  } = {},
) {
  const db = ldb(core);
  const shipment = await shipmentJson(db, shipmentId);
  const rows = await db
    .selectFrom('logistics_readings as r')
    .innerJoin('logistics_records as c', 'c.id', 'r.record_id')
    .select([
      'r.record_id',
      'r.device_id',
      'r.seq',
      'r.at',
      'r.received_at',
      'r.temp_mc',
      'r.humidity_pm',
      'r.lat_e7',
      'r.lng_e7',
      'r.shock_mg',
      'c.batch',
    ])
    .where('r.shipment_id', '=', shipmentId)
    .orderBy('r.at')
    .orderBy('r.device_id')
    .execute();
  const anchoredBatches = new Set(
    (await db.selectFrom('logistics_batches').select('batch').where('status', '=', 'anchored').execute()).map(
      (b) => b.batch,
    ),
  );
  const readings: ReportReading[] = rows.map((r) => ({
    recordId: r.record_id,
    deviceId: r.device_id,
    seq: Number(r.seq),
    at: Number(r.at),
    receivedAt: Number(r.received_at),
    tempMc: r.temp_mc,
    humidityPm: r.humidity_pm,
    lat: r.lat_e7 === null ? null : r.lat_e7 / 1e7,
    lng: r.lng_e7 === null ? null : r.lng_e7 / 1e7,
    shockMg: r.shock_mg,
    anchored: r.batch !== null && anchoredBatches.has(r.batch),
  }));
  const handoffs = await db
    .selectFrom('logistics_handoffs as h')
    .innerJoin('logistics_records as c', 'c.id', 'h.record_id')
    .select([
      'h.record_id',
      'h.idx',
      'h.from_account',
      'h.to_account',
      'h.at',
      'h.lat_e7',
      'h.lng_e7',
      'h.place',
      'h.note',
      'c.batch',
    ])
    .where('h.shipment_id', '=', shipmentId)
    .orderBy('h.idx')
    .execute();
  const alertRows = await db
    .selectFrom('logistics_alerts as a')
    .innerJoin('logistics_records as c', 'c.id', 'a.record_id')
    .select(['a.record_id', 'c.json', 'c.batch'])
    .where('a.shipment_id', '=', shipmentId)
    .orderBy('a.idx')
    .execute();
  const alerts = alertRows.map((a) => ({
    ...alertJson(a.record_id, JSON.parse(a.json) as AlertRecord),
    anchored: a.batch !== null && anchoredBatches.has(a.batch),
  }));
  const rules = shipment.rules as Rule[];
  const route = shipment.route as Route;
  const ruleReadings: RuleReading[] = readings.map((r) => ({
    recordId: r.recordId as Hash,
    device: r.deviceId as Hash,
    seq: r.seq,
    at: r.at,
    tempMc: r.tempMc,
    humidityPm: r.humidityPm,
    lat: r.lat,
    lng: r.lng,
    shockMg: r.shockMg,
  }));
  const breaches: ReportBreach[] = evaluateRules(rules, route, ruleReadings).map((b) => ({
    ...b,
    rule: rules[b.ruleIndex]!,
    alertRecordId: alerts.find((a) => sameBreach(b, a))?.recordId ?? null,
  }));

  const temps = readings.filter((r) => r.tempMc !== null).map((r) => r.tempMc!);
  const tempRule = rules.find((r) => r.kind === 'temperature');
  const byDevice = new Map<string, LatLng[]>();
  for (const r of readings)
    if (r.lat !== null && r.lng !== null)
      byDevice.set(r.deviceId, [...(byDevice.get(r.deviceId) ?? []), { lat: r.lat, lng: r.lng }]);
  const distances = [...byDevice.values()].map(pathLengthM);
  const onTime = readings.filter((r) => r.receivedAt - r.at <= (o.onTimeMs ?? 900_000)).length;

  const timeline: { at: number; type: string; text: string; recordId?: string }[] = [
    { at: shipment.createdAt, type: 'created', text: `shipment created by ${shipment.shipper}` },
    {
      at: shipment.startAt,
      type: 'tracking',
      text: `tracking starts (${shipment.trackers.length} tracker(s))`,
    },
  ];
  for (const h of handoffs)
    timeline.push({
      at: Number(h.at),
      type: 'handoff',
      text: `custody ${h.from_account} → ${h.to_account}${h.place ? ` at ${h.place}` : ''}`,
      recordId: h.record_id,
    });
  for (const b of breaches) {
    timeline.push({
      at: b.startAt,
      type: 'breach',
      text: `${b.code} (rule ${b.ruleIndex}, ${b.kind}) begins`,
      ...(b.alertRecordId ? { recordId: b.alertRecordId } : {}),
    });
    if (b.endAt !== null)
      timeline.push({
        at: b.endAt,
        type: 'breach-end',
        text: `${b.code} ends after ${formatDuration(b.durationMs)}`,
      });
  }
  if (shipment.deliveredAt !== null)
    timeline.push({ at: shipment.deliveredAt, type: 'delivered', text: 'delivered to the receiver' });
  timeline.sort((a, b) => a.at - b.at);

  const batches = await db
    .selectFrom('logistics_records as c')
    .innerJoin('logistics_batches as b', 'b.batch', 'c.batch')
    .select(['b.batch', 'b.root', 'b.tx_hash', 'b.block', 'b.anchored_at', 'b.chain_batch', 'b.status'])
    .select((eb) => eb.fn.countAll().as('n'))
    .where('c.shipment_id', '=', shipmentId)
    .groupBy(['b.batch', 'b.root', 'b.tx_hash', 'b.block', 'b.anchored_at', 'b.chain_batch', 'b.status'])
    .orderBy('b.batch')
    .execute();
  const totals = await db
    .selectFrom('logistics_records')
    .select(['batch'])
    .select((eb) => eb.fn.countAll().as('n'))
    .where('shipment_id', '=', shipmentId)
    .groupBy('batch')
    .execute();
  const recordCount = totals.reduce((s, t) => s + Number(t.n), 0);
  const anchoredCount = totals
    .filter((t) => t.batch !== null && anchoredBatches.has(t.batch))
    .reduce((s, t) => s + Number(t.n), 0);

  return {
    format: REPORT_FORMAT,
    version: 1,
    generatedAt: o.now ?? Date.now(),
    shipment,
    custody: handoffs.map((h) => ({
      index: h.idx,
      from: h.from_account,
      to: h.to_account,
      at: Number(h.at),
      lat: h.lat_e7 / 1e7,
      lng: h.lng_e7 / 1e7,
      place: h.place,
      note: h.note,
      recordId: h.record_id,
      anchored: h.batch !== null && anchoredBatches.has(h.batch),
    })),
    timeline,
    readings,
    temperatureBand:
      tempRule && tempRule.kind === 'temperature' ? { minMc: tempRule.minMc, maxMc: tempRule.maxMc } : null,
    alerts,
    breaches,
    stats: {
      readings: readings.length,
      trackers: new Set(readings.map((r) => r.deviceId)).size,
      firstAt: readings[0]?.at ?? null,
      lastAt: readings[readings.length - 1]?.at ?? null,
      minTempMc: temps.length ? Math.min(...temps) : null,
      maxTempMc: temps.length ? Math.max(...temps) : null,
      timeOutOfBandMs: breaches.filter((b) => b.kind === 'temperature').reduce((s, b) => s + b.durationMs, 0),
      distanceM: distances.length ? Math.round(Math.max(...distances)) : 0,
      onTimeShare: readings.length ? onTime / readings.length : null,
      records: recordCount,
      anchoredRecords: anchoredCount,
    },
    anchors: batches.map((b) => ({
      batch: b.chain_batch,
      root: b.root,
      tx: b.tx_hash,
      block: b.block === null ? null : Number(b.block),
      anchoredAt: b.anchored_at === null ? null : Number(b.anchored_at),
      status: b.status,
      recordsOfShipment: Number(b.n),
    })),
    integrity: o.verify ? await auditShipment(core, shipmentId, o.chain, o.network) : null,
  };
}

/**
 * Re-checks every stored record of a shipment against what was anchored: the
 * record id re-hashed from the stored JSON, the leaf, the device signature of
 * readings, and the path to the batch root (on chain too, with a chain). A
 * record edited after the fact fails here.
 */
export async function auditShipment(
  core: Db,
  shipmentId: string,
  chain?: ChainReader,
  network?: { anchorRegistry: string },
): Promise<IntegrityResult> {
  const db = ldb(core);
  const records = await db
    .selectFrom('logistics_records as c')
    .leftJoin('logistics_batches as b', 'b.batch', 'c.batch')
    .select(['c.id', 'c.type', 'c.json', 'c.salt', 'c.seq', 'c.batch', 'b.first_seq', 'b.root', 'b.status'])
    .where('c.shipment_id', '=', shipmentId)
    .orderBy('c.seq')
    .execute();
  const keys = new Map<string, { keyType: number; publicKey: string }>();
  const failed: IntegrityResult['failed'] = [];
  let anchored = 0;
  for (const r of records) {
    const problems: string[] = [];
    const id = keccakHex(Buffer.from(r.json, 'utf8'));
    if (id !== r.id) problems.push('record id: the stored record does not hash to its id');
    if (r.type === 'logistics.reading') {
      const env = (JSON.parse(r.json) as { envelope: Envelope }).envelope;
      let k = keys.get(env.device);
      if (!k) {
        const d = await core
          .selectFrom('devices')
          .select(['key_type', 'public_key'])
          .where('device_id', '=', env.device)
          .executeTakeFirst();
        if (d) keys.set(env.device, (k = { keyType: d.key_type, publicKey: d.public_key }));
      }
      const kt = k ? keyTypeFromCode(k.keyType) : undefined;
      if (
        !k ||
        !kt ||
        !verifyEnvelopeSignature(env, kt, publicKeyObject(kt, fromHex(k.publicKey as Address)))
      )
        problems.push('device signature: the stored reading is not what the device signed');
    }
    if (r.batch !== null && r.status === 'anchored' && r.root) {
      anchored++;
      const tree = await treeOf(core, r.batch);
      const leaf = leafOf(r.salt as Hash, id);
      const root = verifyPath(leaf, tree.proofOf(Number(r.seq) - Number(r.first_seq)));
      if (root !== r.root) problems.push('merkle path: the stored record does not lead to the anchored root');
      if (chain && network) {
        const a = await chain.anchorOf(network.anchorRegistry as Address, r.root as Hash);
        if (a.batch === 0) problems.push('root on chain: the batch root is not anchored on chain');
      }
    }
    if (problems.length > 0) failed.push({ recordId: r.id, type: r.type, problems });
  }
  return { checked: records.length, anchored, failed, chainChecked: Boolean(chain && network) };
}

/** 1 h 05 min, 12 min, 40 s. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}
