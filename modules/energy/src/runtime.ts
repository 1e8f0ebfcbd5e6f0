import { energyMarketAbi } from '@groundwork/abi';
import type { ModuleRuntime } from '@groundwork/node/modules/types.ts';
import type { Address, Hex } from 'viem';
import { syncMarketEvents } from './chain/events.ts';
import { clearDueSlots } from './market/book.ts';
import { advanceLedger } from './meter/ledger.ts';
import { settleDueSlots } from './settlement/service.ts';

/** How often the node's energy loop runs. */
const TICK_MS = 1_000;

/** The market contract of a running node, or undefined when the module's contracts were never deployed. */
export function marketOf(rt: Pick<ModuleRuntime, 'contracts'>): Address | undefined {
  return rt.contracts.EnergyMarket;
}

/**
 * One pass of the node's energy work, in pipeline order: learn escrow and
 * settlements from the chain, judge new meter reads, clear slots whose gate
 * closed, settle slots whose books closed. Emits `energy` events on the bus.
 */
export async function runEnergyTick(rt: ModuleRuntime, now: number): Promise<void> {
  const market = marketOf(rt);
  if (market) {
    await syncMarketEvents(rt.db, { clients: rt.clients, market, fromBlock: rt.deployment.deployBlock });
  }
  const params = rt.params();
  await advanceLedger(rt.db, params);
  for (const c of await clearDueSlots(rt.db, { params, now })) {
    rt.bus.emit('energy', { type: 'cleared', ...c });
    rt.log.info({ msg: 'energy slot cleared', ...c });
  }
  if (!market || rt.keys.oracles.length === 0) return;
  // Read each pass: governance may move the grid account.
  const [gridAccount, window] = await Promise.all([
    rt.clients.publicClient.readContract({
      address: market,
      abi: energyMarketAbi,
      functionName: 'gridAccount',
    }),
    rt.clients.publicClient.readContract({
      address: market,
      abi: energyMarketAbi,
      functionName: 'settlementWindow',
    }),
  ]);
  const settled = await settleDueSlots(rt.db, {
    params,
    now,
    clients: rt.clients,
    market,
    gridAccount: gridAccount as Address,
    settlementWindowMs: Number(window) * 1000,
    oracleKeys: rt.keys.oracles as Hex[],
    submitterKey: rt.keys.deployer,
    log: rt.log,
  });
  for (const s of settled) {
    rt.bus.emit('energy', { type: 'settled', ...s });
    rt.log.info({ msg: 'energy slot settled', ...s });
  }
}

/** Starts the node's energy loop; `stop()` waits for the pass in progress. */
export async function startEnergyLoop(rt: ModuleRuntime): Promise<{ stop(): Promise<void> }> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        await runEnergyTick(rt, Date.now());
      } catch (err) {
        if (!stopped)
          rt.log.warn({ msg: 'energy loop failed; retrying', error: (err as Error).message.slice(0, 300) });
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
