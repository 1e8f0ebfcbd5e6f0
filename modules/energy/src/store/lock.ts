import { Mutex } from '@groundwork/node/internal/mutex.ts';

const locks = new WeakMap<object, Map<string, Mutex>>();

/**
 * Runs `fn` while holding the named lock of this database handle, so that the
 * module's stages (ledger, clearing, settlement) never run twice at once on
 * one store — whether called by the node's loop, an epoch close or a test.
 * (One node process drives these stages; PostgreSQL ingest workers do not.)
 */
export function withLock<T>(db: object, name: string, fn: () => Promise<T>): Promise<T> {
  let byName = locks.get(db);
  if (!byName) locks.set(db, (byName = new Map()));
  let m = byName.get(name);
  if (!m) byName.set(name, (m = new Mutex()));
  return m.run(fn);
}
