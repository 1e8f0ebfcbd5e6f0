import type { KeyObject } from 'node:crypto';
import { type KeyType, publicKeyObject } from '@groundwork/protocol';
import { type Kysely, sql } from 'kysely';
import { type Db, sqliteHandleOf } from './db.ts';
import type { Database } from './schema.ts';

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
 * Where the devices table stands (migration 0009): the largest `change_seq`
 * stamped — every insert and every update of a mirrored column takes the
 * next one, in commit order — and how many deletes or id changes, which leave
 * no row to stamp, there have been. A reader that saw `seq` reads the rows
 * changed since with `change_seq > seq`; one that sees `resets` move reads
 * everything again.
 */
export async function devicesChangeState(db: Kysely<Database>): Promise<{ seq: number; resets: number }> {
  const state = await sql<{ seq: number | string | null; resets: number | string }>`select
      (select max(change_seq) from devices) as seq,
      (select n from devices_resets where id = 1) as resets`.execute(db);
  return { seq: Number(state.rows[0]?.seq ?? 0), resets: Number(state.rows[0]?.resets ?? 0) };
}

/** A devices-table row as the directory reads it: id, key type code, public key hex, module, cell, operator, active. */
type DeviceRow = [string, number, string, string, string, string, number];

/** What a {@link DeviceDirectory.refresh} read: nothing new, the changed devices only, or everything. */
export type DirectoryRead =
  | { kind: 'none' }
  | { kind: 'delta'; devices: number }
  | { kind: 'full'; devices: number };

/**
 * The in-memory view of the devices table that ingest checks against: keys
 * parsed once, last accepted seq per device. The table is the truth (written
 * by the chain indexer and by ingest commits); this mirrors it.
 */
export class DeviceDirectory {
  #devices = new Map<string, KnownDevice>();
  /** The devices table's state at the last load or refresh ({@link devicesChangeState}); -1 before the first. */
  #seq = -1;
  #resets = -1;

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
    // Read first: a change committed while the rows are read is read again by the next refresh.
    const state = await devicesChangeState(db);
    // Module and operator names repeat across devices: one string each, not one per row.
    const names = new Map<string, string>();
    const intern = (s: string) => {
      const t = names.get(s);
      if (t !== undefined) return t;
      names.set(s, s);
      return s;
    };
    // Built apart and swapped in whole: ingest meanwhile (an ingest worker reloads while it
    // serves) sees the previous view, never a half-built one.
    const next = new Map<string, KnownDevice>();
    const fill = (devices: Iterable<DeviceRow>, seqs: () => Iterable<readonly [string, number]>) => {
      for (const [id, keyType, key, module, h3, operator, active] of devices)
        put(next, id, keyType, key, intern(module), h3, intern(operator), active);
      for (const [id, seq] of seqs()) {
        const d = next.get(id);
        if (d) d.lastSeq = Number(seq);
      }
    };
    const handle = sqliteHandleOf(db);
    if (handle) {
      // SQLite: rows streamed as arrays, so a million devices never stand as a million row
      // objects at once beside the directory. Measured at 1,000,000 devices (the epoch bench's
      // seed, two loads each): 8.1 s, 413 MB held after GC and a peak RSS of 523 MB, against
      // 13.0–14.1 s, 792 MB and 1,163 MB when every row was read as an object first.
      // Synchronous, as the whole read was; the seqs' statement starts once the devices' is done.
      fill(
        handle
          .prepare('SELECT device_id, key_type, public_key, module, h3_cell, operator, active FROM devices')
          .raw()
          .iterate() as IterableIterator<DeviceRow>,
        () =>
          handle.prepare('SELECT device_id, last_seq FROM device_seq').raw().iterate() as IterableIterator<
            [string, number]
          >,
      );
    } else {
      const rows = await db.selectFrom('devices').selectAll().execute();
      const seqs = await db.selectFrom('device_seq').selectAll().execute();
      fill(
        rows.map(
          (r): DeviceRow => [
            r.device_id,
            r.key_type,
            r.public_key,
            r.module,
            r.h3_cell,
            r.operator,
            r.active,
          ],
        ),
        () => seqs.map((r) => [r.device_id, r.last_seq] as const),
      );
    }
    this.#devices = next;
    this.#seq = state.seq;
    this.#resets = state.resets;
  }

  /**
   * Brings the directory up to the store, reading only what changed: the
   * rows stamped since the last load or refresh, or everything again after a
   * delete or an id change (or before any load). What an ingest worker, which
   * has no chain indexer of its own, runs every few seconds: at a million
   * devices a whole load takes seconds (see `load`), a refresh with nothing
   * new one small query. A device's last seq is not read again — the mirror
   * only saves obvious replays a round trip, and the commit checks
   * `device_seq` itself; a new device starts at 0.
   */
  async refresh(db: Db): Promise<DirectoryRead> {
    if (this.#seq >= 0) {
      const state = await devicesChangeState(db);
      if (state.resets === this.#resets && state.seq >= this.#seq) {
        if (state.seq === this.#seq) return { kind: 'none' };
        const rows = await db
          .selectFrom('devices')
          .select(['device_id', 'key_type', 'public_key', 'module', 'h3_cell', 'operator', 'active'])
          .where('change_seq', '>', this.#seq)
          .execute();
        for (const r of rows) this.upsertRow(r);
        this.#seq = state.seq;
        return { kind: 'delta', devices: rows.length };
      }
    }
    await this.load(db);
    return { kind: 'full', devices: this.size };
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
    put(this.#devices, r.device_id, r.key_type, r.public_key, r.module, r.h3_cell, r.operator, r.active);
  }
}

/** Puts a devices-table row into `devices`, keeping the key object and last seq of the entry it replaces. */
function put(
  devices: Map<string, KnownDevice>,
  deviceId: string,
  keyTypeCode: number,
  publicKeyHex: string,
  module: string,
  h3Cell: string,
  operator: string,
  active: number,
): void {
  const keyType = keyTypeFromCode(keyTypeCode);
  const existing = devices.get(deviceId);
  const entry =
    existing instanceof DirectoryEntry && existing.keyType === keyType
      ? existing.withKeyOf()
      : new DirectoryEntry(deviceId, keyType, Buffer.from(publicKeyHex.slice(2), 'hex'));
  entry.module = module;
  entry.h3Cell = h3Cell;
  entry.operator = operator;
  entry.active = active === 1;
  entry.lastSeq = existing?.lastSeq ?? 0;
  devices.set(deviceId, entry);
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
