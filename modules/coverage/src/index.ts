import type { GroundworkModule } from '@groundwork/node/modules/types.ts';
import { deployDataCredits } from './chain.ts';
import { coverageCommands, simCommand } from './cli.ts';
import { parseFacts } from './facts.ts';
import { beaconBody, receiptBody, sessionBody, witnessBody } from './kinds.ts';
import { COVERAGE_PARAMETER_SPECS, readCoverageParams } from './params.ts';
import { coverageRoutes } from './routes.ts';
import { scoreDevices } from './score.ts';
import { startCoverage } from './service.ts';
import { collectCoverageInputs } from './store/pipeline.ts';
import { coverageMigrations } from './store/schema.ts';
import { verifyCoverageEnvelope } from './verify.ts';

export { COVERAGE_PARAMS } from './params.ts';
export * from './reasons.ts';

/**
 * The `coverage` module: wireless hotspots prove coverage by answering
 * unpredictable challenges with beacons that other hotspots witness, checked
 * against radio physics and against each hotspot's whole record; they earn
 * more for data transfer that clients paid for in Data Credits, burned from
 * GroundToken. See docs/COVERAGE.md.
 */
const coverage: GroundworkModule = {
  id: 'coverage',
  description:
    'Wireless hotspots: challenged beacons and witness reports checked against physics and hotspot history, ' +
    'hex density scaling, and data transfer paid in Data Credits (weighted above coverage).',
  kinds: {
    beacon: { body: beaconBody, description: 'A challenged hotspot broadcast its beacon packet.' },
    witness: {
      body: witnessBody,
      description: 'A hotspot heard a beacon packet: RSSI, SNR, frequency, time.',
    },
    session: {
      body: sessionBody,
      description: "A client's signed authorization of a data session with this hotspot.",
    },
    receipt: {
      body: receiptBody,
      description: "A client's signed count of the bytes received so far in a session.",
    },
  },
  parameters: COVERAGE_PARAMETER_SPECS,
  verify: verifyCoverageEnvelope,
  // Debits mined before the epoch's end are indexed by then: the service's beforeClose (service.ts).
  collectInputs: ({ db, window, params }) =>
    collectCoverageInputs(db, window, params) as unknown as Promise<Record<string, unknown>>,
  score: ({ window, inputs, devices, params }) =>
    scoreDevices(parseFacts(inputs), readCoverageParams(params), window, devices),
  routes: coverageRoutes,
  migrations: coverageMigrations,
  deploy: (ctx) =>
    deployDataCredits({
      clients: ctx.clients,
      deployerKey: ctx.deployerKey,
      oracleKeys: ctx.oracleKeys,
      oracleThreshold: ctx.oracleThreshold,
      core: ctx.core,
      onProgress: ctx.onProgress,
    }),
  start: startCoverage,
  cli: { simulate: simCommand, commands: coverageCommands },
};

export default coverage;
