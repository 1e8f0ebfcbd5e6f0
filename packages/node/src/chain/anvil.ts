import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BaseError } from '../internal/errors.ts';
import { Mutex } from '../internal/mutex.ts';

export interface AnvilHandle {
  rpcUrl: string;
  port: number;
  process: ChildProcess;
  /** Writes the chain state to the state file now (atomically). */
  saveState(): Promise<void>;
  /** Saves the state (if it has a state file), then stops anvil. */
  stop(): Promise<void>;
}

/** Path of the anvil binary shipped by the @foundry-rs/anvil npm package. */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  // The npm package ships the native binary in a per-platform package.
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  return join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

/**
 * Starts a local anvil chain bound to loopback. With `stateFile` the chain is
 * loaded from it at start and saved to it every `saveEveryMs` and at stop, so
 * `groundwork up` resumes the same chain. The state is fetched with
 * `anvil_dumpState` and written by rename, never half-written: anvil's own
 * `--state-interval` dump was seen to race its exit dump and lose the last
 * blocks.
 */
export async function startAnvil(
  options: {
    port?: number;
    stateFile?: string;
    readOnly?: boolean;
    saveEveryMs?: number;
    gasLimit?: number;
    chainId?: number;
  } = {},
): Promise<AnvilHandle> {
  const args = [
    '--host',
    '127.0.0.1',
    '--port',
    String(options.port ?? 0),
    '--chain-id',
    String(options.chainId ?? 31337),
  ];
  args.push('--gas-limit', String(options.gasLimit ?? 300_000_000), '--code-size-limit', '49152');
  const stateFile = options.stateFile;
  if (stateFile) {
    mkdirSync(dirname(stateFile), { recursive: true });
    if (existsSync(stateFile)) args.push('--load-state', stateFile);
  }
  let bin: string;
  try {
    bin = anvilBinary();
  } catch (cause) {
    throw new BaseError('ANVIL_MISSING', 'anvil not found: run npm ci (package @foundry-rs/anvil)', {
      cause,
    });
  }
  // anvil runs under a small sh watchdog that stops it when our end of its
  // stdin closes — at stop(), and also when this process dies, even by kill -9 —
  // so no orphaned chain outlives the node.
  const watchdog = '"$0" "$@" </dev/null & pid=$!; cat >/dev/null; kill -TERM $pid 2>/dev/null; wait $pid';
  const child = spawn('sh', ['-c', watchdog, bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.on('error', () => {});
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new BaseError('ANVIL_START_TIMEOUT', `anvil did not start: ${output.slice(-500)}`)),
      30_000,
    );
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new BaseError('ANVIL_EXITED', `anvil exited with ${code}: ${output.slice(-500)}`));
    });
  });
  // Keep draining output so the pipe never fills and blocks anvil.
  child.stdout!.resume();
  child.stderr!.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const saving = new Mutex();
  const saveState = () =>
    saving.run(async () => {
      if (!stateFile || options.readOnly) return;
      const res = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_dumpState', params: [] }),
      });
      const { result } = (await res.json()) as { result: string };
      const json = gunzipSync(Buffer.from(result.slice(2), 'hex'));
      writeFileSync(`${stateFile}.tmp`, json);
      renameSync(`${stateFile}.tmp`, stateFile);
    });
  const timer =
    stateFile && !options.readOnly
      ? setInterval(() => void saveState().catch(() => {}), options.saveEveryMs ?? 2000)
      : undefined;
  timer?.unref();
  return {
    rpcUrl,
    port,
    process: child,
    saveState,
    async stop() {
      if (timer) clearInterval(timer);
      if (child.exitCode !== null || child.signalCode !== null) return;
      await saveState();
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
