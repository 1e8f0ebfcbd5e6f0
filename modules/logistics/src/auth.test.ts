import type { Store } from '@groundwork/node';
import { privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticate, issueNonce, login, logout } from './auth.ts';
import { LOGISTICS_PARAMS } from './params.ts';
import { freshLogisticsStore, genesisParams } from './testHelpers.ts';

const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const mallory = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const params = genesisParams(3600n, { [LOGISTICS_PARAMS.sessionSeconds]: 600n });
const NOW = 1_767_225_600_000;
const domain = '127.0.0.1:8787';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return `${(err as { statusCode?: number }).statusCode} ${(err as { code: string }).code}`;
  }
}

describe('Sign-In with Ethereum sessions', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await freshLogisticsStore());
  });
  afterEach(async () => cleanup());

  async function signed(
    o: { nonce?: string; domain?: string; chainId?: number; by?: typeof alice; expires?: number } = {},
  ) {
    const nonce = o.nonce ?? (await issueNonce(store.db, NOW)).nonce;
    const message = createSiweMessage({
      address: alice.address,
      chainId: o.chainId ?? 31337,
      domain: o.domain ?? domain,
      nonce,
      uri: `http://${domain}`,
      version: '1',
      issuedAt: new Date(NOW - 1000),
      expirationTime: new Date(o.expires ?? NOW + 60_000),
    });
    return { message, signature: await (o.by ?? alice).signMessage({ message }), nonce };
  }

  it('issues a token for a valid signed message and authenticates it as a bearer token', async () => {
    const { message, signature } = await signed();
    const s = await login(store.db, params, { message, signature, domain, chainId: 31337, now: NOW });
    expect(s.account).toBe(alice.address.toLowerCase());
    expect(s.expiresAt).toBe(NOW + 600_000);
    expect(s.token).toMatch(/^gw1\.[\w-]+\.[\w-]+$/);
    const who = await authenticate(store.db, `Bearer ${s.token}`, NOW + 1000);
    expect(who.account).toBe(alice.address.toLowerCase());
  });

  it('refuses a nonce used twice, a wrong domain, a wrong chain, an expired message and a forged signature', async () => {
    const first = await signed();
    await login(store.db, params, { ...first, domain, chainId: 31337, now: NOW });
    expect(await code(login(store.db, params, { ...first, domain, chainId: 31337, now: NOW }))).toBe(
      '401 AUTH_INVALID',
    );
    const other = await signed({ domain: 'evil.example' });
    expect(await code(login(store.db, params, { ...other, domain, chainId: 31337, now: NOW }))).toBe(
      '401 AUTH_INVALID',
    );
    const chain = await signed({ chainId: 1 });
    expect(await code(login(store.db, params, { ...chain, domain, chainId: 31337, now: NOW }))).toBe(
      '401 AUTH_INVALID',
    );
    const old = await signed({ expires: NOW - 1 });
    expect(await code(login(store.db, params, { ...old, domain, chainId: 31337, now: NOW }))).toBe(
      '401 AUTH_INVALID',
    );
    const forged = await signed({ by: mallory });
    expect(await code(login(store.db, params, { ...forged, domain, chainId: 31337, now: NOW }))).toBe(
      '401 AUTH_INVALID',
    );
    const unknown = await signed({ nonce: 'abcdefgh12345678' });
    expect(await code(login(store.db, params, { ...unknown, domain, chainId: 31337, now: NOW }))).toBe(
      '401 AUTH_INVALID',
    );
  });

  it('refuses a missing, altered, expired or signed-out token', async () => {
    const { message, signature } = await signed();
    const s = await login(store.db, params, { message, signature, domain, chainId: 31337, now: NOW });
    expect(await code(authenticate(store.db, undefined, NOW))).toBe('401 AUTH_REQUIRED');
    const [p, payload, mac] = s.token.split('.');
    const altered = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    altered.sub = mallory.address.toLowerCase();
    const forged = `${p}.${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${mac}`;
    expect(await code(authenticate(store.db, `Bearer ${forged}`, NOW))).toBe('401 AUTH_INVALID');
    expect(await code(authenticate(store.db, `Bearer ${s.token}x`, NOW))).toBe('401 AUTH_INVALID');
    expect(await code(authenticate(store.db, `Bearer ${s.token}`, NOW + 600_000))).toBe('401 AUTH_EXPIRED');
    const who = await authenticate(store.db, `Bearer ${s.token}`, NOW);
    await logout(store.db, who.sid);
    expect(await code(authenticate(store.db, `Bearer ${s.token}`, NOW))).toBe('401 AUTH_INVALID');
  });
});
