import { createLogger } from '@groundwork/node/internal/logger.ts';
import { createMetrics } from '@groundwork/node/internal/metrics.ts';
import type { Store } from '@groundwork/node/store/db.ts';
import { Verifier } from '@groundwork/node/verify/verifier.ts';
import { type DeviceKey, deviceKeyFromSeed, keyTypeCode, toHex } from '@groundwork/protocol';
import { latLngToCell } from 'h3-js';
import energy from '../index.ts';
import { genesisEnergyParams } from '../params.ts';

/** A meter in central Lisbon. */
export const LISBON_CELL = latLngToCell(38.72, -9.14, 10);
export const SLOT_MS = 900_000;
/** Slot starting 2030-06-21 12:30 UTC (sun high over Lisbon) and 02:00 UTC (night). */
export const NOON_SLOT = Date.UTC(2030, 5, 21, 12, 30) / SLOT_MS;
export const NIGHT_SLOT = Date.UTC(2030, 5, 21, 2, 0) / SLOT_MS;

export const params = (): Map<string, bigint> => {
  const m = genesisEnergyParams();
  m.set('ingest.maxSkewMs', 120_000n);
  return m;
};

export function meterKey(n: number): DeviceKey {
  return deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(n));
}

/** Inserts a device row as the chain indexer would. */
export async function seedMeter(
  store: Store,
  key: DeviceKey,
  operator: string,
  h3Cell = LISBON_CELL,
): Promise<void> {
  await store.db
    .insertInto('devices')
    .values({
      device_id: key.deviceId,
      key_type: keyTypeCode(key.keyType),
      public_key: toHex(key.publicKey),
      module: 'energy',
      h3_cell: h3Cell,
      operator: operator.toLowerCase(),
      active: 1,
      registered_block: 1,
    })
    .execute();
}

/**
 * Writes envelopes as ingest would have stored them (authentication is not what these tests are about) and runs
 * the core verifier over them, so the energy verdicts are real.
 */
export class EnvelopeWriter {
  #seq = new Map<string, number>();
  readonly verifier: Verifier;
  constructor(
    private readonly store: Store,
    p: Map<string, bigint> = params(),
  ) {
    this.verifier = new Verifier({
      db: store.db,
      modules: [energy],
      params: () => p,
      log: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
    });
  }

  async write(
    deviceId: string,
    kind: string,
    body: object,
    receivedAt: number,
    time = receivedAt,
  ): Promise<number> {
    const seq = (this.#seq.get(deviceId) ?? 0) + 1;
    this.#seq.set(deviceId, seq);
    const r = await this.store.db
      .insertInto('envelopes')
      .values({
        device_id: deviceId,
        seq,
        time,
        received_at: receivedAt,
        kind,
        body: JSON.stringify(body),
        sig: '0x',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.verifier.drain();
    return Number(r.id);
  }

  site(deviceId: string, receivedAt: number, site = { connection_w: 11_000, pv_wp: 5_000, battery_w: 0 }) {
    return this.write(deviceId, 'energy.site', site, receivedAt);
  }

  /** A read of `slot` received 30 s after it ended. */
  read(
    deviceId: string,
    slot: number,
    r: { imp: number; exp: number; impTotal: number; expTotal: number },
    receivedDelayMs = 30_000,
  ) {
    const end = (slot + 1) * SLOT_MS;
    return this.write(
      deviceId,
      'energy.interval',
      {
        start: slot * SLOT_MS,
        end,
        wh_import: r.imp,
        wh_export: r.exp,
        wh_import_total: r.impTotal,
        wh_export_total: r.expTotal,
      },
      end + receivedDelayMs,
      end + 5_000,
    );
  }
}
