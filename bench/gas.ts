/**
 * Gas benchmark: runs the forge gas scenarios in packages/contracts/test/gas
 * and collects the figures they print. Every figure is transaction gas
 * (21,000 + calldata + execution) of one call against cooled accounts, as
 * `Gas.transaction` in test/gas/Gas.sol measures it; each test prints it as a
 * console line `GAS <key> <value>` (`Gas.log`). forge runs with `--json -vv`,
 * which puts those lines in each test's `decoded_logs`.
 *
 * The baseline is `baselineClaim`: the textbook cumulative Merkle claim paying
 * a plain OpenZeppelin ERC-20 (test/gas/PlainMerkleClaim.sol), at the same
 * depth (20), for the same kind of beneficiary and with the same calldata as
 * `claimDepth20`.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const contractsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'contracts');

export interface GasBenchResult {
  /** `register` of one ed25519 device. */
  registerDevice: number;
  /** `registerBatch` of 10 ed25519 devices, ÷ 10. */
  registerBatchPerDevice: number;
  /** `submitRoot` signed by 3 of 5 oracles, a later epoch. */
  submitRoot3of5: number;
  /** One `claim` by a repeat claimer (already holding tokens), proof depth 20. */
  claimDepth20: number;
  /** `claimMany` of 100 repeat claimers (already holding tokens), depth 7, ÷ 100. */
  claimManyPerBeneficiary: number;
  /** The textbook cumulative Merkle claim (plain OZ ERC-20) under the same conditions as `claimDepth20`. */
  baselineClaim: number;
}

const REQUIRED = [
  'registerDevice',
  'registerBatchPerDevice',
  'submitRoot3of5',
  'claimDepth20',
  'claimManyPerBeneficiary',
  'baselineClaim',
] as const satisfies readonly (keyof GasBenchResult)[];

const GAS_LINE = /^GAS ([A-Za-z0-9_]+) (\d+)$/;

interface ForgeTestResult {
  status?: string;
  reason?: string | null;
  decoded_logs?: string[];
}

/**
 * Every `GAS <key> <value>` figure in the stdout of `forge test --json -vv`, by key, and the tests that did not
 * pass. Throws if the output is not forge's JSON or a key is printed twice.
 */
export function parseGasFigures(stdout: string): { figures: Record<string, number>; failures: string[] } {
  const suites = parseJson(stdout) as Record<string, { test_results?: Record<string, ForgeTestResult> }>;
  const figures: Record<string, number> = {};
  const from: Record<string, string> = {};
  const failures: string[] = [];
  for (const [suite, result] of Object.entries(suites)) {
    for (const [test, r] of Object.entries(result.test_results ?? {})) {
      const name = `${suite}:${test}`;
      if (r.status !== 'Success') failures.push(`${name}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`);
      for (const line of r.decoded_logs ?? []) {
        const m = GAS_LINE.exec(line.trim());
        if (!m) continue;
        const [, key, value] = m as unknown as [string, string, string];
        if (key in figures) throw new Error(`gas figure ${key} printed twice: by ${from[key]} and ${name}`);
        figures[key] = Number(value);
        from[key] = name;
      }
    }
  }
  return { figures, failures };
}

/** forge prints one JSON document; tolerate lines of other output around it. */
function parseJson(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    for (const line of stdout.split('\n').reverse()) {
      if (!line.startsWith('{')) continue;
      try {
        return JSON.parse(line);
      } catch {}
    }
    throw new Error('forge printed no JSON test results');
  }
}

/**
 * Build directories of our own, so a concurrent `forge build` in packages/contracts (or another benchGas) never
 * shares them: a persistent one under the OS temp dir, reused across runs for its compiler cache while we hold its
 * lock file, else a fresh one removed afterwards.
 */
function buildDirs(): { out: string; cache: string; release: () => void } {
  const shared = join(tmpdir(), 'groundwork-bench-gas');
  mkdirSync(shared, { recursive: true });
  const lock = join(shared, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return {
        out: join(shared, 'out'),
        cache: join(shared, 'cache'),
        release: () => rmSync(lock, { force: true }),
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left by a process that is gone is taken over once.
      const pid = Number(readFileSync(lock, 'utf8'));
      if (attempt === 0 && Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(lock, { force: true });
      else break;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'groundwork-bench-gas-'));
  return {
    out: join(dir, 'out'),
    cache: join(dir, 'cache'),
    release: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function runForge(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['script/forge.mjs', ...args], {
      cwd: contractsDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function benchGas(): Promise<GasBenchResult> {
  const dirs = buildDirs();
  let run: Awaited<ReturnType<typeof runForge>>;
  try {
    run = await runForge([
      'test',
      '--match-path',
      'test/gas/*',
      '--out',
      dirs.out,
      '--cache-path',
      dirs.cache,
      '--json',
      '-vv',
    ]);
  } finally {
    dirs.release();
  }
  const output = () =>
    `--- forge stderr (tail) ---\n${tail(run.stderr)}\n--- forge stdout (tail) ---\n${tail(run.stdout)}`;
  let parsed: ReturnType<typeof parseGasFigures>;
  try {
    parsed = parseGasFigures(run.stdout);
  } catch (e) {
    throw new Error(`bench gas: ${(e as Error).message} (forge exit code ${run.code})\n${output()}`);
  }
  if (run.code !== 0 || parsed.failures.length > 0) {
    throw new Error(
      `bench gas: forge test failed (exit code ${run.code})\n${parsed.failures.join('\n')}\n${output()}`,
    );
  }
  const missing = REQUIRED.filter((k) => !(k in parsed.figures));
  if (missing.length > 0) {
    throw new Error(`bench gas: no GAS line for ${missing.join(', ')}\n${output()}`);
  }
  const result = {} as GasBenchResult;
  for (const k of REQUIRED) result[k] = parsed.figures[k]!;
  return result;
}
