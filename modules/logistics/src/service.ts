import { describeError, type ModuleRuntime } from '@groundwork/node';
import type { Address } from 'viem';
import { type AnchorContext, anchorTick, pickAnchorKey } from './anchor.ts';
import { catchUp } from './processor.ts';
import { eventJson, openStreams, PRIVATE_EVENT } from './routes.ts';
import { ldb } from './store.ts';
import { deliverDue } from './webhooks.ts';

/** How often each background loop runs, ms. */
export const LOOP_MS = { process: 250, anchor: 1_000, webhooks: 500 } as const;

/**
 * The module's background work in a running node: turn accepted readings
 * into records and alerts, publish new events (alerts, hand-offs) to the
 * module's private stream, anchor roots (at every epoch boundary, or sooner
 * under load), and deliver webhooks. Each loop retries on failure.
 */
export async function startService(rt: ModuleRuntime): Promise<{ stop(): Promise<void> }> {
  const db = ldb(rt.db);
  let stopped = false;
  const loops: Promise<void>[] = [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const every = (name: string, ms: number, fn: () => Promise<unknown>) =>
    loops.push(
      (async () => {
        while (!stopped) {
          try {
            await fn();
          } catch (err) {
            if (!stopped)
              rt.log.warn({ msg: `logistics ${name} failed; retrying`, error: describeError(err) });
          }
          await sleep(ms);
        }
      })(),
    );

  let published = Number(
    (
      await db
        .selectFrom('logistics_events')
        .select((eb) => eb.fn.max('seq').as('m'))
        .executeTakeFirst()
    )?.m ?? 0,
  );
  every('processing', LOOP_MS.process, async () => {
    await catchUp(rt.db, rt.params());
    const fresh = await db
      .selectFrom('logistics_events')
      .selectAll()
      .where('seq', '>', published)
      .orderBy('seq')
      .limit(1000)
      .execute();
    for (const e of fresh) {
      const ev = eventJson(e);
      rt.bus.emit(PRIVATE_EVENT, ev);
      published = ev.seq;
    }
  });

  const registry = rt.contracts.AnchorRegistry as Address | undefined;
  const key = registry
    ? await pickAnchorKey(rt.clients, rt.deployment.contracts.distributor, rt.keys.oracles).catch(
        () => undefined,
      )
    : undefined;
  if (!registry)
    rt.log.warn({ msg: 'logistics: no AnchorRegistry in the deployment; records are not anchored' });
  else if (!key)
    rt.log.warn({
      msg: 'logistics: this node holds no oracle key; it does not anchor (another oracle must)',
    });
  else {
    every('anchoring', LOOP_MS.anchor, async () => {
      const ctx: AnchorContext = {
        db: rt.db,
        clients: rt.clients,
        registry,
        anchorKey: key,
        params: rt.params(),
      };
      for (const b of await anchorTick(ctx)) {
        rt.log.info({
          msg: 'logistics root anchored',
          batch: b.chainBatch,
          root: b.root,
          records: b.records,
          tx: b.tx,
        });
        rt.bus.emit('logistics', {
          type: 'anchored',
          batch: b.chainBatch,
          root: b.root,
          records: b.records,
          tx: b.tx,
        });
      }
    });
  }
  every('webhooks', LOOP_MS.webhooks, () => deliverDue(rt.db));

  return {
    async stop() {
      stopped = true;
      // Open event streams would keep the HTTP server from closing.
      for (const res of openStreams(rt)) res.end();
      await Promise.all(loops);
    },
  };
}
