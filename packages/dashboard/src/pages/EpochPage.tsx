/**
 * `/epochs/:n`: one epoch — its root, transaction and quorum signatures, its
 * bundle (download, and re-run in the browser), and every reward line.
 */
import { useState } from 'react';
import type { EpochDetail, Status } from '../api.ts';
import type { Quorum } from '../chain/chain.ts';
import {
  formatCount,
  formatDuration,
  formatTime,
  formatToken,
  TOKEN_SYMBOL,
  tokenToNumber,
} from '../format.ts';
import { useApi, useApiClient, useStatus } from '../hooks.ts';
import { Link } from '../router.tsx';
import { ShareBars } from '../ui/charts.tsx';
import {
  Amount,
  Async,
  Badge,
  Button,
  DataTable,
  DeviceLink,
  ErrorMessage,
  Facts,
  FullHash,
  Hash,
  moduleColor,
  ReasonCounts,
  Section,
} from '../ui/primitives.tsx';
import type { VerifyResult } from '../verify/run.ts';
import { EpochStatus } from './EpochsPage.tsx';
import { ModuleBadge } from './MapPage.tsx';

function QuorumView({ status, epoch }: { status: Status; epoch: EpochDetail }) {
  const quorum = useApi<Quorum | null>(async () => {
    if (!epoch.chain) return null;
    const chain = await import('../chain/chain.ts');
    return chain.readQuorum(status, epoch.epoch, epoch.chain.block);
  }, [status.rpcUrl, epoch.epoch, epoch.chain?.block]);
  if (!epoch.chain)
    return <p className="muted">Not on chain yet: the root is submitted once the oracles sign it.</p>;
  return (
    <Async state={quorum} what="quorum signatures from the chain">
      {(q) =>
        q ? (
          <>
            <p data-testid="quorum-summary">
              <strong>
                {q.signers.length} of {q.oracles.length} oracles
              </strong>{' '}
              signed (threshold {q.threshold.toString()}), in transaction <Hash value={q.tx} /> at block{' '}
              {formatCount(q.block)}.
            </p>
            <ul className="signers" data-testid="quorum-signers">
              {q.signers.map((s) => {
                const known = q.oracles.some((o) => o.toLowerCase() === s.toLowerCase());
                return (
                  <li key={s}>
                    <code>{s}</code>{' '}
                    {known ? (
                      <Badge tone="ok">registered oracle</Badge>
                    ) : (
                      <Badge tone="warn">not in current set</Badge>
                    )}
                  </li>
                );
              })}
            </ul>
            <p className="muted small">
              Read from the RewardsDistributor's RootSubmitted event through {status.rpcUrl}; the oracle set
              and threshold are the distributor's current ones.
            </p>
          </>
        ) : (
          <p className="error">No RootSubmitted event for this epoch on chain.</p>
        )
      }
    </Async>
  );
}

function VerifyPanel({ status, epoch }: { status: Status; epoch: EpochDetail }) {
  const api = useApiClient();
  const [state, setState] = useState<
    { s: 'idle' } | { s: 'running' } | { s: 'done'; r: VerifyResult } | { s: 'failed'; error: Error }
  >({ s: 'idle' });
  const run = async () => {
    setState({ s: 'running' });
    try {
      const { verifyEpochInBrowser } = await import('../verify/run.ts');
      setState({ s: 'done', r: await verifyEpochInBrowser(api, status.rpcUrl, epoch.epoch) });
    } catch (error) {
      setState({ s: 'failed', error: error as Error });
    }
  };
  return (
    <>
      <p>
        Re-runs this epoch from its published bundle, here in your browser, with the same code as{' '}
        <code>groundwork verify-epoch</code>: the module scorers and the reward function re-compute every line
        and the Merkle root, then the chain is asked for the root, the bundle hash the oracles signed, the
        pool, the parameters and the previous root.
      </p>
      <div className="row">
        <Button variant="primary" onClick={run} disabled={state.s === 'running'} data-testid="verify-button">
          {state.s === 'running' ? 'Verifying…' : 'Verify this epoch in the browser'}
        </Button>
        <a
          className="btn btn-secondary"
          href={api.bundleUrl(epoch.epoch)}
          download={`epoch-${epoch.epoch}.json`}
        >
          Download the bundle
        </a>
      </div>
      <div aria-live="polite">
        {state.s === 'failed' ? <ErrorMessage error={state.error} /> : null}
        {state.s === 'done' ? (
          <>
            <p className={`verdict ${state.r.ok ? 'verdict-ok' : 'verdict-bad'}`} data-testid="verify-result">
              {state.r.ok ? 'match' : 'mismatch'}
            </p>
            <p className="muted small">
              {state.r.ok
                ? `The root on chain is what the bundle computes (${formatCount(state.r.bundleBytes)} bytes re-run in ${state.r.ms} ms).`
                : 'At least one check failed — see below.'}
            </p>
            <ul className="checks" data-testid="verify-checks">
              {state.r.checks.map((c) => (
                <li key={c.name}>
                  <Badge tone={c.ok ? 'ok' : 'bad'}>{c.ok ? 'ok' : 'FAIL'}</Badge> <strong>{c.name}</strong>{' '}
                  <span className="muted break">{c.detail}</span>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
    </>
  );
}

function EpochView({ epoch, status }: { epoch: EpochDetail; status: Status | undefined }) {
  const byModule = new Map<string, bigint>();
  const reasons: Record<string, number> = {};
  for (const l of epoch.lines) {
    byModule.set(l.module, (byModule.get(l.module) ?? 0n) + BigInt(l.amount));
    reasons[l.reason] = (reasons[l.reason] ?? 0) + 1;
  }
  const dust =
    epoch.pool && epoch.epochTotal ? (BigInt(epoch.pool) - BigInt(epoch.epochTotal)).toString() : null;
  const onChainMatches =
    epoch.chain && epoch.root && epoch.chain.root.toLowerCase() === epoch.root.toLowerCase();
  return (
    <>
      <Section title="Summary">
        <Facts
          items={[
            ['Status', <EpochStatus key="s" status={epoch.status} />, 'epoch-status'],
            [
              'Window',
              `${formatTime(epoch.startMs)} → ${formatTime(epoch.endMs)} (${formatDuration(epoch.endMs - epoch.startMs)})`,
            ],
            ['Emission (pool)', <Amount key="p" value={epoch.pool} testId="epoch-pool" />],
            ['Paid to devices', <Amount key="t" value={epoch.epochTotal} testId="epoch-paid" />],
            ['Dust (kept by the pool)', <Amount key="d" value={dust} />],
            ['Cumulative total of the root', <Amount key="c" value={epoch.total} />],
            ['Merkle root', <FullHash key="r" value={epoch.root} testId="epoch-root" />],
            ['Bundle hash (signed by the oracles)', <FullHash key="b" value={epoch.bundleHash} />],
            ['Transaction', <FullHash key="x" value={epoch.tx} testId="epoch-tx" />],
            [
              'On chain',
              epoch.chain ? (
                <span key="o">
                  block {formatCount(epoch.chain.block)}{' '}
                  {onChainMatches ? (
                    <Badge tone="ok">root recorded</Badge>
                  ) : (
                    <Badge tone="bad">root differs</Badge>
                  )}
                </span>
              ) : (
                'not yet'
              ),
            ],
          ]}
        />
      </Section>
      <div className="two-col">
        <Section title="Quorum signatures" testId="quorum">
          {status ? <QuorumView status={status} epoch={epoch} /> : null}
        </Section>
        <Section title="Verify" testId="verify">
          {status && epoch.root ? (
            <VerifyPanel status={status} epoch={epoch} />
          ) : (
            <p className="muted">The bundle is published when the epoch closes.</p>
          )}
        </Section>
      </div>
      <div className="two-col">
        <Section title="Rewards by module">
          <ShareBars
            title={`Paid per module (${TOKEN_SYMBOL})`}
            items={[...byModule].map(([m, v]) => ({
              label: m,
              value: tokenToNumber(v),
              text: `${formatToken(v)} ${TOKEN_SYMBOL}`,
              color: moduleColor(m),
            }))}
          />
        </Section>
        <Section title="Reasons">
          <ReasonCounts counts={reasons} />
        </Section>
      </div>
      <Section title={`Reward lines (${epoch.lines.length})`}>
        <DataTable
          caption={`Reward lines of epoch ${epoch.epoch}`}
          testId="epoch-lines"
          rows={epoch.lines}
          rowKey={(l) => `${l.module}:${l.deviceId}`}
          columns={[
            { header: 'Device', render: (l) => <DeviceLink id={l.deviceId} /> },
            { header: 'Module', render: (l) => <ModuleBadge id={l.module} /> },
            { header: 'Beneficiary', render: (l) => <Hash value={l.beneficiary} /> },
            { header: 'Score', render: (l) => formatCount(l.score), align: 'right' },
            { header: 'Amount', render: (l) => <Amount value={l.amount} />, align: 'right' },
            { header: 'Reason', render: (l) => <code>{l.reason}</code> },
            {
              header: 'Detail',
              render: (l) =>
                l.detail
                  ? Object.entries(l.detail)
                      .map(([k, v]) => `${k}: ${v}`)
                      .join(', ')
                  : '',
            },
          ]}
        />
      </Section>
    </>
  );
}

export default function EpochPage({ n }: { n: number }) {
  const status = useStatus();
  const epoch = useApi((api) => api.epoch(n), [n], { refreshOn: ['epoch'] });
  return (
    <>
      <p className="crumbs">
        <Link to="/epochs">Epochs</Link> ›
      </p>
      <h1>Epoch {n}</h1>
      <nav className="row" aria-label="Neighbouring epochs">
        {n > 1 ? <Link to={`/epochs/${n - 1}`}>← epoch {n - 1}</Link> : null}
        <Link to={`/epochs/${n + 1}`}>epoch {n + 1} →</Link>
      </nav>
      <Async state={epoch} what={`epoch ${n}`}>
        {(e) => <EpochView epoch={e} status={status.data} />}
      </Async>
    </>
  );
}
