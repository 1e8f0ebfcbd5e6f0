/**
 * What a claimant (the CLI, the dashboard's wallet page) needs to know of the
 * distributor's claims beyond its ABI. Browser-safe: viem only.
 *
 * @module
 */
import { BaseError, ContractFunctionRevertedError } from 'viem';

/**
 * How many times a claim is built from the node's answer before a refused
 * proof is an error: the distributor checks a proof against its current root
 * only, so a root that lands between the node's answer and the claim (every
 * few seconds with short epochs) makes the proof stale, and the claimant asks
 * the node again.
 */
export const CLAIM_ATTEMPTS = 3;

/** Whether the chain refused a claim's proof (RewardsDistributorInvalidProof), as after a newer root. */
export function isStaleProof(err: unknown): boolean {
  if (!(err instanceof BaseError)) return false;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  return (
    reverted instanceof ContractFunctionRevertedError &&
    reverted.data?.errorName === 'RewardsDistributorInvalidProof'
  );
}
