/**
 * `/wallet`: connect a wallet — an injected EIP-1193 wallet, or on the local
 * network a development account — see the account's balance and claimable
 * rewards, and claim them on chain.
 */
import { useState } from 'react';
import type { Claimable, Status } from '../api.ts';
import type { ClaimResult, ConnectedWallet } from '../chain/chain.ts';
import { BuyCredits, type ChainModule, useChain, useWallet, WalletConnect } from '../chain/wallet.tsx';
import { formatCount, TOKEN_SYMBOL } from '../format.ts';
import { useApi, useApiClient, useLive, useStatus } from '../hooks.ts';
import { Link } from '../router.tsx';
import {
  Amount,
  Async,
  Button,
  DeviceLink,
  ErrorMessage,
  Facts,
  FullHash,
  Hash,
  Section,
  Stat,
  StatGrid,
} from '../ui/primitives.tsx';
import { ModuleBadge, StatusBadge } from './MapPage.tsx';

function Connected({
  status,
  chain,
  wallet,
  onDisconnect,
}: {
  status: Status;
  chain: ChainModule;
  wallet: ConnectedWallet;
  onDisconnect: () => void;
}) {
  const api = useApiClient();
  const balance = useApi(() => chain.tokenBalance(status, wallet.address), [wallet.address], {
    refreshOn: ['claim'],
    minIntervalMs: 500,
  });
  const claimable = useApi((a) => a.claimable(wallet.address), [wallet.address], {
    refreshOn: ['epoch', 'claim'],
    minIntervalMs: 500,
  });
  // What the distributor has paid is read from the chain: the node's figure lags by an indexing round.
  const claimed = useApi(() => chain.claimedOnChain(status, wallet.address), [wallet.address], {
    refreshOn: ['claim', 'epoch'],
    minIntervalMs: 500,
  });
  const devices = useApi((a) => a.allDevices({ operator: wallet.address }), [wallet.address]);
  const [claim, setClaim] = useState<
    | { s: 'idle' }
    | { s: 'busy'; step: string }
    | { s: 'done'; r: ClaimResult }
    | { s: 'failed'; error: Error }
  >({ s: 'idle' });
  const { reload: reloadBalance } = balance;
  const { reload: reloadClaimable } = claimable;
  const { reload: reloadClaimed } = claimed;
  useLive('claim', (e) => {
    if (e.account.toLowerCase() === wallet.address.toLowerCase()) {
      reloadBalance();
      reloadClaimable();
      reloadClaimed();
    }
  });

  const doClaim = async () => {
    try {
      setClaim({ s: 'busy', step: 'Fetching the proof…' });
      // A fresh proof: the distributor checks it against the latest root only, and a
      // root that lands before the claim makes it stale; then it is fetched again.
      const r = await chain.claimWithFreshProof({
        fetch: () => api.claimable(wallet.address),
        claim: async (c: Claimable) => {
          const paidSoFar = await chain.claimedOnChain(status, wallet.address);
          if (BigInt(c.cumulativeAmount) <= paidSoFar) throw new Error('nothing to claim right now');
          setClaim({
            s: 'busy',
            step: `Claiming ${c.claimable} base units against the root of epoch ${c.epoch}…`,
          });
          return chain.claimRewards(status, wallet, c);
        },
        onStale: (c) =>
          setClaim({
            s: 'busy',
            step: `A root newer than epoch ${c.epoch} landed: fetching the proof again…`,
          }),
      });
      setClaim({ s: 'done', r });
      reloadBalance();
      reloadClaimable();
      reloadClaimed();
    } catch (error) {
      setClaim({ s: 'failed', error: error as Error });
    }
  };

  const cumulative = claimable.data ? BigInt(claimable.data.cumulativeAmount) : undefined;
  const owed =
    cumulative !== undefined && claimed.data !== undefined && cumulative > claimed.data
      ? cumulative - claimed.data
      : 0n;
  const owedState = { ...claimable, data: claimable.data && claimed.data !== undefined ? owed : undefined };
  return (
    <>
      <StatGrid>
        <Stat label={`${TOKEN_SYMBOL} balance`}>
          <Async state={balance} what="balance">
            {(b) => <Amount value={b} testId="wallet-balance" />}
          </Async>
        </Stat>
        <Stat label="Claimable now">
          <Async state={owedState} what="claimable rewards">
            {(o) => <Amount value={o} testId="wallet-claimable" />}
          </Async>
        </Stat>
        <Stat label="Earned in total (cumulative)">
          <Async state={claimable} what="claimable rewards">
            {(c) => <Amount value={c.cumulativeAmount} testId="wallet-cumulative" />}
          </Async>
        </Stat>
        <Stat label="Already claimed">
          <Async state={claimed} what="claimed rewards">
            {(c) => <Amount value={c} testId="wallet-claimed" />}
          </Async>
        </Stat>
      </StatGrid>
      <Facts
        items={[
          ['Account', <FullHash key="a" value={wallet.address} testId="wallet-address" />],
          ['Connected through', wallet.label],
          [
            'Latest root',
            claimable.data?.epoch ? (
              <span key="r">
                <Link to={`/epochs/${claimable.data.epoch}`}>epoch {claimable.data.epoch}</Link>{' '}
                <Hash value={claimable.data.root} />
              </span>
            ) : (
              'none yet'
            ),
          ],
        ]}
      />
      <div className="row">
        <Button
          variant="primary"
          onClick={doClaim}
          disabled={claim.s === 'busy' || owed === 0n}
          data-testid="claim-button"
        >
          Claim
        </Button>
        <Button onClick={onDisconnect}>Disconnect</Button>
      </div>
      <div aria-live="polite">
        {claim.s === 'busy' ? <p role="status">{claim.step}</p> : null}
        {claim.s === 'failed' ? <ErrorMessage error={claim.error} /> : null}
        {claim.s === 'done' ? (
          <p className="success" data-testid="claim-result">
            Claimed <Amount value={claim.r.paid} testId="claim-paid" /> in transaction{' '}
            <Hash value={claim.r.tx} /> against the root of epoch{' '}
            <span data-testid="claim-epoch">{claim.r.epoch}</span>.
          </p>
        ) : null}
      </div>
      <h3>Devices this account operates</h3>
      <Async state={devices} what="devices">
        {(list) =>
          list.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <>
              <p>{formatCount(list.length)} devices.</p>
              <ul className="device-list">
                {list.slice(0, 50).map((d) => (
                  <li key={d.deviceId}>
                    <DeviceLink id={d.deviceId} /> <ModuleBadge id={d.module} /> <StatusBadge device={d} />
                  </li>
                ))}
              </ul>
            </>
          )
        }
      </Async>
    </>
  );
}

export default function WalletPage() {
  const status = useStatus();
  const chain = useChain();
  // One wallet for the whole app (module views use it too); one of another chain does not carry over.
  const [wallet, setWallet] = useWallet(status.data);
  const credits = status.data && chain.data ? chain.data.creditsAddress(status.data) : undefined;
  return (
    <>
      <h1>Wallet</h1>
      <Section title={wallet ? 'Your rewards' : 'Connect'} testId="wallet">
        <Async state={status} what="network status">
          {(s) => (
            <Async state={chain} what="wallet support">
              {(c) =>
                wallet ? (
                  <Connected status={s} chain={c} wallet={wallet} onDisconnect={() => setWallet(undefined)} />
                ) : (
                  <WalletConnect status={s} chain={c} onConnect={setWallet} />
                )
              }
            </Async>
          )}
        </Async>
      </Section>
      <Section title="Data Credits">
        {credits && wallet && status.data && chain.data ? (
          <BuyCredits status={status.data} chain={chain.data} wallet={wallet} />
        ) : credits ? (
          <p>
            Data Credits are deployed at <code>{credits}</code>: connect a wallet to buy them by burning{' '}
            {TOKEN_SYMBOL}.
          </p>
        ) : (
          <p className="muted">
            Data Credits (burn {TOKEN_SYMBOL} to buy network services) are not deployed on this network yet.
            When the network has them, buying credits appears here.
          </p>
        )}
      </Section>
    </>
  );
}
