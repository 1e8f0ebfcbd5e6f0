import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  /**
   * The node's API behind a proxy that answers the first `stale` claimable
   * requests with a proof the chain refuses, as it refuses a proof of the
   * epoch before a root that landed after the node answered.
   */
  async function staleProxy(stale: number): Promise<{ url: string; asked: () => number; close: () => void }> {
    let asked = 0;
    const server = createServer(async (req, res) => {
      const upstream = await fetch(`${api}${req.url}`);
      let body = await upstream.text();
      if (req.url?.endsWith('/claimable') && asked++ < stale) {
        const c = JSON.parse(body) as { proof: string[] };
        c.proof = [`0x${'ab'.repeat(32)}`, ...c.proof.slice(1)];
        body = JSON.stringify(c);
      }
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      asked: () => asked,
      close: () => server.close(),
    };
  }

  async function owed(operator: string): Promise<void> {
    for (let i = 0; i < 120; i++) {
      const c = (await (await fetch(`${api}/v1/accounts/${operator}/claimable`)).json()) as {
        claimable: string;
      };
      if (BigInt(c.claimable) > 0n) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('nothing became claimable');
  }

  /**
   * `groundwork claim` for the fleet's operator, once it is owed something,
   * through {@link staleProxy}: its exit code and output, and how many times
   * it asked what is claimable.
   */
  async function claimThroughStale(stale: number) {
    const operator = privateKeyToAccount(DEV_KEYS[5] as Hex).address.toLowerCase();
    await owed(operator);
    const proxy = await staleProxy(stale);
    try {
      const outcome: { code: number; stdout: string; stderr: string } = await run(
        process.execPath,
        [BIN, 'claim', '--account', operator, '--data-dir', dataDir, '--api', proxy.url],
        { timeout: 60_000 },
      ).then(
        (out) => ({ code: 0, ...out }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      return { ...outcome, asked: proxy.asked() };
    } finally {
      proxy.close();
    }
  }

  it('asks the node again when the chain refuses a proof, as after a newer root', async () => {
    const out = await claimThroughStale(1);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(
      /the proof of epoch \d+ is no longer the chain's: a newer root landed; asking the node again/,
    );
    expect(out.stdout).toMatch(/^claimed \d+ base units for 0x[0-9a-f]{40} in 0x[0-9a-f]{64}\n$/);
    // Two, or more if a root also landed between an answer and its claim (epochs of 3 s here).
    expect(out.asked).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('gives up after three refused proofs, with the chain error', async () => {
    const failed = await claimThroughStale(1_000);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('RewardsDistributorInvalidProof');
    expect(failed.asked).toBe(3);
  }, 120_000);

  it('refuses a malformed account with a usage error and exit code 2', async () => {
    const bad = await run(process.execPath, [BIN, 'claim', '--account', 'nope', '--data-dir', dataDir]).catch(
      (e) => e,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error USAGE: --account takes a 0x-prefixed address');
  });
});
