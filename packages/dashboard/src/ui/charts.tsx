/**
 * Hand-written SVG charts: grouped bars and lines. Each chart is a figure
 * with a caption and, for screen readers, the same numbers as a table.
 */
import { useId } from 'react';

export interface Series {
  name: string;
  color: string;
  /** One value per label (chart geometry only: pass display strings in `format`). */
  values: number[];
  /** Display text of each value (defaults to the number). */
  text?: string[];
}

const W = 640;
const PAD = { top: 22, right: 12, bottom: 28, left: 56 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}B`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

function Legend({ series }: { series: Series[] }) {
  return (
    <ul className="legend">
      {series.map((s) => (
        <li key={s.name}>
          <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
          {s.name}
        </li>
      ))}
    </ul>
  );
}

function DataTableFallback({
  labels,
  series,
  caption,
}: {
  labels: string[];
  series: Series[];
  caption: string;
}) {
  return (
    // A wrapper carries sr-only: a table's cells would overflow the page's width otherwise.
    <div className="sr-only">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">label</th>
            {series.map((s) => (
              <th key={s.name} scope="col">
                {s.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((l, i) => (
            <tr key={l}>
              <th scope="row">{l}</th>
              {series.map((s) => (
                <td key={s.name}>{s.text?.[i] ?? String(s.values[i] ?? '')}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Axis({ max, height, unit }: { max: number; height: number; unit?: string | undefined }) {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const plotH = height - PAD.top - PAD.bottom;
  return (
    <g className="axis">
      {ticks.map((t) => {
        const y = PAD.top + plotH * (1 - t);
        return (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} className="grid" />
            <text x={PAD.left - 6} y={y + 4} textAnchor="end">
              {compact(max * t)}
            </text>
          </g>
        );
      })}
      {unit ? (
        <text x={4} y={12} textAnchor="start" className="unit">
          {unit}
        </text>
      ) : null}
    </g>
  );
}

/** Every n-th label so that labels never overlap. */
function labelStep(n: number): number {
  return Math.max(1, Math.ceil(n / 12));
}

/** Grouped bar chart: one group per label, one bar per series. */
export function BarChart({
  title,
  labels,
  series,
  height = 220,
  unit,
  testId,
}: {
  title: string;
  labels: string[];
  series: Series[];
  height?: number;
  unit?: string;
  testId?: string;
}) {
  const id = useId();
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const group = labels.length > 0 ? plotW / labels.length : plotW;
  const barW = Math.max(1, (group * 0.8) / Math.max(1, series.length));
  const step = labelStep(labels.length);
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption id={id}>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={id} preserveAspectRatio="xMidYMid meet">
        <title>{title}</title>
        <Axis max={max} height={height} unit={unit} />
        {labels.map((label, i) => (
          <g key={label}>
            {series.map((s, j) => {
              const v = s.values[i] ?? 0;
              const h = (v / max) * plotH;
              const x = PAD.left + i * group + group * 0.1 + j * barW;
              return (
                <rect
                  key={s.name}
                  x={x}
                  y={PAD.top + plotH - h}
                  width={barW}
                  height={Math.max(0, h)}
                  fill={s.color}
                  className="bar"
                >
                  <title>{`${label} — ${s.name}: ${s.text?.[i] ?? compact(v)}`}</title>
                </rect>
              );
            })}
            {i % step === 0 ? (
              <text x={PAD.left + i * group + group / 2} y={height - 8} textAnchor="middle" className="tick">
                {label}
              </text>
            ) : null}
          </g>
        ))}
      </svg>
      <Legend series={series} />
      <DataTableFallback labels={labels} series={series} caption={title} />
    </figure>
  );
}

/** Line chart: one polyline per series, points at each label. */
export function LineChart({
  title,
  labels,
  series,
  height = 200,
  unit,
  testId,
}: {
  title: string;
  labels: string[];
  series: Series[];
  height?: number;
  unit?: string;
  testId?: string;
}) {
  const id = useId();
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (labels.length <= 1 ? plotW / 2 : (i / (labels.length - 1)) * plotW);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const step = labelStep(labels.length);
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption id={id}>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={id} preserveAspectRatio="xMidYMid meet">
        <title>{title}</title>
        <Axis max={max} height={height} unit={unit} />
        {series.map((s) => (
          <g key={s.name}>
            <polyline
              fill="none"
              stroke={s.color}
              strokeWidth={2}
              points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')}
            />
            {s.values.map((v, i) => (
              <circle key={labels[i]} cx={x(i)} cy={y(v)} r={3} fill={s.color}>
                <title>{`${labels[i]} — ${s.name}: ${s.text?.[i] ?? compact(v)}`}</title>
              </circle>
            ))}
          </g>
        ))}
        {labels.map((l, i) =>
          i % step === 0 ? (
            <text key={l} x={x(i)} y={height - 8} textAnchor="middle" className="tick">
              {l}
            </text>
          ) : null,
        )}
      </svg>
      <Legend series={series} />
      <DataTableFallback labels={labels} series={series} caption={title} />
    </figure>
  );
}

/** Horizontal bars for shares of a whole (e.g. each module's part of an epoch). */
export function ShareBars({
  title,
  items,
}: {
  title: string;
  items: { label: string; value: number; text: string; color: string }[];
}) {
  const total = items.reduce((s, i) => s + i.value, 0);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <ul className="share-bars">
        {items.map((i) => {
          const pct = total > 0 ? (i.value / total) * 100 : 0;
          return (
            <li key={i.label}>
              <span className="share-label">{i.label}</span>
              <span className="share-track" aria-hidden="true">
                <span className="share-fill" style={{ width: `${pct}%`, background: i.color }} />
              </span>
              <span className="share-text">
                {i.text} ({pct.toFixed(1)}%)
              </span>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}
