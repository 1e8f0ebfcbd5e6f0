/**
 * The logistics module's dashboard view: the public anchors, and — signed in
 * with Ethereum as a party — one's shipments, each with its timeline
 * (readings, custody hand-offs and alerts in order, breaches highlighted),
 * and a proof check of any anchored record done in the browser: the record is
 * re-hashed with the leaf encoding of docs/LOGISTICS.md §5, its path folded to
 * a root, and that root compared with the one AnchorRegistry recorded on chain
 * for the batch (read through the RPC URL of /v1/status).
 */
import {
  type ApiClient,
  Async,
  Badge,
  Button,
  type ConnectedWallet,
  canonicalize,
  DataTable,
  DeviceLink,
  defineDashboardModule,
  ErrorMessage,
  Facts,
  FullHash,
  formatCount,
  formatTime,
  Hash,
  loadChain,
  Section,
  Stat,
  StatGrid,
  useApi,
  WalletGate,
} from '@groundwork/dashboard';
import { useId, useState } from 'react';
import { concat, type Hex, keccak256, stringToBytes } from 'viem';
import { createSiweMessage } from 'viem/siwe';

const BASE = '/v1/modules/logistics';

interface Anchor {
  batch: number;
  root: Hex;
  records: number;
  status: string;
  tx: Hex | null;
  block: number | null;
  chainBatch: number | null;
  anchoredAt: number | null;
}

interface Shipment {
  id: Hex;
  reference: string;
  shipper: string;
  status: string;
  startAt: number;
  deliveredAt: number | null;
  custodian: string;
  handoffs: number;
  alerts: number;
  rules: { kind: string; [k: string]: unknown }[];
  parties: { account: string; role: string }[];
  trackers: { deviceId: Hex; fromMs: number; toMs: number | null }[];
}

interface Reading {
  recordId: Hex;
  deviceId: Hex;
  at: number;
  tempMc: number | null;
  humidityPm: number | null;
  latE7: number | null;
  lngE7: number | null;
  shockMg: number | null;
}

interface Handoff {
  recordId: Hex;
  index: number;
  from: string;
  to: string;
  at: number;
  place: string;
  note: string;
}

interface Alert {
  recordId: Hex;
  code: string;
  rule: { kind: string };
  startAt: number;
  raisedAt: number;
  worst: number;
  readings: Hex[];
  readingCount: number;
}

interface RecordRow {
  id: Hex;
  anchored: boolean;
  batch: number | null;
}

interface Proof {
  recordId: Hex;
  record: Record<string, unknown>;
  salt: Hex;
  leaf: Hex;
  path: Hex[];
  root: Hex;
  anchor: { chainId: number; registry: Hex; batch: number; tx: Hex; block: number; anchoredAt: number };
}

interface Session {
  token: string;
  account: string;
}

/** One line of a shipment's timeline. */
interface Entry {
  at: number;
  kind: 'reading' | 'custody' | 'alert';
  recordId: Hex;
  breach: boolean;
  what: string;
  device?: Hex;
}

const ROOT_ANCHORED = [
  {
    type: 'event',
    name: 'RootAnchored',
    inputs: [
      { name: 'batch', type: 'uint256', indexed: true },
      { name: 'root', type: 'bytes32', indexed: true },
      { name: 'topic', type: 'bytes32', indexed: true },
      { name: 'records', type: 'uint256', indexed: false },
      { name: 'anchorer', type: 'address', indexed: false },
    ],
  },
] as const;

/** keccak256 of the sorted pair, as AnchorRegistry and OpenZeppelin MerkleProof fold a path. */
function hashPair(a: Hex, b: Hex): Hex {
  // Equal-length lowercase hex compares as the bytes do.
  return a.toLowerCase() <= b.toLowerCase() ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

export interface ProofCheck {
  ok: boolean;
  recordId: { computed: Hex; claimed: Hex };
  leaf: Hex;
  computedRoot: Hex;
  proofRoot: Hex;
  /** The root AnchorRegistry recorded for the proof's batch (RootAnchored event), or null if none. */
  chainRoot: Hex | null;
  registry: { proof: Hex; network: Hex | null };
  checks: { name: string; ok: boolean; detail: string }[];
}

/**
 * Checks a proof in the browser: recordId = keccak256(canonical JSON of the
 * record), leaf = keccak256(0x00 ‖ salt ‖ recordId), the path folded from the
 * leaf, and the result against the root the chain recorded for the batch.
 */
async function checkProof(api: ApiClient, proof: Proof, networkRegistry: Hex | null): Promise<ProofCheck> {
  const computedId = keccak256(stringToBytes(canonicalize(proof.record)));
  const leaf = keccak256(concat(['0x00', proof.salt, computedId]));
  const computedRoot = proof.path.reduce<Hex>((node, sibling) => hashPair(node, sibling), leaf);
  const [status, chain] = await Promise.all([api.status(), loadChain()]);
  const pc = chain.publicClientFor(status);
  const logs = await pc.getContractEvents({
    address: proof.anchor.registry,
    abi: ROOT_ANCHORED,
    eventName: 'RootAnchored',
    args: { batch: BigInt(proof.anchor.batch) },
    fromBlock: BigInt(proof.anchor.block),
    toBlock: BigInt(proof.anchor.block),
  });
  const chainRoot = (logs[0]?.args.root as Hex | undefined) ?? null;
  const sameRegistry =
    !!networkRegistry && networkRegistry.toLowerCase() === proof.anchor.registry.toLowerCase();
  const checks = [
    {
      name: 'record id',
      ok: computedId === proof.recordId,
      detail: `keccak256 of the canonical record is ${computedId}${computedId === proof.recordId ? '' : `, not ${proof.recordId}`}`,
    },
    {
      name: 'leaf',
      ok: leaf === proof.leaf,
      detail: `keccak256(0x00 ‖ salt ‖ record id) = ${leaf}`,
    },
    {
      name: 'merkle path',
      ok: computedRoot === proof.root,
      detail: `the leaf and ${proof.path.length} siblings lead to ${computedRoot}`,
    },
    {
      name: 'root on chain',
      ok: chainRoot !== null && chainRoot.toLowerCase() === computedRoot,
      detail: chainRoot
        ? `AnchorRegistry anchored ${chainRoot} as batch ${proof.anchor.batch}`
        : `no RootAnchored event for batch ${proof.anchor.batch} in block ${proof.anchor.block}`,
    },
    {
      name: 'anchor registry',
      ok: sameRegistry,
      detail: `the proof names ${proof.anchor.registry}; this network's is ${networkRegistry ?? 'unknown'}`,
    },
  ];
  return {
    ok: checks.every((c) => c.ok),
    recordId: { computed: computedId, claimed: proof.recordId },
    leaf,
    computedRoot,
    proofRoot: proof.root,
    chainRoot,
    registry: { proof: proof.anchor.registry, network: networkRegistry },
    checks,
  };
}

async function signIn(api: ApiClient, wallet: ConnectedWallet): Promise<Session> {
  const n = await api.post<{
    nonce: string;
    domain: string;
    uri: string;
    chainId: number;
    statement: string;
  }>(`${BASE}/auth/nonce`);
  const now = new Date();
  const message = createSiweMessage({
    address: wallet.address,
    chainId: n.chainId,
    domain: n.domain,
    nonce: n.nonce,
    uri: n.uri,
    version: '1',
    statement: n.statement,
    issuedAt: now,
    expirationTime: new Date(now.getTime() + 60 * 60_000),
  });
  const signature = await wallet.client.signMessage({ message });
  const s = await api.post<{ token: string; account: string }>(`${BASE}/auth/login`, { message, signature });
  return { token: s.token, account: s.account };
}

function Anchors() {
  const anchors = useApi(
    (a) =>
      a.get<{ anchorRegistry: Hex; pendingRecords: number; anchors: Anchor[] }>(`${BASE}/anchors?limit=20`),
    [],
    { refreshOn: ['epoch'] },
  );
  return (
    <Section title="Anchors on chain" testId="logistics-anchors">
      <p className="muted small">
        Every record — a tracker's signed reading, a custody hand-off signed by both parties, an alert — is a
        salted leaf of a Merkle tree whose root an oracle anchors in AnchorRegistry. Roots disclose nothing;
        records are visible to their shipment's parties only.
      </p>
      <Async state={anchors} what="anchors">
        {(x) => (
          <>
            <Facts
              items={[
                ['AnchorRegistry', <FullHash key="r" value={x.anchorRegistry} testId="logistics-registry" />],
                ['Records waiting for the next anchor', formatCount(x.pendingRecords)],
              ]}
            />
            <DataTable
              caption="Latest anchored batches"
              rows={x.anchors}
              rowKey={(b) => String(b.batch)}
              pageSize={5}
              empty="Nothing anchored yet."
              columns={[
                { header: 'Batch', render: (b) => b.chainBatch ?? '—', align: 'right' },
                { header: 'Records', render: (b) => formatCount(b.records), align: 'right' },
                { header: 'Root', render: (b) => <Hash value={b.root} /> },
                {
                  header: 'Status',
                  render: (b) => <Badge tone={b.status === 'anchored' ? 'ok' : 'info'}>{b.status}</Badge>,
                },
                { header: 'Anchored', render: (b) => (b.anchoredAt ? formatTime(b.anchoredAt * 1000) : '—') },
                { header: 'Transaction', render: (b) => <Hash value={b.tx} /> },
              ]}
            />
          </>
        )}
      </Async>
    </Section>
  );
}

/**
 * Whether a reading breaks one of the shipment's per-reading rules (docs/LOGISTICS.md §4): temperature,
 * humidity or shock outside the band. Corridor and silence need the route or the previous reading; their
 * breaches show through the alerts.
 */
function breaksRule(r: Reading, rules: Shipment['rules']): boolean {
  const outside = (v: number | null, min: unknown, max: unknown) =>
    v !== null && ((typeof min === 'number' && v < min) || (typeof max === 'number' && v > max));
  return rules.some(
    (rule) =>
      (rule.kind === 'temperature' && outside(r.tempMc, rule.minMc, rule.maxMc)) ||
      (rule.kind === 'humidity' && outside(r.humidityPm, rule.minPm, rule.maxPm)) ||
      (rule.kind === 'shock' && outside(r.shockMg, undefined, rule.maxMg)),
  );
}

function describeReading(r: Reading): string {
  const parts: string[] = [];
  if (r.tempMc !== null) parts.push(`${(r.tempMc / 1000).toFixed(2)} °C`);
  if (r.humidityPm !== null) parts.push(`${(r.humidityPm / 10).toFixed(1)} % RH`);
  if (r.shockMg !== null) parts.push(`${(r.shockMg / 1000).toFixed(2)} g`);
  if (r.latE7 !== null && r.lngE7 !== null)
    parts.push(`${(r.latE7 / 1e7).toFixed(4)}, ${(r.lngE7 / 1e7).toFixed(4)}`);
  return parts.join(' · ');
}

type Filter = 'all' | 'custody' | 'breaches';
const FILTERS: { value: Filter; label: string }[] = [
  { value: 'all', label: 'Everything' },
  { value: 'custody', label: 'Custody and alerts' },
  { value: 'breaches', label: 'Breaches only' },
];

function ShipmentDetail({
  api,
  session,
  shipment,
  registry,
}: {
  api: ApiClient;
  session: Session;
  shipment: Shipment;
  registry: Hex | null;
}) {
  const opts = { token: session.token };
  const id = shipment.id;
  const timeline = useApi(
    async (a) => {
      const [readings, handoffs, alerts, records] = await Promise.all([
        a.get<{ readings: Reading[] }>(`${BASE}/shipments/${id}/readings?limit=2000`, opts),
        a.get<{ handoffs: Handoff[] }>(`${BASE}/shipments/${id}/handoffs`, opts),
        a.get<{ alerts: Alert[] }>(`${BASE}/shipments/${id}/alerts`, opts),
        a.get<{ records: RecordRow[] }>(`${BASE}/shipments/${id}/records?limit=5000`, opts),
      ]);
      // A reading is part of a breach if an alert names it, or if it is outside a rule's band (an alert lists
      // the readings known when it was raised; later ones of the same excursion raise none).
      const breach = new Set(alerts.alerts.flatMap((x) => x.readings));
      const entries: Entry[] = [
        ...readings.readings.map((r) => ({
          at: r.at,
          kind: 'reading' as const,
          recordId: r.recordId,
          breach: breach.has(r.recordId) || breaksRule(r, shipment.rules),
          what: describeReading(r),
          device: r.deviceId,
        })),
        ...handoffs.handoffs.map((h) => ({
          at: h.at,
          kind: 'custody' as const,
          recordId: h.recordId,
          breach: false,
          what: `hand-off ${h.index}: ${h.from} → ${h.to}${h.place ? ` at ${h.place}` : ''}${h.note ? ` (${h.note})` : ''}`,
        })),
        ...alerts.alerts.map((x) => ({
          at: x.startAt,
          kind: 'alert' as const,
          recordId: x.recordId,
          breach: true,
          what: `${x.code}: ${x.rule.kind} rule broken from ${formatTime(x.startAt)}, worst ${x.worst}, ${x.readingCount} readings`,
        })),
      ];
      const order = { custody: 0, reading: 1, alert: 2 };
      entries.sort((p, q) => p.at - q.at || order[p.kind] - order[q.kind]);
      const anchored = new Map(records.records.map((r) => [r.id, r] as const));
      const breachReadings = entries.filter((e) => e.kind === 'reading' && e.breach).length;
      return { entries, anchored, alerts: alerts.alerts.length, breachReadings };
    },
    [id, session.token, JSON.stringify(shipment.rules)],
    { refreshOn: ['epoch', 'module.logistics'], minIntervalMs: 5_000 },
  );
  const [filter, setFilter] = useState<Filter>('all');
  const [check, setCheck] = useState<
    | { s: 'idle' }
    | { s: 'busy'; recordId: Hex }
    | { s: 'done'; recordId: Hex; r: ProofCheck }
    | { s: 'failed'; recordId: Hex; error: Error }
  >({ s: 'idle' });
  const filterName = useId();
  const verify = async (recordId: Hex) => {
    setCheck({ s: 'busy', recordId });
    try {
      const proof = await api.get<Proof>(`${BASE}/records/${recordId}/proof`, opts);
      setCheck({ s: 'done', recordId, r: await checkProof(api, proof, registry) });
    } catch (error) {
      setCheck({ s: 'failed', recordId, error: error as Error });
    }
  };
  return (
    <Section title={`Shipment ${shipment.reference}`} testId="logistics-shipment">
      <Facts
        items={[
          ['Shipment', <FullHash key="i" value={shipment.id} />],
          ['Status', shipment.status, 'shipment-status'],
          ['Custodian now', <Hash key="c" value={shipment.custodian} />],
          ['Tracking since', formatTime(shipment.startAt)],
          ['Parties', shipment.parties.map((p) => `${p.role} ${p.account.slice(0, 10)}…`).join(', ')],
          [
            'Trackers',
            <span key="t">
              {shipment.trackers.map((t) => (
                <DeviceLink key={t.deviceId} id={t.deviceId} />
              ))}
            </span>,
          ],
          ['Rules', shipment.rules.map((r) => JSON.stringify(r)).join('; ') || 'none'],
        ]}
      />
      <div aria-live="polite" data-testid="proof-check">
        {check.s === 'busy' ? <p role="status">Checking the proof of {check.recordId}…</p> : null}
        {check.s === 'failed' ? <ErrorMessage error={check.error} /> : null}
        {check.s === 'done' ? <ProofResult recordId={check.recordId} r={check.r} /> : null}
      </div>
      <Async state={timeline} what="the timeline">
        {(t) => {
          const shown = t.entries.filter((e) =>
            filter === 'all' ? true : filter === 'custody' ? e.kind !== 'reading' : e.breach,
          );
          return (
            <>
              <StatGrid>
                <Stat label="Timeline entries" testId="timeline-count">
                  {formatCount(t.entries.length)}
                </Stat>
                <Stat label="Alerts" testId="timeline-alerts">
                  {formatCount(t.alerts)}
                </Stat>
                <Stat label="Readings in a breach">{formatCount(t.breachReadings)}</Stat>
                <Stat label="Records anchored">
                  {formatCount([...t.anchored.values()].filter((r) => r.anchored).length)} of{' '}
                  {formatCount(t.anchored.size)}
                </Stat>
              </StatGrid>
              <fieldset className="row">
                <legend className="sr-only">Show</legend>
                {FILTERS.map((f) => (
                  <label key={f.value}>
                    <input
                      type="radio"
                      name={filterName}
                      value={f.value}
                      checked={filter === f.value}
                      onChange={() => setFilter(f.value)}
                    />{' '}
                    {f.label}
                  </label>
                ))}
              </fieldset>
              <DataTable
                caption={`Timeline of shipment ${shipment.reference}, oldest first`}
                testId="logistics-timeline"
                rows={shown}
                rowKey={(e) => e.recordId}
                pageSize={20}
                columns={[
                  { header: 'Time', render: (e) => formatTime(e.at) },
                  {
                    header: 'Kind',
                    render: (e) =>
                      e.kind === 'alert' ? (
                        <Badge tone="bad">alert</Badge>
                      ) : e.kind === 'custody' ? (
                        <Badge tone="info">custody</Badge>
                      ) : e.breach ? (
                        <Badge tone="bad">breach</Badge>
                      ) : (
                        <Badge>reading</Badge>
                      ),
                  },
                  {
                    header: 'What',
                    render: (e) =>
                      e.breach ? <strong data-breach="true">{e.what}</strong> : <span>{e.what}</span>,
                  },
                  { header: 'Tracker', render: (e) => (e.device ? <Hash value={e.device} /> : '—') },
                  { header: 'Record', render: (e) => <Hash value={e.recordId} /> },
                  {
                    header: 'Proof',
                    render: (e) =>
                      t.anchored.get(e.recordId)?.anchored ? (
                        <Button
                          onClick={() => verify(e.recordId)}
                          disabled={check.s === 'busy'}
                          aria-label={`Verify the proof of record ${e.recordId}`}
                        >
                          Verify proof
                        </Button>
                      ) : (
                        <span className="muted">not anchored yet</span>
                      ),
                  },
                ]}
              />
            </>
          );
        }}
      </Async>
    </Section>
  );
}

function ProofResult({ recordId, r }: { recordId: Hex; r: ProofCheck }) {
  return (
    <div className="card" data-testid="proof-panel">
      <h3>
        Proof of record <Hash value={recordId} />
      </h3>
      <p className={`verdict ${r.ok ? 'verdict-ok' : 'verdict-bad'}`} data-testid="proof-result">
        {r.ok ? 'valid' : 'invalid'}
      </p>
      <Facts
        items={[
          [
            'Root computed in this browser',
            <FullHash key="c" value={r.computedRoot} testId="proof-computed-root" />,
          ],
          ['Root anchored on chain', <FullHash key="a" value={r.chainRoot} testId="proof-chain-root" />],
        ]}
      />
      <ul className="checks" data-testid="proof-checks">
        {r.checks.map((c) => (
          <li key={c.name} data-check={c.name} data-ok={c.ok}>
            <Badge tone={c.ok ? 'ok' : 'bad'}>{c.ok ? 'ok' : 'FAIL'}</Badge> <strong>{c.name}</strong>{' '}
            <span className="break">{c.detail}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Shipments({ api, session }: { api: ApiClient; session: Session }) {
  const list = useApi(
    (a) => a.get<{ shipments: Shipment[] }>(`${BASE}/shipments`, { token: session.token }),
    [session.token],
    { refreshOn: ['epoch', 'module.logistics'], minIntervalMs: 5_000 },
  );
  const anchors = useApi((a) => a.get<{ anchorRegistry: Hex }>(`${BASE}/anchors?limit=1`), []);
  const [open, setOpen] = useState<Hex | undefined>();
  return (
    <Async state={list} what="shipments">
      {({ shipments }) => {
        const selected = shipments.find((s) => s.id === open);
        return (
          <>
            <Section title={`Shipments of ${session.account}`} testId="logistics-shipments">
              <DataTable
                caption="Shipments you are a party of"
                rows={shipments}
                rowKey={(s) => s.id}
                pageSize={10}
                empty="You are a party of no shipment."
                columns={[
                  { header: 'Reference', render: (s) => s.reference },
                  {
                    header: 'Status',
                    render: (s) => (
                      <Badge tone={s.status === 'delivered' ? 'ok' : 'info'}>
                        {s.status.replace('_', ' ')}
                      </Badge>
                    ),
                  },
                  { header: 'Trackers', render: (s) => s.trackers.length, align: 'right' },
                  { header: 'Hand-offs', render: (s) => s.handoffs, align: 'right' },
                  {
                    header: 'Alerts',
                    render: (s) => (s.alerts > 0 ? <Badge tone="bad">{s.alerts}</Badge> : '0'),
                    align: 'right',
                  },
                  {
                    header: 'Timeline',
                    render: (s) => (
                      <Button
                        variant={s.id === open ? 'primary' : 'secondary'}
                        aria-pressed={s.id === open}
                        onClick={() => setOpen(s.id === open ? undefined : s.id)}
                        aria-label={`Open the timeline of shipment ${s.reference}`}
                      >
                        {s.id === open ? 'Close' : 'Open'}
                      </Button>
                    ),
                  },
                ]}
              />
            </Section>
            {selected ? (
              <ShipmentDetail
                key={selected.id}
                api={api}
                session={session}
                shipment={selected}
                registry={anchors.data?.anchorRegistry ?? null}
              />
            ) : null}
          </>
        );
      }}
    </Async>
  );
}

/** Kept across page changes (the session outlives the view), per account. */
let remembered: Session | undefined;

function SignIn({ api, wallet }: { api: ApiClient; wallet: ConnectedWallet }) {
  const mine = remembered && remembered.account === wallet.address.toLowerCase() ? remembered : undefined;
  const [session, setSession] = useState<Session | undefined>(mine);
  const [state, setState] = useState<{ s: 'idle' } | { s: 'busy' } | { s: 'failed'; error: Error }>({
    s: 'idle',
  });
  if (session) return <Shipments api={api} session={session} />;
  return (
    <>
      <p>
        Shipments are private to their parties: sign in with Ethereum (EIP-4361) as{' '}
        <code>{wallet.address}</code> to see yours.
      </p>
      <Button
        variant="primary"
        data-testid="logistics-sign-in"
        disabled={state.s === 'busy'}
        onClick={async () => {
          setState({ s: 'busy' });
          try {
            const s = await signIn(api, wallet);
            remembered = s;
            setSession(s);
          } catch (error) {
            setState({ s: 'failed', error: error as Error });
          }
        }}
      >
        Sign in with Ethereum
      </Button>
      <div aria-live="polite">
        {state.s === 'busy' ? <p role="status">Signing in…</p> : null}
        {state.s === 'failed' ? <ErrorMessage error={state.error} /> : null}
      </div>
    </>
  );
}

function LogisticsView({ api }: { api: ApiClient }) {
  return (
    <>
      <Anchors />
      <Section title="Your shipments" testId="logistics-sign-in-section">
        <WalletGate>{(wallet) => <SignIn key={wallet.address} api={api} wallet={wallet} />}</WalletGate>
      </Section>
    </>
  );
}

export default defineDashboardModule({ id: 'logistics', title: 'Logistics', View: LogisticsView });
