import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../store/db.ts';
import { devicesChangeState } from '../store/devices.ts';
import type { Database } from '../store/schema.ts';

/** A device in a module's list: its id and the account its rewards pay. */
export interface ListedDevice {
  readonly deviceId: string;
  readonly beneficiary: string;
}

/** What a {@link DeviceLists.refresh} read: nothing new, the changed devices only, or whole lists. */
export type DeviceListsRead =
  | { kind: 'none' }
  | { kind: 'delta'; devices: number }
  | { kind: 'full'; modules: number };

/**
 * Each module's active devices in id order, with the account each pays, kept
 * between epoch closes: a refresh reads only the devices whose row changed
 * since the last one (their `change_seq`, stamped by triggers, migration
 * 0009) and merges them in, instead of listing a million devices again.
 *
 * A refresh runs inside the caller's read transaction, so the lists are those
 * of that snapshot, the one the module's inputs are read from. The arrays
 * handed out are never changed afterwards — a refresh that changes a list
 * builds a new one — so a bundle that holds one keeps what it read.
 */
export class DeviceLists {
  /** The largest `change_seq` the lists include; -1 before the first load. */
  #seq = -1;
  /** `devices_resets.n` when the lists were loaded: a delete or id change since means reload. */
  #resets = -1;
  readonly #lists = new Map<string, readonly ListedDevice[]>();

  /**
   * Brings the lists of `modules` up to the snapshot of `trx` (a transaction,
   * or any connection for a one-off read) and returns what it read.
   */
  async refresh(trx: Kysely<Database>, modules: readonly string[]): Promise<DeviceListsRead> {
    const { seq, resets } = await devicesChangeState(trx);
    if (resets !== this.#resets || seq < this.#seq) {
      this.#lists.clear();
      this.#seq = seq;
      this.#resets = resets;
    }
    let read: DeviceListsRead = { kind: 'none' };
    if (seq > this.#seq) {
      const rows = await sql<{ device_id: string; module: string; operator: string; active: number }>`
        select device_id, module, operator, active from devices where change_seq > ${this.#seq}
        order by device_id`.execute(trx);
      for (const [module, list] of this.#lists) this.#lists.set(module, merged(list, module, rows.rows));
      this.#seq = seq;
      read = { kind: 'delta', devices: rows.rows.length };
    }
    const missing = modules.filter((m) => !this.#lists.has(m));
    for (const m of missing) this.#lists.set(m, await loadList(trx, m));
    if (missing.length > 0) read = { kind: 'full', modules: missing.length };
    return read;
  }

  /** A module's list as of the last refresh that included it (empty if none did). */
  get(module: string): readonly ListedDevice[] {
    return this.#lists.get(module) ?? [];
  }
}

/**
 * `list` with the changed rows applied: every changed device leaves it, and
 * comes back (with its current operator) if it is an active device of
 * `module`. Both in id order: one merge. The list is returned as it was when
 * no changed device is or belongs in it.
 */
function merged(
  list: readonly ListedDevice[],
  module: string,
  changes: readonly { device_id: string; module: string; operator: string; active: number }[],
): readonly ListedDevice[] {
  const touches = changes.some(
    (c) => (c.module === module && Number(c.active) === 1) || indexOfDevice(list, c.device_id) >= 0,
  );
  if (!touches) return list;
  const out: ListedDevice[] = [];
  let i = 0;
  for (const c of changes) {
    while (i < list.length && list[i]!.deviceId < c.device_id) out.push(list[i++]!);
    if (i < list.length && list[i]!.deviceId === c.device_id) i++;
    if (c.module === module && Number(c.active) === 1)
      out.push({ deviceId: c.device_id, beneficiary: c.operator });
  }
  while (i < list.length) out.push(list[i++]!);
  return out;
}

/** Where `deviceId` is in `list` (in id order), by binary search; -1 if absent. */
export function indexOfDevice(list: readonly ListedDevice[], deviceId: string): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const id = list[mid]!.deviceId;
    if (id === deviceId) return mid;
    if (id < deviceId) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * A module's whole list, as one JSON value built by the database (a million
 * rows as objects through the driver cost more than one string and
 * JSON.parse). Accounts repeat (an operator runs many devices): each is kept
 * once.
 */
async function loadList(trx: Kysely<Database>, module: string): Promise<readonly ListedDevice[]> {
  const rows = sql`select device_id, operator from devices
    where module = ${module} and active = 1 order by device_id`;
  const q =
    dialectOf(trx) === 'sqlite'
      ? sql<{ j: string }>`select json_group_array(json_array(device_id, operator)) as j from (${rows})`
      : sql<{
          j: string;
        }>`select coalesce(json_agg(json_build_array(device_id, operator)), '[]'::json)::text as j
          from (${rows}) s`;
  const json = (await q.execute(trx)).rows[0]?.j ?? '[]';
  const pairs = JSON.parse(json) as [string, string][];
  // Rows come in the database's order of ids (bytewise: SQLite's BINARY, collation "C" on
  // PostgreSQL since migration 0008; aggregated in the order of a sorted subquery, which
  // PostgreSQL keeps in practice but does not promise): sorted here only if not.
  for (let i = 1; i < pairs.length; i++)
    if (!(pairs[i - 1]![0] < pairs[i]![0])) {
      pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      break;
    }
  const accounts = new Map<string, string>();
  const list = new Array<ListedDevice>(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const [deviceId, operator] = pairs[i]!;
    let account = accounts.get(operator);
    if (account === undefined) accounts.set(operator, (account = operator));
    list[i] = { deviceId, beneficiary: account };
  }
  return list;
}
