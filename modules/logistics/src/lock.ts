import type { Db } from '@groundwork/node';

/** A FIFO async mutex: callers run one at a time, in the order they asked. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const locks = new WeakMap<object, Mutex>();

/**
 * Runs `fn` holding the module's write lock for this database. Every writer of
 * the module's sequences (records, events, batches) takes it, so `max + 1`
 * numbering never collides and anchoring never races record processing.
 */
export function withWriteLock<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  let m = locks.get(db);
  if (!m) {
    m = new Mutex();
    locks.set(db, m);
  }
  return m.run(fn);
}
