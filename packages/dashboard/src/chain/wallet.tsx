/**
 * The wallet as the wallet page and module views share it: the chain code
 * (viem, loaded on first use in its own chunk), one connected wallet for the
 * whole app (connect it on one page, use it on another), the connect controls
 * and the Data Credits purchase.
 *
 * @module
 */
import { type ReactNode, useState, useSyncExternalStore } from 'react';
import type { Status } from '../api.ts';
import { formatCount, formatTime, formatToken, parseToken, TOKEN_SYMBOL } from '../format.ts';
import { type Loaded, useApi, useStatus } from '../hooks.ts';
import { Async, Button, ErrorMessage, Facts, FullHash, Hash } from '../ui/primitives.tsx';
import type { ConnectedWallet } from './chain.ts';

/** The chain module: balances, claims, Data Credits, wallet connection (see chain.ts). */
export type ChainModule = typeof import('./chain.ts');
export type { ConnectedWallet } from './chain.ts';

/** Loads the chain code (viem) on first use; it is never part of the first load. */
export function loadChain(): Promise<ChainModule> {
  return import('./chain.ts');
}

/** The chain module, loaded on demand. */
export function useChain(): Loaded<ChainModule> {
  return useApi<ChainModule>(() => loadChain(), []);
}

let connected: ConnectedWallet | undefined;
const listeners = new Set<() => void>();
const subscribe = (on: () => void) => {
  listeners.add(on);
  return () => listeners.delete(on);
};

/** Connects (or, with undefined, disconnects) the app's wallet. */
export function setWallet(wallet: ConnectedWallet | undefined): void {
  connected = wallet;
  for (const on of listeners) on();
}

/**
 * The app's connected wallet, if it belongs to the network in `status` (a
 * wallet connected to another chain does not carry over), and its setter.
 */
export function useWallet(
  status: Status | undefined,
): [ConnectedWallet | undefined, (w: ConnectedWallet | undefined) => void] {
  const w = useSyncExternalStore(subscribe, () => connected);
  const sameChain = w && status && w.client.chain.id === status.chainId;
  return [sameChain ? w : undefined, setWallet];
}

/**
 * Connect controls: an injected EIP-1193 wallet, or — on the local network
 * (chain id 31337) only — one of its development accounts.
 */
export function WalletConnect({
  status,
  chain,
  onConnect,
}: {
  status: Status;
  chain: ChainModule;
  onConnect: (w: ConnectedWallet) => void;
}) {
  const local = status.chainId === chain.LOCAL_CHAIN_ID;
  const [index, setIndex] = useState(4);
  const [error, setError] = useState<Error | undefined>();
  const injected = chain.hasInjectedWallet();
  const accounts = local ? chain.devAccounts() : [];
  return (
    <div className="two-col">
      <div>
        <h3>Injected wallet</h3>
        <p>
          A browser wallet (EIP-1193, <code>window.ethereum</code>) on chain {status.chainId}.
        </p>
        <Button
          variant="primary"
          disabled={!injected}
          onClick={async () => {
            setError(undefined);
            try {
              onConnect(await chain.connectInjected(status));
            } catch (e) {
              setError(e as Error);
            }
          }}
        >
          Connect injected wallet
        </Button>
        {!injected ? <p className="muted small">No injected wallet found in this browser.</p> : null}
      </div>
      {local ? (
        <div>
          <h3>Development account</h3>
          <p>
            This is a local network (chain id {status.chainId}): its well-known development accounts are
            available here. Accounts 4–8 operate the simulated fleet.
          </p>
          <label htmlFor="dev-account">Account</label>
          <div className="row">
            <select
              id="dev-account"
              value={index}
              onChange={(e) => setIndex(Number(e.target.value))}
              data-testid="dev-account"
            >
              {accounts.map((a) => (
                <option key={a.index} value={a.index}>
                  {a.index}: {a.address.slice(0, 10)}… ({a.role})
                </option>
              ))}
            </select>
            <Button
              variant="primary"
              onClick={() => onConnect(chain.connectDevAccount(status, index))}
              data-testid="dev-connect"
            >
              Use this account
            </Button>
          </div>
        </div>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </div>
  );
}

/**
 * For module views: renders `children` with the app's connected wallet, or
 * the connect controls until there is one; shows the account and a
 * Disconnect button above the children.
 */
export function WalletGate({
  children,
}: {
  children: (wallet: ConnectedWallet, chain: ChainModule, status: Status) => ReactNode;
}) {
  const status = useStatus();
  const chain = useChain();
  const [wallet, set] = useWallet(status.data);
  return (
    <Async state={status} what="network status">
      {(s) => (
        <Async state={chain} what="wallet support">
          {(c) =>
            wallet ? (
              <>
                <div className="row">
                  <span>
                    Connected: <FullHash value={wallet.address} testId="gate-address" /> ({wallet.label})
                  </span>
                  <Button onClick={() => set(undefined)}>Disconnect</Button>
                </div>
                {children(wallet, c, s)}
              </>
            ) : (
              <WalletConnect status={s} chain={c} onConnect={set} />
            )
          }
        </Async>
      )}
    </Async>
  );
}

/**
 * Buys Data Credits for the wallet's account by burning GRND: shows its
 * credit balance and the oracle price, quotes what an amount buys, and sends
 * approve + mint. The balance is re-read from the chain afterwards.
 */
export function BuyCredits({
  status,
  chain,
  wallet,
}: {
  status: Status;
  chain: ChainModule;
  wallet: ConnectedWallet;
}) {
  const credits = useApi(() => chain.readCredits(status, wallet.address), [wallet.address]);
  const [amount, setAmount] = useState('');
  const tokens = parseToken(amount);
  const quote = useApi(
    () => (tokens && tokens > 0n ? chain.quoteCredits(status, tokens) : Promise.resolve(undefined)),
    [tokens?.toString()],
  );
  const [state, setState] = useState<
    { s: 'idle' } | { s: 'busy' } | { s: 'done'; tx: string; credits: bigint } | { s: 'failed'; error: Error }
  >({ s: 'idle' });
  const buy = async () => {
    if (!tokens) return;
    setState({ s: 'busy' });
    try {
      const r = await chain.buyCredits(status, wallet, tokens);
      setState({ s: 'done', ...r });
      credits.reload();
    } catch (error) {
      setState({ s: 'failed', error: error as Error });
    }
  };
  return (
    <Async state={credits} what="Data Credits">
      {(c) =>
        c ? (
          <>
            <Facts
              items={[
                [
                  'Your Data Credits',
                  <span key="b" data-testid="credits-balance" data-raw={c.balance.toString()}>
                    {formatCount(c.balance)}
                  </span>,
                ],
                [
                  'Token price (oracle)',
                  `$${formatToken(c.priceE8, 8, 8)} per ${TOKEN_SYMBOL}, set ${formatTime(c.priceTime)}`,
                ],
                ['DataCredits contract', <Hash key="a" value={c.address} />],
              ]}
            />
            <div className="row">
              <label htmlFor="credits-tokens">{TOKEN_SYMBOL} to burn</label>
              <input
                id="credits-tokens"
                inputMode="decimal"
                value={amount}
                onChange={(e) => setAmount(e.target.value)}
                aria-invalid={amount !== '' && tokens === undefined}
                data-testid="credits-tokens"
              />
              <Button
                variant="primary"
                onClick={buy}
                disabled={!tokens || state.s === 'busy'}
                data-testid="credits-buy"
              >
                Buy credits
              </Button>
              {quote.data !== undefined ? (
                <span data-testid="credits-quote" data-raw={quote.data.toString()}>
                  ≈ {formatCount(quote.data)} credits
                </span>
              ) : null}
            </div>
            <div aria-live="polite">
              {state.s === 'busy' ? <p role="status">Approving and burning…</p> : null}
              {state.s === 'failed' ? <ErrorMessage error={state.error} /> : null}
              {state.s === 'done' ? (
                <p className="success" data-testid="credits-result" data-raw={state.credits.toString()}>
                  Bought {formatCount(state.credits)} credits in transaction <Hash value={state.tx} />.
                </p>
              ) : null}
            </div>
          </>
        ) : (
          <p className="muted">
            Data Credits (burn {TOKEN_SYMBOL} to buy network services) are not deployed on this network.
          </p>
        )
      }
    </Async>
  );
}
