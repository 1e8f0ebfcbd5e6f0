/**
 * The dashboard's only door to the network: a typed client of the node's
 * public HTTP API (`/v1/*`, described at `/openapi.json`) and its
 * server-sent event stream (`/v1/events`). Pages and module views receive an
 * {@link ApiClient}; nothing in the dashboard talks to the node any other way.
 * (Chain reads — balances, claims, quorum signers — go to the RPC URL the
 * node publishes in `/v1/status`.)
 *
 * @module
 */

/** A 0x-prefixed hex string. */
export type HexString = `0x${string}`;

export interface ModuleInfo {
  id: string;
  description: string;
  kinds: string[];
  /** Contracts the module deployed (e.g. `{ DataCredits: '0x…' }`), by name. */
  contracts?: Record<string, HexString>;
}

/** `GET /v1/status`. */
export interface Status {
  chainId: number;
  rpcUrl: string;
  contracts: Record<string, HexString> & {
    token: HexString;
    schedule: HexString;
    registry: HexString;
    distributor: HexString;
    parameters: HexString;
  };
  indexedBlock: number;
  devices: number;
  modules: ModuleInfo[];
  openEpoch: { epoch: number; startMs: number; endMs: number } | null;
  lastSubmittedEpoch: number | null;
}

/** A governed parameter, mirrored from ParameterRegistry (`value` is a decimal integer string). */
export interface Param {
  key: string;
  value: string;
  block: number;
}

/** `GET /v1/devices`, `GET /v1/devices/:id`. */
export interface Device {
  deviceId: HexString;
  keyType: 'ed25519' | 'p256';
  publicKey: HexString;
  module: string;
  /** H3 cell index as h3-js writes it (hex, no 0x). */
  h3Cell: string;
  operator: HexString;
  active: boolean;
  registeredBlock: number;
  /** Highest accepted envelope sequence number (0: nothing accepted yet). */
  lastSeq: number;
}

export interface DeviceDetail extends Device {
  /** Sum of the device's reward lines, token base units. */
  totalEarned: string;
}

/** One stored envelope with the module's verdict. */
export interface EnvelopeVerdict {
  seq: number;
  time: number;
  receivedAt: number;
  kind: string;
  body: unknown;
  ingest: 'accepted';
  verdict: { status: 'accepted' | 'rejected' | 'pending' | string; reason: string | null };
}

/** An envelope ingest refused (bad signature, replay, skew, …). */
export interface IngestRejection {
  receivedAt: number;
  reason: string;
  detail: string | null;
  seq: number | null;
  kind: string | null;
}

/** `GET /v1/devices/:id/verdicts`. */
export interface DeviceVerdicts {
  deviceId: HexString;
  envelopes: EnvelopeVerdict[];
  rejections: IngestRejection[];
}

/** A reward line: what one device earned in one epoch, and why. Amounts are base-unit strings. */
export interface RewardLine {
  epoch: number;
  module: string;
  deviceId: HexString;
  beneficiary: HexString;
  score: string;
  amount: string;
  reason: string;
  detail: Record<string, string | number> | null;
}

/** `GET /v1/epochs` (newest first). Amounts are base-unit strings, null until the epoch closes. */
export interface Epoch {
  epoch: number;
  startMs: number;
  endMs: number;
  status: 'open' | 'closed' | 'submitted' | string;
  pool: string | null;
  root: HexString | null;
  /** Cumulative total the root commits to. */
  total: string | null;
  /** What this epoch paid out. */
  epochTotal: string | null;
  bundleHash: HexString | null;
  tx: HexString | null;
}

/** `GET /v1/epochs/:n`: the epoch, what the chain recorded, and its reward lines. */
export interface EpochDetail extends Epoch {
  chain: { root: HexString; total: string; bundleHash: HexString; tx: HexString; block: number } | null;
  lines: RewardLine[];
}

/** `GET /v1/accounts/:address/claimable`. */
export interface Claimable {
  account: HexString;
  epoch: number | null;
  root: HexString | null;
  cumulativeAmount: string;
  claimed: string;
  claimable: string;
  proof: HexString[];
}

/** Payloads of the node's server-sent events (`/v1/events`). */
export interface LiveEvents {
  /** A batch of envelopes was ingested. */
  envelopes: { accepted: number; rejected: number };
  /** An epoch closed, its root was submitted on chain, or its reward lines reached the API. */
  epoch: { epoch: number; status: 'closed' | 'submitted' | 'indexed'; tx?: HexString };
  /** A claim was paid on chain (indexed from RewardsClaimed). */
  claim: { account: HexString; amount: string };
  /** A device was registered, moved or deactivated. */
  device: { deviceId: HexString };
  /** What a module published (`module.energy`: a slot cleared or settled; …), `{ type, … }`. */
  [module: `module.${string}`]: { type: string; [k: string]: unknown };
}

export type LiveEventName = keyof LiveEvents;

/** The connection state of the live event stream. */
export type LiveState = 'connecting' | 'open' | 'closed';

/** An error answer of the API: `{ error: { code, message } }` with its HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Options of a single request. */
export interface RequestOptions {
  /** A session token of a module's sign-in, sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

/**
 * What pages and module views use to read the network. Every method but
 * `post` is a GET of the node's public API; `subscribe` shares one EventSource.
 */
export interface ApiClient {
  /** Origin of the API ('' when the dashboard is served by the node itself). */
  readonly baseUrl: string;
  status(): Promise<Status>;
  params(): Promise<Param[]>;
  /** One page of devices (at most 1000). */
  devices(query?: { module?: string; operator?: string; limit?: number; offset?: number }): Promise<Device[]>;
  /** Every device matching the filter, paging through `/v1/devices`. */
  allDevices(query?: { module?: string; operator?: string }): Promise<Device[]>;
  device(id: string): Promise<DeviceDetail>;
  verdicts(id: string, limit?: number): Promise<DeviceVerdicts>;
  deviceRewards(id: string): Promise<RewardLine[]>;
  epochs(query?: { limit?: number; offset?: number }): Promise<Epoch[]>;
  epoch(n: number): Promise<EpochDetail>;
  /** URL of the epoch's bundle file (for a download link). */
  bundleUrl(n: number): string;
  /** The bundle (JSON Lines, docs/REWARDS.md §4): the exact bytes the node served, and as text. */
  bundle(n: number): Promise<{ bytes: Uint8Array; text: string }>;
  claimable(address: string): Promise<Claimable>;
  /**
   * Any GET under the API, e.g. a module's own route `/v1/modules/<id>/…`;
   * `token` is sent as `Authorization: Bearer …` for a module's signed-in routes.
   */
  get<T>(path: string, options?: RequestOptions): Promise<T>;
  /**
   * A POST of JSON, for the few module routes a view needs to act through
   * (signing in, e.g. `/v1/modules/logistics/auth/login`). Errors as for `get`.
   */
  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  /** Listens to a server-sent event; returns the function that stops listening. */
  subscribe<E extends LiveEventName>(event: E, handler: (data: LiveEvents[E]) => void): () => void;
  /** Listens to any named event on the stream (for module events, if the node forwards them). */
  subscribe(event: string, handler: (data: unknown) => void): () => void;
  /** Listens to the stream's connection state. */
  onLiveState(handler: (state: LiveState) => void): () => void;
}

/**
 * Creates an {@link ApiClient} for a node.
 * @example const api = createApiClient(); const { devices } = await api.status();
 */
export function createApiClient(baseUrl = ''): ApiClient {
  const url = (path: string) => `${baseUrl}${path}`;

  async function request<T>(method: 'GET' | 'POST', path: string, body: unknown, o: RequestOptions = {}) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url(path), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(
        res.status,
        'BAD_RESPONSE',
        `${path}: the node answered ${res.status} with non-JSON`,
      );
    }
    if (!res.ok) {
      const e = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiError(
        res.status,
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? `${path}: HTTP ${res.status}`,
      );
    }
    return parsed as T;
  }
  const get = <T>(path: string, o?: RequestOptions) => request<T>('GET', path, undefined, o);

  const qs = (q: Record<string, string | number | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
    const s = p.toString();
    return s ? `?${s}` : '';
  };

  // One EventSource for the whole page, opened on the first subscription and
  // closed with the last: browsers cap open connections per origin.
  let source: EventSource | undefined;
  let state: LiveState = 'closed';
  const handlers = new Map<string, Set<(data: unknown) => void>>();
  const stateHandlers = new Set<(s: LiveState) => void>();
  const attached = new Set<string>();
  const setState = (s: LiveState) => {
    state = s;
    for (const h of stateHandlers) h(s);
  };
  const attach = (event: string) => {
    if (!source || attached.has(event)) return;
    attached.add(event);
    source.addEventListener(event, (ev) => {
      let data: unknown;
      try {
        data = JSON.parse((ev as MessageEvent<string>).data);
      } catch {
        return;
      }
      for (const h of handlers.get(event) ?? []) h(data);
    });
  };
  const open = () => {
    if (source || typeof EventSource === 'undefined') return;
    setState('connecting');
    source = new EventSource(url('/v1/events'));
    source.onopen = () => setState('open');
    // EventSource reconnects on its own; report the gap meanwhile.
    source.onerror = () => setState(source?.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    attached.clear();
    for (const event of handlers.keys()) attach(event);
  };
  const closeIfIdle = () => {
    const listening = [...handlers.values()].some((s) => s.size > 0) || stateHandlers.size > 0;
    if (!listening && source) {
      source.close();
      source = undefined;
      setState('closed');
    }
  };

  return {
    baseUrl,
    status: () => get<Status>('/v1/status'),
    params: async () => (await get<{ params: Param[] }>('/v1/params')).params,
    devices: async (q = {}) =>
      (
        await get<{ devices: Device[] }>(
          `/v1/devices${qs({ module: q.module, operator: q.operator, limit: q.limit, offset: q.offset })}`,
        )
      ).devices,
    async allDevices(q = {}) {
      const all: Device[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await this.devices({ ...q, limit: 1000, offset });
        all.push(...page);
        if (page.length < 1000) return all;
      }
    },
    device: (id) => get<DeviceDetail>(`/v1/devices/${id}`),
    verdicts: (id, limit = 100) => get<DeviceVerdicts>(`/v1/devices/${id}/verdicts${qs({ limit })}`),
    deviceRewards: async (id) => (await get<{ lines: RewardLine[] }>(`/v1/devices/${id}/rewards`)).lines,
    epochs: async (q = {}) =>
      (await get<{ epochs: Epoch[] }>(`/v1/epochs${qs({ limit: q.limit, offset: q.offset })}`)).epochs,
    epoch: (n) => get<EpochDetail>(`/v1/epochs/${n}`),
    bundleUrl: (n) => url(`/v1/epochs/${n}/bundle`),
    async bundle(n) {
      const res = await fetch(url(`/v1/epochs/${n}/bundle`));
      if (!res.ok) throw new ApiError(res.status, 'BUNDLE_UNAVAILABLE', `no bundle for epoch ${n}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { bytes, text: new TextDecoder().decode(bytes) };
    },
    claimable: (address) => get<Claimable>(`/v1/accounts/${address}/claimable`),
    get,
    post: <T>(path: string, body?: unknown, o?: RequestOptions) => request<T>('POST', path, body ?? {}, o),
    subscribe(event: string, handler: (data: never) => void) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(handler as (data: unknown) => void);
      open();
      attach(event);
      return () => {
        set.delete(handler as (data: unknown) => void);
        closeIfIdle();
      };
    },
    onLiveState(handler) {
      stateHandlers.add(handler);
      handler(state);
      open();
      return () => {
        stateHandlers.delete(handler);
        closeIfIdle();
      };
    },
  };
}
