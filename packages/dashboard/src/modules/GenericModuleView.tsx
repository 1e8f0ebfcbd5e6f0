/**
 * The view of a module that ships none of its own: its devices, the reason
 * codes of their recent verdicts, and its reward lines — all from the core API.
 */
import type { ApiClient, Device, RewardLine } from '../api.ts';
import { formatCount, formatToken, TOKEN_SYMBOL, tokenToNumber } from '../format.ts';
import { useApi } from '../hooks.ts';
import { deviceStatus } from '../map/HexMap.tsx';
import { ModuleBadge, StatusBadge } from '../pages/MapPage.tsx';
import { Link } from '../router.tsx';
import { BarChart } from '../ui/charts.tsx';
import {
  Amount,
  Async,
  DataTable,
  DeviceLink,
  Hash,
  moduleColor,
  ReasonCounts,
  Section,
  Stat,
  StatGrid,
} from '../ui/primitives.tsx';

/** How many devices' recent verdicts are sampled for the reason counts. */
const SAMPLE_DEVICES = 20;
const SAMPLE_ENVELOPES = 50;
/** How many recent epochs the per-epoch chart covers. */
const EPOCHS_SHOWN = 12;

async function sampleReasons(api: ApiClient, devices: Device[]) {
  const counts: Record<string, number> = {};
  const sample = devices.slice(0, SAMPLE_DEVICES);
  for (let i = 0; i < sample.length; i += 5) {
    const batch = await Promise.all(
      sample.slice(i, i + 5).map((d) => api.verdicts(d.deviceId, SAMPLE_ENVELOPES)),
    );
    for (const v of batch) {
      for (const e of v.envelopes) {
        const k = e.verdict.reason ?? e.verdict.status;
        counts[k] = (counts[k] ?? 0) + 1;
      }
      for (const r of v.rejections) counts[r.reason] = (counts[r.reason] ?? 0) + 1;
    }
  }
  return { counts, sampled: sample.length };
}

async function recentLines(api: ApiClient, moduleId: string) {
  const epochs = (await api.epochs({ limit: EPOCHS_SHOWN })).filter((e) => e.status === 'submitted');
  const details = await Promise.all(epochs.map((e) => api.epoch(e.epoch)));
  const perEpoch = details
    .map((d) => ({
      epoch: d.epoch,
      lines: d.lines.filter((l) => l.module === moduleId),
    }))
    .sort((a, b) => a.epoch - b.epoch);
  return perEpoch;
}

export function GenericModuleView({ api, moduleId }: { api: ApiClient; moduleId: string }) {
  const devices = useApi((a) => a.allDevices({ module: moduleId }), [moduleId], { refreshOn: ['device'] });
  const reasons = useApi(
    (a) => (devices.data ? sampleReasons(a, devices.data) : Promise.resolve(undefined)),
    [devices.data],
    {
      refreshOn: ['epoch'],
      minIntervalMs: 10_000,
    },
  );
  const lines = useApi((a) => recentLines(a, moduleId), [moduleId], { refreshOn: ['epoch'] });
  void api;
  return (
    <>
      <Section title="Devices" testId={`module-${moduleId}-devices`}>
        <Async state={devices} what="devices">
          {(list) => {
            const c = { active: 0, silent: 0, inactive: 0 };
            for (const d of list) c[deviceStatus(d)]++;
            return (
              <>
                <StatGrid>
                  <Stat label="Devices">{formatCount(list.length)}</Stat>
                  <Stat label="Active and sending">{formatCount(c.active)}</Stat>
                  <Stat label="Silent">{formatCount(c.silent)}</Stat>
                  <Stat label="Deactivated">{formatCount(c.inactive)}</Stat>
                </StatGrid>
                <DataTable
                  caption={`Devices of module ${moduleId}`}
                  rows={list}
                  rowKey={(d) => d.deviceId}
                  pageSize={10}
                  columns={[
                    { header: 'Device', render: (d) => <DeviceLink id={d.deviceId} /> },
                    { header: 'Status', render: (d) => <StatusBadge device={d} /> },
                    { header: 'Operator', render: (d) => <Hash value={d.operator} /> },
                    { header: 'Cell', render: (d) => <code>{d.h3Cell}</code> },
                    { header: 'Last seq', render: (d) => formatCount(d.lastSeq), align: 'right' },
                  ]}
                />
              </>
            );
          }}
        </Async>
      </Section>
      <Section title="Verdict reason codes">
        <Async state={reasons} what="verdicts">
          {(r) =>
            r ? (
              <>
                <p className="muted small">
                  Last {SAMPLE_ENVELOPES} envelopes of {r.sampled} devices, with ingest refusals.
                </p>
                <ReasonCounts counts={r.counts} />
              </>
            ) : (
              <p className="muted">No devices.</p>
            )
          }
        </Async>
      </Section>
      <Section title="Reward lines">
        <Async state={lines} what="reward lines">
          {(per) => <ModuleRewards moduleId={moduleId} perEpoch={per} />}
        </Async>
      </Section>
    </>
  );
}

function ModuleRewards({
  moduleId,
  perEpoch,
}: {
  moduleId: string;
  perEpoch: { epoch: number; lines: RewardLine[] }[];
}) {
  if (perEpoch.length === 0) return <p className="muted">No epoch submitted yet.</p>;
  const last = perEpoch[perEpoch.length - 1]!;
  const totals = perEpoch.map((p) => p.lines.reduce((s, l) => s + BigInt(l.amount), 0n));
  const reasons: Record<string, number> = {};
  for (const l of last.lines) reasons[l.reason] = (reasons[l.reason] ?? 0) + 1;
  return (
    <>
      <BarChart
        title={`Paid to ${moduleId} devices per epoch (${TOKEN_SYMBOL})`}
        labels={perEpoch.map((p) => String(p.epoch))}
        unit={TOKEN_SYMBOL}
        series={[
          {
            name: moduleId,
            color: moduleColor(moduleId),
            values: totals.map((t) => tokenToNumber(t)),
            text: totals.map((t) => `${formatToken(t)} ${TOKEN_SYMBOL}`),
          },
        ]}
      />
      <h3>
        <Link to={`/epochs/${last.epoch}`}>Epoch {last.epoch}</Link>: reasons
      </h3>
      <ReasonCounts counts={reasons} />
      <DataTable
        caption={`Reward lines of module ${moduleId} in epoch ${last.epoch}`}
        rows={last.lines}
        rowKey={(l) => l.deviceId}
        pageSize={10}
        columns={[
          { header: 'Device', render: (l) => <DeviceLink id={l.deviceId} /> },
          { header: 'Module', render: (l) => <ModuleBadge id={l.module} /> },
          { header: 'Score', render: (l) => formatCount(l.score), align: 'right' },
          { header: 'Amount', render: (l) => <Amount value={l.amount} />, align: 'right' },
          { header: 'Reason', render: (l) => <code>{l.reason}</code> },
        ]}
      />
    </>
  );
}
