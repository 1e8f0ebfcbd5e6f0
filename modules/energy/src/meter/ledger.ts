import type { Params } from '@groundwork/node/modules/types.ts';
import type { Db } from '@groundwork/node/store/db.ts';
import { cellToLatLng, isValidCell } from 'h3-js';
import type { Insertable } from 'kysely';
import { readEnergyParams } from '../params.ts';
import type { IntervalBody, SiteBody } from '../schemas.ts';
import { withLock } from '../store/lock.ts';
import { type EnergyDb, type EnergyReadTable, energyDb, readState, writeState } from '../store/schema.ts';
import { judgeInterval, type ReadPoint, type Site } from './checks.ts';

const CURSOR = 'ledger.cursor';
const CHUNK = 2000;

interface MeterState {
  deviceId: string;
  site: Omit<Site, 'location'> & { at: number };
  last: { slot: number; importTotal: number; exportTotal: number } | null;
  dirty: boolean;
}

/** The location of an H3 cell as the registry stores it (hex without 0x), or null for none. */
export function locationOfCell(h3Cell: string): { lat: number; lng: number } | null {
  if (!h3Cell || !isValidCell(h3Cell)) return null;
  const [lat, lng] = cellToLatLng(h3Cell);
  return { lat, lng };
}

/**
 * The meter ledger: the stateful half of read verification. It walks the
 * module's verdicts in envelope order after its cursor and writes every
 * interval read to `energy_reads` with its final verdict — the verifier's
 * own rejection, or {@link judgeInterval}'s — and keeps each meter's site and
 * last accepted registers. Site declarations take effect for the reads that
 * come after them. A chunk's reads, meter states and the cursor are written in
 * one transaction, so a crash replays a chunk and never skips or doubles one.
 * Resolves with the number of envelopes it walked.
 */
export function advanceLedger(dbIn: Db | EnergyDb, params: Params): Promise<number> {
  const db = energyDb(dbIn);
  const p = readEnergyParams(params);
  return withLock(db, 'ledger', async () => {
    let walked = 0;
    for (;;) {
      const n = await db.transaction().execute(async (trx) => {
        const after = Number((await readState(trx, CURSOR)) ?? 0);
        const rows = await trx
          .selectFrom('verdicts as v')
          .innerJoin('envelopes as e', 'e.id', 'v.envelope_id')
          .innerJoin('devices as d', 'd.device_id', 'e.device_id')
          .select([
            'v.envelope_id',
            'v.status',
            'v.reason',
            'e.device_id',
            'e.kind',
            'e.body',
            'e.received_at',
            'd.h3_cell',
          ])
          .where('v.module', '=', 'energy')
          .where('v.envelope_id', '>', after)
          .orderBy('v.envelope_id')
          .limit(CHUNK)
          .execute();
        if (rows.length === 0) return 0;

        const devices = [...new Set(rows.map((r) => r.device_id))];
        const meters = new Map<string, MeterState>();
        for (let i = 0; i < devices.length; i += 500) {
          const found = await trx
            .selectFrom('energy_meters')
            .selectAll()
            .where('device_id', 'in', devices.slice(i, i + 500))
            .execute();
          for (const m of found) {
            meters.set(m.device_id, {
              deviceId: m.device_id,
              site: {
                connectionW: Number(m.connection_w),
                pvWp: Number(m.pv_wp),
                batteryW: Number(m.battery_w),
                at: Number(m.site_at),
              },
              last:
                m.last_slot === null
                  ? null
                  : {
                      slot: Number(m.last_slot),
                      importTotal: Number(m.last_import_total),
                      exportTotal: Number(m.last_export_total),
                    },
              dirty: false,
            });
          }
        }
        const slots = new Set<number>();
        const bodies = rows.map((r) => JSON.parse(r.body) as IntervalBody & SiteBody);
        rows.forEach((r, k) => {
          if (r.kind === 'energy.interval') slots.add(Math.floor(bodies[k]!.start / p.slotMs));
        });
        const settled = new Set<number>();
        const slotList = [...slots];
        for (let i = 0; i < slotList.length; i += 500) {
          const s = await trx
            .selectFrom('energy_settlements')
            .select('slot')
            .where('slot', 'in', slotList.slice(i, i + 500))
            .execute();
          for (const x of s) settled.add(Number(x.slot));
        }
        const locations = new Map<string, Site['location']>();
        const pending: Insertable<EnergyReadTable>[] = [];
        const flush = async () => {
          for (let i = 0; i < pending.length; i += 1000) {
            await trx
              .insertInto('energy_reads')
              .values(pending.slice(i, i + 1000))
              .execute();
          }
          pending.length = 0;
        };
        const neighbour = async (deviceId: string, slot: number, dir: 'prev' | 'next') => {
          const r = await trx
            .selectFrom('energy_reads')
            .select(['slot', 'wh_import', 'wh_export', 'wh_import_total', 'wh_export_total'])
            .where('device_id', '=', deviceId)
            .where('status', '=', 'accepted')
            .where('slot', dir === 'prev' ? '<' : '>', slot)
            .orderBy('slot', dir === 'prev' ? 'desc' : 'asc')
            .limit(1)
            .executeTakeFirst();
          return r ? toPoint(r) : undefined;
        };

        for (let k = 0; k < rows.length; k++) {
          const r = rows[k]!;
          const body = bodies[k]!;
          const receivedAt = Number(r.received_at);
          if (r.kind === 'energy.site') {
            if (r.status !== 'accepted') continue;
            const m = meters.get(r.device_id);
            const site = {
              connectionW: body.connection_w,
              pvWp: body.pv_wp,
              batteryW: body.battery_w,
              at: receivedAt,
            };
            if (m) {
              m.site = site;
              m.dirty = true;
            } else meters.set(r.device_id, { deviceId: r.device_id, site, last: null, dirty: true });
            continue;
          }
          if (r.kind !== 'energy.interval') continue;
          const slot = Math.floor(body.start / p.slotMs);
          const row: Insertable<EnergyReadTable> = {
            envelope_id: Number(r.envelope_id),
            device_id: r.device_id,
            slot,
            wh_import: body.wh_import,
            wh_export: body.wh_export,
            wh_import_total: body.wh_import_total ?? null,
            wh_export_total: body.wh_export_total ?? null,
            green_wh: 0,
            received_at: receivedAt,
            status: r.status,
            reason: r.reason,
            detail: null,
          };
          if (r.status === 'accepted') {
            const m = meters.get(r.device_id);
            if (!locations.has(r.device_id)) locations.set(r.device_id, locationOfCell(r.h3_cell));
            const read: ReadPoint = {
              slot,
              whImport: body.wh_import,
              whExport: body.wh_export,
              importTotal: body.wh_import_total!,
              exportTotal: body.wh_export_total!,
            };
            let prev: ReadPoint | undefined;
            let next: ReadPoint | undefined;
            let duplicate = false;
            if (m?.last && slot <= m.last.slot) {
              // A late read (filling a gap) or a duplicate: ask the table, after writing what is pending.
              await flush();
              duplicate =
                (await trx
                  .selectFrom('energy_reads')
                  .select('envelope_id')
                  .where('device_id', '=', r.device_id)
                  .where('slot', '=', slot)
                  .where('status', '=', 'accepted')
                  .executeTakeFirst()) !== undefined;
              if (!duplicate) {
                prev = await neighbour(r.device_id, slot, 'prev');
                next = await neighbour(r.device_id, slot, 'next');
              }
            } else if (m?.last) {
              // The usual case, a read after the last one: only the register ends matter for the checks.
              prev = {
                slot: m.last.slot,
                whImport: 0,
                whExport: 0,
                importTotal: m.last.importTotal,
                exportTotal: m.last.exportTotal,
              };
            }
            const verdict = judgeInterval({
              read,
              site: m ? { ...m.site, location: locations.get(r.device_id) ?? null } : undefined,
              prev,
              next,
              duplicate,
              settled: settled.has(slot),
              p,
            });
            row.status = verdict.status;
            row.reason = verdict.reason;
            row.detail = verdict.detail ?? null;
            row.green_wh = verdict.greenWh;
            if (verdict.status === 'accepted' && m && (!m.last || slot > m.last.slot)) {
              m.last = { slot, importTotal: read.importTotal, exportTotal: read.exportTotal };
              m.dirty = true;
            }
          }
          pending.push(row);
        }
        await flush();
        // Every changed meter in one statement per 500 (insert, or update from the inserted values).
        const changed = [...meters.values()]
          .filter((m) => m.dirty)
          .map((m) => ({
            device_id: m.deviceId,
            connection_w: m.site.connectionW,
            pv_wp: m.site.pvWp,
            battery_w: m.site.batteryW,
            site_at: m.site.at,
            last_slot: m.last?.slot ?? null,
            last_import_total: m.last?.importTotal ?? null,
            last_export_total: m.last?.exportTotal ?? null,
          }));
        for (let i = 0; i < changed.length; i += 500) {
          await trx
            .insertInto('energy_meters')
            .values(changed.slice(i, i + 500))
            .onConflict((oc) =>
              oc.column('device_id').doUpdateSet((eb) => ({
                connection_w: eb.ref('excluded.connection_w'),
                pv_wp: eb.ref('excluded.pv_wp'),
                battery_w: eb.ref('excluded.battery_w'),
                site_at: eb.ref('excluded.site_at'),
                last_slot: eb.ref('excluded.last_slot'),
                last_import_total: eb.ref('excluded.last_import_total'),
                last_export_total: eb.ref('excluded.last_export_total'),
              })),
            )
            .execute();
        }
        await writeState(trx, CURSOR, String(rows[rows.length - 1]!.envelope_id));
        return rows.length;
      });
      walked += n;
      if (n < CHUNK) return walked;
    }
  });
}

function toPoint(r: {
  slot: number;
  wh_import: number;
  wh_export: number;
  wh_import_total: number | null;
  wh_export_total: number | null;
}): ReadPoint {
  return {
    slot: Number(r.slot),
    whImport: Number(r.wh_import),
    whExport: Number(r.wh_export),
    importTotal: Number(r.wh_import_total),
    exportTotal: Number(r.wh_export_total),
  };
}

/** Whether the ledger has judged every energy verdict written so far. */
export async function ledgerCaughtUp(dbIn: Db | EnergyDb): Promise<boolean> {
  const db = energyDb(dbIn);
  const cursor = Number((await readState(db, CURSOR)) ?? 0);
  const newer = await db
    .selectFrom('verdicts')
    .select('envelope_id')
    .where('module', '=', 'energy')
    .where('envelope_id', '>', cursor)
    .limit(1)
    .executeTakeFirst();
  return newer === undefined;
}
