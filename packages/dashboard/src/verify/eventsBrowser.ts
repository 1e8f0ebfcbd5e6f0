/**
 * A small `node:events` for server-side code loaded in the browser build
 * (module indexes, node files): classes that extend EventEmitter at module
 * top level must be definable for the module's `score` to load. Covers the
 * common API (on/once/off/emit/listeners), not Node's error semantics.
 */
type Listener = (...args: unknown[]) => void;

export class EventEmitter {
  #listeners = new Map<string | symbol, Listener[]>();

  on(event: string | symbol, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }
  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }
  once(event: string | symbol, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }
  off(event: string | symbol, listener: Listener): this {
    this.#listeners.set(
      event,
      (this.#listeners.get(event) ?? []).filter((l) => l !== listener),
    );
    return this;
  }
  removeListener(event: string | symbol, listener: Listener): this {
    return this.off(event, listener);
  }
  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }
  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event) ?? [];
    for (const l of list) l(...args);
    return list.length > 0;
  }
  listeners(event: string | symbol): Listener[] {
    return [...(this.#listeners.get(event) ?? [])];
  }
  listenerCount(event: string | symbol): number {
    return this.#listeners.get(event)?.length ?? 0;
  }
  setMaxListeners(_n: number): this {
    return this;
  }
}

export default EventEmitter;
