/**
 * The in-browser `verify-epoch`: downloads the epoch's bundle from the node
 * and runs the CLI's own `verifyBundle` on it — the module scorers and
 * `computeEpoch` re-compute every line and the root, then the chain (the RPC
 * URL the node publishes) is asked for the root, the quorum-signed bundle
 * hash, the pool, the parameters and the previous root. Loaded on demand.
 *
 * @module
 */
import type { EpochBundle } from '@groundwork/node/epochs/bundle.ts';
import { type Check, verifyBundle } from '../../../cli/src/commands/verifyEpoch.ts';
import type { ApiClient } from '../api.ts';

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
  const { text, bundle } = await api.bundle(epoch);
  if (bundle.format !== 'groundwork-epoch-bundle/1')
    throw new Error(`epoch ${epoch}: not a Groundwork epoch bundle`);
  const checks = await verifyBundle(bundle as unknown as EpochBundle, rpcUrl);
  return {
    epoch,
    ok: checks.length > 0 && checks.every((c) => c.ok),
    checks,
    bundleBytes: new TextEncoder().encode(text).length,
    ms: Math.round(performance.now() - started),
  };
}
