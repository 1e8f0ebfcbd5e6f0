import { rewardsDistributorAbi } from '@groundwork/abi';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { ChainClients } from './clients.ts';

export type RootSubmission = {
  epoch: bigint;
  root: Hex;
  total: bigint;
  bundleHash: Hex;
};

/** The EIP-712 domain and types oracles sign a root under (see docs/CONTRACTS.md). */
export function rootSubmissionTypedData(chainId: number, distributor: Address, s: RootSubmission) {
  return {
    domain: { name: 'GroundworkRewards', version: '1', chainId, verifyingContract: distributor },
    types: {
      RootSubmission: [
        { name: 'epoch', type: 'uint256' },
        { name: 'root', type: 'bytes32' },
        { name: 'total', type: 'uint256' },
        { name: 'bundleHash', type: 'bytes32' },
      ],
    } as const,
    primaryType: 'RootSubmission' as const,
    message: s,
  };
}

/**
 * Signs a root with each oracle key and orders the signatures by signer
 * address, ascending, as RewardsDistributor requires.
 */
export async function signRoot(
  oracleKeys: Hex[],
  chainId: number,
  distributor: Address,
  s: RootSubmission,
): Promise<{ signer: Address; signature: Hex }[]> {
  const typed = rootSubmissionTypedData(chainId, distributor, s);
  const signed = await Promise.all(
    oracleKeys.map(async (k) => {
      const account = privateKeyToAccount(k);
      return { signer: account.address, signature: await account.signTypedData(typed) };
    }),
  );
  return signed.sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
}

/** Submits a signed root and waits for it to be mined; returns the transaction hash. */
export async function submitRoot(
  clients: ChainClients,
  submitterKey: Hex,
  distributor: Address,
  s: RootSubmission,
  signatures: Hex[],
): Promise<Hex> {
  const w = clients.walletFor(submitterKey);
  const hash = await w.writeContract({
    address: distributor,
    abi: rewardsDistributorAbi,
    functionName: 'submitRoot',
    args: [s.epoch, s.root, s.total, s.bundleHash, signatures],
  });
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`submitRoot for epoch ${s.epoch} reverted in ${hash}`);
  return hash;
}
