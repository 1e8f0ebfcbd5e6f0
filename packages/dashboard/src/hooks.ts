/** React hooks over the {@link ApiClient}: loading data, and refreshing it when the network moves. */
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { ApiClient, LiveEventName, LiveEvents, LiveState, Status } from './api.ts';

export const ApiContext = createContext<ApiClient | null>(null);

/** The page's API client (provided once at the root). */
export function useApiClient(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApiClient outside <ApiContext.Provider>');
  return api;
}

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  /** True until the first answer (later refreshes keep showing the previous data). */
  loading: boolean;
  reload(): void;
}

/**
 * Loads data through the API and keeps it fresh: reloads when `deps` change
 * and, throttled to one reload per `minIntervalMs`, when one of the
 * `refreshOn` live events arrives.
 * @example const { data } = useApi((api) => api.epochs(), [], { refreshOn: ['epoch'] });
 */
export function useApi<T>(
  load: (api: ApiClient) => Promise<T>,
  deps: readonly unknown[],
  options: { refreshOn?: readonly LiveEventName[]; minIntervalMs?: number } = {},
): Loaded<T> {
  const api = useApiClient();
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's; tick forces a reload.
  useEffect(() => {
    let current = true;
    loadRef
      .current(api)
      .then((data) => current && setState({ data, loading: false }))
      .catch((error: Error) => current && setState((s) => ({ data: s.data, error, loading: false })));
    return () => {
      current = false;
    };
  }, [api, tick, ...deps]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const refreshOn = (options.refreshOn ?? []).join(',');
  const minInterval = options.minIntervalMs ?? 1000;
  useEffect(() => {
    if (!refreshOn) return;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fire = () => {
      timer = undefined;
      last = Date.now();
      setTick((t) => t + 1);
    };
    const on = () => {
      if (timer) return;
      const wait = Math.max(0, last + minInterval - Date.now());
      timer = setTimeout(fire, wait);
    };
    const offs = refreshOn.split(',').map((e) => api.subscribe(e as LiveEventName, on));
    return () => {
      for (const off of offs) off();
      if (timer) clearTimeout(timer);
    };
  }, [api, refreshOn, minInterval]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Calls `handler` for every live event of that name while the component is mounted. */
export function useLive<E extends LiveEventName>(event: E, handler: (data: LiveEvents[E]) => void): void {
  const api = useApiClient();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => api.subscribe(event, (d: LiveEvents[E]) => ref.current(d)), [api, event]);
}

/** The live stream's connection state. */
export function useLiveState(): LiveState {
  const api = useApiClient();
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => api.onLiveState(setState), [api]);
  return state;
}

/** Network status, refreshed when an epoch closes or a device registers. */
export function useStatus(): Loaded<Status> {
  return useApi((api) => api.status(), [], { refreshOn: ['epoch', 'device'], minIntervalMs: 2000 });
}

/** The current time, ticking every `ms` (for countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
