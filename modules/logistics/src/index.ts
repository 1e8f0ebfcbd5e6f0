import type { GroundworkModule } from '@groundwork/node';
import { loginCommand, proofCommand, reportCommand, verifyProofCommand } from './cli/commands.ts';
import { simCommand } from './cli/sim.ts';
import { deployLogistics } from './deploy.ts';
import { LOGISTICS_PARAMETERS, LOGISTICS_PARAMS, PARAMETERS_UNSET } from './params.ts';
import { registerRoutes } from './routes.ts';
import { type ReadingBody, readingBody } from './schemas.ts';
import { collectTrackerInputs, scoreTrackers } from './score.ts';
import { startService } from './service.ts';
import { migrations } from './store.ts';

/** Reason codes of the logistics verifier. */
export const ReadingReason = {
  ok: 'READING_OK',
  afterEnvelope: 'READING_AFTER_ENVELOPE',
  tooOld: 'READING_TOO_OLD',
  parametersUnset: 'PARAMETERS_UNSET',
} as const;

/**
 * The `logistics` module: trackers on containers, trucks and pallets sign
 * what they sense; shippers create shipments with trackers, a route and
 * condition rules; custody passes only with both parties' signatures; rule
 * breaches raise alerts (event stream, webhooks); every record is anchored
 * in AnchorRegistry, and anyone can check one record's proof against the
 * chain. Trackers earn for readings on shipments, delivered on time and
 * consistent with their neighbours. See docs/LOGISTICS.md.
 */
const logistics: GroundworkModule = {
  id: 'logistics',
  description:
    'Shipment trackers: signed readings, custody hand-offs signed by both parties, condition rules and alerts, Merkle roots anchored on chain with inclusion proofs anyone can check.',
  kinds: {
    reading: {
      body: readingBody,
      description:
        'What a tracker sensed at `at` (measurement time, ms): temperature (milli-°C), humidity (per mille), position (lat/lng in 1e-7 degrees, or an H3 cell), shock (milli-g).',
    },
  },
  parameters: LOGISTICS_PARAMETERS,

  verify({ envelope, params }) {
    const body = envelope.body as ReadingBody;
    // A tracker cannot have measured after it signed; buffered readings may be older, within the backfill window.
    if (body.at > envelope.time) return { status: 'rejected', reason: ReadingReason.afterEnvelope };
    const backfill = params.get(LOGISTICS_PARAMS.maxBackfillSeconds);
    if (backfill === undefined) return { status: 'rejected', reason: PARAMETERS_UNSET };
    const backfillMs = Number(backfill) * 1000;
    if (body.at < envelope.receivedAt - backfillMs)
      return { status: 'rejected', reason: ReadingReason.tooOld };
    return {
      status: 'accepted',
      reason: ReadingReason.ok,
      contribution: { at: body.at, delayMs: envelope.receivedAt - body.at },
    };
  },

  collectInputs: ({ db, window, params }) => collectTrackerInputs(db, window, params),
  score: (args) => scoreTrackers({ ...args, inputs: args.inputs as Record<string, unknown> }),

  simulate: {
    // Two readings per reward slot (a simulated fleet only; one second before the parameter is set).
    intervalMs: (params) =>
      Math.max(250, (Number(params.get(LOGISTICS_PARAMS.slotSeconds) ?? 2n) * 1000) / 2),
    next({ deviceIndex, now, tick }) {
      // A refrigerated van circling Lisbon (where the `up` fleet lives), 2–8 °C with a gentle drift.
      const angle = (tick / 240 + deviceIndex / 7) * 2 * Math.PI;
      const lat = 38.72 + 0.03 * Math.sin(angle);
      const lng = -9.14 + 0.04 * Math.cos(angle);
      return {
        kind: 'logistics.reading',
        body: {
          at: now,
          tempMc: 5_000 + Math.round(1_000 * Math.sin(tick / 50 + deviceIndex)),
          humidityPm: 500 + ((deviceIndex * 37 + tick) % 80),
          position: { latE7: Math.round(lat * 1e7), lngE7: Math.round(lng * 1e7) },
          shockMg: 200 + ((deviceIndex * 131 + tick * 17) % 900),
        },
      };
    },
  },

  routes: (app, rt) => registerRoutes(app, rt),
  migrations,
  deploy: (ctx) => deployLogistics(ctx),
  start: (rt) => startService(rt),
  cli: {
    simulate: simCommand(() => logistics),
    commands: { proof: proofCommand, report: reportCommand, login: loginCommand },
    topLevel: { 'verify-proof': verifyProofCommand },
  },
};

export default logistics;
