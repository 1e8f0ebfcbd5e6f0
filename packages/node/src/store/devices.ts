import type { KeyObject } from 'node:crypto';
import { type KeyType, publicKeyObject } from '@groundwork/protocol';
import type { Db } from './db.ts';

export interface KnownDevice {
  deviceId: string;
  keyType: KeyType;
  publicKey: KeyObject;
  /** The raw public key bytes (32 ed25519, 64 P-256 x||y), for the verify workers. */
  rawPublicKey: Uint8Array;
  module: string;
  h3Cell: string;
  operator: string;
  active: boolean;
  lastSeq: number;
}

const KEY_TYPES: Record<number, KeyType> = { 1: 'ed25519', 2: 'p256' };

/** Maps the on-chain key type code (1 ed25519, 2 P-256) to its name. */
export function keyTypeFromCode(code: number): KeyType {
  const t = KEY_TYPES[code];
  if (!t) throw new Error(`unknown key type code ${code}`);
  return t;
}

/**
 * The in-memory view of the devices table that ingest checks against: keys
 * parsed once, last accepted seq per device. The table is the truth (written
 * by the chain indexer and by ingest commits); this mirrors it.
 */
export class DeviceDirectory {
  readonly #devices = new Map<string, KnownDevice>();

  get size(): number {
    return this.#devices.size;
  }

  get(deviceId: string): KnownDevice | undefined {
    return this.#devices.get(deviceId);
  }

  values(): IterableIterator<KnownDevice> {
    return this.#devices.values();
  }

  /**
   * Loads (or reloads) every device from the store, with its last accepted
   * seq from `device_seq` (the table every ingest process advances; this
   * mirror only saves a round trip for obvious replays).
   */
  async load(db: Db): Promise<void> {
    const rows = await db.selectFrom('devices').selectAll().execute();
    this.#devices.clear();
    for (const r of rows) this.upsertRow(r);
    const seqs = await db.selectFrom('device_seq').selectAll().execute();
    for (const s of seqs) {
      const d = this.#devices.get(s.device_id);
      if (d) d.lastSeq = Number(s.last_seq);
    }
  }

  /** Mirrors one devices-table row. */
  upsertRow(r: {
    device_id: string;
    key_type: number;
    public_key: string;
    module: string;
    h3_cell: string;
    operator: string;
    active: number;
  }): void {
    const keyType = keyTypeFromCode(r.key_type);
    const existing = this.#devices.get(r.device_id);
    const raw = existing?.rawPublicKey ?? Buffer.from(r.public_key.slice(2), 'hex');
    this.#devices.set(r.device_id, {
      deviceId: r.device_id,
      keyType,
      publicKey: existing?.publicKey ?? publicKeyObject(keyType, raw),
      rawPublicKey: raw,
      module: r.module,
      h3Cell: r.h3_cell,
      operator: r.operator,
      active: r.active === 1,
      lastSeq: existing?.lastSeq ?? 0,
    });
  }
}
