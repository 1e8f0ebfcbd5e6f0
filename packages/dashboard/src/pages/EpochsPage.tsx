/** `/epochs`: emission and rewards per epoch as charts, and every epoch with its root and transaction. */
import type { Epoch } from '../api.ts';
import { formatDuration, formatTime, formatToken, TOKEN_SYMBOL, tokenToNumber } from '../format.ts';
import { useApi } from '../hooks.ts';
import { Link } from '../router.tsx';
import { BarChart, LineChart } from '../ui/charts.tsx';
import { Amount, Async, Badge, DataTable, Hash, Section, type Tone } from '../ui/primitives.tsx';

export const EPOCH_TONE: Record<string, Tone> = { submitted: 'ok', closed: 'info', open: 'neutral' };

export function EpochStatus({ status }: { status: string }) {
  return <Badge tone={EPOCH_TONE[status] ?? 'warn'}>{status}</Badge>;
}

function Charts({ epochs }: { epochs: Epoch[] }) {
  const done = epochs
    .filter((e) => e.pool !== null)
    .sort((a, b) => a.epoch - b.epoch)
    .slice(-30);
  if (done.length === 0) return <p className="muted">No epoch has closed yet.</p>;
  const labels = done.map((e) => String(e.epoch));
  return (
    <div className="two-col">
      <BarChart
        title={`Emission and rewards per epoch (${TOKEN_SYMBOL})`}
        testId="chart-emission"
        labels={labels}
        unit={TOKEN_SYMBOL}
        series={[
          {
            name: 'emission (pool)',
            color: '#8c959f',
            values: done.map((e) => tokenToNumber(e.pool)),
            text: done.map((e) => `${formatToken(e.pool)} ${TOKEN_SYMBOL}`),
          },
          {
            name: 'paid to devices',
            color: '#1a7f37',
            values: done.map((e) => tokenToNumber(e.epochTotal)),
            text: done.map((e) => `${formatToken(e.epochTotal)} ${TOKEN_SYMBOL}`),
          },
        ]}
      />
      <LineChart
        title={`Cumulative rewards committed by each root (${TOKEN_SYMBOL})`}
        testId="chart-cumulative"
        labels={labels}
        unit={TOKEN_SYMBOL}
        series={[
          {
            name: 'cumulative total',
            color: '#0969da',
            values: done.map((e) => tokenToNumber(e.total)),
            text: done.map((e) => `${formatToken(e.total)} ${TOKEN_SYMBOL}`),
          },
        ]}
      />
    </div>
  );
}

export default function EpochsPage() {
  const epochs = useApi((api) => api.epochs({ limit: 200 }), [], { refreshOn: ['epoch'] });
  return (
    <>
      <h1>Epochs and rewards</h1>
      <Section title="Emission and rewards">
        <Async state={epochs} what="epochs">
          {(list) => <Charts epochs={list} />}
        </Async>
      </Section>
      <Section title="Epochs">
        <Async state={epochs} what="epochs">
          {(list) => (
            <DataTable
              caption="Epochs, newest first"
              testId="epochs-table"
              rows={list}
              rowKey={(e) => String(e.epoch)}
              columns={[
                {
                  header: 'Epoch',
                  render: (e) => (
                    <Link to={`/epochs/${e.epoch}`} aria-label={`epoch ${e.epoch}`}>
                      {e.epoch}
                    </Link>
                  ),
                },
                {
                  header: 'Window',
                  render: (e) => (
                    <>
                      {formatTime(e.startMs)}{' '}
                      <span className="muted">({formatDuration(e.endMs - e.startMs)})</span>
                    </>
                  ),
                },
                { header: 'Status', render: (e) => <EpochStatus status={e.status} /> },
                { header: 'Emission', render: (e) => <Amount value={e.pool} />, align: 'right' },
                { header: 'Paid', render: (e) => <Amount value={e.epochTotal} />, align: 'right' },
                { header: 'Root', render: (e) => <Hash value={e.root} /> },
                { header: 'Transaction', render: (e) => <Hash value={e.tx} /> },
              ]}
            />
          )}
        </Async>
      </Section>
    </>
  );
}
