import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ConfigError, type ModuleRuntime, NotFoundError, type Params } from '@groundwork/node';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Address, Hex } from 'viem';
import { z } from 'zod';
import { batchJson } from './anchor.ts';
import { authenticate, issueNonce, login, logout, SIWE_STATEMENT } from './auth.ts';
import { forbidden, unauthorized } from './errors.ts';
import { handoffTypedData } from './handoff.ts';
import { apiParam, LOGISTICS_PARAMS } from './params.ts';
import { alertJson, type LogisticsEvent } from './processor.ts';
import { buildProof } from './proof.ts';
import type { AlertRecord, LogisticsRecord } from './records.ts';
import { buildReport } from './report.ts';
import { renderReportHtml } from './reportHtml.ts';
import {
  addressSchema,
  createShipmentSchema,
  deviceIdSchema,
  handoffMessageSchema,
  handoffRequestSchema,
  recordIdSchema,
  shipmentIdSchema,
} from './schemas.ts';
import {
  addParty,
  attachTracker,
  createShipment,
  recordHandoff,
  requireParty,
  rolesOf,
  shipmentJson,
} from './shipments.ts';
import { ldb } from './store.ts';
import { rpcChainReader } from './verifyProof.ts';
import { setWebhook } from './webhooks.ts';

/** The bus event name of private logistics events (alerts, hand-offs); only the module's own stream forwards them. */
export const PRIVATE_EVENT = 'logistics:private';

const page = z.object({
  limit: z.coerce.number().int().min(1).max(5000).default(500),
  offset: z.coerce.number().int().min(0).default(0),
});
const idParams = z.object({ id: shipmentIdSchema });
/** How a route authenticates, for the OpenAPI document's readers. */
const bearer = 'Needs `Authorization: Bearer <token>` from POST /v1/modules/logistics/auth/login.';
/** Schema members of a route that needs a session: the note, and the node's `sessionToken` security scheme. */
const secured = { description: bearer, security: [{ sessionToken: [] }] };

const configSchema = z
  .object({
    /** Public host names (with port, if not the default) this node's API is reached at, for Sign-In with Ethereum. */
    siweDomains: z.array(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/i, 'a host[:port]')).default([]),
  })
  .strict();

/**
 * The module's node-local settings, `<data-dir>/logistics.json` (optional):
 * `{"siweDomains": ["logistics.example.com"]}`. Bad JSON fails at start-up with the expected form.
 */
export function readLogisticsConfig(dataDir: string): z.infer<typeof configSchema> {
  const file = join(dataDir, 'logistics.json');
  if (!existsSync(file)) return { siweDomains: [] };
  try {
    return configSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (cause) {
    throw new ConfigError(`${file} must be {"siweDomains": ["host[:port]", …]}: ${(cause as Error).message}`);
  }
}

/**
 * The EIP-4361 domain a sign-in must name: the request's Host, and only if it
 * is one this node answers to — its loopback address and port, or a domain
 * listed in `siweDomains`. Trusting any Host would let a phishing site's
 * signature (for its own domain) sign in here.
 */
export function signInDomain(req: FastifyRequest, siweDomains: readonly string[]): string {
  const host = (req.headers.host ?? '').toLowerCase();
  const port = (req.server.server.address() as AddressInfo | null)?.port;
  const local = port === undefined ? [] : [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (host && (local.includes(host) || siweDomains.some((d) => d.toLowerCase() === host))) return host;
  throw unauthorized(
    'AUTH_DOMAIN_UNKNOWN',
    `this node does not accept sign-in for domain "${host}"; list it in siweDomains of <data-dir>/logistics.json`,
  );
}

/** The network facts the module's routes need. */
export function networkOf(rt: ModuleRuntime) {
  const anchorRegistry = rt.contracts.AnchorRegistry;
  return {
    chainId: rt.deployment.chainId,
    anchorRegistry: (anchorRegistry ?? '0x0000000000000000000000000000000000000000') as Address,
    deviceRegistry: rt.deployment.contracts.registry,
  };
}

/** Who may see a record: the parties of its shipment, or — for a reading on no shipment — its device's operator. */
async function requireRecordAccess(rt: ModuleRuntime, recordId: string, account: string) {
  const db = ldb(rt.db);
  const r = await db
    .selectFrom('logistics_records')
    .selectAll()
    .where('id', '=', recordId)
    .executeTakeFirst();
  if (!r) throw new NotFoundError(`record ${recordId}`);
  if (r.shipment_id !== null) {
    if ((await rolesOf(db, r.shipment_id, account)).length > 0) return r;
  }
  if (r.device_id !== null) {
    const d = await rt.db
      .selectFrom('devices')
      .select('operator')
      .where('device_id', '=', r.device_id)
      .executeTakeFirst();
    if (d && d.operator.toLowerCase() === account) return r;
  }
  throw forbidden(
    'RECORD_FORBIDDEN',
    `account ${account} is not a party of the shipment this record belongs to`,
  );
}

/**
 * The module's HTTP API under `/v1/modules/logistics`: Sign-In with Ethereum,
 * shipments and their parties, trackers, hand-offs, readings, alerts,
 * reports, webhooks, records with their inclusion proofs, a private event
 * stream, and the public list of anchors. Everything about a shipment needs a
 * session of one of its parties (401 without one, 403 for anyone else).
 */
export async function registerRoutes(app: FastifyInstance, rt: ModuleRuntime): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = readLogisticsConfig(rt.dataDir);
  const params = (): Params => rt.params();
  const auth = (req: FastifyRequest) => authenticate(rt.db, req.headers.authorization);
  const db = ldb(rt.db);

  r.post(
    '/auth/nonce',
    {
      schema: {
        tags: ['logistics'],
        summary: 'A single-use nonce for a Sign-In with Ethereum (EIP-4361) message',
      },
    },
    async (req) => {
      const host = signInDomain(req, config.siweDomains);
      const { nonce, expiresAt } = await issueNonce(rt.db);
      return {
        nonce,
        expiresAt,
        domain: host,
        uri: `${req.protocol}://${host}`,
        chainId: rt.deployment.chainId,
        version: '1',
        statement: SIWE_STATEMENT,
      };
    },
  );

  r.post(
    '/auth/login',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Exchange a signed EIP-4361 message for a session token (Authorization: Bearer …)',
        body: z.object({
          message: z.string().min(1).max(4000),
          signature: z.string().regex(/^0x[0-9a-fA-F]+$/),
        }),
      },
    },
    async (req) =>
      login(rt.db, params(), {
        message: req.body.message,
        signature: req.body.signature as Hex,
        domain: signInDomain(req, config.siweDomains),
        chainId: rt.deployment.chainId,
      }),
  );

  r.post(
    '/auth/logout',
    { schema: { tags: ['logistics'], summary: 'End this session', ...secured } },
    async (req, reply) => {
      const s = await auth(req);
      await logout(rt.db, s.sid);
      return reply.status(204).send();
    },
  );

  r.get(
    '/me',
    {
      schema: { tags: ['logistics'], summary: 'Who the session is, and its shipments', ...secured },
    },
    async (req) => {
      const s = await auth(req);
      const rows = await db
        .selectFrom('logistics_parties as p')
        .innerJoin('logistics_shipments as s', 's.id', 'p.shipment_id')
        .select(['s.id', 's.reference', 's.status', 'p.role'])
        .where('p.account', '=', s.account)
        .orderBy('s.created_at', 'desc')
        .execute();
      const shipments = new Map<string, { id: string; reference: string; status: string; roles: string[] }>();
      for (const x of rows) {
        const e = shipments.get(x.id) ?? { id: x.id, reference: x.reference, status: x.status, roles: [] };
        e.roles.push(x.role);
        shipments.set(x.id, e);
      }
      return { account: s.account, expiresAt: s.expiresAt, shipments: [...shipments.values()] };
    },
  );

  r.post(
    '/shipments',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Create a shipment (the caller is its shipper): trackers, parties, route, condition rules',
        ...secured,
        body: createShipmentSchema,
      },
    },
    async (req, reply) => {
      const s = await auth(req);
      return reply.status(201).send(await createShipment(rt.db, params(), s.account, req.body));
    },
  );

  r.get(
    '/shipments',
    {
      schema: {
        tags: ['logistics'],
        summary: "The caller's shipments",
        ...secured,
        querystring: page,
      },
    },
    async (req) => {
      const s = await auth(req);
      const ids = await db
        .selectFrom('logistics_parties')
        .select('shipment_id')
        .distinct()
        .where('account', '=', s.account)
        .orderBy('shipment_id')
        .limit(req.query.limit)
        .offset(req.query.offset)
        .execute();
      return { shipments: await Promise.all(ids.map((x) => shipmentJson(db, x.shipment_id))) };
    },
  );

  r.get(
    '/shipments/:id',
    {
      schema: {
        tags: ['logistics'],
        summary: 'One shipment (parties only)',
        ...secured,
        params: idParams,
      },
    },
    async (req) => {
      const s = await auth(req);
      const { roles } = await requireParty(db, req.params.id, s.account);
      return { ...(await shipmentJson(db, req.params.id)), yourRoles: roles };
    },
  );

  r.post(
    '/shipments/:id/parties',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Add a carrier or an auditor (shipper only)',
        ...secured,
        params: idParams,
        body: z.object({ account: addressSchema, role: z.enum(['carrier', 'auditor']) }).strict(),
      },
    },
    async (req) => {
      const s = await auth(req);
      return addParty(rt.db, s.account, req.params.id, req.body.account, req.body.role);
    },
  );

  r.post(
    '/shipments/:id/trackers',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Put another tracker on the shipment (shipper only; its operator must be a party)',
        ...secured,
        params: idParams,
        body: z.object({ deviceId: deviceIdSchema, fromMs: z.number().int().min(0).optional() }).strict(),
      },
    },
    async (req) => {
      const s = await auth(req);
      return attachTracker(rt.db, s.account, req.params.id, req.body.deviceId, Date.now(), req.body.fromMs);
    },
  );

  r.post(
    '/shipments/:id/handoffs/draft',
    {
      schema: {
        tags: ['logistics'],
        summary: 'The next hand-off as EIP-712 typed data, for both parties to sign',
        ...secured,
        params: idParams,
        body: handoffMessageSchema.omit({ shipment: true, index: true }),
      },
    },
    async (req) => {
      const s = await auth(req);
      const { shipment } = await requireParty(db, req.params.id, s.account);
      const handoff = { ...req.body, shipment: req.params.id, index: shipment.handoff_count };
      const typed = handoffTypedData(handoff, networkOf(rt));
      return {
        handoff,
        typedData: { ...typed, message: { ...typed.message, at: String(typed.message.at) } },
      };
    },
  );

  r.post(
    '/shipments/:id/handoffs',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Record a custody hand-off signed by both parties (EIP-712 CustodyHandoff)',
        ...secured,
        params: idParams,
        body: handoffRequestSchema,
      },
    },
    async (req, reply) => {
      const s = await auth(req);
      const out = await recordHandoff(rt.db, params(), networkOf(rt), s.account, req.params.id, req.body);
      return reply.status(201).send(out);
    },
  );

  r.get(
    '/shipments/:id/handoffs',
    { schema: { tags: ['logistics'], summary: 'The custody chain', ...secured, params: idParams } },
    async (req) => {
      const s = await auth(req);
      await requireParty(db, req.params.id, s.account);
      const rows = await db
        .selectFrom('logistics_handoffs')
        .selectAll()
        .where('shipment_id', '=', req.params.id)
        .orderBy('idx')
        .execute();
      return {
        handoffs: rows.map((h) => ({
          recordId: h.record_id,
          index: h.idx,
          from: h.from_account,
          to: h.to_account,
          at: Number(h.at),
          latE7: h.lat_e7,
          lngE7: h.lng_e7,
          place: h.place,
          note: h.note,
        })),
      };
    },
  );

  r.get(
    '/shipments/:id/readings',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Readings of the shipment, by measurement time',
        ...secured,
        params: idParams,
        querystring: page.extend({ device: deviceIdSchema.optional() }),
      },
    },
    async (req) => {
      const s = await auth(req);
      await requireParty(db, req.params.id, s.account);
      let q = db
        .selectFrom('logistics_readings')
        .selectAll()
        .where('shipment_id', '=', req.params.id)
        .orderBy('at')
        .orderBy('device_id')
        .limit(req.query.limit)
        .offset(req.query.offset);
      if (req.query.device) q = q.where('device_id', '=', req.query.device);
      const rows = await q.execute();
      return {
        readings: rows.map((x) => ({
          recordId: x.record_id,
          deviceId: x.device_id,
          seq: Number(x.seq),
          at: Number(x.at),
          receivedAt: Number(x.received_at),
          tempMc: x.temp_mc,
          humidityPm: x.humidity_pm,
          latE7: x.lat_e7,
          lngE7: x.lng_e7,
          shockMg: x.shock_mg,
        })),
      };
    },
  );

  r.get(
    '/shipments/:id/alerts',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Alerts raised for the shipment',
        ...secured,
        params: idParams,
      },
    },
    async (req) => {
      const s = await auth(req);
      await requireParty(db, req.params.id, s.account);
      const rows = await db
        .selectFrom('logistics_alerts as a')
        .innerJoin('logistics_records as c', 'c.id', 'a.record_id')
        .select(['a.record_id', 'c.json'])
        .where('a.shipment_id', '=', req.params.id)
        .orderBy('a.idx')
        .execute();
      return { alerts: rows.map((a) => alertJson(a.record_id, JSON.parse(a.json) as AlertRecord)) };
    },
  );

  r.get(
    '/shipments/:id/records',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Every record of the shipment (readings, hand-offs, alerts) with its anchoring',
        ...secured,
        params: idParams,
        querystring: page.extend({
          type: z.enum(['logistics.reading', 'logistics.handoff', 'logistics.alert']).optional(),
        }),
      },
    },
    async (req) => {
      const s = await auth(req);
      await requireParty(db, req.params.id, s.account);
      let q = db
        .selectFrom('logistics_records as c')
        .leftJoin('logistics_batches as b', 'b.batch', 'c.batch')
        .select(['c.id', 'c.type', 'c.at', 'c.device_id', 'b.status', 'b.chain_batch', 'b.tx_hash'])
        .where('c.shipment_id', '=', req.params.id)
        .orderBy('c.at')
        .orderBy('c.seq')
        .limit(req.query.limit)
        .offset(req.query.offset);
      if (req.query.type) q = q.where('c.type', '=', req.query.type);
      const rows = await q.execute();
      return {
        records: rows.map((x) => ({
          id: x.id,
          type: x.type,
          at: Number(x.at),
          deviceId: x.device_id,
          anchored: x.status === 'anchored',
          batch: x.chain_batch,
          tx: x.tx_hash,
        })),
      };
    },
  );

  const reportQuery = z.object({ verify: z.enum(['true', 'false']).default('false') });
  const report = async (req: FastifyRequest, id: string, verify: boolean) => {
    const s = await auth(req);
    await requireParty(db, id, s.account);
    const network = networkOf(rt);
    return buildReport(rt.db, id, {
      verify,
      onTimeMs: apiParam(params(), LOGISTICS_PARAMS.onTimeSeconds) * 1000,
      chain: rpcChainReader(rt.clients.publicClient),
      network,
    });
  };
  r.get(
    '/shipments/:id/report',
    {
      schema: {
        tags: ['logistics'],
        summary:
          'Shipment report as JSON: timeline, path, temperature, hand-offs, breaches, anchoring (?verify=true audits every record)',
        ...secured,
        params: idParams,
        querystring: reportQuery,
      },
    },
    async (req) => report(req, req.params.id, req.query.verify === 'true'),
  );
  r.get(
    '/shipments/:id/report.html',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Shipment report as a printable HTML page (inline SVG map and temperature chart)',
        ...secured,
        params: idParams,
        querystring: reportQuery,
      },
    },
    async (req, reply) => {
      const html = renderReportHtml(await report(req, req.params.id, req.query.verify === 'true'));
      return reply.header('content-type', 'text/html; charset=utf-8').send(html);
    },
  );

  r.put(
    '/shipments/:id/webhook',
    {
      schema: {
        tags: ['logistics'],
        summary:
          "Register the caller's webhook for the shipment's alerts and hand-offs (POST JSON, HMAC-signed)",
        ...secured,
        params: idParams,
        body: z
          .object({ url: z.string().min(1).max(2000), secret: z.string().min(16).max(200).optional() })
          .strict(),
      },
    },
    async (req) => {
      const s = await auth(req);
      await requireParty(db, req.params.id, s.account);
      return setWebhook(rt.db, req.params.id, s.account, req.body.url, req.body.secret);
    },
  );

  r.get(
    '/shipments/:id/webhook',
    {
      schema: {
        tags: ['logistics'],
        summary: "The caller's webhook and its recent deliveries",
        ...secured,
        params: idParams,
      },
    },
    async (req) => {
      const s = await auth(req);
      await requireParty(db, req.params.id, s.account);
      const hook = await db
        .selectFrom('logistics_webhooks')
        .select(['url', 'created_at'])
        .where('shipment_id', '=', req.params.id)
        .where('account', '=', s.account)
        .executeTakeFirst();
      const deliveries = await db
        .selectFrom('logistics_deliveries')
        .selectAll()
        .where('shipment_id', '=', req.params.id)
        .where('account', '=', s.account)
        .orderBy('created_at', 'desc')
        .limit(100)
        .execute();
      return {
        webhook: hook ? { url: hook.url, createdAt: Number(hook.created_at) } : null,
        deliveries: deliveries.map((d) => ({
          id: d.id,
          event: Number(d.event_seq),
          status: d.status,
          attempts: d.attempts,
          lastError: d.last_error,
          deliveredAt: d.delivered_at === null ? null : Number(d.delivered_at),
        })),
      };
    },
  );

  r.delete(
    '/shipments/:id/webhook',
    {
      schema: {
        tags: ['logistics'],
        summary: "Remove the caller's webhook",
        ...secured,
        params: idParams,
      },
    },
    async (req, reply) => {
      const s = await auth(req);
      await requireParty(db, req.params.id, s.account);
      await db
        .deleteFrom('logistics_webhooks')
        .where('shipment_id', '=', req.params.id)
        .where('account', '=', s.account)
        .execute();
      return reply.status(204).send();
    },
  );

  const recordParams = z.object({ id: recordIdSchema });
  r.get(
    '/records/:id',
    {
      schema: {
        tags: ['logistics'],
        summary: 'One record and its anchoring',
        ...secured,
        params: recordParams,
      },
    },
    async (req) => {
      const s = await auth(req);
      const rec = await requireRecordAccess(rt, req.params.id, s.account);
      const b =
        rec.batch === null
          ? undefined
          : await db
              .selectFrom('logistics_batches')
              .selectAll()
              .where('batch', '=', rec.batch)
              .executeTakeFirst();
      return {
        id: rec.id,
        type: rec.type,
        shipment: rec.shipment_id,
        at: Number(rec.at),
        record: JSON.parse(rec.json) as LogisticsRecord,
        anchor: b ? batchJson(b) : null,
      };
    },
  );

  r.get(
    '/records/:id/proof',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Inclusion proof of one anchored record (check it with groundwork verify-proof)',
        ...secured,
        params: recordParams,
      },
    },
    async (req, reply) => {
      const s = await auth(req);
      await requireRecordAccess(rt, req.params.id, s.account);
      const proof = await buildProof(rt.db, req.params.id, networkOf(rt));
      reply.header('content-disposition', `attachment; filename="proof-${req.params.id.slice(2, 14)}.json"`);
      return proof;
    },
  );

  r.get(
    '/trackers/:id/readings',
    {
      schema: {
        tags: ['logistics'],
        summary: "A tracker's readings, on a shipment or not (its operator only)",
        ...secured,
        params: z.object({ id: deviceIdSchema }),
        querystring: page,
      },
    },
    async (req) => {
      const s = await auth(req);
      const d = await rt.db
        .selectFrom('devices')
        .select('operator')
        .where('device_id', '=', req.params.id)
        .executeTakeFirst();
      if (!d) throw new NotFoundError(`device ${req.params.id}`);
      if (d.operator.toLowerCase() !== s.account)
        throw forbidden(
          'TRACKER_FORBIDDEN',
          `only the operator ${d.operator} sees all readings of this tracker`,
        );
      const rows = await db
        .selectFrom('logistics_readings')
        .selectAll()
        .where('device_id', '=', req.params.id)
        .orderBy('at', 'desc')
        .limit(req.query.limit)
        .offset(req.query.offset)
        .execute();
      return {
        readings: rows.map((x) => ({
          recordId: x.record_id,
          seq: Number(x.seq),
          at: Number(x.at),
          receivedAt: Number(x.received_at),
          shipment: x.shipment_id,
          tempMc: x.temp_mc,
          humidityPm: x.humidity_pm,
          latE7: x.lat_e7,
          lngE7: x.lng_e7,
          shockMg: x.shock_mg,
        })),
      };
    },
  );

  r.get(
    '/anchors',
    {
      schema: {
        tags: ['logistics'],
        summary: 'Anchored Merkle roots (public: roots disclose nothing)',
        querystring: page,
      },
    },
    async (req) => {
      const rows = await db
        .selectFrom('logistics_batches')
        .selectAll()
        .orderBy('batch', 'desc')
        .limit(req.query.limit)
        .offset(req.query.offset)
        .execute();
      const pending = await db
        .selectFrom('logistics_records')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('batch', 'is', null)
        .executeTakeFirst();
      return {
        anchorRegistry: networkOf(rt).anchorRegistry,
        pendingRecords: Number(pending?.n ?? 0),
        anchors: rows.map(batchJson),
      };
    },
  );

  r.get(
    '/events',
    {
      schema: {
        tags: ['logistics'],
        summary:
          "Server-sent events of the caller's shipments: alerts, hand-offs, deliveries (Last-Event-ID resumes)",
        ...secured,
        querystring: z.object({ after: z.coerce.number().int().min(0).optional() }),
      },
    },
    async (req, reply) => {
      const s = await auth(req);
      const lastId = Number(req.headers['last-event-id'] ?? req.query.after ?? Number.NaN);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      const mine = new Set<string>();
      // Only memberships are cached: a party added later starts receiving at once.
      const isMine = async (shipment: string) => {
        if (mine.has(shipment)) return true;
        const yes = (await rolesOf(db, shipment, s.account)).length > 0;
        if (yes) mine.add(shipment);
        return yes;
      };
      const write = (e: LogisticsEvent) =>
        res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      let sent = Number.isFinite(lastId) ? lastId : -1;
      const deliver = async (e: LogisticsEvent) => {
        if (e.seq <= sent) return;
        sent = e.seq;
        if (await isMine(e.shipment)) write(e);
      };
      // One queue keeps the order: first what the client missed (Last-Event-ID), then live events.
      let queue: Promise<void> = Promise.resolve();
      if (Number.isFinite(lastId))
        queue = queue.then(async () => {
          const missed = await db
            .selectFrom('logistics_events')
            .selectAll()
            .where('seq', '>', lastId)
            .orderBy('seq')
            .limit(1000)
            .execute();
          for (const m of missed) await deliver(eventJson(m));
        });
      const onEvent = (e: LogisticsEvent) => {
        queue = queue.then(() => deliver(e)).catch(() => {});
      };
      rt.bus.on(PRIVATE_EVENT, onEvent);
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      const streams = openStreams(rt);
      streams.add(res);
      req.raw.on('close', () => {
        clearInterval(ping);
        rt.bus.off(PRIVATE_EVENT, onEvent);
        streams.delete(res);
      });
    },
  );
}

const streamsByNode = new WeakMap<object, Set<ServerResponse>>();

/** The event streams open on a node: ended when the module stops, so the server can close. */
export function openStreams(rt: ModuleRuntime): Set<ServerResponse> {
  let set = streamsByNode.get(rt.bus);
  if (!set) {
    set = new Set();
    streamsByNode.set(rt.bus, set);
  }
  return set;
}

/** An outbox row as an event. */
export function eventJson(e: {
  seq: number;
  shipment_id: string;
  type: string;
  payload: string;
  created_at: number;
}): LogisticsEvent {
  return {
    seq: Number(e.seq),
    shipment: e.shipment_id,
    type: e.type as LogisticsEvent['type'],
    payload: JSON.parse(e.payload),
    createdAt: Number(e.created_at),
  };
}
