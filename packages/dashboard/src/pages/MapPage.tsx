/** `/`: the network at a glance — key figures, the hex map, the device list, live activity. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Device, LiveEvents, Status } from '../api.ts';
import { formatAgo, formatCount, formatDuration, formatToken, TOKEN_SYMBOL } from '../format.ts';
import { useApi, useLive, useNow, useStatus } from '../hooks.ts';
import { deviceStatus, HexMap, MAP_RESOLUTIONS, type MapCell } from '../map/HexMap.tsx';
import { Link } from '../router.tsx';
import {
  Async,
  Badge,
  DataTable,
  DeviceLink,
  Hash,
  moduleColor,
  Section,
  Stat,
  StatGrid,
  type Tone,
} from '../ui/primitives.tsx';

const STATUS_TONE: Record<string, Tone> = { active: 'ok', silent: 'warn', inactive: 'neutral' };

export function StatusBadge({ device }: { device: Device }) {
  const s = deviceStatus(device);
  const title =
    s === 'active'
      ? 'registered, active, envelopes accepted'
      : s === 'silent'
        ? 'registered and active, nothing accepted yet'
        : 'deactivated on chain';
  return (
    <Badge tone={STATUS_TONE[s]} title={title}>
      {s}
    </Badge>
  );
}

export function ModuleBadge({ id }: { id: string }) {
  return (
    <span className="module-tag">
      <span className="swatch" style={{ background: moduleColor(id) }} aria-hidden="true" />
      {id}
    </span>
  );
}

function NetworkStats({ status }: { status: Status }) {
  const now = useNow();
  const [counts, setCounts] = useState({ accepted: 0, rejected: 0 });
  useLive('envelopes', (e) =>
    setCounts((c) => ({ accepted: c.accepted + e.accepted, rejected: c.rejected + e.rejected })),
  );
  const open = status.openEpoch;
  return (
    <StatGrid>
      <Stat label="Devices" testId="stat-devices">
        {formatCount(status.devices)}
      </Stat>
      <Stat label="Modules">{status.modules.map((m) => m.id).join(', ') || '—'}</Stat>
      <Stat label="Open epoch" testId="stat-open-epoch">
        {open ? (
          <>
            {open.epoch}{' '}
            <span className="muted">
              {open.endMs > now ? `closes in ${formatDuration(open.endMs - now)}` : 'closing…'}
            </span>
          </>
        ) : (
          '—'
        )}
      </Stat>
      <Stat label="Last submitted epoch" testId="stat-last-epoch">
        {status.lastSubmittedEpoch ? (
          <Link to={`/epochs/${status.lastSubmittedEpoch}`}>{status.lastSubmittedEpoch}</Link>
        ) : (
          'none yet'
        )}
      </Stat>
      <Stat label="Envelopes since you opened this page" testId="stat-envelopes">
        {formatCount(counts.accepted)} accepted, {formatCount(counts.rejected)} rejected
      </Stat>
      <Stat label="Chain">
        id {status.chainId}, block {formatCount(status.indexedBlock)}
      </Stat>
    </StatGrid>
  );
}

interface Activity {
  key: number;
  at: number;
  text: React.ReactNode;
}

/** The live event stream as a short list (envelope batches summed over 5 s so they do not flood it). */
function LiveActivity() {
  const [items, setItems] = useState<Activity[]>([]);
  const seq = useRef(0);
  const pending = useRef<{ accepted: number; rejected: number } | null>(null);
  const push = useCallback(
    (text: React.ReactNode) =>
      setItems((list) => [{ key: ++seq.current, at: Date.now(), text }, ...list].slice(0, 12)),
    [],
  );
  useLive('envelopes', (e: LiveEvents['envelopes']) => {
    const p = pending.current ?? { accepted: 0, rejected: 0 };
    p.accepted += e.accepted;
    p.rejected += e.rejected;
    pending.current = p;
  });
  useEffect(() => {
    const t = setInterval(() => {
      const p = pending.current;
      if (!p) return;
      pending.current = null;
      push(
        <>
          {formatCount(p.accepted)} envelopes accepted
          {p.rejected ? `, ${formatCount(p.rejected)} rejected` : ''}
        </>,
      );
    }, 5000);
    return () => clearInterval(t);
  }, [push]);
  useLive('epoch', (e) =>
    push(
      e.status === 'submitted' ? (
        <>
          <Link to={`/epochs/${e.epoch}`}>epoch {e.epoch}</Link> root submitted on chain{' '}
          {e.tx ? <Hash value={e.tx} /> : null}
        </>
      ) : (
        <>
          <Link to={`/epochs/${e.epoch}`}>epoch {e.epoch}</Link> closed
        </>
      ),
    ),
  );
  useLive('claim', (e) =>
    push(
      <>
        {formatToken(e.amount)} {TOKEN_SYMBOL} claimed by <Hash value={e.account} />
      </>,
    ),
  );
  useLive('device', (e) =>
    push(
      <>
        device <DeviceLink id={e.deviceId} /> registered or changed
      </>,
    ),
  );
  const now = useNow(5000);
  return (
    <ul className="activity" aria-live="polite" data-testid="live-activity">
      {items.length === 0 ? <li className="muted">Waiting for the network…</li> : null}
      {items.map((i) => (
        <li key={i.key}>
          <span className="muted">{formatAgo(i.at, now)}</span> {i.text}
        </li>
      ))}
    </ul>
  );
}

function DevicesOnMap({ devices, modules }: { devices: Device[]; modules: string[] }) {
  const [resolution, setResolution] = useState<number | 'device'>(devices.length > 3000 ? 8 : 'device');
  const [module, setModule] = useState('');
  const [selected, setSelected] = useState<MapCell | undefined>();
  const shown = useMemo(
    () => (module ? devices.filter((d) => d.module === module) : devices),
    [devices, module],
  );
  const counts = useMemo(() => {
    const c = { active: 0, silent: 0, inactive: 0 };
    for (const d of shown) c[deviceStatus(d)]++;
    return c;
  }, [shown]);
  // A selection from an older resolution or filter is meaningless.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on these changes only.
  useEffect(() => setSelected(undefined), [resolution, module]);
  return (
    <>
      <div className="map-options">
        <fieldset>
          <legend>Cells</legend>
          {MAP_RESOLUTIONS.map((r) => (
            <label key={String(r.value)}>
              <input
                type="radio"
                name="resolution"
                checked={resolution === r.value}
                onChange={() => setResolution(r.value)}
              />{' '}
              {r.label}
            </label>
          ))}
        </fieldset>
        <label>
          Module{' '}
          <select value={module} onChange={(e) => setModule(e.target.value)}>
            <option value="">all</option>
            {modules.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
      </div>
      <HexMap devices={shown} resolution={resolution} selected={selected?.cell} onSelect={setSelected} />
      <div className="legend-row">
        <ul className="legend" aria-label="Map legend">
          {modules.map((m) => (
            <li key={m}>
              <span className="swatch" style={{ background: moduleColor(m) }} aria-hidden="true" />
              {m}
            </li>
          ))}
          <li>
            <span className="swatch swatch-solid" aria-hidden="true" /> active ({counts.active})
          </li>
          <li>
            <span className="swatch swatch-light" aria-hidden="true" /> silent ({counts.silent})
          </li>
          <li>
            <span className="swatch swatch-dashed" aria-hidden="true" /> inactive ({counts.inactive})
          </li>
          {resolution !== 'device' ? <li>darker cell: more devices (the count is written in it)</li> : null}
        </ul>
      </div>
      {selected ? (
        <div className="cell-panel" data-testid="cell-panel">
          <h3>
            Cell <code>{selected.cell}</code>: {selected.devices.length} devices
          </h3>
          <ul>
            {selected.devices.map((d) => (
              <li key={d.deviceId}>
                <DeviceLink id={d.deviceId} /> <ModuleBadge id={d.module} /> <StatusBadge device={d} />
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </>
  );
}

export default function MapPage() {
  const status = useStatus();
  const devices = useApi((api) => api.allDevices(), [], {
    refreshOn: ['device', 'epoch'],
    minIntervalMs: 3000,
  });
  const moduleIds = useMemo(() => {
    const ids = new Set(status.data?.modules.map((m) => m.id) ?? []);
    for (const d of devices.data ?? []) ids.add(d.module);
    return [...ids].sort();
  }, [status.data, devices.data]);
  return (
    <>
      <h1>Network</h1>
      <Async state={status} what="network status">
        {(s) => <NetworkStats status={s} />}
      </Async>
      <Section title="Map" testId="map-section">
        <Async state={devices} what="devices">
          {(list) => <DevicesOnMap devices={list} modules={moduleIds} />}
        </Async>
      </Section>
      <div className="two-col">
        <Section title="Devices">
          <Async state={devices} what="devices">
            {(list) => (
              <DataTable
                caption="Devices"
                testId="devices-table"
                rows={list}
                rowKey={(d) => d.deviceId}
                pageSize={15}
                columns={[
                  { header: 'Device', render: (d) => <DeviceLink id={d.deviceId} /> },
                  { header: 'Module', render: (d) => <ModuleBadge id={d.module} /> },
                  { header: 'Status', render: (d) => <StatusBadge device={d} /> },
                  { header: 'Operator', render: (d) => <Hash value={d.operator} /> },
                  { header: 'Last seq', render: (d) => formatCount(d.lastSeq), align: 'right' },
                ]}
              />
            )}
          </Async>
        </Section>
        <Section title="Live activity">
          <LiveActivity />
        </Section>
      </div>
      <p className="muted small">
        Everything on this page comes from the node's public API (<a href="/openapi.json">/openapi.json</a>)
        and updates itself from its event stream.
      </p>
    </>
  );
}
