/**
 * What `@groundwork/node` means inside the dashboard build (wired in
 * vite.config.ts) to server-side code — the modules, whose `score` the
 * in-browser verifier re-runs (it imports `packages/node/src/epochs/verify.ts`
 * directly: the same checks, in the same order, with the same messages as
 * `groundwork verify-epoch`).
 *
 * The node's barrel (packages/node/src/index.ts) also exports the server,
 * the store and anvil; modules import it too (for `requireParam`, errors,
 * types), so the dashboard build points every `@groundwork/node` import from
 * server-side code here. Everything is re-exported from the node's own files
 * that run in a browser, except two things:
 * - `loadModules` reads module folders with node:fs → the build-time
 *   registry in loadModulesBrowser.ts (same modules, same order);
 * - `startAnvil` spawns a process → unavailable (verifyBundle never calls it).
 *
 * @module
 */

export * from '@groundwork/node/chain/clients.ts';
export * from '@groundwork/node/chain/deployment.ts';
export * from '@groundwork/node/chain/oracle.ts';
export * from '@groundwork/node/chain/params.ts';
export * from '@groundwork/node/epochs/bundle.ts';
export * from '@groundwork/node/epochs/verify.ts';
export * from '@groundwork/node/internal/errors.ts';
export * from '@groundwork/node/internal/settings.ts';
export * from '@groundwork/node/modules/types.ts';
export * from '@groundwork/node/rewards/computeRewards.ts';
export * from '@groundwork/node/rewards/merkle.ts';
export { loadModules } from './loadModulesBrowser.ts';

export type AnvilHandle = { rpcUrl: string; stop(): Promise<void> };
export async function startAnvil(): Promise<AnvilHandle> {
  throw new Error('a browser cannot start anvil');
}
