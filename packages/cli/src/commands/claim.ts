import { resolve } from 'node:path';
import { groundTokenAbi } from '@groundwork/abi';
import {
  BaseError,
  ClaimRevertedError,
  claimWithFreshProof,
  connectChain,
  DEV_KEYS,
  sendClaim,
} from '@groundwork/node';
import { type Address, type Hex, parseEventLogs } from 'viem';
import type { ClaimOptions } from '../main.ts';
import { readRuntime } from '../runtime.ts';

/**
 * `groundwork claim --account <address>`: asks the node what the account is
 * owed (with its proof) and sends the claim. Anyone may relay a claim; the
 * tokens always go to the account.
 */
export async function claimCommand(opts: ClaimOptions): Promise<number> {
  const account = opts.account;
  if (!account || !/^0x[0-9a-fA-F]{40}$/.test(account))
    throw new BaseError('USAGE', '--account takes a 0x-prefixed address');
  const runtime = readRuntime(resolve(opts['data-dir'] ?? '.groundwork'));
  const api = opts.api ?? runtime?.apiUrl;
  if (!api) throw new BaseError('USAGE', 'no node to ask: start `groundwork up` or pass --api <url>');
  const status = (await (await fetch(`${api}/v1/status`)).json()) as {
    rpcUrl: string;
    contracts: { distributor: Address; token: Address };
  };
  const claimable = async () => {
    const res = await fetch(`${api}/v1/accounts/${account}/claimable`);
    if (!res.ok) throw new BaseError('API_ERROR', `node answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as {
      cumulativeAmount: string;
      claimable: string;
      proof: Hex[];
      epoch: number | null;
    };
  };
  let clients: Awaited<ReturnType<typeof connectChain>> | undefined;
  const receipt = await claimWithFreshProof({
    fetch: claimable,
    claim: async (c) => {
      if (BigInt(c.claimable) === 0n) {
        process.stdout.write(
          `nothing to claim for ${account} (cumulative ${c.cumulativeAmount}, epoch ${c.epoch ?? '-'})\n`,
        );
        return undefined;
      }
      clients ??= await connectChain(opts.rpc ?? runtime?.rpcUrl ?? status.rpcUrl);
      // Default relayer: development account 9, which nothing else in a local network sends from.
      const w = clients.walletFor((opts['private-key'] ?? DEV_KEYS[9]) as Hex);
      return sendClaim(clients.publicClient, w, {
        distributor: status.contracts.distributor,
        account: account as Address,
        cumulativeAmount: BigInt(c.cumulativeAmount),
        proof: c.proof,
      });
    },
    onStale: (c, err) =>
      process.stderr.write(
        err instanceof ClaimRevertedError
          ? `the claim in ${err.hash} reverted: a root newer than epoch ${c.epoch} landed before it was mined; asking the node again\n`
          : `the proof of epoch ${c.epoch} is no longer the chain's: a newer root landed; asking the node again\n`,
      ),
  });
  if (!receipt) return 0;
  const hash = receipt.transactionHash;
  const moved = parseEventLogs({ abi: groundTokenAbi, logs: receipt.logs, eventName: 'Transfer' })
    .filter((l) => l.address.toLowerCase() === status.contracts.token.toLowerCase())
    .reduce((s, l) => s + l.args.value, 0n);
  process.stdout.write(`claimed ${moved} base units for ${account} in ${hash}\n`);
  return 0;
}
