import { energyMarketAbi } from '@groundwork/abi';
import type { ChainClients } from '@groundwork/node/chain/clients.ts';
import type { Db } from '@groundwork/node/store/db.ts';
import { type Address, parseEventLogs } from 'viem';
import { withLock } from '../store/lock.ts';
import { type EnergyDb, energyDb, readState, writeState } from '../store/schema.ts';

const CURSOR = 'chain.block';
const RANGE = 2_000n;

/**
 * Learns the market's chain state from its events only — escrow deposits,
 * settlements and withdrawals — up to the chain head. Each range of blocks is
 * written with the cursor in one transaction, so a restart resumes exactly
 * after the last block stored. Resolves with the block indexed to.
 */
export function syncMarketEvents(
  dbIn: Db | EnergyDb,
  o: { clients: ChainClients; market: Address; fromBlock: number },
): Promise<number> {
  const db = energyDb(dbIn);
  return withLock(db, 'chain', async () => {
    // Never a cached head: a block mined a moment ago must be indexed now.
    const head = await o.clients.publicClient.getBlockNumber({ cacheTime: 0 });
    let from = BigInt((await readState(db, CURSOR)) ?? o.fromBlock - 1) + 1n;
    while (from <= head) {
      const to = from + RANGE - 1n < head ? from + RANGE - 1n : head;
      const logs = await o.clients.publicClient.getLogs({ address: o.market, fromBlock: from, toBlock: to });
      const events = parseEventLogs({ abi: energyMarketAbi, logs });
      await db.transaction().execute(async (trx) => {
        for (const e of events) {
          const key = { tx_hash: e.transactionHash, log_index: e.logIndex, block: Number(e.blockNumber) };
          if (e.eventName === 'EscrowDeposited') {
            await trx
              .insertInto('energy_deposits')
              .values({
                ...key,
                slot: Number(e.args.slot),
                account: e.args.account.toLowerCase(),
                amount: e.args.amount.toString(),
              })
              .onConflict((oc) => oc.columns(['tx_hash', 'log_index']).doNothing())
              .execute();
          } else if (e.eventName === 'SettlementWithdrawn') {
            await trx
              .insertInto('energy_withdrawals')
              .values({
                ...key,
                account: e.args.account.toLowerCase(),
                amount: e.args.amount.toString(),
                cumulative: e.args.cumulativeAmount.toString(),
                caller: e.args.caller.toLowerCase(),
              })
              .onConflict((oc) => oc.columns(['tx_hash', 'log_index']).doNothing())
              .execute();
          } else if (e.eventName === 'SlotSettled') {
            const slot = Number(e.args.slot);
            await trx
              .insertInto('energy_chain_settlements')
              .values({
                slot,
                previous_slot: Number(e.args.previousSlot),
                root: e.args.root,
                total: e.args.total.toString(),
                grid_draw: e.args.gridDraw.toString(),
                statement_hash: e.args.statementHash,
                tx_hash: e.transactionHash,
                block: Number(e.blockNumber),
              })
              .onConflict((oc) => oc.column('slot').doNothing())
              .execute();
            await trx
              .updateTable('energy_settlements')
              .set({ status: 'submitted', tx_hash: e.transactionHash })
              .where('slot', '=', slot)
              .where('root', '=', e.args.root)
              .execute();
          }
        }
        await writeState(trx, CURSOR, to.toString());
      });
      from = to + 1n;
    }
    return Number(head);
  });
}
