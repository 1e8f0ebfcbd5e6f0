/**
 * The in-browser `verify-epoch`: downloads the epoch's bundle from the node
 * and runs the node's own `verifyBundle` on it — the same function
 * `groundwork verify-epoch` runs — so the module scorers and `computeEpoch`
 * re-write the bundle line for line, and the chain (the RPC URL the node
 * publishes) is asked for the root, the quorum-signed bundle hash (SHA-256 of
 * the bytes served), the pool, the parameters and the previous root. Loaded
 * on demand.
 *
 * @module
 */
import { bundleLines, hashBundleBytes, parseBundle } from '@groundwork/node/epochs/bundle.ts';
import { type Check, verifyBundle } from '@groundwork/node/epochs/verify.ts';
import type { ApiClient } from '../api.ts';
import { loadModules } from './loadModulesBrowser.ts';

export type { Check };

export interface VerifyResult {
  epoch: number;
  /** Every check passed: the root on chain is what the bundle computes. */
  ok: boolean;
  checks: Check[];
  /** Size of the bundle as served, bytes. */
  bundleBytes: number;
  ms: number;
}

/** Re-runs epoch `epoch` from its published bundle against the chain at `rpcUrl`. */
export async function verifyEpochInBrowser(
  api: ApiClient,
  rpcUrl: string,
  epoch: number,
): Promise<VerifyResult> {
  const started = performance.now();
  const { bytes, text } = await api.bundle(epoch);
  const lines = bundleLines(text);
  const bundle = parseBundle(lines);
  const modules = await loadModules({ only: bundle.modules.map((m) => m.id) });
  const { checks } = await verifyBundle({ lines, hash: hashBundleBytes(bytes), modules, rpcUrl, bundle });
  return {
    epoch,
    ok: checks.length > 0 && checks.every((c) => c.ok),
    checks,
    bundleBytes: bytes.length,
    ms: Math.round(performance.now() - started),
  };
}
