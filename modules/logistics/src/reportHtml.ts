import { formatDuration, type ShipmentReport } from './report.ts';

const COLORS = ['#1f6feb', '#8250df', '#1a7f37', '#bf3989', '#9a6700', '#0969da', '#cf222e'];

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const iso = (ms: number | null) =>
  ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
const degC = (mc: number) => `${(mc / 1000).toFixed(1)} °C`;
const short = (h: string) => `${h.slice(0, 10)}…${h.slice(-4)}`;
const n = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(1)) : 0);

/** Keeps a long series drawable: per time bucket the lowest and highest point. */
function downsample(points: [number, number][], max = 1200): [number, number][] {
  if (points.length <= max) return points;
  const buckets = Math.floor(max / 2);
  const t0 = points[0]![0];
  const span = points[points.length - 1]![0] - t0 || 1;
  const out: [number, number][] = [];
  let b = -1;
  let lo: [number, number] | undefined;
  let hi: [number, number] | undefined;
  const flush = () => {
    if (lo && hi) out.push(...(lo[0] <= hi[0] ? [lo, hi] : [hi, lo]));
  };
  for (const p of points) {
    const k = Math.min(buckets - 1, Math.floor(((p[0] - t0) / span) * buckets));
    if (k !== b) {
      flush();
      b = k;
      lo = hi = p;
    } else {
      if (p[1] < lo![1]) lo = p;
      if (p[1] > hi![1]) hi = p;
    }
  }
  flush();
  return out;
}

function niceStep(range: number, target: number): number {
  const raw = range / target;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** SVG map of the path: the route and its corridor, each tracker's track, hand-offs and breaches. */
export function renderMap(r: ShipmentReport, W = 720, H = 420): string {
  const route = (r.shipment.route.waypoints as { latE7: number; lngE7: number; name?: string }[]).map(
    (w) => ({
      lat: w.latE7 / 1e7,
      lng: w.lngE7 / 1e7,
      name: w.name ?? '',
    }),
  );
  const pts = [
    ...route,
    ...r.readings.filter((x) => x.lat !== null).map((x) => ({ lat: x.lat!, lng: x.lng! })),
    ...r.custody.map((c) => ({ lat: c.lat, lng: c.lng })),
  ];
  if (pts.length === 0) return '<p class="muted">No positions were reported.</p>';
  const midLat = (Math.min(...pts.map((p) => p.lat)) + Math.max(...pts.map((p) => p.lat))) / 2;
  const k = Math.cos((midLat * Math.PI) / 180);
  const xs = pts.map((p) => p.lng * k);
  const ys = pts.map((p) => p.lat);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 30;
  const s = Math.min((W - 2 * pad) / (x1 - x0 || 0.01), (H - 2 * pad) / (y1 - y0 || 0.01));
  const ox = pad + (W - 2 * pad - (x1 - x0) * s) / 2;
  const oy = pad + (H - 2 * pad - (y1 - y0) * s) / 2;
  const X = (lng: number) => n(ox + (lng * k - x0) * s);
  const Y = (lat: number) => n(oy + (y1 - lat) * s);
  const parts: string[] = [];
  const corridor = (r.shipment.rules as { kind: string; widthM?: number }[]).find(
    (x) => x.kind === 'corridor',
  );
  const line = (p: { lat: number; lng: number }[]) => p.map((q) => `${X(q.lng)},${Y(q.lat)}`).join(' ');
  if (corridor?.widthM && route.length > 1) {
    const px = Math.max(2, n(((2 * corridor.widthM) / 111_320) * s));
    parts.push(
      `<polyline points="${line(route)}" fill="none" stroke="#2da44e" stroke-opacity="0.15" stroke-width="${px}" stroke-linejoin="round" stroke-linecap="round"/>`,
    );
  }
  if (route.length > 1)
    parts.push(
      `<polyline points="${line(route)}" fill="none" stroke="#57606a" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    );
  const devices = [...new Set(r.readings.map((x) => x.deviceId))];
  devices.forEach((d, i) => {
    const track = r.readings
      .filter((x) => x.deviceId === d && x.lat !== null)
      .map((x) => ({ lat: x.lat!, lng: x.lng! }));
    if (track.length > 1)
      parts.push(
        `<polyline points="${line(track.length > 1500 ? track.filter((_, j) => j % Math.ceil(track.length / 1500) === 0) : track)}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" stroke-opacity="0.85"/>`,
      );
  });
  for (const w of route) {
    parts.push(`<rect x="${X(w.lng) - 4}" y="${Y(w.lat) - 4}" width="8" height="8" fill="#24292f"/>`);
    if (w.name)
      parts.push(`<text x="${X(w.lng) + 7}" y="${Y(w.lat) - 6}" class="lbl">${escapeHtml(w.name)}</text>`);
  }
  for (const b of r.breaches) {
    const ids = new Set<string>(b.readings);
    const at =
      r.readings.find((x) => ids.has(x.recordId) && x.lat !== null) ??
      r.readings
        .filter((x) => x.lat !== null)
        .reduce<(typeof r.readings)[number] | undefined>(
          (best, x) => (!best || Math.abs(x.at - b.startAt) < Math.abs(best.at - b.startAt) ? x : best),
          undefined,
        );
    if (!at) continue;
    const cx = X(at.lng!);
    const cy = Y(at.lat!);
    parts.push(
      `<g class="breach"><circle cx="${cx}" cy="${cy}" r="9" fill="#cf222e" fill-opacity="0.2" stroke="#cf222e" stroke-width="2"/><text x="${cx + 11}" y="${cy + 14}" class="lbl bad">${escapeHtml(b.code)}</text></g>`,
    );
  }
  for (const c of r.custody) {
    parts.push(
      `<g><circle cx="${X(c.lng)}" cy="${Y(c.lat)}" r="8" fill="#fff" stroke="#24292f" stroke-width="1.5"/><text x="${X(c.lng)}" y="${Y(c.lat) + 3.5}" text-anchor="middle" class="num">${c.index + 1}</text></g>`,
    );
  }
  const legend = devices
    .map((d, i) => `<tspan fill="${COLORS[i % COLORS.length]}">■</tspan> tracker ${short(d)}  `)
    .join('');
  parts.push(
    `<text x="${pad}" y="${H - 8}" class="lbl">${legend}<tspan fill="#57606a">- - route</tspan>  ① hand-off</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="map of the shipment's path"><rect width="${W}" height="${H}" fill="#f6f8fa"/>${parts.join('')}</svg>`;
}

/** SVG chart of temperature over time with the rule's band, breaches shaded and hand-offs marked. */
export function renderTemperatureChart(r: ShipmentReport, W = 720, H = 280): string {
  const series = new Map<string, [number, number][]>();
  for (const x of r.readings)
    if (x.tempMc !== null) series.set(x.deviceId, [...(series.get(x.deviceId) ?? []), [x.at, x.tempMc]]);
  if (series.size === 0) return '<p class="muted">No temperature was reported.</p>';
  const all = [...series.values()].flat();
  const band = r.temperatureBand;
  let lo = Math.min(...all.map((p) => p[1]), band?.minMc ?? Number.POSITIVE_INFINITY);
  let hi = Math.max(...all.map((p) => p[1]), band?.maxMc ?? Number.NEGATIVE_INFINITY);
  const margin = Math.max(500, (hi - lo) * 0.08);
  lo -= margin;
  hi += margin;
  const t0 = Math.min(...all.map((p) => p[0]));
  const t1 = Math.max(...all.map((p) => p[0]), t0 + 1);
  const L = 52;
  const R = 12;
  const T = 12;
  const B = 36;
  const X = (t: number) => n(L + ((t - t0) / (t1 - t0)) * (W - L - R));
  const Y = (mc: number) => n(T + ((hi - mc) / (hi - lo)) * (H - T - B));
  const parts: string[] = [];
  if (band)
    parts.push(
      `<rect x="${L}" y="${Y(band.maxMc)}" width="${W - L - R}" height="${n(Y(band.minMc) - Y(band.maxMc))}" fill="#2da44e" fill-opacity="0.12"/>`,
      `<line x1="${L}" x2="${W - R}" y1="${Y(band.maxMc)}" y2="${Y(band.maxMc)}" stroke="#2da44e" stroke-dasharray="4 3"/>`,
      `<line x1="${L}" x2="${W - R}" y1="${Y(band.minMc)}" y2="${Y(band.minMc)}" stroke="#2da44e" stroke-dasharray="4 3"/>`,
      `<text x="${W - R - 4}" y="${Y(band.maxMc) - 4}" text-anchor="end" class="lbl ok">max ${degC(band.maxMc)}</text>`,
      `<text x="${W - R - 4}" y="${Y(band.minMc) + 12}" text-anchor="end" class="lbl ok">min ${degC(band.minMc)}</text>`,
    );
  for (const b of r.breaches.filter((x) => x.kind === 'temperature')) {
    const x1 = X(Math.max(t0, b.startAt));
    const x2 = X(Math.min(t1, b.endAt ?? b.lastAt));
    parts.push(
      `<rect x="${x1}" y="${T}" width="${Math.max(2, n(x2 - x1))}" height="${H - T - B}" fill="#cf222e" fill-opacity="0.15"/>`,
    );
  }
  const step = niceStep((hi - lo) / 1000, 6) * 1000;
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
    parts.push(
      `<line x1="${L - 4}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}" stroke="#d0d7de" stroke-width="0.5"/>`,
      `<text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end" class="lbl">${(v / 1000).toFixed(step < 1000 ? 1 : 0)}</text>`,
    );
  }
  const hours = (t1 - t0) / 3_600_000;
  const tick = [1, 2, 3, 6, 12, 24, 48, 168].find((h) => hours / h <= 8) ?? 336;
  const first = Math.ceil(t0 / (tick * 3_600_000)) * tick * 3_600_000;
  for (let t = first; t <= t1; t += tick * 3_600_000) {
    const d = new Date(t).toISOString();
    parts.push(
      `<line x1="${X(t)}" x2="${X(t)}" y1="${T}" y2="${H - B + 4}" stroke="#d0d7de" stroke-width="0.5"/>`,
      `<text x="${X(t)}" y="${H - B + 16}" text-anchor="middle" class="lbl">${d.slice(5, 10)} ${d.slice(11, 16)}</text>`,
    );
  }
  for (const c of r.custody) {
    if (c.at < t0 || c.at > t1) continue;
    parts.push(
      `<line x1="${X(c.at)}" x2="${X(c.at)}" y1="${T}" y2="${H - B}" stroke="#24292f" stroke-dasharray="2 3"/>`,
      `<text x="${X(c.at) + 3}" y="${T + 10}" class="num">${c.index + 1}</text>`,
    );
  }
  [...series.entries()].forEach(([, pts], i) => {
    const d = downsample(pts.sort((a, b) => a[0] - b[0]));
    parts.push(
      `<polyline points="${d.map(([t, v]) => `${X(t)},${Y(v)}`).join(' ')}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5"/>`,
    );
  });
  parts.push(
    `<text x="12" y="${n((H - B) / 2)}" transform="rotate(-90 12 ${n((H - B) / 2)})" text-anchor="middle" class="lbl">°C</text>`,
    `<text x="${W - R}" y="${H - 4}" text-anchor="end" class="lbl">time (UTC); dashed: hand-offs; red: excursions</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="temperature over time"><rect width="${W}" height="${H}" fill="#fff"/>${parts.join('')}</svg>`;
}

function worstText(b: ShipmentReport['breaches'][number]): string {
  switch (b.kind) {
    case 'temperature':
      return degC(b.worst);
    case 'humidity':
      return `${(b.worst / 10).toFixed(1)} % RH`;
    case 'shock':
      return `${(b.worst / 1000).toFixed(1)} g`;
    case 'corridor':
      return `${(b.worst / 1000).toFixed(1)} km off route`;
    case 'silence':
      return `${formatDuration(b.worst)} without readings`;
  }
}

/**
 * The report as one self-contained HTML page a person reads and prints to
 * PDF: no scripts, no external assets; the map and chart are inline SVG.
 */
export function renderReportHtml(r: ShipmentReport): string {
  const s = r.shipment;
  const receiver = s.parties.find((p: { role: string }) => p.role === 'receiver')?.account ?? '—';
  const e = escapeHtml;
  const integrity = r.integrity
    ? r.integrity.failed.length === 0
      ? `<span class="ok">all ${r.integrity.checked} records match what was anchored${r.integrity.chainChecked ? ' on chain' : ''}</span>`
      : `<span class="bad">${r.integrity.failed.length} of ${r.integrity.checked} records do not match what was anchored</span>`
    : '<span class="muted">not checked</span>';
  const rows = <T>(items: T[], f: (x: T) => string, empty: string, cols: number) =>
    items.length ? items.map(f).join('') : `<tr><td colspan="${cols}" class="muted">${empty}</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Shipment report — ${e(s.reference)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 13px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #24292f; margin: 24px auto; max-width: 980px; padding: 0 16px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
  .muted { color: #57606a; } .ok { color: #1a7f37; } .bad { color: #cf222e; font-weight: 600; }
  .cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; margin: 12px 0; }
  .card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 10px; } .card b { display: block; font-size: 18px; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; } th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
  th { background: #f6f8fa; } code { font: 11px ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
  svg .lbl { font: 10px sans-serif; fill: #57606a; } svg .lbl.bad { fill: #cf222e; } svg .lbl.ok { fill: #1a7f37; } svg .num { font: bold 9px sans-serif; fill: #24292f; }
  .figure { border: 1px solid #d0d7de; border-radius: 6px; overflow: hidden; }
  @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } .figure, table, .cards { break-inside: avoid; } a { color: inherit; text-decoration: none; } }
</style></head><body>
<h1>Shipment ${e(s.reference)}</h1>
<div class="muted">id <code>${e(s.id)}</code> · ${e(s.status)} · report generated ${iso(r.generatedAt)}</div>
<div class="cards">
  <div class="card">Status<b>${e(s.status)}</b>${s.deliveredAt ? `delivered ${iso(s.deliveredAt)}` : `since ${iso(s.startAt)}`}</div>
  <div class="card">Breaches<b class="${r.breaches.length ? 'bad' : 'ok'}">${r.breaches.length}</b>${r.stats.timeOutOfBandMs ? `${formatDuration(r.stats.timeOutOfBandMs)} out of the temperature band` : 'none'}</div>
  <div class="card">Readings<b>${r.stats.readings}</b>${r.stats.trackers} tracker(s), ${r.stats.minTempMc === null ? '—' : `${degC(r.stats.minTempMc)} … ${degC(r.stats.maxTempMc!)}`}</div>
  <div class="card">Anchored<b>${r.stats.anchoredRecords}/${r.stats.records}</b>records on chain</div>
</div>
<table><tr><th>Shipper</th><td><code>${e(s.shipper)}</code></td><th>Receiver</th><td><code>${e(receiver)}</code></td></tr>
<tr><th>Tracking from</th><td>${iso(s.startAt)}</td><th>Delivered</th><td>${iso(s.deliveredAt)}</td></tr>
<tr><th>Distance</th><td>${(r.stats.distanceM / 1000).toFixed(0)} km</td><th>Integrity</th><td>${integrity}</td></tr></table>

<h2>Path</h2><div class="figure">${renderMap(r)}</div>
<h2>Temperature</h2><div class="figure">${renderTemperatureChart(r)}</div>

<h2>Breaches</h2>
<table><tr><th>Rule #</th><th>Code</th><th>Condition</th><th>From</th><th>To</th><th>Duration</th><th>Worst</th><th>Readings</th><th>Alert record</th></tr>
${rows(
  r.breaches,
  (b) =>
    `<tr><td>${b.ruleIndex}</td><td class="bad">${e(b.code)}</td><td><code>${e(JSON.stringify(b.rule))}</code></td><td>${iso(b.startAt)}</td><td>${b.endAt === null ? 'ongoing' : iso(b.endAt)}</td><td>${formatDuration(b.durationMs)}</td><td>${worstText(b)}</td><td>${b.readings.length}</td><td>${b.alertRecordId ? `<code>${short(b.alertRecordId)}</code>` : '<span class="muted">none</span>'}</td></tr>`,
  'No rule was broken.',
  9,
)}
</table>

<h2>Custody</h2>
<table><tr><th>#</th><th>From</th><th>To</th><th>Time</th><th>Place</th><th>Note</th><th>Record</th></tr>
${rows(
  r.custody,
  (c) =>
    `<tr><td>${c.index + 1}</td><td><code>${e(c.from)}</code></td><td><code>${e(c.to)}</code></td><td>${iso(c.at)}</td><td>${e(c.place)}<br><span class="muted">${c.lat.toFixed(4)}, ${c.lng.toFixed(4)}</span></td><td>${e(c.note)}</td><td><code>${short(c.recordId)}</code>${c.anchored ? ' <span class="ok">anchored</span>' : ' <span class="muted">pending</span>'}</td></tr>`,
  'No hand-off yet: the shipper holds custody.',
  7,
)}
</table>

<h2>Timeline</h2>
<table><tr><th>Time</th><th>Event</th></tr>
${r.timeline.map((t) => `<tr><td>${iso(t.at)}</td><td>${e(t.text)}${t.recordId ? ` <code class="muted">${short(t.recordId)}</code>` : ''}</td></tr>`).join('')}
</table>

<h2>Parties and trackers</h2>
<table><tr><th>Account</th><th>Role</th></tr>${s.parties.map((p: { account: string; role: string }) => `<tr><td><code>${e(p.account)}</code></td><td>${e(p.role)}</td></tr>`).join('')}</table>
<table><tr><th>Tracker (device id)</th><th>From</th><th>To</th></tr>${s.trackers.map((t: { deviceId: string; fromMs: number; toMs: number | null }) => `<tr><td><code>${e(t.deviceId)}</code></td><td>${iso(t.fromMs)}</td><td>${iso(t.toMs)}</td></tr>`).join('')}</table>

<h2>Anchoring</h2>
<table><tr><th>Batch</th><th>Root</th><th>Transaction</th><th>Block</th><th>Anchored</th><th>Records of this shipment</th></tr>
${rows(
  r.anchors,
  (a) =>
    `<tr><td>${a.batch ?? '—'}</td><td><code>${e(a.root)}</code></td><td><code>${a.tx ? e(a.tx) : 'pending'}</code></td><td>${a.block ?? '—'}</td><td>${a.anchoredAt ? iso(a.anchoredAt * 1000) : '—'}</td><td>${a.recordsOfShipment}</td></tr>`,
  'Nothing anchored yet.',
  6,
)}
</table>
${
  r.integrity?.failed.length
    ? `<h2 class="bad">Records that do not match what was anchored</h2><table><tr><th>Record</th><th>Type</th><th>Problems</th></tr>${r.integrity.failed.map((f) => `<tr><td><code>${e(f.recordId)}</code></td><td>${e(f.type)}</td><td class="bad">${f.problems.map(e).join('<br>')}</td></tr>`).join('')}</table>`
    : ''
}
<p class="muted">Check any record yourself: <code>groundwork logistics proof &lt;record-id&gt;</code>, then <code>groundwork verify-proof &lt;file&gt; --rpc &lt;url&gt;</code> — it needs only the proof file and the chain (docs/LOGISTICS.md).</p>
</body></html>
`;
}
