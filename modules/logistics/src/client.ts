import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';

/** An API error answered by the node: its HTTP status and coded body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

/** A small client of the logistics API for one account (CLI, simulation, tests). */
export interface LogisticsClient {
  readonly api: string;
  readonly account: `0x${string}`;
  readonly token: string;
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  put<T = unknown>(path: string, body?: unknown): Promise<T>;
  text(path: string): Promise<string>;
  /** The raw response (for status checks). */
  raw(method: string, path: string, body?: unknown): Promise<Response>;
}

const PREFIX = '/v1/modules/logistics';

async function call(api: string, method: string, path: string, token: string | undefined, body?: unknown) {
  return fetch(`${api}${PREFIX}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
      ?.error;
    throw new ApiError(res.status, e?.code ?? 'HTTP_ERROR', e?.message ?? text, e?.details);
  }
  return parsed as T;
}

/**
 * Signs in with Ethereum as the account of `privateKey`: asks the node for a
 * nonce, signs the EIP-4361 message it describes, and returns a client that
 * sends the session token.
 *
 * @example
 * const c = await signIn('http://127.0.0.1:8787', '0xac09…');
 * const { shipments } = await c.get('/shipments');
 */
export async function signIn(api: string, privateKey: Hex, now: Date = new Date()): Promise<LogisticsClient> {
  const account = privateKeyToAccount(privateKey);
  const n = await json<{ nonce: string; domain: string; uri: string; chainId: number; statement: string }>(
    await call(api, 'POST', '/auth/nonce', undefined),
  );
  const message = createSiweMessage({
    address: account.address,
    chainId: n.chainId,
    domain: n.domain,
    nonce: n.nonce,
    uri: n.uri,
    version: '1',
    statement: n.statement,
    issuedAt: now,
    expirationTime: new Date(now.getTime() + 10 * 60_000),
  });
  const signature = await account.signMessage({ message });
  const { token } = await json<{ token: string }>(
    await call(api, 'POST', '/auth/login', undefined, { message, signature }),
  );
  return withToken(api, token, account.address.toLowerCase() as `0x${string}`);
}

/** A client for an existing session token. */
export function withToken(api: string, token: string, account: `0x${string}` = '0x'): LogisticsClient {
  return {
    api,
    account,
    token,
    get: async (path) => json(await call(api, 'GET', path, token)),
    post: async (path, body) => json(await call(api, 'POST', path, token, body ?? {})),
    put: async (path, body) => json(await call(api, 'PUT', path, token, body ?? {})),
    text: async (path) => {
      const res = await call(api, 'GET', path, token);
      if (!res.ok) await json(res);
      return res.text();
    },
    raw: (method, path, body) => call(api, method, path, token, body),
  };
}
