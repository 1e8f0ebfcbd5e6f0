import { dataCreditsAbi } from '@groundwork/abi';
import { NotFoundError } from '@groundwork/node/internal/errors.ts';
import type { ModuleRuntime } from '@groundwork/node/modules/types.ts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Address } from 'viem';
import { z } from 'zod';
import { beaconPacket, challengedSlot, challengeSlotOf, challengeSlots, type HexString } from './entropy.ts';
import { COVERAGE_PARAMETER_SPECS, DENY_PREFIX, readCoverageParams } from './params.ts';
import { coverageDb } from './store/schema.ts';

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 0x-prefixed 32-byte hex id');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address');
const limit = z.coerce.number().int().min(1).max(1000).default(100);

/**
 * The module's HTTP routes under /v1/modules/coverage: challenges and
 * entropy for hotspots, every verdict and reward line per hotspot for its
 * operator, beacons with their witnesses, credits and sessions, the denylist.
 */
export function coverageRoutes(app: FastifyInstance, rt: ModuleRuntime): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = coverageDb(rt.db);

  const publicRound = (e: {
    round: number;
    block_number: number;
    block_hash: string;
    secret: string;
    commitment: string | null;
    next_commitment: string;
    entropy: string;
    issued_at: number;
  }) => ({
    round: Number(e.round),
    entropy: e.entropy,
    issuedAt: Number(e.issued_at),
    blockNumber: Number(e.block_number),
    blockHash: e.block_hash,
    secret: e.secret,
    commitment: e.commitment,
    nextCommitment: e.next_commitment,
  });

  r.get(
    '/entropy',
    {
      schema: {
        tags: ['coverage'],
        summary: 'Latest challenge entropy rounds (with revealed secrets and the commitment to the next)',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) }),
      },
    },
    async (req) => {
      const rows = await db
        .selectFrom('coverage_entropy')
        .select([
          'round',
          'block_number',
          'block_hash',
          'secret',
          'commitment',
          'next_commitment',
          'entropy',
          'issued_at',
        ])
        .orderBy('round', 'desc')
        .limit(req.query.limit)
        .execute();
      return { rounds: rows.map(publicRound) };
    },
  );

  r.get(
    '/challenges/:deviceId',
    {
      schema: {
        tags: ['coverage'],
        summary: 'Whether the current entropy round challenges this hotspot, and what to broadcast',
        params: z.object({ deviceId: hex32 }),
      },
    },
    async (req) => {
      const p = readCoverageParams(rt.params());
      const e = await db
        .selectFrom('coverage_entropy')
        .selectAll()
        .orderBy('round', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!e) throw new NotFoundError('entropy round');
      const slots = challengeSlots(p.beaconIntervalS, p.entropySeconds);
      const id = req.params.deviceId.toLowerCase();
      const challenged = challengedSlot(e.entropy as HexString, slots) === challengeSlotOf(id, slots);
      return {
        deviceId: id,
        round: Number(e.round),
        entropy: e.entropy,
        challenged,
        expiresAt: Number(e.issued_at) + p.entropyLifeS * 1000,
        packet: 'first 16 bytes of sha256(entropy ‖ deviceId ‖ nonce), nonce = 16 random bytes',
        examplePacket: beaconPacket(e.entropy as HexString, id, `0x${'00'.repeat(16)}`),
      };
    },
  );

  r.get(
    '/hotspots',
    {
      schema: {
        tags: ['coverage'],
        summary:
          'Every hotspot: location, latest epoch verdict and detector flags, beacon and witness verdict counts',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(5000).default(1000),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (req) => {
      const devices = await db
        .selectFrom('devices')
        .select(['device_id', 'operator', 'h3_cell', 'active'])
        .where('module', '=', 'coverage')
        .orderBy('device_id')
        .limit(req.query.limit)
        .offset(req.query.offset)
        .execute();
      const ids = devices.map((d) => d.device_id);
      const latest = new Map<string, { epoch: number; flags: string; reason: string; score: string }>();
      const counts = new Map<
        string,
        { beacons: Record<string, number>; witnessReports: Record<string, number> }
      >();
      const countOf = (id: string) => {
        let c = counts.get(id);
        if (!c) counts.set(id, (c = { beacons: {}, witnessReports: {} }));
        return c;
      };
      // Chunks keep the IN lists within every driver's bound on query parameters.
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const newest = db
          .selectFrom('coverage_hotspot_epochs')
          .select(['device_id', (eb) => eb.fn.max('epoch').as('epoch')])
          .where('device_id', 'in', chunk)
          .groupBy('device_id')
          .as('m');
        const rows = await db
          .selectFrom('coverage_hotspot_epochs as h')
          .innerJoin(newest, (j) =>
            j.onRef('m.device_id', '=', 'h.device_id').onRef('m.epoch', '=', 'h.epoch'),
          )
          .select(['h.device_id', 'h.epoch', 'h.flags', 'h.reason', 'h.score'])
          .execute();
        for (const x of rows) latest.set(x.device_id, x);
        for (const [table, key] of [
          ['coverage_beacons', 'beacons'],
          ['coverage_witnesses', 'witnessReports'],
        ] as const) {
          const byReason = await db
            .selectFrom(table)
            .select(['device_id', 'reason', (eb) => eb.fn.countAll<number>().as('n')])
            .where('device_id', 'in', chunk)
            .groupBy(['device_id', 'reason'])
            .execute();
          for (const x of byReason) countOf(x.device_id)[key][x.reason ?? 'PENDING'] = Number(x.n);
        }
      }
      const p = readCoverageParams(rt.params());
      return {
        hotspots: devices.map((d) => {
          const l = latest.get(d.device_id);
          const c = counts.get(d.device_id) ?? { beacons: {}, witnessReports: {} };
          return {
            deviceId: d.device_id,
            operator: d.operator,
            h3Cell: d.h3_cell,
            active: d.active === 1,
            denylisted: p.denylist.has(d.device_id),
            latestEpoch: l
              ? {
                  epoch: Number(l.epoch),
                  flags: l.flags ? l.flags.split(',') : [],
                  reason: l.reason,
                  score: l.score,
                }
              : null,
            beacons: c.beacons,
            witnessReports: c.witnessReports,
          };
        }),
      };
    },
  );

  r.get(
    '/hotspots/:deviceId',
    {
      schema: {
        tags: ['coverage'],
        summary: "A hotspot's asserted location, fees, latest tests and verdict counts",
        params: z.object({ deviceId: hex32 }),
      },
    },
    async (req) => {
      const id = req.params.deviceId.toLowerCase();
      const d = await db.selectFrom('devices').selectAll().where('device_id', '=', id).executeTakeFirst();
      if (d?.module !== 'coverage') throw new NotFoundError(`coverage hotspot ${id}`);
      const latest = await db
        .selectFrom('coverage_hotspot_epochs')
        .selectAll()
        .where('device_id', '=', id)
        .orderBy('epoch', 'desc')
        .limit(1)
        .executeTakeFirst();
      const count = async (table: 'coverage_beacons' | 'coverage_witnesses') =>
        (
          await db
            .selectFrom(table)
            .select(['reason', (eb) => eb.fn.countAll<number>().as('n')])
            .where('device_id', '=', id)
            .groupBy('reason')
            .execute()
        ).map((x) => ({ reason: x.reason ?? 'PENDING', count: Number(x.n) }));
      const p = readCoverageParams(rt.params());
      return {
        deviceId: id,
        operator: d.operator,
        h3Cell: d.h3_cell,
        active: d.active === 1,
        denylisted: p.denylist.has(id),
        latestEpoch: latest
          ? {
              epoch: latest.epoch,
              flags: latest.flags ? latest.flags.split(',') : [],
              reason: latest.reason,
              score: latest.score,
              detail: JSON.parse(latest.detail),
            }
          : null,
        beacons: await count('coverage_beacons'),
        witnessReports: await count('coverage_witnesses'),
      };
    },
  );

  r.get(
    '/hotspots/:deviceId/verdicts',
    {
      schema: {
        tags: ['coverage'],
        summary: "Every verdict on a hotspot's beacons, witness reports, sessions and receipts, newest first",
        params: z.object({ deviceId: hex32 }),
        querystring: z.object({ limit }),
      },
    },
    async (req) => {
      const id = req.params.deviceId.toLowerCase();
      const n = req.query.limit;
      const beacons = await db
        .selectFrom('coverage_beacons')
        .selectAll()
        .where('device_id', '=', id)
        .orderBy('envelope_id', 'desc')
        .limit(n)
        .execute();
      const witnesses = await db
        .selectFrom('coverage_witnesses')
        .selectAll()
        .where('device_id', '=', id)
        .orderBy('envelope_id', 'desc')
        .limit(n)
        .execute();
      const sessions = await db
        .selectFrom('coverage_sessions')
        .selectAll()
        .where('device_id', '=', id)
        .orderBy('envelope_id', 'desc')
        .limit(n)
        .execute();
      const receipts = await db
        .selectFrom('coverage_receipts')
        .selectAll()
        .where('device_id', '=', id)
        .orderBy('envelope_id', 'desc')
        .limit(n)
        .execute();
      const status = (reason: string | null, final: number) =>
        reason === null ? 'pending' : final ? 'final' : 'provisional';
      return {
        deviceId: id,
        beacons: beacons.map((b) => ({
          envelopeId: Number(b.envelope_id),
          receivedAt: Number(b.received_at),
          round: Number(b.round),
          packet: b.packet,
          frequencyKhz: b.frequency_khz,
          reason: b.reason,
          status: status(b.reason, b.final),
          epoch: b.epoch,
        })),
        witnessReports: witnesses.map((w) => ({
          envelopeId: Number(w.envelope_id),
          receivedAt: Number(w.received_at),
          packet: w.packet,
          beaconId: w.beacon_id === null ? null : Number(w.beacon_id),
          rssiDdbm: w.rssi_ddbm,
          snrDdb: w.snr_ddb,
          frequencyKhz: w.frequency_khz,
          distanceM: w.distance_m,
          maxRssiDdbm: w.max_rssi_ddbm,
          reason: w.reason,
          status: status(w.reason, w.final),
          epoch: w.epoch,
        })),
        sessions: sessions.map((s) => ({
          envelopeId: Number(s.envelope_id),
          sessionId: s.session_id,
          client: s.client,
          maxCredits: s.max_credits,
          deadline: Number(s.deadline),
          reason: s.reason,
        })),
        receipts: receipts.map((x) => ({
          envelopeId: Number(x.envelope_id),
          sessionId: x.session_id,
          counter: Number(x.counter),
          cumulativeBytes: Number(x.cumulative_bytes),
          reason: x.reason,
        })),
      };
    },
  );

  r.get(
    '/hotspots/:deviceId/rewards',
    {
      schema: {
        tags: ['coverage'],
        summary: "A hotspot's coverage reward lines per epoch, with reason, detail and the tests behind them",
        params: z.object({ deviceId: hex32 }),
      },
    },
    async (req) => {
      const id = req.params.deviceId.toLowerCase();
      const lines = await db
        .selectFrom('reward_lines')
        .selectAll()
        .where('device_id', '=', id)
        .where('module', '=', 'coverage')
        .orderBy('epoch', 'desc')
        .execute();
      const tests = await db
        .selectFrom('coverage_hotspot_epochs')
        .selectAll()
        .where('device_id', '=', id)
        .orderBy('epoch', 'desc')
        .execute();
      const byEpoch = new Map(tests.map((t) => [t.epoch, t]));
      return {
        deviceId: id,
        lines: lines.map((l) => {
          const t = byEpoch.get(l.epoch);
          return {
            epoch: l.epoch,
            beneficiary: l.beneficiary,
            score: l.score,
            amount: l.amount,
            reason: l.reason,
            detail: l.detail ? JSON.parse(l.detail) : null,
            flags: t?.flags ? t.flags.split(',') : [],
            tests: t ? JSON.parse(t.detail) : null,
          };
        }),
      };
    },
  );

  r.get(
    '/beacons/:envelopeId',
    {
      schema: {
        tags: ['coverage'],
        summary: 'A beacon with every witness report of its packet and their verdicts',
        params: z.object({ envelopeId: z.coerce.number().int().min(1) }),
      },
    },
    async (req) => {
      const b = await db
        .selectFrom('coverage_beacons')
        .selectAll()
        .where('envelope_id', '=', req.params.envelopeId)
        .executeTakeFirst();
      if (!b) throw new NotFoundError(`beacon ${req.params.envelopeId}`);
      const witnesses = b.packet
        ? await db
            .selectFrom('coverage_witnesses')
            .selectAll()
            .where('packet', '=', b.packet)
            .orderBy('received_at')
            .execute()
        : [];
      return {
        envelopeId: Number(b.envelope_id),
        deviceId: b.device_id,
        receivedAt: Number(b.received_at),
        round: Number(b.round),
        packet: b.packet,
        reason: b.reason,
        epoch: b.epoch,
        witnesses: witnesses.map((w) => ({
          envelopeId: Number(w.envelope_id),
          deviceId: w.device_id,
          receivedAt: Number(w.received_at),
          rssiDdbm: w.rssi_ddbm,
          snrDdb: w.snr_ddb,
          distanceM: w.distance_m,
          maxRssiDdbm: w.max_rssi_ddbm,
          reason: w.reason,
        })),
      };
    },
  );

  r.get(
    '/credits/:address',
    {
      schema: {
        tags: ['coverage'],
        summary: "An account's Data Credits balance (read from chain), purchases and spending",
        params: z.object({ address }),
      },
    },
    async (req) => {
      const account = req.params.address.toLowerCase();
      const credits = rt.contracts.DataCredits as Address | undefined;
      const balance = credits
        ? ((await rt.clients.publicClient.readContract({
            address: credits,
            abi: dataCreditsAbi,
            functionName: 'balanceOf',
            args: [account as Address],
          })) as bigint)
        : 0n;
      const events = await db
        .selectFrom('coverage_credit_events')
        .selectAll()
        .where('account', '=', account)
        .orderBy('block', 'desc')
        .limit(500)
        .execute();
      return {
        address: account,
        balance: balance.toString(),
        events: events.map((e) => ({
          name: e.name,
          block: Number(e.block),
          blockTime: Number(e.block_time),
          tx: e.tx_hash,
          amount: e.amount,
          sessionId: e.session_id,
          ref: e.name === 'CreditsSpent' ? e.hotspot : null,
          purpose: e.name === 'CreditsSpent' ? e.other : null,
          bytes: e.name === 'SessionDebited' ? e.bytes : null,
        })),
      };
    },
  );

  r.get(
    '/sessions/:client/:sessionId',
    {
      schema: {
        tags: ['coverage'],
        summary: 'A data session: settlement state and receipts',
        params: z.object({ client: address, sessionId: hex32 }),
      },
    },
    async (req) => {
      const client = req.params.client.toLowerCase();
      const sessionId = req.params.sessionId.toLowerCase();
      const s = await db
        .selectFrom('coverage_settlements')
        .selectAll()
        .where('client', '=', client)
        .where('session_id', '=', sessionId)
        .executeTakeFirst();
      if (!s) throw new NotFoundError(`session ${sessionId} of ${client}`);
      const receipts = await db
        .selectFrom('coverage_receipts')
        .selectAll()
        .where('client', '=', client)
        .where('session_id', '=', sessionId)
        .orderBy('envelope_id')
        .execute();
      return {
        client,
        sessionId,
        hotspot: s.device_id,
        maxCredits: s.max_credits,
        deadline: Number(s.deadline),
        acceptedBytes: Number(s.accepted_bytes),
        owedCredits: s.owed_credits,
        submittedCredits: s.submitted_credits,
        debitedCredits: s.debited_credits,
        paidBytes: s.paid_bytes,
        receipts: receipts.map((x) => ({
          envelopeId: Number(x.envelope_id),
          counter: Number(x.counter),
          cumulativeBytes: Number(x.cumulative_bytes),
          reason: x.reason,
        })),
      };
    },
  );

  r.get(
    '/denylist',
    {
      schema: { tags: ['coverage'], summary: `Denylisted hotspots (governed: ${DENY_PREFIX}<n> parameters)` },
    },
    async () => {
      const entries = [...rt.params()]
        .filter(([k, v]) => k.startsWith(DENY_PREFIX) && v !== 0n)
        .map(([key, v]) => ({ key, deviceId: `0x${v.toString(16).padStart(64, '0')}` }))
        .sort((a, b) => (a.key < b.key ? -1 : 1));
      return { entries };
    },
  );

  r.get(
    '/parameters',
    {
      schema: {
        tags: ['coverage'],
        summary: 'Every coverage parameter: current value, genesis rule and meaning',
      },
    },
    async () => {
      const params = rt.params();
      return {
        parameters: COVERAGE_PARAMETER_SPECS.map((s) => ({
          key: s.key,
          value: params.get(s.key)?.toString() ?? null,
          description: s.description,
        })),
      };
    },
  );
}
