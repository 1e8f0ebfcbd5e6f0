/**
 * What a claimant (the CLI, the dashboard's wallet page) needs to know of the
 * distributor's claims beyond its ABI. Browser-safe: viem only.
 *
 * @module
 */
import { rewardsDistributorAbi } from '@groundwork/abi';
import {
  type Account,
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from 'viem';
import { BaseError as GroundworkError } from '../internal/errors.ts';

/**
 * How many times a claim is built from the node's answer before a refused
 * proof is an error: the distributor checks a proof against its current root
 * only, so a root that lands between the node's answer and the claim (every
 * few seconds with short epochs) makes the proof stale, and the claimant asks
 * the node again.
 */
export const CLAIM_ATTEMPTS = 3;

/**
 * A claim transaction that was mined and reverted. `staleProof`: the chain,
 * as it was right after, refuses the claim's proof — a root landed between
 * the send and its block — so a fresh proof from the node can succeed.
 */
export class ClaimRevertedError extends GroundworkError {
  override readonly name = 'ClaimRevertedError';

  constructor(
    readonly hash: Hex,
    readonly staleProof: boolean,
  ) {
    super(
      'CLAIM_REVERTED',
      staleProof
        ? `claim reverted in ${hash}: its proof is no longer the chain's (a newer root landed before it was mined)`
        : `claim reverted in ${hash}`,
      { details: { hash, staleProof } },
    );
  }
}

/**
 * Whether the chain refused a claim's proof (RewardsDistributorInvalidProof),
 * as after a newer root: at the send (viem's estimate), or once mined
 * ({@link ClaimRevertedError} from {@link sendClaim}).
 */
export function isStaleProof(err: unknown): boolean {
  if (err instanceof ClaimRevertedError) return err.staleProof;
  if (!(err instanceof BaseError)) return false;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  return (
    reverted instanceof ContractFunctionRevertedError &&
    reverted.data?.errorName === 'RewardsDistributorInvalidProof'
  );
}

/** One claim: the account paid, its cumulative amount and the proof of it under the distributor's current root. */
export interface ClaimCall {
  distributor: Address;
  account: Address;
  cumulativeAmount: bigint;
  proof: readonly Hex[];
}

/**
 * Sends `RewardsDistributor.claim` from `wallet` (anyone may relay a claim;
 * the tokens go to the account) and waits for its block. A claim refused at
 * the send throws viem's error; one mined but reverted is run again against
 * the chain as it is then, and throws a {@link ClaimRevertedError} that says
 * whether the proof had gone stale — either way {@link isStaleProof} tells a
 * caller to ask the node for a fresh proof. `onSent` hears the hash as soon
 * as the transaction is sent.
 */
export async function sendClaim(
  publicClient: PublicClient<Transport, Chain>,
  wallet: WalletClient<Transport, Chain, Account>,
  call: ClaimCall,
  o: { onSent?: (hash: Hex) => void } = {},
): Promise<TransactionReceipt> {
  const request = {
    address: call.distributor,
    abi: rewardsDistributorAbi,
    functionName: 'claim',
    args: [call.account, call.cumulativeAmount, [...call.proof]],
  } as const;
  const hash = await wallet.writeContract(request);
  o.onSent?.(hash);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status === 'success') return receipt;
  const staleProof = await publicClient.simulateContract({ ...request, account: wallet.account }).then(
    () => false,
    (err: unknown) => isStaleProof(err),
  );
  throw new ClaimRevertedError(hash, staleProof);
}

/**
 * Claims with a fresh proof, up to {@link CLAIM_ATTEMPTS} times: `fetch` asks
 * the node what is owed (with its proof), `claim` claims it; when the chain
 * refuses the proof as stale ({@link isStaleProof}: a root landed between the
 * node's answer and the claim, or between its send and its block) `onStale`
 * hears it and the node is asked again. Any other error, or a stale proof on
 * the last attempt, is thrown. The CLI and the dashboard's wallet page claim
 * through it.
 */
export async function claimWithFreshProof<C, R>(o: {
  fetch: () => Promise<C>;
  claim: (owed: C) => Promise<R>;
  onStale: (owed: C, err: unknown) => void;
}): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const owed = await o.fetch();
    try {
      return await o.claim(owed);
    } catch (err) {
      if (attempt >= CLAIM_ATTEMPTS || !isStaleProof(err)) throw err;
      o.onStale(owed, err);
    }
  }
}
