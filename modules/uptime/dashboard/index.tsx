/**
 * The uptime module's dashboard view: how much of each epoch the devices
 * covered with heartbeats, how that was paid, and the trend over epochs.
 * Loaded by the dashboard from this file (see docs/DASHBOARD.md).
 */
import {
  Amount,
  type ApiClient,
  Async,
  BarChart,
  DataTable,
  DeviceLink,
  defineDashboardModule,
  Facts,
  formatCount,
  formatToken,
  LineChart,
  Link,
  moduleColor,
  ReasonCounts,
  type RewardLine,
  Section,
  Stat,
  StatGrid,
  TOKEN_SYMBOL,
  tokenToNumber,
  useApi,
} from '@groundwork/dashboard';

const EPOCHS = 12;
const BUCKETS = ['0%', '1–49%', '50–89%', '90–99%', '100%'] as const;

interface UptimeEpoch {
  epoch: number;
  lines: RewardLine[];
  /** Per device: covered slots / expected slots, in percent (one decimal). */
  pct: Map<string, number>;
  paid: bigint;
}

function bucketOf(pct: number): number {
  if (pct <= 0) return 0;
  if (pct < 50) return 1;
  if (pct < 90) return 2;
  if (pct < 100) return 3;
  return 4;
}

async function loadEpochs(api: ApiClient): Promise<UptimeEpoch[]> {
  const epochs = (await api.epochs({ limit: EPOCHS })).filter((e) => e.status === 'submitted');
  const details = await Promise.all(epochs.map((e) => api.epoch(e.epoch)));
  return details
    .map((d) => {
      const lines = d.lines.filter((l) => l.module === 'uptime');
      const pct = new Map<string, number>();
      for (const l of lines) {
        const slots = Number(l.detail?.slots ?? 0);
        const expected = Number(l.detail?.expectedSlots ?? 0);
        pct.set(l.deviceId, expected > 0 ? Math.round((slots / expected) * 1000) / 10 : 0);
      }
      return { epoch: d.epoch, lines, pct, paid: lines.reduce((s, l) => s + BigInt(l.amount), 0n) };
    })
    .sort((a, b) => a.epoch - b.epoch);
}

function mean(values: Iterable<number>): number {
  let s = 0;
  let n = 0;
  for (const v of values) {
    s += v;
    n++;
  }
  return n ? s / n : 0;
}

function UptimeView({ api }: { api: ApiClient }) {
  const params = useApi((a) => a.params(), [], { refreshOn: ['epoch'] });
  const epochs = useApi(() => loadEpochs(api), [api], { refreshOn: ['epoch'] });
  const color = moduleColor('uptime');
  return (
    <>
      <Section title="Rules">
        <Async state={params} what="parameters">
          {(ps) => {
            const get = (k: string) => ps.find((p) => p.key === k)?.value ?? '—';
            return (
              <Facts
                items={[
                  [
                    'Heartbeat slot',
                    `${get('uptime.heartbeatSeconds')} s (a device scores one point per slot with an accepted heartbeat)`,
                  ],
                  ['Weight', `${get('reward.weight.uptime')} (relative share of each epoch's emission)`],
                  ['Epoch length', `${get('epoch.seconds')} s`],
                ]}
              />
            );
          }}
        </Async>
      </Section>
      <Async state={epochs} what="uptime per epoch">
        {(list) => {
          const last = list[list.length - 1];
          if (!last) return <p className="muted">No epoch submitted yet.</p>;
          const buckets = BUCKETS.map(() => 0);
          for (const p of last.pct.values()) buckets[bucketOf(p)]!++;
          const reasons: Record<string, number> = {};
          for (const l of last.lines) reasons[l.reason] = (reasons[l.reason] ?? 0) + 1;
          const rows = [...last.lines].sort(
            (a, b) => (last.pct.get(b.deviceId) ?? 0) - (last.pct.get(a.deviceId) ?? 0),
          );
          return (
            <>
              <Section title={`Epoch ${last.epoch}`} testId="uptime-last-epoch">
                <StatGrid>
                  <Stat label="Devices scored">{formatCount(last.lines.length)}</Stat>
                  <Stat label="Mean uptime" testId="uptime-mean">
                    {mean(last.pct.values()).toFixed(1)}%
                  </Stat>
                  <Stat label="Paid to uptime">
                    <Amount value={last.paid} />
                  </Stat>
                  <Stat label="Epoch">
                    <Link to={`/epochs/${last.epoch}`}>{last.epoch}</Link>
                  </Stat>
                </StatGrid>
                <div className="two-col">
                  <BarChart
                    title="Devices by share of heartbeat slots covered"
                    labels={[...BUCKETS]}
                    unit="devices"
                    series={[{ name: 'devices', color, values: buckets }]}
                  />
                  <div>
                    <h3>Reasons</h3>
                    <ReasonCounts
                      counts={reasons}
                      tone={(r) => (r === 'UPTIME_FULL' ? 'ok' : r === 'NO_HEARTBEATS' ? 'bad' : 'warn')}
                    />
                  </div>
                </div>
                <DataTable
                  caption={`Uptime per device in epoch ${last.epoch}`}
                  rows={rows}
                  rowKey={(l) => l.deviceId}
                  pageSize={10}
                  columns={[
                    { header: 'Device', render: (l) => <DeviceLink id={l.deviceId} /> },
                    {
                      header: 'Slots',
                      render: (l) => `${l.detail?.slots ?? 0} / ${l.detail?.expectedSlots ?? '?'}`,
                      align: 'right',
                    },
                    {
                      header: 'Uptime',
                      render: (l) => `${(last.pct.get(l.deviceId) ?? 0).toFixed(1)}%`,
                      align: 'right',
                    },
                    { header: 'Amount', render: (l) => <Amount value={l.amount} />, align: 'right' },
                    { header: 'Reason', render: (l) => <code>{l.reason}</code> },
                  ]}
                />
              </Section>
              <Section title="Over recent epochs">
                <div className="two-col">
                  <LineChart
                    title="Mean uptime per epoch (%)"
                    labels={list.map((e) => String(e.epoch))}
                    unit="%"
                    series={[
                      {
                        name: 'mean uptime',
                        color,
                        values: list.map((e) => mean(e.pct.values())),
                        text: list.map((e) => `${mean(e.pct.values()).toFixed(1)}%`),
                      },
                    ]}
                  />
                  <BarChart
                    title={`Paid to uptime devices per epoch (${TOKEN_SYMBOL})`}
                    labels={list.map((e) => String(e.epoch))}
                    unit={TOKEN_SYMBOL}
                    series={[
                      {
                        name: 'uptime',
                        color,
                        values: list.map((e) => tokenToNumber(e.paid)),
                        text: list.map((e) => `${formatToken(e.paid)} ${TOKEN_SYMBOL}`),
                      },
                    ]}
                  />
                </div>
              </Section>
            </>
          );
        }}
      </Async>
    </>
  );
}

export default defineDashboardModule({ id: 'uptime', title: 'Uptime', View: UptimeView });
