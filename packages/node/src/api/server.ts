import { createReadStream } from 'node:fs';
import swagger from '@fastify/swagger';
import { LIMITS } from '@groundwork/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InputError, NotFoundError } from '../internal/errors.ts';
import type { NodeContext } from '../node.ts';
import { buildRewardTree, type RewardTree } from '../rewards/merkle.ts';
import { verifierPosition } from '../verify/verifier.ts';
import { installErrorHandler } from './errors.ts';

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 0x-prefixed 32-byte hex id');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address');
const page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * Most envelopes after the verifier's cursor that `/v1/devices/{id}/verdicts`
 * reads to find a device's envelopes not judged yet (see there).
 */
export const PENDING_SCAN_ENVELOPES = 50_000;

/**
 * Builds the node's HTTP API (fastify + zod, OpenAPI at /openapi.json). The
 * CLI and the dashboard use only this API.
 */
export async function buildApi(ctx: NodeContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: LIMITS.maxRequestBytes,
    // Keep the process serving under abuse: bounded headers, timeouts.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
  });
  // JSON only: anything else is answered 415, not parsed as a string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app, ctx.log);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Groundwork node API',
        version: '1.0.0',
        description:
          'Signed envelope ingest, devices, verdicts, epochs, bundles and claims. See docs/PROTOCOL.md.',
      },
      components: {
        securitySchemes: {
          // Module routes that act for an account (logistics) name it in their `security`.
          sessionToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A session token from signing in with an Ethereum account (EIP-4361), e.g. POST /v1/modules/logistics/auth/login.',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = ctx;

  r.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  r.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  r.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  r.post(
    '/v1/envelopes',
    {
      schema: {
        tags: ['ingest'],
        summary: 'Submit a batch of signed envelopes; one verdict per envelope, after durable commit',
        body: z.object({ envelopes: z.array(z.unknown()) }),
      },
    },
    async (req, reply) => {
      const { envelopes } = req.body;
      if (envelopes.length === 0)
        throw new InputError('BAD_REQUEST', 'envelopes must hold at least one envelope');
      if (envelopes.length > LIMITS.maxBatchEnvelopes) {
        throw new InputError(
          'BATCH_TOO_LARGE',
          `at most ${LIMITS.maxBatchEnvelopes} envelopes per request`,
          400,
        );
      }
      const results = await ctx.ingestor.ingestBatch(envelopes);
      ctx.bus.emit('envelopes', {
        accepted: results.filter((v) => v.status === 'accepted').length,
        rejected: results.filter((v) => v.status === 'rejected').length,
      });
      return reply.status(202).send({ results });
    },
  );

  r.get(
    '/v1/status',
    { schema: { tags: ['network'], summary: 'Network, chain and node status' } },
    async () => {
      const open = await db.selectFrom('epochs').selectAll().where('status', '=', 'open').executeTakeFirst();
      const last = await db
        .selectFrom('epochs')
        .selectAll()
        .where('status', '=', 'submitted')
        .orderBy('epoch', 'desc')
        .executeTakeFirst();
      return {
        chainId: ctx.deployment.chainId,
        rpcUrl: ctx.clients.rpcUrl,
        contracts: ctx.deployment.contracts,
        indexedBlock: ctx.indexer.head,
        devices: ctx.devices.size,
        modules: ctx.modules.map((m) => ({
          id: m.id,
          description: m.description,
          kinds: Object.keys(m.kinds),
          // The contracts the module's deploy hook recorded (DataCredits, EnergyMarket, …): clients find them here.
          contracts: ctx.deployment.modules?.[m.id] ?? {},
        })),
        openEpoch: open
          ? { epoch: open.epoch, startMs: Number(open.start_ms), endMs: Number(open.end_ms) }
          : null,
        lastSubmittedEpoch: last?.epoch ?? null,
      };
    },
  );

  r.get(
    '/v1/params',
    { schema: { tags: ['network'], summary: 'Governed parameters (mirrored from ParameterRegistry)' } },
    async () => {
      const rows = await db.selectFrom('params').selectAll().orderBy('key').execute();
      return { params: rows.map((p) => ({ key: p.key, value: p.value, block: Number(p.block) })) };
    },
  );

  r.get(
    '/v1/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Devices known from DeviceRegistry',
        querystring: page.extend({ module: z.string().optional(), operator: address.optional() }),
      },
    },
    async (req) => {
      let q = db
        .selectFrom('devices')
        .selectAll()
        .orderBy('device_id')
        .limit(req.query.limit)
        .offset(req.query.offset);
      if (req.query.module) q = q.where('module', '=', req.query.module);
      if (req.query.operator) q = q.where('operator', '=', req.query.operator.toLowerCase());
      const rows = await q.execute();
      return { devices: rows.map((r) => deviceJson(r, ctx.devices.get(r.device_id)?.lastSeq ?? 0)) };
    },
  );

  r.get(
    '/v1/devices/:id',
    { schema: { tags: ['devices'], summary: 'One device', params: z.object({ id: hex32 }) } },
    async (req) => {
      const row = await db
        .selectFrom('devices')
        .selectAll()
        .where('device_id', '=', req.params.id.toLowerCase())
        .executeTakeFirst();
      if (!row) throw new NotFoundError(`device ${req.params.id}`);
      const earned = await db
        .selectFrom('reward_lines')
        .select(['amount'])
        .where('device_id', '=', row.device_id)
        .execute();
      return {
        ...deviceJson(row, ctx.devices.get(row.device_id)?.lastSeq ?? 0),
        totalEarned: earned.reduce((s, l) => s + BigInt(l.amount), 0n).toString(),
      };
    },
  );

  r.get(
    '/v1/devices/:id/verdicts',
    {
      schema: {
        tags: ['devices'],
        summary: "A device's recent envelopes with their verdicts (ingest rejections and module verdicts)",
        description:
          'Envelopes the verifier has not judged yet are listed with verdict status `pending`. They are found among the ' +
          `newest ${PENDING_SCAN_ENVELOPES} envelopes after the verifier's position; \`pendingComplete\` is false when the ` +
          'verifier is further behind than that, and older pending envelopes of the device may then be missing.',
        params: z.object({ id: hex32 }),
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      },
    },
    async (req) => {
      const id = req.params.id.toLowerCase();
      const { limit } = req.query;
      // Envelopes carry no per-device index (it cost the ingest path a random page per
      // envelope): judged ones are found through the verifier's `verdicts_device`, and
      // those not judged yet in the tail after the verifier's cursor — normally short.
      // Behind a verifier far behind, only the newest PENDING_SCAN_ENVELOPES are read, so
      // that a request costs the same whatever the backlog (`pendingComplete: false`).
      const cursor = await verifierPosition(db);
      const newest = await db
        .selectFrom('envelopes')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst();
      const scanFrom = Math.max(cursor, Number(newest?.id ?? 0) - PENDING_SCAN_ENVELOPES);
      const pending = await db
        .selectFrom('envelopes as e')
        .select(['e.id', 'e.seq', 'e.time', 'e.received_at', 'e.kind', 'e.body'])
        .where('e.id', '>', scanFrom)
        .where('e.device_id', '=', id)
        .orderBy('e.id', 'desc')
        .limit(limit)
        .execute();
      const judged = await db
        .selectFrom('verdicts as v')
        .innerJoin('envelopes as e', 'e.id', 'v.envelope_id')
        .select(['e.id', 'e.seq', 'e.time', 'e.received_at', 'e.kind', 'e.body', 'v.status', 'v.reason'])
        .where('v.device_id', '=', id)
        .orderBy('v.envelope_id', 'desc')
        .limit(limit)
        .execute();
      // An envelope judged between the two reads is in both: its verdict wins.
      const seen = new Set(judged.map((e) => Number(e.id)));
      const accepted = [
        ...pending
          .filter((e) => !seen.has(Number(e.id)))
          .map((e) => ({ ...e, status: null as string | null, reason: null as string | null })),
        ...judged,
      ]
        .sort((a, b) => Number(b.id) - Number(a.id))
        .slice(0, limit);
      const rejected = await db
        .selectFrom('rejections')
        .selectAll()
        .where('device_id', '=', id)
        .orderBy('id', 'desc')
        .limit(req.query.limit)
        .execute();
      return {
        deviceId: id,
        pendingComplete: scanFrom === cursor,
        envelopes: accepted.map((e) => ({
          seq: Number(e.seq),
          time: Number(e.time),
          receivedAt: Number(e.received_at),
          kind: e.kind,
          body: JSON.parse(e.body),
          ingest: 'accepted',
          verdict: e.status ? { status: e.status, reason: e.reason } : { status: 'pending', reason: null },
        })),
        rejections: rejected.map((x) => ({
          receivedAt: Number(x.received_at),
          reason: x.reason,
          detail: x.detail,
          seq: x.seq === null ? null : Number(x.seq),
          kind: x.kind,
        })),
      };
    },
  );

  r.get(
    '/v1/devices/:id/rewards',
    {
      schema: {
        tags: ['devices'],
        summary: "A device's reward lines per epoch, with reasons",
        params: z.object({ id: hex32 }),
      },
    },
    async (req) => {
      const rows = await db
        .selectFrom('reward_lines')
        .selectAll()
        .where('device_id', '=', req.params.id.toLowerCase())
        .orderBy('epoch', 'desc')
        .execute();
      return { deviceId: req.params.id.toLowerCase(), lines: rows.map(lineJson) };
    },
  );

  r.get(
    '/v1/epochs',
    { schema: { tags: ['epochs'], summary: 'Epochs, newest first', querystring: page } },
    async (req) => {
      const rows = await db
        .selectFrom('epochs')
        .selectAll()
        .orderBy('epoch', 'desc')
        .limit(req.query.limit)
        .offset(req.query.offset)
        .execute();
      return { epochs: rows.map(epochJson) };
    },
  );

  r.get(
    '/v1/epochs/:epoch',
    {
      schema: {
        tags: ['epochs'],
        summary: 'One epoch with its reward lines',
        params: z.object({ epoch: z.coerce.number().int().min(1) }),
      },
    },
    async (req) => {
      const row = await db
        .selectFrom('epochs')
        .selectAll()
        .where('epoch', '=', req.params.epoch)
        .executeTakeFirst();
      if (!row) throw new NotFoundError(`epoch ${req.params.epoch}`);
      const lines = await db
        .selectFrom('reward_lines')
        .selectAll()
        .where('epoch', '=', row.epoch)
        .orderBy('device_id')
        .execute();
      const chain = await db
        .selectFrom('chain_roots')
        .selectAll()
        .where('epoch', '=', row.epoch)
        .executeTakeFirst();
      return {
        ...epochJson(row),
        chain: chain
          ? {
              root: chain.root,
              total: chain.total,
              bundleHash: chain.bundle_hash,
              tx: chain.tx_hash,
              block: Number(chain.block),
            }
          : null,
        lines: lines.map(lineJson),
      };
    },
  );

  r.get(
    '/v1/epochs/:epoch/bundle',
    {
      schema: {
        tags: ['epochs'],
        summary: 'The epoch bundle, JSON Lines (docs/REWARDS.md §4; re-run it with groundwork verify-epoch)',
        params: z.object({ epoch: z.coerce.number().int().min(1) }),
      },
    },
    async (req, reply) => {
      const row = await db
        .selectFrom('epochs')
        .select(['bundle_path'])
        .where('epoch', '=', req.params.epoch)
        .executeTakeFirst();
      if (!row?.bundle_path) throw new NotFoundError(`bundle of epoch ${req.params.epoch}`);
      reply.header('content-type', 'application/x-ndjson; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="epoch-${req.params.epoch}.jsonl"`);
      // Streamed: a million-device bundle is a few hundred megabytes.
      return reply.send(createReadStream(row.bundle_path));
    },
  );

  const trees = new Map<number, RewardTree>();
  r.get(
    '/v1/accounts/:address/claimable',
    {
      schema: {
        tags: ['claims'],
        summary:
          "An account's cumulative reward, what it already claimed, and the Merkle proof to claim the rest",
        params: z.object({ address }),
      },
    },
    async (req) => {
      const account = req.params.address.toLowerCase();
      const last = await db
        .selectFrom('epochs')
        .select(['epoch', 'root'])
        .where('status', '=', 'submitted')
        .orderBy('epoch', 'desc')
        .executeTakeFirst();
      const claimedRows = await db
        .selectFrom('claims')
        .select('amount')
        .where('account', '=', account)
        .execute();
      const claimed = claimedRows.reduce((s, c) => s + BigInt(c.amount), 0n);
      if (!last)
        return {
          account,
          epoch: null,
          root: null,
          cumulativeAmount: '0',
          claimed: claimed.toString(),
          claimable: '0',
          proof: [],
        };
      let tree = trees.get(last.epoch);
      if (!tree) {
        const rows = await db
          .selectFrom('cumulative')
          .select(['account', 'amount'])
          .where('epoch', '=', last.epoch)
          .execute();
        tree = buildRewardTree(
          rows.map((x) => ({ account: x.account as `0x${string}`, cumulativeAmount: BigInt(x.amount) })),
        );
        trees.clear();
        trees.set(last.epoch, tree);
      }
      const mine = await db
        .selectFrom('cumulative')
        .select('amount')
        .where('epoch', '=', last.epoch)
        .where('account', '=', account)
        .executeTakeFirst();
      const cumulative = BigInt(mine?.amount ?? '0');
      return {
        account,
        epoch: last.epoch,
        root: last.root,
        cumulativeAmount: cumulative.toString(),
        claimed: claimed.toString(),
        claimable: (cumulative > claimed ? cumulative - claimed : 0n).toString(),
        proof: mine ? tree.proofOf(account as `0x${string}`) : [],
      };
    },
  );

  r.get(
    '/v1/events',
    {
      schema: {
        tags: ['network'],
        summary:
          'Server-sent events: envelopes, epoch, claim, device, and module.<id> for what each module publishes (e.g. module.energy: a slot cleared or settled)',
      },
    },
    (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      const send = (event: string) => (data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const handlers: Record<string, (data: unknown) => void> = {
        envelopes: send('envelopes'),
        epoch: send('epoch'),
        claim: send('claim'),
        device: send('device'),
      };
      // What a module emits on the bus under its own id is public; anything it keeps
      // private goes under another name (logistics' alerts) and is not forwarded here.
      for (const m of ctx.modules) handlers[m.id] = send(`module.${m.id}`);
      for (const [k, h] of Object.entries(handlers)) ctx.bus.on(k, h);
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      req.raw.on('close', () => {
        clearInterval(ping);
        for (const [k, h] of Object.entries(handlers)) ctx.bus.off(k, h);
      });
    },
  );

  for (const m of ctx.modules) {
    if (m.routes)
      await app.register(async (sub) => m.routes!(sub, ctx.runtimeFor(m.id)), {
        prefix: `/v1/modules/${m.id}`,
      });
  }
  await (await import('./dashboard.ts')).registerDashboard(app); // the web dashboard at / (packages/dashboard)
  return app;
}

function deviceJson(
  r: {
    device_id: string;
    key_type: number;
    public_key: string;
    module: string;
    h3_cell: string;
    operator: string;
    active: number;
    registered_block: number;
  },
  lastSeq: number,
) {
  return {
    deviceId: r.device_id,
    keyType: r.key_type === 1 ? 'ed25519' : 'p256',
    publicKey: r.public_key,
    module: r.module,
    h3Cell: r.h3_cell,
    operator: r.operator,
    active: r.active === 1,
    registeredBlock: Number(r.registered_block),
    lastSeq,
  };
}

function lineJson(l: {
  epoch: number;
  module: string;
  device_id: string;
  beneficiary: string;
  score: string;
  amount: string;
  reason: string;
  detail: string | null;
}) {
  return {
    epoch: l.epoch,
    module: l.module,
    deviceId: l.device_id,
    beneficiary: l.beneficiary,
    score: l.score,
    amount: l.amount,
    reason: l.reason,
    detail: l.detail ? JSON.parse(l.detail) : null,
  };
}

function epochJson(e: {
  epoch: number;
  start_ms: number;
  end_ms: number;
  status: string;
  pool: string | null;
  root: string | null;
  total: string | null;
  epoch_total: string | null;
  bundle_hash: string | null;
  tx_hash: string | null;
}) {
  return {
    epoch: e.epoch,
    startMs: Number(e.start_ms),
    endMs: Number(e.end_ms),
    status: e.status,
    pool: e.pool,
    root: e.root,
    total: e.total,
    epochTotal: e.epoch_total,
    bundleHash: e.bundle_hash,
    tx: e.tx_hash,
  };
}
