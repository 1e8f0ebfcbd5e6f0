/**
 * Chain access from the browser (loaded on demand): reads through the RPC URL
 * the node publishes in `/v1/status`, writes through a development account
 * (local network only) or an injected EIP-1193 wallet.
 *
 * @module
 */
import { dataCreditsAbi, groundTokenAbi, rewardsDistributorAbi } from '@groundwork/abi';
// What a claimant needs beyond the ABI, shared with the CLI; loaded with this module, as viem is.
import { sendClaim } from '@groundwork/node/chain/claims.ts';
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  type EIP1193Provider,
  type Hex,
  http,
  type PublicClient,
  parseEventLogs,
  type Transport,
  type WalletClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import type { Claimable, Status } from '../api.ts';

export { claimWithFreshProof } from '@groundwork/node/chain/claims.ts';

/** Anvil's development mnemonic; its accounts are only ever offered on chain id 31337. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
export const LOCAL_CHAIN_ID = 31337;

/** What `groundwork up` uses each development account for. */
const DEV_ROLES = [
  'deployer, root submitter',
  'oracle',
  'oracle',
  'oracle',
  'fleet operator',
  'fleet operator',
  'fleet operator',
  'fleet operator',
  'fleet operator',
  'spare',
];

export interface DevAccountInfo {
  index: number;
  address: Address;
  role: string;
}

const devCache = new Map<number, ReturnType<typeof mnemonicToAccount>>();
/** Development account `index` (derived once: each derivation runs PBKDF2 over the mnemonic). */
function devAccount(index: number) {
  let a = devCache.get(index);
  if (!a) devCache.set(index, (a = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index })));
  return a;
}

/** The ten development accounts (addresses derived in the browser from the mnemonic). */
export function devAccounts(): DevAccountInfo[] {
  return DEV_ROLES.map((role, index) => ({ index, role, address: devAccount(index).address }));
}

function chainOf(status: Status): Chain {
  return defineChain({
    id: status.chainId,
    name: status.chainId === LOCAL_CHAIN_ID ? 'Groundwork local (anvil)' : `chain ${status.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [status.rpcUrl] } },
  });
}

const publics = new Map<string, PublicClient<Transport, Chain>>();
/** A public client for the network's chain (one per RPC URL). */
export function publicClientFor(status: Status): PublicClient<Transport, Chain> {
  let pc = publics.get(status.rpcUrl);
  if (!pc) {
    pc = createPublicClient({
      chain: chainOf(status),
      transport: http(status.rpcUrl),
      pollingInterval: 250,
    }) as PublicClient<Transport, Chain>;
    publics.set(status.rpcUrl, pc);
  }
  return pc;
}

export interface Quorum {
  epoch: number;
  root: Hex;
  total: bigint;
  bundleHash: Hex;
  /** Oracles whose signatures the RewardsDistributor accepted, as emitted in RootSubmitted. */
  signers: Address[];
  tx: Hex;
  block: bigint;
  /** The distributor's current oracle set and threshold. */
  oracles: Address[];
  threshold: bigint;
}

/** Reads the RootSubmitted event of `epoch` (its quorum signers) and the current oracle set. */
export async function readQuorum(status: Status, epoch: number, block?: number): Promise<Quorum | null> {
  const pc = publicClientFor(status);
  const address = status.contracts.distributor;
  const range =
    block !== undefined ? { fromBlock: BigInt(block), toBlock: BigInt(block) } : { fromBlock: 0n };
  const [logs, oracles, threshold] = await Promise.all([
    pc.getContractEvents({
      address,
      abi: rewardsDistributorAbi,
      eventName: 'RootSubmitted',
      args: { epoch: BigInt(epoch) },
      ...range,
    }),
    pc.readContract({ address, abi: rewardsDistributorAbi, functionName: 'oracles' }),
    pc.readContract({ address, abi: rewardsDistributorAbi, functionName: 'threshold' }),
  ]);
  const log = logs[0];
  if (!log) return null;
  const a = log.args;
  return {
    epoch,
    root: a.root!,
    total: a.total!,
    bundleHash: a.bundleHash!,
    signers: [...(a.signers ?? [])],
    tx: log.transactionHash,
    block: log.blockNumber,
    oracles: [...oracles],
    threshold,
  };
}

/** GroundToken balance of an account, base units. */
export async function tokenBalance(status: Status, account: Address): Promise<bigint> {
  return publicClientFor(status).readContract({
    address: status.contracts.token,
    abi: groundTokenAbi,
    functionName: 'balanceOf',
    args: [account],
  });
}

/** What the distributor has paid an account so far (its cumulative claimed amount). */
export async function claimedOnChain(status: Status, account: Address): Promise<bigint> {
  return publicClientFor(status).readContract({
    address: status.contracts.distributor,
    abi: rewardsDistributorAbi,
    functionName: 'claimed',
    args: [account],
  });
}

export interface ConnectedWallet {
  kind: 'dev' | 'injected';
  address: Address;
  label: string;
  client: WalletClient<Transport, Chain, Account>;
}

/** Connects development account `index` (local network only). */
export function connectDevAccount(status: Status, index: number): ConnectedWallet {
  if (status.chainId !== LOCAL_CHAIN_ID)
    throw new Error('development accounts exist only on the local network (chain id 31337)');
  const account = devAccount(index);
  const client = createWalletClient({ account, chain: chainOf(status), transport: http(status.rpcUrl) });
  return { kind: 'dev', address: account.address, label: `development account ${index}`, client };
}

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

/** True when the page has an injected EIP-1193 wallet (`window.ethereum`). */
export function hasInjectedWallet(): boolean {
  return typeof window !== 'undefined' && !!window.ethereum;
}

/** Asks the injected wallet for an account and for the network's chain (adding it if unknown). */
export async function connectInjected(status: Status): Promise<ConnectedWallet> {
  const provider = window.ethereum;
  if (!provider) throw new Error('no injected wallet (window.ethereum) on this page');
  const chain = chainOf(status);
  const probe = createWalletClient({ chain, transport: custom(provider) });
  const [address] = await probe.requestAddresses();
  if (!address) throw new Error('the wallet gave no account');
  if ((await probe.getChainId()) !== chain.id) {
    try {
      await probe.switchChain({ id: chain.id });
    } catch {
      await probe.addChain({ chain });
      await probe.switchChain({ id: chain.id });
    }
  }
  const client = createWalletClient({ account: address, chain, transport: custom(provider) }) as WalletClient<
    Transport,
    Chain,
    Account
  >;
  return { kind: 'injected', address, label: 'injected wallet', client };
}

export interface ClaimResult {
  tx: Hex;
  /** What the distributor paid, from its RewardsClaimed event. */
  paid: bigint;
  cumulativeAmount: bigint;
  epoch: number | null;
}

/**
 * Claims what `claimable` says the wallet's account is owed: `claim(account,
 * cumulativeAmount, proof)` on the RewardsDistributor, then reads the paid
 * amount from the receipt's RewardsClaimed event.
 */
export async function claimRewards(
  status: Status,
  wallet: ConnectedWallet,
  claimable: Claimable,
): Promise<ClaimResult> {
  const pc = publicClientFor(status);
  const cumulativeAmount = BigInt(claimable.cumulativeAmount);
  // A claim mined but reverted throws ClaimRevertedError; claimWithFreshProof retries a stale one.
  const receipt = await sendClaim(pc, wallet.client, {
    distributor: status.contracts.distributor,
    account: wallet.address,
    cumulativeAmount,
    proof: claimable.proof,
  });
  const hash = receipt.transactionHash;
  const events = parseEventLogs({
    abi: rewardsDistributorAbi,
    logs: receipt.logs,
    eventName: 'RewardsClaimed',
  });
  const paid = events.reduce((s, e) => s + e.args.amount, 0n);
  return { tx: hash, paid, cumulativeAmount, epoch: claimable.epoch };
}

/**
 * The DataCredits contract of the network, if it has one: a core contract
 * named like credits, else the one a module deployed (the coverage module's
 * `DataCredits`, published under `modules[].contracts` of `/v1/status`).
 */
export function creditsAddress(status: Status): Address | undefined {
  const core = Object.keys(status.contracts).find((k) => /credit/i.test(k));
  if (core) return status.contracts[core] as Address;
  for (const m of status.modules) {
    const key = Object.keys(m.contracts ?? {}).find((k) => /credit/i.test(k));
    if (key) return m.contracts![key] as Address;
  }
  return undefined;
}

export interface CreditsInfo {
  address: Address;
  /** The account's Data Credits. */
  balance: bigint;
  /** Oracle price of a token in USD, 8 decimals, and when it was set. */
  priceE8: bigint;
  priceTime: number;
}

export async function readCredits(status: Status, account: Address): Promise<CreditsInfo | undefined> {
  const address = creditsAddress(status);
  if (!address) return undefined;
  const pc = publicClientFor(status);
  const [balance, [priceE8, priceTime]] = await Promise.all([
    pc.readContract({ address, abi: dataCreditsAbi, functionName: 'balanceOf', args: [account] }),
    pc.readContract({ address, abi: dataCreditsAbi, functionName: 'price' }),
  ]);
  return { address, balance, priceE8, priceTime: Number(priceTime) * 1000 };
}

/** Credits that burning `tokens` buys at the current price. */
export async function quoteCredits(status: Status, tokens: bigint): Promise<bigint> {
  const address = creditsAddress(status);
  if (!address) throw new Error('this network has no DataCredits contract');
  return publicClientFor(status).readContract({
    address,
    abi: dataCreditsAbi,
    functionName: 'creditsForTokens',
    args: [tokens],
  });
}

/**
 * Buys Data Credits for the wallet's account: approves DataCredits to burn
 * `tokens` GRND, then `mint(account, tokens, minCredits)` with the quote as
 * the floor (a price update in between makes it revert rather than pay less).
 */
export async function buyCredits(
  status: Status,
  wallet: ConnectedWallet,
  tokens: bigint,
): Promise<{ tx: Hex; credits: bigint }> {
  const address = creditsAddress(status);
  if (!address) throw new Error('this network has no DataCredits contract');
  const pc = publicClientFor(status);
  const minCredits = await quoteCredits(status, tokens);
  const approve = await wallet.client.writeContract({
    address: status.contracts.token,
    abi: groundTokenAbi,
    functionName: 'approve',
    args: [address, tokens],
  });
  if ((await pc.waitForTransactionReceipt({ hash: approve })).status !== 'success')
    throw new Error(`approve reverted in ${approve}`);
  const tx = await wallet.client.writeContract({
    address,
    abi: dataCreditsAbi,
    functionName: 'mint',
    args: [wallet.address, tokens, minCredits],
  });
  const receipt = await pc.waitForTransactionReceipt({ hash: tx });
  if (receipt.status !== 'success') throw new Error(`mint reverted in ${tx}`);
  const minted = parseEventLogs({ abi: dataCreditsAbi, logs: receipt.logs, eventName: 'CreditsMinted' });
  return { tx, credits: minted.reduce((s, e) => s + e.args.credits, 0n) };
}
