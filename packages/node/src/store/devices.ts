import type { KeyObject } from 'node:crypto';
import { type KeyType, publicKeyObject } from '@groundwork/protocol';
import type { Db } from './db.ts';

export interface KnownDevice {
  deviceId: string;
  keyType: KeyType;
  /** For verifying on this thread; the directory builds it on first use (see {@link DirectoryEntry}). */
  readonly publicKey: KeyObject;
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
    const entry =
      existing instanceof DirectoryEntry && existing.keyType === keyType
        ? existing.withKeyOf()
        : new DirectoryEntry(r.device_id, keyType, Buffer.from(r.public_key.slice(2), 'hex'));
    entry.module = r.module;
    entry.h3Cell = r.h3_cell;
    entry.operator = r.operator;
    entry.active = r.active === 1;
    entry.lastSeq = existing?.lastSeq ?? 0;
    this.#devices.set(r.device_id, entry);
  }
}

/**
 * A device of the directory. Its key object is built on first use: with a
 * verify pool (the default) the workers build their own from the raw bytes
 * and this thread never needs one, so a node that loads a million devices
 * does not build a million key objects it will not use (about 10 µs of CPU
 * each from a JWK, and memory).
 */
class DirectoryEntry implements KnownDevice {
  module = '';
  h3Cell = '';
  operator = '';
  active = false;
  lastSeq = 0;
  #publicKey: KeyObject | undefined;

  constructor(
    readonly deviceId: string,
    readonly keyType: KeyType,
    readonly rawPublicKey: Uint8Array,
    publicKey?: KeyObject,
  ) {
    this.#publicKey = publicKey;
  }

  get publicKey(): KeyObject {
    return (this.#publicKey ??= publicKeyObject(this.keyType, this.rawPublicKey));
  }

  /** A new entry for the same device and key, with the key object if one was built. */
  withKeyOf(): DirectoryEntry {
    return new DirectoryEntry(this.deviceId, this.keyType, this.rawPublicKey, this.#publicKey);
  }
}
