import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Db, InputError, type Params } from '@groundwork/node';
import { type Hex, verifyMessage } from 'viem';
import { generateSiweNonce, parseSiweMessage, validateSiweMessage } from 'viem/siwe';
import { unauthorized } from './errors.ts';
import { apiParam, LOGISTICS_PARAMS } from './params.ts';
import { getKv, ldb } from './store.ts';

/** How long a sign-in nonce stays usable, ms. */
export const NONCE_TTL_MS = 5 * 60_000;
/** At most this many unexpired sign-in nonces at a time. */
export const MAX_OPEN_NONCES = 100_000;
/** The statement the sign-in message carries. */
export const SIWE_STATEMENT = 'Sign in to the Groundwork logistics API.';
const TOKEN_PREFIX = 'gw1';

/** An authenticated API caller. */
export interface Session {
  account: `0x${string}`;
  sid: string;
  expiresAt: number;
}

async function sessionKey(core: Db): Promise<Buffer> {
  const db = ldb(core);
  let hex = await getKv(db, 'session.key');
  if (!hex) {
    // Made once per node and kept in its store, so sessions survive a restart.
    hex = randomBytes(32).toString('hex');
    await db
      .insertInto('logistics_kv')
      .values({ key: 'session.key', value: hex })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    hex = (await getKv(db, 'session.key'))!;
  }
  return Buffer.from(hex, 'hex');
}

/** Issues a single-use sign-in nonce (EIP-4361 `nonce`). */
export async function issueNonce(
  core: Db,
  now: number = Date.now(),
): Promise<{ nonce: string; expiresAt: number }> {
  const db = ldb(core);
  // Old nonces are of no use to anyone: drop them as we go.
  await db.deleteFrom('logistics_nonces').where('expires_at', '<', now).execute();
  const open = await db
    .selectFrom('logistics_nonces')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  // Anyone may ask for a nonce: bound how many can be outstanding so the table cannot be flooded.
  if (Number(open?.n ?? 0) >= MAX_OPEN_NONCES)
    throw new InputError('AUTH_BUSY', 'too many sign-ins in progress; try again in a few minutes', 429);
  const nonce = generateSiweNonce();
  const expiresAt = now + NONCE_TTL_MS;
  await db.insertInto('logistics_nonces').values({ nonce, expires_at: expiresAt, used: 0 }).execute();
  return { nonce, expiresAt };
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(`${TOKEN_PREFIX}.${payload}`).digest('base64url');
}

/**
 * Signs in with Ethereum (EIP-4361): checks the message (domain, chain id,
 * time window, a fresh unused nonce of ours) and its signature (an EOA's
 * `personal_sign`), then issues a session token — `gw1.<payload>.<HMAC>` —
 * that expires after `logistics.sessionSeconds`.
 *
 * Fails 401 `AUTH_INVALID` naming what was wrong; a nonce is spent even by a
 * failed signature check, so a message cannot be tried twice.
 */
export async function login(
  core: Db,
  params: Params,
  o: { message: string; signature: Hex; domain: string; chainId: number; now?: number },
): Promise<{ token: string; account: `0x${string}`; expiresAt: number }> {
  const now = o.now ?? Date.now();
  let fields: ReturnType<typeof parseSiweMessage>;
  try {
    fields = parseSiweMessage(o.message);
  } catch {
    throw unauthorized('AUTH_INVALID', 'not an EIP-4361 message');
  }
  if (!fields.address || !fields.nonce)
    throw unauthorized('AUTH_INVALID', 'the message has no address or nonce');
  if (fields.domain !== o.domain)
    throw unauthorized(
      'AUTH_INVALID',
      `the message is for domain ${fields.domain ?? '?'}, this API is ${o.domain}`,
    );
  if (fields.chainId !== o.chainId)
    throw unauthorized(
      'AUTH_INVALID',
      `the message is for chain ${fields.chainId ?? '?'}, this network is ${o.chainId}`,
    );
  if (!validateSiweMessage({ message: fields, domain: o.domain, time: new Date(now) }))
    throw unauthorized('AUTH_INVALID', 'the message is expired, not yet valid, or malformed');
  const db = ldb(core);
  const spent = await db
    .updateTable('logistics_nonces')
    .set({ used: 1 })
    .where('nonce', '=', fields.nonce)
    .where('used', '=', 0)
    .where('expires_at', '>=', now)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1)
    throw unauthorized('AUTH_INVALID', 'the nonce is unknown, expired or already used; ask for a new one');
  let valid = false;
  try {
    valid = await verifyMessage({ address: fields.address, message: o.message, signature: o.signature });
  } catch {
    valid = false;
  }
  if (!valid) throw unauthorized('AUTH_INVALID', `the signature is not by ${fields.address}`);
  const account = fields.address.toLowerCase() as `0x${string}`;
  const ttl = apiParam(params, LOGISTICS_PARAMS.sessionSeconds) * 1000;
  const expiresAt = now + ttl;
  const sid = randomBytes(16).toString('hex');
  await db
    .insertInto('logistics_sessions')
    .values({ sid, account, created_at: now, expires_at: expiresAt, revoked: 0 })
    .execute();
  const payload = Buffer.from(JSON.stringify({ sub: account, sid, exp: expiresAt })).toString('base64url');
  return { token: `${TOKEN_PREFIX}.${payload}.${sign(await sessionKey(core), payload)}`, account, expiresAt };
}

/**
 * Checks a bearer token: the HMAC first (a forged token costs no database
 * read), then expiry and revocation. Throws 401 `AUTH_REQUIRED` /
 * `AUTH_INVALID` / `AUTH_EXPIRED`.
 */
export async function authenticate(
  core: Db,
  header: string | undefined,
  now: number = Date.now(),
): Promise<Session> {
  if (!header)
    throw unauthorized('AUTH_REQUIRED', 'send Authorization: Bearer <token> (POST /auth/login to get one)');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  const parts = m?.[1]?.split('.') ?? [];
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX)
    throw unauthorized('AUTH_INVALID', 'malformed session token');
  const expected = Buffer.from(sign(await sessionKey(core), parts[1]!));
  const got = Buffer.from(parts[2]!);
  if (expected.length !== got.length || !timingSafeEqual(expected, got))
    throw unauthorized('AUTH_INVALID', 'the session token is not one this node issued');
  let payload: { sub?: string; sid?: string; exp?: number };
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    throw unauthorized('AUTH_INVALID', 'malformed session token');
  }
  if (typeof payload.exp !== 'number' || payload.exp <= now)
    throw unauthorized('AUTH_EXPIRED', 'the session has expired; sign in again');
  const row = await ldb(core)
    .selectFrom('logistics_sessions')
    .select(['account', 'revoked'])
    .where('sid', '=', String(payload.sid))
    .executeTakeFirst();
  if (row?.revoked !== 0 || row.account !== payload.sub)
    throw unauthorized('AUTH_INVALID', 'the session was signed out');
  return { account: row.account as `0x${string}`, sid: String(payload.sid), expiresAt: payload.exp };
}

/** Signs a session out. */
export async function logout(core: Db, sid: string): Promise<void> {
  await ldb(core).updateTable('logistics_sessions').set({ revoked: 1 }).where('sid', '=', sid).execute();
}
