import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEV_KEYS } from '@groundwork/node';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../bin/groundwork.js');

describe('groundwork up (running) + groundwork claim', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-claim-'));
  let up: ChildProcess;
  let api: string;
  let stderr = '';

  beforeAll(async () => {
    up = spawn(
      process.execPath,
      [
        BIN,
        'up',
        '--data-dir',
        dataDir,
        '--devices',
        '10',
        '--epoch-seconds',
        '3',
        '--port',
        '0',
        '--chain-port',
        '0',
        '--modules',
        'uptime',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    api = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no api line: ${stderr}`)), 90_000);
      up.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /api: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    // Wait for a submitted epoch in which the operator earned.
    const operator = privateKeyToAccount(DEV_KEYS[5] as Hex).address.toLowerCase();
    for (let i = 0; i < 240; i++) {
      const c = (await (await fetch(`${api}/v1/accounts/${operator}/claimable`)).json()) as {
        claimable: string;
      };
      if (BigInt(c.claimable) > 0n) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 240_000);

  afterAll(async () => {
    if (up.exitCode === null) {
      const exited = new Promise((r) => up.once('exit', r));
      up.kill('SIGINT');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('claims what the API says an operator is owed, and then nothing more', async () => {
    const operator = privateKeyToAccount(DEV_KEYS[5] as Hex).address.toLowerCase();
    const before = (await (await fetch(`${api}/v1/accounts/${operator}/claimable`)).json()) as {
      claimable: string;
      epoch: number;
    };
    expect(BigInt(before.claimable)).toBeGreaterThan(0n);
    const out = await run(process.execPath, [BIN, 'claim', '--account', operator, '--data-dir', dataDir], {
      timeout: 60_000,
    });
    const m = /claimed (\d+) base units for (0x[0-9a-f]{40}) in (0x[0-9a-f]{64})/.exec(out.stdout);
    expect(m?.[2]).toBe(operator);
    // The node may have closed another epoch meanwhile: what moved is at least what was claimable before.
    expect(BigInt(m![1]!)).toBeGreaterThanOrEqual(BigInt(before.claimable));
    // The indexer sees the claim; the account's claimed amount follows.
    let after = before;
    for (let i = 0; i < 40; i++) {
      after = (await (await fetch(`${api}/v1/accounts/${operator}/claimable`)).json()) as typeof before & {
        claimed: string;
      };
      if (BigInt((after as unknown as { claimed: string }).claimed) >= BigInt(m![1]!)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(BigInt((after as unknown as { claimed: string }).claimed)).toBe(BigInt(m![1]!));
  }, 120_000);

  it('refuses a malformed account with a usage error and exit code 2', async () => {
    const bad = await run(process.execPath, [BIN, 'claim', '--account', 'nope', '--data-dir', dataDir]).catch(
      (e) => e,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error USAGE: --account takes a 0x-prefixed address');
  });
});
