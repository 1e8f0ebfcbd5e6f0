import type { Insertable } from 'kysely';
import type { Logger } from '../internal/logger.ts';
import type { Metrics } from '../internal/metrics.ts';
import { Mutex } from '../internal/mutex.ts';
import type { DeviceInfo, GroundworkModule, Params } from '../modules/types.ts';
import type { Db } from '../store/db.ts';
import type { ContributionTable, VerdictTable } from '../store/schema.ts';

const CURSOR = 'verifier';

/** The verifier's cursor: the id of the last envelope it judged (0 before the first). */
export async function verifierPosition(db: Db): Promise<number> {
  const cursor = await db
    .selectFrom('cursors')
    .select('position')
    .where('name', '=', CURSOR)
    .executeTakeFirst();
  return Number(cursor?.position ?? 0);
}
const CHUNK = 5000;

/**
 * The verify stage: reads accepted envelopes after its cursor, asks the
 * device's module for a verdict, and writes verdicts, contributions and the
 * new cursor in one transaction — so a crash replays a chunk, never skips it.
 */
export class Verifier {
  readonly #lock = new Mutex();
  readonly #modules: Map<string, GroundworkModule>;

  constructor(
    private readonly o: {
      db: Db;
      modules: GroundworkModule[];
      params: () => Params;
      log: Logger;
      metrics: Metrics;
      now?: () => number;
    },
  ) {
    this.#modules = new Map(o.modules.map((m) => [m.id, m]));
  }

  /** Verifies everything stored so far; resolves when caught up. Returns how many envelopes it judged. */
  drain(): Promise<number> {
    return this.#lock.run(async () => {
      let total = 0;
      for (;;) {
        const n = await this.#step();
        total += n;
        if (n < CHUNK) return total;
      }
    });
  }

  async #step(): Promise<number> {
    const { db } = this.o;
    const after = await verifierPosition(db);
    const rows = await db
      .selectFrom('envelopes')
      .innerJoin('devices', 'devices.device_id', 'envelopes.device_id')
      .select([
        'envelopes.id',
        'envelopes.device_id',
        'envelopes.seq',
        'envelopes.time',
        'envelopes.received_at',
        'envelopes.kind',
        'envelopes.body',
        'devices.module',
        'devices.h3_cell',
        'devices.operator',
        'devices.active',
      ])
      .where('envelopes.id', '>', after)
      .orderBy('envelopes.id')
      .limit(CHUNK)
      .execute();
    if (rows.length === 0) return 0;
    const params = this.o.params();
    const now = (this.o.now ?? Date.now)();
    const verdicts: Insertable<VerdictTable>[] = [];
    const contributions: Insertable<ContributionTable>[] = [];
    for (const r of rows) {
      const moduleId = r.kind.slice(0, r.kind.indexOf('.'));
      const module = this.#modules.get(moduleId);
      const device: DeviceInfo = {
        deviceId: r.device_id,
        module: r.module,
        h3Cell: r.h3_cell,
        operator: r.operator,
        active: r.active === 1,
      };
      const v = module
        ? module.verify({
            envelope: {
              id: r.id,
              deviceId: r.device_id,
              seq: Number(r.seq),
              time: Number(r.time),
              receivedAt: Number(r.received_at),
              kind: r.kind,
              body: JSON.parse(r.body),
            },
            device,
            params,
          })
        : ({ status: 'rejected', reason: 'UNKNOWN_KIND' } as const);
      verdicts.push({
        envelope_id: r.id,
        device_id: r.device_id,
        module: moduleId,
        status: v.status,
        reason: v.reason,
        created_at: now,
      });
      if (v.status === 'accepted') {
        contributions.push({
          envelope_id: r.id,
          module: moduleId,
          device_id: r.device_id,
          at: Number(r.received_at),
          data: JSON.stringify(v.contribution),
        });
      }
      this.o.metrics.verdicts.inc({ module: moduleId, status: v.status });
    }
    const last = rows[rows.length - 1]!.id;
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < verdicts.length; i += 1000) {
        await trx
          .insertInto('verdicts')
          .values(verdicts.slice(i, i + 1000))
          .execute();
      }
      for (let i = 0; i < contributions.length; i += 1000) {
        await trx
          .insertInto('contributions')
          .values(contributions.slice(i, i + 1000))
          .execute();
      }
      await trx
        .insertInto('cursors')
        .values({ name: CURSOR, position: last })
        .onConflict((oc) => oc.column('name').doUpdateSet({ position: last }))
        .execute();
    });
    return rows.length;
  }
}
