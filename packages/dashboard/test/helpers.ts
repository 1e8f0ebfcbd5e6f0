import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createPublicClient, createWalletClient, defineChain, type Hex, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

export const DASHBOARD_DIR = resolve(import.meta.dirname, '..');
export const REPO_ROOT = resolve(DASHBOARD_DIR, '../..');
export const DIST = join(DASHBOARD_DIR, 'dist');
export const OUTPUT = join(REPO_ROOT, 'test-output/dashboard');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newestMtime(join(path, name)));
  return max;
}

/**
 * Builds the dashboard when `dist` is missing or older than its sources (so
 * the tests never run against a stale build); `npm test` builds it first, so
 * this is normally a no-op.
 */
export async function ensureDashboardBuilt(): Promise<void> {
  const index = join(DIST, 'index.html');
  const sources = [
    join(DASHBOARD_DIR, 'src'),
    join(DASHBOARD_DIR, 'index.html'),
    join(DASHBOARD_DIR, 'vite.config.ts'),
    ...readdirSync(join(REPO_ROOT, 'modules')).map((m) => join(REPO_ROOT, 'modules', m, 'dashboard')),
  ];
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  const { build } = await import('vite');
  await build({ root: DASHBOARD_DIR, configFile: join(DASHBOARD_DIR, 'vite.config.ts'), logLevel: 'warn' });
}

export interface RunningNetwork {
  api: string;
  rpc: string;
  stderr: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `groundwork up` (anvil, contracts, node, simulated fleet) as a child
 * process and resolves once it prints its API address.
 */
export async function startNetwork(args: string[], timeoutMs = 180_000): Promise<RunningNetwork> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(REPO_ROOT, 'packages/cli/bin/groundwork.js'), 'up', ...args],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stdout?.resume();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const addresses = await new Promise<{ api: string; rpc: string }>((resolveUp, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`groundwork up printed no api/rpc line in time:\n${err}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const api = /api: (http:\/\/\S+)/.exec(err)?.[1];
      const rpc = /rpc: (http:\/\/\S+)/.exec(err)?.[1];
      if (api && rpc) {
        clearTimeout(timer);
        resolveUp({ api, rpc });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`groundwork up exited with ${code}:\n${err}`));
    });
  });
  return {
    ...addresses,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGINT');
      const killed = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killed);
    },
  };
}

/** Polls `check` every `everyMs` until it returns a value (not undefined) or the time is up. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/**
 * A wallet client for a development key on the local network's chain (id
 * 31337), waiting for each transaction it sends.
 */
export function devWallet(rpc: string, key: Hex) {
  const chain = defineChain({
    id: 31337,
    name: 'anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  });
  const pc = createPublicClient({ chain, transport: http(rpc), pollingInterval: 100 });
  const wc = createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(rpc) });
  return {
    address: wc.account.address,
    pc,
    async write(request: Parameters<typeof wc.writeContract>[0]): Promise<Hex> {
      const hash = await wc.writeContract(request);
      const receipt = await pc.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
      return hash;
    },
  };
}

/**
 * Resolves right after the node lands its next epoch root. The node submits
 * roots with the deployer key: a test that must send a transaction with that
 * key (governance, the test token's mint) sends it then, with seconds to
 * spare before the next submission, so the two never race for a nonce.
 */
export async function afterNextRoot(api: string): Promise<void> {
  const last = async () =>
    (await getJson<{ lastSubmittedEpoch: number | null }>(`${api}/v1/status`)).lastSubmittedEpoch;
  const before = await last();
  await waitFor(
    'the next epoch root',
    async () => ((await last()) !== before ? true : undefined),
    30_000,
    50,
  );
}
