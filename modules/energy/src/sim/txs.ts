import type { ChainClients } from '@groundwork/node/chain/clients.ts';
import type { Abi, Address, Hex } from 'viem';
import { encodeFunctionData } from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';

/**
 * Sends many transactions to a local chain quickly: signed here with explicit
 * nonce, gas and fees (one JSON-RPC call each, no estimation round trips),
 * into anvil's mempool with automatic mining paused; {@link settle} then mines
 * them in as few blocks as the gas limit allows (one block per transaction
 * would cost anvil a state-root computation each), checks every receipt and
 * resumes automatic mining. For the simulation's bulk set-up, not for a node.
 */
export class TxSender {
  readonly #accounts = new Map<Hex, PrivateKeyAccount>();
  readonly #nonces = new Map<Address, number>();
  readonly #pending: Hex[] = [];

  constructor(private readonly c: ChainClients) {}

  /** Sends `functionName(args)` to `to` from `key`; the hash is remembered for {@link settle}. */
  async call(
    key: Hex,
    to: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
    gas: bigint,
  ): Promise<Hex> {
    if (this.#pending.length === 0)
      await this.c.publicClient.request({ method: 'evm_setAutomine' as never, params: [false] as never });
    let account = this.#accounts.get(key);
    if (!account) this.#accounts.set(key, (account = privateKeyToAccount(key)));
    let nonce = this.#nonces.get(account.address);
    if (nonce === undefined) {
      nonce = await this.c.publicClient.getTransactionCount({
        address: account.address,
        blockTag: 'pending',
      });
    }
    this.#nonces.set(account.address, nonce + 1);
    const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);
    const raw = await account.signTransaction({
      chainId: this.c.chain.id,
      type: 'eip1559',
      to,
      data,
      gas,
      nonce,
      maxFeePerGas: 100_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });
    const hash = (await this.c.publicClient.request({
      method: 'eth_sendRawTransaction',
      params: [raw],
    })) as Hex;
    this.#pending.push(hash);
    return hash;
  }

  /**
   * Mines every transaction sent so far, then resumes automatic mining; throws naming the first that reverted.
   * Returns the gas each used, in the order sent.
   */
  async settle(): Promise<bigint[]> {
    const hashes = this.#pending.splice(0);
    try {
      for (let blocks = 0; blocks < 1000; blocks++) {
        const pending = (await this.c.publicClient.request({
          method: 'txpool_status' as never,
          params: [] as never,
        })) as {
          pending: string;
        };
        if (Number(pending.pending) === 0) break;
        await this.c.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
      }
    } finally {
      await this.c.publicClient.request({ method: 'evm_setAutomine' as never, params: [true] as never });
    }
    const gas: bigint[] = [];
    for (let i = 0; i < hashes.length; i += 100) {
      const used = await Promise.all(
        hashes.slice(i, i + 100).map(async (hash) => {
          const r = await this.c.publicClient.getTransactionReceipt({ hash });
          if (r.status !== 'success') throw new Error(`transaction ${hash} reverted`);
          return r.gasUsed;
        }),
      );
      gas.push(...used);
    }
    // Nonces stay right only while nobody else sends from these accounts; forget them between phases.
    this.#nonces.clear();
    return gas;
  }
}

/** Gives each address ether for gas (anvil only). */
export async function fundWithEther(c: ChainClients, addresses: readonly Address[]): Promise<void> {
  for (let i = 0; i < addresses.length; i += 50) {
    await Promise.all(
      addresses.slice(i, i + 50).map((a) =>
        c.publicClient.request({
          method: 'anvil_setBalance' as never,
          params: [a, '0x3635C9ADC5DEA00000'] as never,
        }),
      ),
    );
  }
}

/** The next block will be mined at `seconds` (anvil only; time never goes backwards). */
export async function nextBlockAt(c: ChainClients, seconds: number): Promise<void> {
  await c.publicClient.request({ method: 'evm_setNextBlockTimestamp' as never, params: [seconds] as never });
}

/** Mines a block at `seconds` (anvil only). */
export async function mineAt(c: ChainClients, seconds: number): Promise<void> {
  await nextBlockAt(c, seconds);
  await c.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
}
