/**
 * The coverage module's dashboard view: the hotspots on the hex map, the
 * verdicts on their beacons and witness reports, the hotspots the detector
 * flagged at the last epoch close (spoofing, rings, inflated signal, replays),
 * and Data Credits — bought by burning GRND through the connected wallet.
 * Reads /v1/modules/coverage/hotspots and /v1/devices; the credits come from
 * the chain (DataCredits, published in /v1/status).
 */
import {
  type ApiClient,
  Async,
  Badge,
  BuyCredits,
  DataTable,
  DeviceLink,
  defineDashboardModule,
  Facts,
  formatCount,
  HexMap,
  type MapCell,
  ReasonCounts,
  Section,
  Stat,
  StatGrid,
  type Tone,
  useApi,
  WalletGate,
} from '@groundwork/dashboard';
import { useState } from 'react';

const BASE = '/v1/modules/coverage';

interface Hotspot {
  deviceId: `0x${string}`;
  operator: string;
  h3Cell: string;
  active: boolean;
  denylisted: boolean;
  latestEpoch: { epoch: number; flags: string[]; reason: string; score: string } | null;
  beacons: Record<string, number>;
  witnessReports: Record<string, number>;
}

/** Verdicts still open (blue), that pay nothing but are no offence (yellow), that pay (green), and refusals (red). */
function tone(reason: string): Tone {
  if (reason === 'PENDING') return 'info';
  // Before the paying ones: BEACON_UNWITNESSED contains WITNESSED.
  if (/NOT_SELECTED|UNWITNESSED|DUPLICATE|FEES_UNPAID|NO_VERIFIED/.test(reason)) return 'warn';
  if (/WITNESSED|REWARDED|_VALID$|^COVERAGE|DATA_TRANSFER/.test(reason)) return 'ok';
  return 'bad';
}

function sum(records: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, n] of Object.entries(r)) out[k] = (out[k] ?? 0) + n;
  return out;
}

function CoverageView(_: { api: ApiClient }) {
  const hotspots = useApi((a) => a.get<{ hotspots: Hotspot[] }>(`${BASE}/hotspots`), [], {
    refreshOn: ['epoch', 'device'],
    minIntervalMs: 3_000,
  });
  const devices = useApi((a) => a.allDevices({ module: 'coverage' }), [], {
    refreshOn: ['device', 'envelopes', 'module.coverage'],
  });
  const [cell, setCell] = useState<MapCell | undefined>();
  return (
    <>
      <Async state={hotspots} what="hotspots">
        {({ hotspots: list }) => {
          const flagged = list.filter((h) => (h.latestEpoch?.flags.length ?? 0) > 0);
          const beacons = sum(list.map((h) => h.beacons));
          const witnesses = sum(list.map((h) => h.witnessReports));
          const total = (r: Record<string, number>) => Object.values(r).reduce((s, n) => s + n, 0);
          const flags: Record<string, number> = {};
          for (const h of flagged) for (const f of h.latestEpoch!.flags) flags[f] = (flags[f] ?? 0) + 1;
          return (
            <>
              <Section title="Hotspots" testId="coverage-hotspots">
                <StatGrid>
                  <Stat label="Hotspots" testId="coverage-count">
                    {formatCount(list.length)}
                  </Stat>
                  <Stat label="Flagged by the detector" testId="coverage-flagged-count">
                    {formatCount(flagged.length)}
                  </Stat>
                  <Stat label="Beacons" testId="coverage-beacons">
                    {formatCount(total(beacons))}
                  </Stat>
                  <Stat label="Witness reports" testId="coverage-witnesses">
                    {formatCount(total(witnesses))}
                  </Stat>
                  <Stat label="Denylisted">{formatCount(list.filter((h) => h.denylisted).length)}</Stat>
                </StatGrid>
                <Async state={devices} what="the map">
                  {(ds) =>
                    ds.length === 0 ? (
                      <p className="muted">No hotspot is registered yet.</p>
                    ) : (
                      <>
                        <HexMap
                          devices={ds}
                          resolution="device"
                          label="Coverage hotspots"
                          height={380}
                          selected={cell?.cell}
                          onSelect={setCell}
                        />
                        {cell ? (
                          <p>
                            Cell <code>{cell.cell}</code>:{' '}
                            {cell.devices.map((d) => (
                              <DeviceLink key={d.deviceId} id={d.deviceId} />
                            ))}
                          </p>
                        ) : null}
                      </>
                    )
                  }
                </Async>
              </Section>
              <Section title="Verdicts" testId="coverage-verdicts">
                <p className="muted small">
                  Every beacon and witness report is judged on its own against radio physics (tier one), then
                  at the epoch close against the hotspot's whole record. Counts over all stored reports.
                </p>
                <div className="two-col">
                  <div>
                    <h3>Beacons</h3>
                    <ReasonCounts counts={beacons} tone={tone} />
                  </div>
                  <div>
                    <h3>Witness reports</h3>
                    <ReasonCounts counts={witnesses} tone={tone} />
                  </div>
                </div>
              </Section>
              <Section title="Flagged by the detector" testId="coverage-flagged">
                <p className="muted small">
                  Hotspots whose last scored epoch raised a fraud flag (location inconsistent with their
                  links, inflated signal, a witness ring, replayed or unchallenged beacons): they earn nothing
                  for coverage while flagged.
                </p>
                <ReasonCounts counts={flags} tone={() => 'bad'} />
                <DataTable
                  caption="Hotspots flagged at their latest epoch"
                  testId="coverage-flagged-table"
                  rows={flagged}
                  rowKey={(h) => h.deviceId}
                  pageSize={10}
                  empty="No hotspot is flagged."
                  columns={[
                    { header: 'Hotspot', render: (h) => <DeviceLink id={h.deviceId} /> },
                    { header: 'Epoch', render: (h) => h.latestEpoch!.epoch, align: 'right' },
                    {
                      header: 'Flags',
                      render: (h) => (
                        <span>
                          {h.latestEpoch!.flags.map((f) => (
                            <Badge key={f} tone="bad">
                              {f}
                            </Badge>
                          ))}
                        </span>
                      ),
                    },
                    { header: 'Reason', render: (h) => <code>{h.latestEpoch!.reason}</code> },
                  ]}
                />
              </Section>
              <Section title="Every hotspot">
                <DataTable
                  caption="Hotspots with their latest verdict"
                  testId="coverage-table"
                  rows={list}
                  rowKey={(h) => h.deviceId}
                  pageSize={10}
                  empty="No hotspot is registered yet."
                  columns={[
                    { header: 'Hotspot', render: (h) => <DeviceLink id={h.deviceId} /> },
                    { header: 'Cell', render: (h) => <code>{h.h3Cell}</code> },
                    {
                      header: 'Latest',
                      render: (h) =>
                        h.latestEpoch ? (
                          <Badge tone={h.latestEpoch.flags.length ? 'bad' : tone(h.latestEpoch.reason)}>
                            {h.latestEpoch.reason}
                          </Badge>
                        ) : (
                          <span className="muted">not scored yet</span>
                        ),
                    },
                    { header: 'Score', render: (h) => h.latestEpoch?.score ?? '—', align: 'right' },
                    { header: 'Beacons', render: (h) => formatCount(total(h.beacons)), align: 'right' },
                    {
                      header: 'Witness reports',
                      render: (h) => formatCount(total(h.witnessReports)),
                      align: 'right',
                    },
                  ]}
                />
              </Section>
            </>
          );
        }}
      </Async>
      <Section title="Data Credits" testId="coverage-credits">
        <Facts
          items={[
            [
              'What they are',
              'Clients pay for data sessions in Data Credits ($0.00001 each), bought by burning GRND at the oracle price; hotspots earn for the bytes that clients paid for.',
            ],
          ]}
        />
        <WalletGate>
          {(wallet, chain, status) => <BuyCredits status={status} chain={chain} wallet={wallet} />}
        </WalletGate>
      </Section>
    </>
  );
}

export default defineDashboardModule({ id: 'coverage', title: 'Coverage', View: CoverageView });
