import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEV_KEYS, loadModules, readBundleFile } from '@groundwork/node';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFleet } from '../src/fleet.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../bin/groundwork.js');

interface Summary {
  devices: number;
  envelopes: { accepted: number; rejected: Record<string, number> };
  epochs: { epoch: number; root: Hex; total: string; tx: Hex; bundle: string }[];
  claims: { accounts: number; amount: string };
}

describe('groundwork up --exit (the spine, end to end)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-up-'));
  let summary: Summary;
  let stderr: string;

  beforeAll(async () => {
    const out = await run(
      process.execPath,
      [
        BIN,
        'up',
        '--data-dir',
        dataDir,
        '--devices',
        '200',
        '--epochs',
        '3',
        '--epoch-seconds',
        '5',
        '--exit',
        '--json',
        '--port',
        '0',
        '--chain-port',
        '0',
        '--modules',
        'uptime',
      ],
      { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    stderr = out.stderr;
    summary = JSON.parse(out.stdout.trim()) as Summary;
  }, 300_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints one JSON summary with the device count and three submitted epochs', () => {
    expect(summary.devices).toBe(200);
    expect(summary.epochs).toHaveLength(3);
    const numbers = summary.epochs.map((e) => e.epoch);
    expect(numbers).toEqual([numbers[0], numbers[0]! + 1, numbers[0]! + 2]);
    for (const e of summary.epochs) {
      expect(e.root).toMatch(/^0x[0-9a-f]{64}$/);
      expect(e.tx).toMatch(/^0x[0-9a-f]{64}$/);
      expect(BigInt(e.total)).toBeGreaterThan(0n);
      expect(e.bundle).toContain(dataDir);
    }
    expect(stderr).toContain('api: http://127.0.0.1:');
  });

  it('files every kind of misbehaviour under its own reason code', () => {
    const r = summary.envelopes.rejected;
    expect(Object.keys(r).sort()).toEqual([
      'BAD_SIGNATURE',
      'CLOCK_SKEW',
      'DEVICE_INACTIVE',
      'SEQ_REPLAYED',
      'UNKNOWN_DEVICE',
    ]);
    for (const n of Object.values(r)) expect(n).toBeGreaterThan(0);
    expect(summary.envelopes.accepted).toBeGreaterThan(0);
  });

  it('rewards every honest device in every epoch and no misbehaving one', async () => {
    const modules = await loadModules({ only: ['uptime'] });
    const plan = planFleet({
      count: 200,
      seed: 'groundwork',
      modules,
      operatorKeys: DEV_KEYS.slice(4, 9) as unknown as Hex[],
    });
    const honest = new Set<string>(plan.filter((d) => d.role === 'honest').map((d) => d.key.deviceId));
    const bad = new Set<string>(
      plan.filter((d) => d.role === 'forged' || d.role === 'skewed').map((d) => d.key.deviceId),
    );
    const deactivated = new Set<string>(
      plan.filter((d) => d.role === 'deactivated').map((d) => d.key.deviceId),
    );
    expect(honest.size).toBe(188);
    for (const e of summary.epochs) {
      const lines = readBundleFile(e.bundle).bundle.result.lines;
      const paid = lines.filter((l) => BigInt(l.amount) > 0n).map((l) => l.deviceId);
      expect(new Set(paid)).toEqual(honest);
      for (const l of lines.filter((x) => bad.has(x.deviceId)))
        expect([l.amount, l.reason]).toEqual(['0', 'NO_HEARTBEATS']);
      expect(lines.filter((l) => deactivated.has(l.deviceId))).toEqual([]);
    }
  });

  it('claims exactly the operators’ cumulative amounts, as read back from Transfer events', () => {
    const last = summary.epochs[2]!;
    const { bundle } = readBundleFile(last.bundle);
    const operators = new Set(
      DEV_KEYS.slice(4, 9).map((k) => privateKeyToAccount(k as Hex).address.toLowerCase()),
    );
    const owed = bundle.result.cumulative.filter((c) => operators.has(c.account.toLowerCase()));
    const sum = owed.reduce((s, c) => s + BigInt(c.cumulativeAmount), 0n);
    expect(summary.claims.accounts).toBe(owed.filter((c) => BigInt(c.cumulativeAmount) > 0n).length);
    expect(summary.claims.accounts).toBe(5);
    expect(BigInt(summary.claims.amount)).toBe(sum);
  });

  it('verify-epoch matches a real bundle and fails on one with a single line item changed', async () => {
    const bundlePath = summary.epochs[1]!.bundle;
    const ok = await run(process.execPath, [BIN, 'verify-epoch', bundlePath, '--data-dir', dataDir], {
      timeout: 120_000,
    });
    expect(ok.stdout).toContain('MATCH');
    expect(ok.stdout).not.toContain('FAIL');

    // One device's amount raised by one base unit, on its own line of the file.
    const lines = readFileSync(bundlePath, 'utf8').split('\n');
    const at = lines.findIndex(
      (l) => l.startsWith('["0x') && /^\["0x[0-9a-f]+","0x[0-9a-f]{40}","[0-9]+","[1-9]/.test(l),
    );
    const row = JSON.parse(lines[at]!) as string[];
    const changed = JSON.stringify([...row.slice(0, 3), (BigInt(row[3]!) + 1n).toString(), ...row.slice(4)]);
    lines[at] = changed;
    const tampered = join(dataDir, 'tampered.jsonl');
    writeFileSync(tampered, lines.join('\n'));
    const bad = await run(process.execPath, [BIN, 'verify-epoch', tampered, '--data-dir', dataDir], {
      timeout: 120_000,
    }).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(
      `FAIL bundle re-written from its inputs — line ${at + 1}: bundle says ${changed}`,
    );
    // The quorum signed the real bundle, not this one.
    expect(bad.stdout).toContain('FAIL bundle hash signed by the oracle quorum');
    expect(bad.stdout).toContain('MISMATCH');
  }, 240_000);

  it('resumes the same network with its history when started again', async () => {
    const out = await run(
      process.execPath,
      [
        BIN,
        'up',
        '--data-dir',
        dataDir,
        '--devices',
        '200',
        '--epochs',
        '1',
        '--exit',
        '--json',
        '--port',
        '0',
        '--chain-port',
        '0',
        '--modules',
        'uptime',
      ],
      { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const again = JSON.parse(out.stdout.trim()) as Summary;
    expect(out.stderr).toContain('network: resumed from the data directory');
    expect(out.stderr).toContain('200 devices already registered');
    expect(again.epochs[0]!.epoch).toBeGreaterThan(summary.epochs[2]!.epoch);
  }, 300_000);
});
