import { EventEmitter } from 'node:events';
import { deviceRegistryAbi, parameterRegistryAbi, rewardsDistributorAbi } from '@groundwork/abi';
import { type Address, type Log, parseEventLogs } from 'viem';
import type { Logger } from '../internal/logger.ts';
import type { Metrics } from '../internal/metrics.ts';
import { Mutex } from '../internal/mutex.ts';
import type { Db } from '../store/db.ts';
import type { DeviceDirectory } from '../store/devices.ts';
import type { ChainClients } from './clients.ts';
import type { Deployment } from './deployment.ts';
import { h3FromUint64, moduleFromBytes32, paramKeyFromBytes32 } from './params.ts';

const CURSOR = 'indexer';
const MAX_RANGE = 2_000n;

export interface IndexerEvents {
  device: [deviceId: string];
  param: [key: string, value: bigint];
  root: [epoch: number];
  claim: [account: string, amount: bigint];
}

/**
 * Learns chain state only from events: devices from DeviceRegistry,
 * parameters from ParameterRegistry, roots and claims from
 * RewardsDistributor. Each poll writes what it decoded and its cursor in one
 * transaction, so a restart resumes exactly after the last block it stored.
 */
export class ChainIndexer extends EventEmitter<IndexerEvents> {
  readonly #lock = new Mutex();
  readonly params = new Map<string, bigint>();
  #head = 0;

  constructor(
    private readonly o: {
      db: Db;
      clients: ChainClients;
      deployment: Deployment;
      devices: DeviceDirectory;
      log: Logger;
      metrics: Metrics;
    },
  ) {
    super();
  }

  /** Block number indexed so far. */
  get head(): number {
    return this.#head;
  }

  /** Loads the mirrored parameters and the cursor from the store. */
  async load(): Promise<void> {
    const rows = await this.o.db.selectFrom('params').selectAll().execute();
    for (const r of rows) this.params.set(r.key, BigInt(r.value));
    const c = await this.o.db
      .selectFrom('cursors')
      .select('position')
      .where('name', '=', CURSOR)
      .executeTakeFirst();
    this.#head = c ? Number(c.position) : this.o.deployment.deployBlock - 1;
  }

  /** Indexes every block up to the chain head; resolves when caught up. */
  sync(): Promise<number> {
    return this.#lock.run(async () => {
      // Uncached: viem keeps a block number for the client's cacheTime, and a head read
      // just before a transaction was mined (by waiting for its receipt, say) would end
      // this sync short of it — a device registered then was missing from the node.
      const latest = await this.o.clients.publicClient.getBlockNumber({ cacheTime: 0 });
      let from = BigInt(this.#head + 1);
      while (from <= latest) {
        const to = from + MAX_RANGE - 1n < latest ? from + MAX_RANGE - 1n : latest;
        await this.#index(from, to);
        from = to + 1n;
      }
      this.o.metrics.chainHead.set(this.#head);
      return this.#head;
    });
  }

  async #index(fromBlock: bigint, toBlock: bigint): Promise<void> {
    const { contracts } = this.o.deployment;
    const addresses: Address[] = [contracts.registry, contracts.parameters, contracts.distributor];
    const raw = await this.o.clients.publicClient.getLogs({ address: addresses, fromBlock, toBlock });
    const lower = (a: string) => a.toLowerCase();
    const at = (l: Log) => lower(l.address);
    const registryLogs = parseEventLogs({
      abi: deviceRegistryAbi,
      logs: raw.filter((l) => at(l) === lower(contracts.registry)),
    });
    const paramLogs = parseEventLogs({
      abi: parameterRegistryAbi,
      logs: raw.filter((l) => at(l) === lower(contracts.parameters)),
    });
    const distLogs = parseEventLogs({
      abi: rewardsDistributorAbi,
      logs: raw.filter((l) => at(l) === lower(contracts.distributor)),
    });
    const all = [...registryLogs, ...paramLogs, ...distLogs].sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex! - b.logIndex! : a.blockNumber! < b.blockNumber! ? -1 : 1,
    );
    const touched = new Set<string>();
    const paramChanges: [string, bigint][] = [];
    const roots: number[] = [];
    const claims: [string, bigint][] = [];

    await this.o.db.transaction().execute(async (trx) => {
      for (const ev of all) {
        const block = Number(ev.blockNumber);
        switch (ev.eventName) {
          case 'DeviceRegistered': {
            const a = ev.args as {
              deviceId: bigint;
              operator: Address;
              keyType: number;
              publicKey: `0x${string}`;
              module: `0x${string}`;
              h3Cell: bigint;
            };
            const deviceId = `0x${a.deviceId.toString(16).padStart(64, '0')}`;
            await trx
              .insertInto('devices')
              .values({
                device_id: deviceId,
                key_type: Number(a.keyType),
                public_key: a.publicKey.toLowerCase(),
                module: moduleFromBytes32(a.module),
                h3_cell: h3FromUint64(a.h3Cell),
                operator: lower(a.operator),
                active: 1,
                registered_block: block,
              })
              .onConflict((oc) => oc.column('device_id').doNothing())
              .execute();
            await trx
              .insertInto('device_seq')
              .values({ device_id: deviceId, last_seq: 0 })
              .onConflict((oc) => oc.column('device_id').doNothing())
              .execute();
            touched.add(deviceId);
            break;
          }
          case 'Transfer': {
            const a = ev.args as { from: Address; to: Address; tokenId: bigint };
            // Mints are covered by DeviceRegistered; a transfer moves future rewards.
            if (/^0x0{40}$/.test(a.from)) break;
            const deviceId = `0x${a.tokenId.toString(16).padStart(64, '0')}`;
            await trx
              .updateTable('devices')
              .set({ operator: lower(a.to) })
              .where('device_id', '=', deviceId)
              .execute();
            touched.add(deviceId);
            break;
          }
          case 'DeviceDeactivated': {
            const deviceId = `0x${(ev.args as { deviceId: bigint }).deviceId.toString(16).padStart(64, '0')}`;
            await trx.updateTable('devices').set({ active: 0 }).where('device_id', '=', deviceId).execute();
            touched.add(deviceId);
            break;
          }
          case 'DeviceLocationAsserted': {
            const a = ev.args as { deviceId: bigint; h3Cell: bigint };
            const deviceId = `0x${a.deviceId.toString(16).padStart(64, '0')}`;
            await trx
              .updateTable('devices')
              .set({ h3_cell: h3FromUint64(a.h3Cell) })
              .where('device_id', '=', deviceId)
              .execute();
            touched.add(deviceId);
            break;
          }
          case 'ParameterSet': {
            const a = ev.args as { key: `0x${string}`; value: bigint };
            const key = paramKeyFromBytes32(a.key);
            await trx
              .insertInto('params')
              .values({ key, value: a.value.toString(), block })
              .onConflict((oc) => oc.column('key').doUpdateSet({ value: a.value.toString(), block }))
              .execute();
            paramChanges.push([key, a.value]);
            break;
          }
          case 'RootSubmitted': {
            const a = ev.args as {
              epoch: bigint;
              root: `0x${string}`;
              total: bigint;
              bundleHash: `0x${string}`;
            };
            await trx
              .insertInto('chain_roots')
              .values({
                epoch: Number(a.epoch),
                root: a.root,
                total: a.total.toString(),
                bundle_hash: a.bundleHash,
                tx_hash: ev.transactionHash!,
                block,
              })
              .onConflict((oc) => oc.column('epoch').doNothing())
              .execute();
            roots.push(Number(a.epoch));
            break;
          }
          case 'RewardsClaimed': {
            const a = ev.args as {
              account: Address;
              amount: bigint;
              cumulativeAmount: bigint;
              caller: Address;
            };
            await trx
              .insertInto('claims')
              .values({
                tx_hash: ev.transactionHash!,
                log_index: ev.logIndex!,
                account: lower(a.account),
                amount: a.amount.toString(),
                cumulative: a.cumulativeAmount.toString(),
                caller: lower(a.caller),
                block,
              })
              .onConflict((oc) => oc.columns(['tx_hash', 'log_index']).doNothing())
              .execute();
            claims.push([lower(a.account), a.amount]);
            break;
          }
          default:
            break;
        }
      }
      await trx
        .insertInto('cursors')
        .values({ name: CURSOR, position: Number(toBlock) })
        .onConflict((oc) => oc.column('name').doUpdateSet({ position: Number(toBlock) }))
        .execute();
    });

    // After the commit: mirrors and notifications.
    this.#head = Number(toBlock);
    if (touched.size > 0) {
      const rows = await this.o.db
        .selectFrom('devices')
        .selectAll()
        .where('device_id', 'in', [...touched])
        .execute();
      for (const r of rows) this.o.devices.upsertRow(r);
      this.o.metrics.devicesKnown.set(this.o.devices.size);
      for (const id of touched) this.emit('device', id);
    }
    for (const [k, v] of paramChanges) {
      this.params.set(k, v);
      this.emit('param', k, v);
    }
    for (const e of roots) this.emit('root', e);
    for (const [a, v] of claims) this.emit('claim', a, v);
  }
}
