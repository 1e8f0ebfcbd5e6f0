import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BaseError } from '../internal/errors.ts';

export interface AnvilHandle {
  rpcUrl: string;
  port: number;
  process: ChildProcess;
  /** Stops anvil; with SIGINT anvil dumps its state file first. */
  stop(): Promise<void>;
}

/** Path of the anvil binary shipped by the @foundry-rs/anvil npm package. */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@foundry-rs/anvil/package.json');
  return join(dirname(pkg), 'bin', 'anvil');
}

/**
 * Starts a local anvil chain bound to loopback. With `stateFile` the chain is
 * loaded from it at start and dumped to it on exit and every few seconds, so
 * `groundwork up` resumes the same chain.
 */
export async function startAnvil(options: { port?: number; stateFile?: string; gasLimit?: number; chainId?: number } = {}): Promise<AnvilHandle> {
  const args = ['--host', '127.0.0.1', '--port', String(options.port ?? 0), '--chain-id', String(options.chainId ?? 31337)];
  args.push('--gas-limit', String(options.gasLimit ?? 300_000_000), '--code-size-limit', '49152');
  if (options.stateFile) {
    mkdirSync(dirname(options.stateFile), { recursive: true });
    args.push('--state', options.stateFile, '--state-interval', '2', '--preserve-historical-states');
  }
  let bin: string;
  try {
    bin = anvilBinary();
  } catch (cause) {
    throw new BaseError('ANVIL_MISSING', 'anvil not found: run npm ci (package @foundry-rs/anvil)', { cause });
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BaseError('ANVIL_START_TIMEOUT', `anvil did not start: ${output.slice(-500)}`)), 30_000);
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
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
