/**
 * `/devices/:id`: one device — its registration and location, its recent
 * envelopes with their verdicts and reason codes, and its reward lines per
 * epoch with their reasons.
 */

import { REASONS } from '@groundwork/protocol';
import { cellToLatLng, getResolution } from 'h3-js';
import { useMemo } from 'react';
import type { DeviceDetail, RewardLine } from '../api.ts';
import { formatCount, formatTime, formatToken, TOKEN_SYMBOL, tokenToNumber } from '../format.ts';
import { useApi } from '../hooks.ts';
import { HexMap } from '../map/HexMap.tsx';
import { Link } from '../router.tsx';
import { BarChart } from '../ui/charts.tsx';
import {
  Amount,
  Async,
  Badge,
  DataTable,
  Facts,
  FullHash,
  moduleColor,
  ReasonCounts,
  Section,
  VerdictBadge,
} from '../ui/primitives.tsx';
import { ModuleBadge, StatusBadge } from './MapPage.tsx';

function summarize(body: unknown): string {
  if (body === null || typeof body !== 'object') return JSON.stringify(body);
  return Object.entries(body as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

function Registration({ device }: { device: DeviceDetail }) {
  let where = '—';
  let res: number | undefined;
  try {
    const [lat, lng] = cellToLatLng(device.h3Cell);
    where = `${lat.toFixed(5)}, ${lng.toFixed(5)}`;
    res = getResolution(device.h3Cell);
  } catch {
    // an invalid cell stays "—"
  }
  return (
    <div className="two-col">
      <Facts
        items={[
          ['Device id', <FullHash key="id" value={device.deviceId} testId="device-id" />],
          ['Module', <ModuleBadge key="m" id={device.module} />, 'device-module'],
          ['Status', <StatusBadge key="s" device={device} />],
          ['Operator (paid)', <FullHash key="o" value={device.operator} testId="device-operator" />],
          ['Key', `${device.keyType}`],
          ['Public key', <FullHash key="k" value={device.publicKey} />],
          ['Registered at block', formatCount(device.registeredBlock)],
          [
            'Location',
            `${where} (H3 cell ${device.h3Cell}${res !== undefined ? `, resolution ${res}` : ''})`,
            'device-location',
          ],
          ['Last accepted seq', formatCount(device.lastSeq)],
          ['Earned in total', <Amount key="e" value={device.totalEarned} testId="device-earned" />],
        ]}
      />
      {res !== undefined ? (
        <HexMap
          devices={[device]}
          resolution="device"
          height={260}
          label={`Location of device ${device.deviceId}`}
        />
      ) : null}
    </div>
  );
}

function Rewards({ lines }: { lines: RewardLine[] }) {
  const asc = [...lines].sort((a, b) => a.epoch - b.epoch).slice(-30);
  return (
    <>
      {asc.length > 0 ? (
        <BarChart
          title={`Earned per epoch (${TOKEN_SYMBOL})`}
          testId="chart-device-rewards"
          labels={asc.map(
            (l) => `${l.epoch}${lines.some((x) => x.epoch === l.epoch && x !== l) ? ` ${l.module}` : ''}`,
          )}
          unit={TOKEN_SYMBOL}
          series={[
            {
              name: 'amount',
              color: moduleColor(asc[0]!.module),
              values: asc.map((l) => tokenToNumber(l.amount)),
              text: asc.map((l) => `${formatToken(l.amount)} ${TOKEN_SYMBOL} (${l.reason})`),
            },
          ]}
        />
      ) : null}
      <DataTable
        caption="Reward lines per epoch"
        testId="device-rewards"
        rows={lines}
        rowKey={(l) => `${l.epoch}:${l.module}`}
        empty="No reward lines yet: the first appear when an epoch closes."
        columns={[
          { header: 'Epoch', render: (l) => <Link to={`/epochs/${l.epoch}`}>{l.epoch}</Link> },
          { header: 'Module', render: (l) => <ModuleBadge id={l.module} /> },
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
    </>
  );
}

export default function DevicePage({ id }: { id: string }) {
  const device = useApi((api) => api.device(id), [id], {
    refreshOn: ['device', 'epoch'],
    minIntervalMs: 2000,
  });
  const verdicts = useApi((api) => api.verdicts(id, 50), [id], {
    refreshOn: ['envelopes'],
    minIntervalMs: 2000,
  });
  const rewards = useApi((api) => api.deviceRewards(id), [id], { refreshOn: ['epoch'] });
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const e of verdicts.data?.envelopes ?? []) {
      const k = e.verdict.reason ?? e.verdict.status;
      c[k] = (c[k] ?? 0) + 1;
    }
    for (const r of verdicts.data?.rejections ?? []) c[r.reason] = (c[r.reason] ?? 0) + 1;
    return c;
  }, [verdicts.data]);
  return (
    <>
      <p className="crumbs">
        <Link to="/">Network</Link> ›
      </p>
      <h1>
        Device <code className="break">{id.slice(0, 18)}…</code>
      </h1>
      <Section title="Registration and location" testId="device-registration">
        <Async state={device} what="the device">
          {(d) => <Registration device={d} />}
        </Async>
      </Section>
      <Section title="Recent envelopes and verdicts" testId="device-verdicts">
        <Async state={verdicts} what="verdicts">
          {(v) => (
            <>
              <h3>Reason codes (last {v.envelopes.length + v.rejections.length})</h3>
              <ReasonCounts
                counts={counts}
                tone={(r) => (r in REASONS ? 'bad' : /OK|FULL|ACCEPTED/.test(r) ? 'ok' : 'neutral')}
              />
              <DataTable
                caption="Accepted envelopes with the module's verdict"
                testId="device-envelopes"
                rows={v.envelopes}
                rowKey={(e) => String(e.seq)}
                pageSize={10}
                empty="No envelope accepted yet."
                columns={[
                  { header: 'Seq', render: (e) => formatCount(e.seq), align: 'right' },
                  { header: 'Device time', render: (e) => formatTime(e.time) },
                  { header: 'Received', render: (e) => formatTime(e.receivedAt) },
                  { header: 'Kind', render: (e) => <code>{e.kind}</code> },
                  {
                    header: 'Verdict',
                    render: (e) => <VerdictBadge status={e.verdict.status} reason={e.verdict.reason} />,
                  },
                  { header: 'Body', render: (e) => <span className="small">{summarize(e.body)}</span> },
                ]}
              />
              <h3>Refused at ingest</h3>
              <DataTable
                caption="Envelopes refused at ingest"
                testId="device-rejections"
                rows={v.rejections}
                rowKey={(r, i) => `${r.receivedAt}:${i}`}
                pageSize={10}
                empty="Nothing refused."
                columns={[
                  { header: 'Received', render: (r) => formatTime(r.receivedAt) },
                  {
                    header: 'Reason',
                    render: (r) => (
                      <Badge tone="bad" title={(REASONS as Record<string, string>)[r.reason]}>
                        {r.reason}
                      </Badge>
                    ),
                  },
                  {
                    header: 'Seq',
                    render: (r) => (r.seq === null ? '—' : formatCount(r.seq)),
                    align: 'right',
                  },
                  { header: 'Kind', render: (r) => (r.kind ? <code>{r.kind}</code> : '—') },
                  {
                    header: 'Detail',
                    render: (r) => r.detail ?? (REASONS as Record<string, string>)[r.reason] ?? '',
                  },
                ]}
              />
            </>
          )}
        </Async>
      </Section>
      <Section title="Rewards per epoch" testId="device-rewards-section">
        <Async state={rewards} what="reward lines">
          {(lines) => <Rewards lines={lines} />}
        </Async>
      </Section>
    </>
  );
}
