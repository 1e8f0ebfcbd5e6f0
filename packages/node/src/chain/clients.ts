import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { nonceManager, privateKeyToAccount } from 'viem/accounts';

export type Wallet = WalletClient<Transport, Chain, Account>;

export interface ChainClients {
  chain: Chain;
  rpcUrl: string;
  publicClient: PublicClient<Transport, Chain>;
  walletFor(privateKey: Hex): Wallet;
}

/** Connects to an EVM JSON-RPC endpoint; reads the chain id from it. */
export async function connectChain(
  rpcUrl: string,
  options: { pollingInterval?: number } = {},
): Promise<ChainClients> {
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 2 }) });
  const chainId = await probe.getChainId();
  const chain = defineChain({
    id: chainId,
    name: chainId === 31337 ? 'Groundwork local (anvil)' : `chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl, { retryCount: 3, batch: false });
  const publicClient = createPublicClient({
    chain,
    transport,
    pollingInterval: options.pollingInterval ?? 200,
  }) as PublicClient<Transport, Chain>;
  const wallets = new Map<string, Wallet>();
  return {
    chain,
    rpcUrl,
    publicClient,
    walletFor(privateKey) {
      let w = wallets.get(privateKey);
      if (!w) {
        // One local nonce counter per key: the closer, module loops and the CLI's
        // relayer may send from one process at once without reusing a nonce.
        w = createWalletClient({
          account: privateKeyToAccount(privateKey, { nonceManager }),
          chain,
          transport,
        });
        wallets.set(privateKey, w);
      }
      return w;
    },
  };
}
