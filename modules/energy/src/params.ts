import { type ParameterSpec, type Params, requireParam } from '@groundwork/node/modules/types.ts';

/** Parameter keys this module reads from ParameterRegistry (each at most 31 ASCII characters). */
export const ENERGY_PARAMS = {
  weight: 'reward.weight.energy',
  slotSeconds: 'energy.slotSeconds',
  gateClosureSeconds: 'energy.gateClosureSeconds',
  settleDelaySeconds: 'energy.settleDelaySeconds',
  horizonSeconds: 'energy.horizonSeconds',
  priceTick: 'energy.priceTick',
  maxPrice: 'energy.maxPrice',
  tariffImport: 'energy.tariffImport',
  tariffExport: 'energy.tariffExport',
  maxConnectionW: 'energy.maxConnectionW',
  maxPvWp: 'energy.maxPvWp',
  clearSkyMarginBps: 'energy.clearSkyMarginBps',
  exportToleranceWh: 'energy.exportToleranceWh',
} as const;

/** The module's governed numbers with their genesis values (written to ParameterRegistry at deployment). */
export const ENERGY_PARAMETER_SPECS: ParameterSpec[] = [
  {
    key: ENERGY_PARAMS.weight,
    genesis: 10_000n,
    description: 'Share of each epoch pool for verified solar export (relative weight).',
  },
  {
    key: ENERGY_PARAMS.slotSeconds,
    genesis: 900n,
    description:
      'Length of a metering and market slot, seconds (15 minutes). EnergyMarket is deployed with the same value.',
  },
  {
    key: ENERGY_PARAMS.gateClosureSeconds,
    genesis: 300n,
    description: 'Orders for a slot are accepted until this many seconds before it starts; then it clears.',
  },
  {
    key: ENERGY_PARAMS.settleDelaySeconds,
    genesis: 600n,
    description: 'Meter reads of a slot are accepted until this many seconds after it ends; then it settles.',
  },
  {
    key: ENERGY_PARAMS.horizonSeconds,
    genesis: 172_800n,
    description: 'Orders may name slots starting at most this many seconds ahead (two days).',
  },
  {
    key: ENERGY_PARAMS.priceTick,
    genesis: 1_000n,
    description: 'Price tick, settlement-token base units per kWh; order prices are multiples of it.',
  },
  {
    key: ENERGY_PARAMS.maxPrice,
    genesis: 10_000_000n,
    description: 'Highest price an order may name, base units per kWh (10 tUSD/kWh).',
  },
  {
    key: ENERGY_PARAMS.tariffImport,
    genesis: 300_000n,
    description:
      "The utility's import tariff, base units per kWh: what shortfall energy from the grid costs.",
  },
  {
    key: ENERGY_PARAMS.tariffExport,
    genesis: 50_000n,
    description:
      "The utility's export tariff, base units per kWh: what surplus energy fed to the grid earns.",
  },
  {
    key: ENERGY_PARAMS.maxConnectionW,
    genesis: 50_000n,
    description: 'Largest rated connection capacity a site may declare, watts.',
  },
  {
    key: ENERGY_PARAMS.maxPvWp,
    genesis: 50_000n,
    description: 'Largest solar array a site may declare, watts peak.',
  },
  {
    key: ENERGY_PARAMS.clearSkyMarginBps,
    genesis: 13_000n,
    description:
      'Export above clear-sky potential × this / 10,000 (plus battery power) is implausible (130%: cold panels, cloud-edge light).',
  },
  {
    key: ENERGY_PARAMS.exportToleranceWh,
    genesis: 10n,
    description:
      'Export every site may show in any slot regardless of the sun (meter and inverter noise), Wh.',
  },
];

/** Every governed number of the module, typed. */
export interface EnergyParams {
  slotSeconds: number;
  slotMs: number;
  gateClosureMs: number;
  settleDelayMs: number;
  horizonMs: number;
  priceTick: number;
  maxPrice: number;
  tariffImport: bigint;
  tariffExport: bigint;
  maxConnectionW: number;
  maxPvWp: number;
  clearSkyMarginBps: number;
  exportToleranceWh: number;
}

/**
 * Reads the module's parameters from the governed map, failing loudly when
 * one was never set (every threshold comes from ParameterRegistry).
 */
export function readEnergyParams(params: Params): EnergyParams {
  const n = (key: string) => Number(requireParam(params, key));
  const slotSeconds = n(ENERGY_PARAMS.slotSeconds);
  return {
    slotSeconds,
    slotMs: slotSeconds * 1000,
    gateClosureMs: n(ENERGY_PARAMS.gateClosureSeconds) * 1000,
    settleDelayMs: n(ENERGY_PARAMS.settleDelaySeconds) * 1000,
    horizonMs: n(ENERGY_PARAMS.horizonSeconds) * 1000,
    priceTick: n(ENERGY_PARAMS.priceTick),
    maxPrice: n(ENERGY_PARAMS.maxPrice),
    tariffImport: requireParam(params, ENERGY_PARAMS.tariffImport),
    tariffExport: requireParam(params, ENERGY_PARAMS.tariffExport),
    maxConnectionW: n(ENERGY_PARAMS.maxConnectionW),
    maxPvWp: n(ENERGY_PARAMS.maxPvWp),
    clearSkyMarginBps: n(ENERGY_PARAMS.clearSkyMarginBps),
    exportToleranceWh: n(ENERGY_PARAMS.exportToleranceWh),
  };
}

/** The genesis values as a parameter map (tests, the simulation before a chain exists). */
export function genesisEnergyParams(): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const s of ENERGY_PARAMETER_SPECS) {
    m.set(s.key, typeof s.genesis === 'function' ? s.genesis({ epochSeconds: 3600n }) : s.genesis);
  }
  return m;
}

/** Slot number of a time: whole slots since the Unix epoch (the contract's numbering). */
export function slotOf(timeMs: number, slotMs: number): number {
  return Math.floor(timeMs / slotMs);
}

/** Start of a slot, ms since the Unix epoch. */
export function slotStartMs(slot: number, slotMs: number): number {
  return slot * slotMs;
}
