/**
 * Shared UI primitives. Module views use these (through `@groundwork/dashboard`)
 * so every view looks, reads and behaves alike — including for keyboard and
 * screen-reader users.
 */
import { type ButtonHTMLAttributes, type ReactNode, useId, useState } from 'react';
import { formatToken, shortHex, TOKEN_SYMBOL } from '../format.ts';
import type { Loaded } from '../hooks.ts';
import { Link } from '../router.tsx';

/** A titled region of a page (a landmark with its own heading). */
export function Section({
  title,
  actions,
  children,
  testId,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id} data-testid={testId}>
      <div className="card-head">
        <h2 id={id}>{title}</h2>
        {actions ? <div className="card-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

/** A row of key figures. */
export function StatGrid({ children }: { children: ReactNode }) {
  return <dl className="stats">{children}</dl>;
}

export function Stat({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

/** Label/value pairs (a definition list), for facts about one thing. */
export function Facts({ items }: { items: [label: string, value: ReactNode, testId?: string][] }) {
  return (
    <dl className="facts">
      {items.map(([label, value, testId]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd data-testid={testId}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'neutral';

export function Badge({
  tone = 'neutral',
  children,
  title,
}: {
  tone?: Tone;
  children: ReactNode;
  title?: string;
}) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** A verdict as a badge: accepted (green), rejected (red) or pending, with its reason code. */
export function VerdictBadge({ status, reason }: { status: string; reason: string | null }) {
  const tone: Tone = status === 'accepted' ? 'ok' : status === 'rejected' ? 'bad' : 'neutral';
  return (
    <Badge tone={tone}>
      {status}
      {reason ? ` · ${reason}` : ''}
    </Badge>
  );
}

/** A hash or address, shortened; the full value in the tooltip and for screen readers. */
export function Hash({
  value,
  head = 6,
  tail = 4,
}: {
  value: string | null | undefined;
  head?: number;
  tail?: number;
}) {
  if (!value) return <span>—</span>;
  return (
    <code className="hash" title={value} data-full={value}>
      {shortHex(value, head, tail)}
    </code>
  );
}

/** A hash shown in full, wrapping (for roots and transaction hashes on their own page). */
export function FullHash({ value, testId }: { value: string | null | undefined; testId?: string }) {
  if (!value) return <span data-testid={testId}>—</span>;
  return (
    <code className="hash hash-full" data-testid={testId}>
      {value}
    </code>
  );
}

/**
 * A token amount in base units, shown as GRND; the exact base units are in
 * `data-raw` and the tooltip (tests and careful readers use them).
 */
export function Amount({
  value,
  symbol = TOKEN_SYMBOL,
  testId,
}: {
  value: bigint | string | null | undefined;
  symbol?: string;
  testId?: string;
}) {
  if (value === null || value === undefined) return <span data-testid={testId}>—</span>;
  const raw = value.toString();
  return (
    <span className="amount" data-raw={raw} data-testid={testId} title={`${raw} base units`}>
      {formatToken(raw)} {symbol}
    </span>
  );
}

export function DeviceLink({ id, children }: { id: string; children?: ReactNode }) {
  return (
    <Link to={`/devices/${id}`} aria-label={`device ${id}`}>
      {children ?? <Hash value={id} />}
    </Link>
  );
}

export function EpochLink({ epoch }: { epoch: number }) {
  return <Link to={`/epochs/${epoch}`}>epoch {epoch}</Link>;
}

export function Button({
  variant = 'secondary',
  className,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'secondary' }) {
  return <button type="button" className={`btn btn-${variant} ${className ?? ''}`} {...rest} />;
}

export function Loading({ what = 'data' }: { what?: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ error }: { error: Error }) {
  return (
    <p className="error" role="alert">
      {error.message}
    </p>
  );
}

/** Renders loading, error or the loaded data of a {@link Loaded}. */
export function Async<T>({
  state,
  what,
  children,
}: {
  state: Loaded<T>;
  what?: string;
  children: (data: T) => ReactNode;
}) {
  if (state.data !== undefined) return <>{children(state.data)}</>;
  if (state.error) return <ErrorMessage error={state.error} />;
  return <Loading {...(what ? { what } : {})} />;
}

export interface Column<T> {
  header: string;
  render: (row: T) => ReactNode;
  align?: 'left' | 'right';
}

/**
 * A table with a caption, scrolling sideways on narrow screens, paged
 * (`pageSize` rows) with Previous/Next buttons.
 */
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  empty = 'Nothing yet.',
  pageSize = 25,
  testId,
}: {
  caption: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  empty?: string;
  pageSize?: number;
  testId?: string;
}) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const p = Math.min(page, pages - 1);
  const shown = rows.slice(p * pageSize, (p + 1) * pageSize);
  return (
    <div className="table-wrap" data-testid={testId}>
      <section
        className="table-scroll"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard.
        tabIndex={0}
        aria-label={caption}
      >
        <table>
          <caption className="sr-only">{caption}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.header} scope="col" className={c.align === 'right' ? 'num' : undefined}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="muted">
                  {empty}
                </td>
              </tr>
            ) : (
              shown.map((row, i) => (
                <tr key={rowKey(row, p * pageSize + i)}>
                  {columns.map((c) => (
                    <td key={c.header} className={c.align === 'right' ? 'num' : undefined}>
                      {c.render(row)}
                    </td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </section>
      {pages > 1 ? (
        <nav className="pager" aria-label={`${caption} pages`}>
          <Button onClick={() => setPage(p - 1)} disabled={p === 0}>
            Previous
          </Button>
          <span>
            page {p + 1} of {pages} ({rows.length} rows)
          </span>
          <Button onClick={() => setPage(p + 1)} disabled={p >= pages - 1}>
            Next
          </Button>
        </nav>
      ) : null}
    </div>
  );
}

/** Counts of reason codes as a compact list of badges. */
export function ReasonCounts({
  counts,
  tone,
}: {
  counts: Record<string, number>;
  tone?: (reason: string) => Tone;
}) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (entries.length === 0) return <p className="muted">None.</p>;
  return (
    <ul className="reasons">
      {entries.map(([reason, n]) => (
        <li key={reason}>
          <Badge tone={tone ? tone(reason) : 'neutral'}>{reason}</Badge> <span className="num">{n}</span>
        </li>
      ))}
    </ul>
  );
}

const PALETTE: Record<string, string> = {
  uptime: '#1f6feb',
  coverage: '#8250df',
  energy: '#b35900',
  logistics: '#0f7b6c',
  city: '#bf3989',
  compute: '#6e7781',
};
const EXTRA = ['#9a6700', '#cf222e', '#3b6e22', '#0969da', '#953800', '#5a32a3'];

/** The colour of a module on maps and charts (stable: known ids fixed, others hashed). */
export function moduleColor(id: string): string {
  const known = PALETTE[id];
  if (known) return known;
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return EXTRA[h % EXTRA.length]!;
}
