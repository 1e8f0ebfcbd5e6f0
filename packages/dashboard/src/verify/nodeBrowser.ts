/**
 * What `@groundwork/node` means inside the dashboard build (wired in
 * vite.config.ts) to server-side code: `packages/cli/src/commands/verifyEpoch.ts`,
 * whose `verifyBundle` the browser runs as is — the same checks, in the same
 * order, with the same messages as `groundwork verify-epoch` — and the
 * modules, whose `score` it re-runs.
 *
 * The node's barrel (packages/node/src/index.ts) also exports the server,
 * the store and anvil; modules import it too (for `requireParam`, errors,
 * types), so the dashboard build points every `@groundwork/node` import from
 * server-side code here. Everything is re-exported from the node's own files
 * that run in a browser, except three things:
 * - `loadModules` reads module folders with node:fs → the build-time
 *   registry in loadModulesBrowser.ts (same modules, same order);
 * - `hashBundle` uses the Node global `Buffer` (packages/node/src/epochs/bundle.ts)
 *   → the same bytes, keccak256 of the canonical JSON, through TextEncoder;
 * - `startAnvil` spawns a process → unavailable (verifyBundle never calls it).
 *
 * @module
 */

import type { EpochBundle } from '@groundwork/node/epochs/bundle.ts';
import { canonicalize } from '@groundwork/protocol';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export * from '@groundwork/node/chain/clients.ts';
export * from '@groundwork/node/chain/deployment.ts';
export * from '@groundwork/node/chain/oracle.ts';
export * from '@groundwork/node/chain/params.ts';
export {
  BUNDLE_FORMAT,
  type BundleInputs,
  bundleParams,
  computeEpoch,
  type EpochBundle,
} from '@groundwork/node/epochs/bundle.ts';
export * from '@groundwork/node/internal/errors.ts';
export * from '@groundwork/node/internal/settings.ts';
export * from '@groundwork/node/modules/types.ts';
export * from '@groundwork/node/rewards/computeRewards.ts';
export * from '@groundwork/node/rewards/merkle.ts';
export { loadModules } from './loadModulesBrowser.ts';

/** keccak256 of the bundle's canonical JSON (RFC 8785) — `hashBundle` without Node's Buffer. */
export function hashBundle(bundle: EpochBundle): `0x${string}` {
  return `0x${bytesToHex(keccak_256(new TextEncoder().encode(canonicalize(bundle))))}`;
}

export type AnvilHandle = { rpcUrl: string; stop(): Promise<void> };
export async function startAnvil(): Promise<AnvilHandle> {
  throw new Error('a browser cannot start anvil');
}
