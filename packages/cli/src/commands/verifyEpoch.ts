import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type AnvilHandle, BaseError, loadModules, readBundleFile, startAnvil } from '@groundwork/node';
import { verifyBundle } from '@groundwork/node/epochs/verify.ts';
import type { VerifyOptions } from '../main.ts';
import { readRuntime } from '../runtime.ts';

/** `groundwork verify-epoch <bundle>`: exit 0 when every check passes, 1 otherwise. */
export async function verifyEpochCommand(file: string, opts: VerifyOptions): Promise<number> {
  if (!existsSync(file)) throw new BaseError('USAGE', `no such bundle file: ${file}`);
  // Hashed and split without ever holding the file as one string (a bundle of
  // a million devices is a few hundred megabytes).
  const { lines, hash, bundle } = readBundleFile(file);

  let anvil: AnvilHandle | undefined;
  let tmp: string | undefined;
  let rpcUrl = opts.rpc;
  if (!rpcUrl) {
    const dataDir = resolve(opts['data-dir'] ?? '.groundwork');
    const running = readRuntime(dataDir);
    if (running) rpcUrl = running.rpcUrl;
    else {
      // The local network is not running: replay its chain from a copy of the saved state.
      const state = join(dataDir, 'chain', 'state.json');
      if (!existsSync(state))
        throw new BaseError(
          'USAGE',
          `no chain to check against: pass --rpc, or --data-dir of a local network`,
        );
      tmp = mkdtempSync(join(tmpdir(), 'gw-verify-'));
      copyFileSync(state, join(tmp, 'state.json'));
      anvil = await startAnvil({ stateFile: join(tmp, 'state.json'), readOnly: true });
      rpcUrl = anvil.rpcUrl;
    }
  }
  try {
    const modules = await loadModules({ only: bundle.modules.map((m) => m.id) });
    const { checks } = await verifyBundle({ lines, hash, modules, rpcUrl, bundle });
    const ok = checks.every((c) => c.ok);
    if (opts.json) process.stdout.write(`${JSON.stringify({ epoch: bundle.epoch, ok, checks })}\n`);
    else {
      for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name} — ${c.detail}\n`);
      process.stdout.write(
        ok
          ? `epoch ${bundle.epoch}: MATCH — the root on chain is what the bundle computes\n`
          : `epoch ${bundle.epoch}: MISMATCH\n`,
      );
    }
    return ok ? 0 : 1;
  } finally {
    await anvil?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
