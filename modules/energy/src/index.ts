import type { GroundworkModule, Params } from '@groundwork/node/modules/types.ts';
import { deployEnergyContracts } from './chain/deploy.ts';
import { energyCommands } from './cli/commands.ts';
import { simCommand } from './cli/sim.ts';
import { nextFleetReading } from './fleet.ts';
import { checkIntervalRead, checkSiteDeclaration } from './meter/checks.ts';
import { ENERGY_PARAMETER_SPECS, genesisEnergyParams, readEnergyParams } from './params.ts';
import { collectGreenInputs, scoreGreen } from './rewards.ts';
import { registerEnergyRoutes } from './routes.ts';
import { startEnergyLoop } from './runtime.ts';
import { type IntervalBody, intervalBody, type SiteBody, siteBody } from './schemas.ts';
import { energyMigrations } from './store/migrations.ts';

export { ENERGY_PARAMS } from './params.ts';
export { EnergyReason } from './reasons.ts';

// The fleet's `next` gets no parameters; `intervalMs`, called just before it, leaves them here.
let fleetParams: Params = genesisEnergyParams();

/**
 * The `energy` module: smart meters sign 15-minute interval reads with
 * cumulative registers; a meter ledger checks them against the site's
 * connection, clear-sky physics and the meter's own history; a uniform-price
 * double auction clears each slot's signed bids and asks; EnergyMarket settles
 * every trade on chain by what the meters signed, under the spine's oracle
 * quorum; verified solar export earns GroundToken. See docs/ENERGY.md.
 */
const energy: GroundworkModule = {
  id: 'energy',
  description:
    'Peer-to-peer energy: signed 15-minute meter reads, a double auction per slot, settlement on chain by metered delivery, rewards for verified solar export.',
  kinds: {
    interval: {
      body: intervalBody,
      description: 'A 15-minute interval read: interval import/export and cumulative registers, Wh.',
    },
    site: {
      body: siteBody,
      description: "The meter's site as commissioned: connection capacity, solar array, battery power.",
    },
  },
  parameters: ENERGY_PARAMETER_SPECS,

  verify({ envelope, params }) {
    const p = readEnergyParams(params);
    if (envelope.kind === 'energy.site') return checkSiteDeclaration(envelope.body as SiteBody, p);
    return checkIntervalRead(
      { time: envelope.time, receivedAt: envelope.receivedAt, body: envelope.body as IntervalBody },
      p,
    );
  },

  collectInputs: (args) => collectGreenInputs(args) as Promise<Record<string, unknown>>,

  score: ({ inputs, devices }) => scoreGreen({ inputs: inputs as Record<string, unknown>, devices }),

  simulate: {
    intervalMs(params) {
      fleetParams = params;
      return readEnergyParams(params).slotMs;
    },
    next: ({ deviceIndex, now }) => nextFleetReading(deviceIndex, now, fleetParams),
  },

  routes: (app, rt) => registerEnergyRoutes(app, rt),
  migrations: energyMigrations,
  deploy: (ctx) => deployEnergyContracts(ctx),
  start: (rt) => startEnergyLoop(rt),
  cli: {
    simulate: simCommand,
    commands: energyCommands,
  },
};

export default energy;
