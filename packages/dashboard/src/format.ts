/** Formatting helpers shared by pages and module views. No floats touch token amounts. */

/** Decimals of GroundToken (an OpenZeppelin ERC-20: 18). */
export const TOKEN_DECIMALS = 18;
export const TOKEN_SYMBOL = 'GRND';

/**
 * Formats base units as a decimal token amount, grouped, with at most
 * `maxFraction` fraction digits (truncated toward zero, never rounded up).
 * @example formatToken(1234500000000000000000n) === '1,234.5'
 */
export function formatToken(
  value: bigint | string | null | undefined,
  maxFraction = 4,
  decimals = TOKEN_DECIMALS,
): string {
  if (value === null || value === undefined || value === '') return '—';
  let v = typeof value === 'bigint' ? value : BigInt(value);
  const negative = v < 0n;
  if (negative) v = -v;
  const base = 10n ** BigInt(decimals);
  const whole = (v / base).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = (v % base).toString().padStart(decimals, '0').slice(0, maxFraction).replace(/0+$/, '');
  let text = fraction ? `${whole}.${fraction}` : whole;
  // A positive amount too small to show is not zero.
  if (text === '0' && v !== 0n) text = maxFraction > 0 ? `<0.${'0'.repeat(maxFraction - 1)}1` : '<1';
  return negative ? `-${text}` : text;
}

/**
 * Converts base units to a float for chart geometry only (never for display of money).
 */
export function tokenToNumber(value: bigint | string | null | undefined, decimals = TOKEN_DECIMALS): number {
  if (value === null || value === undefined || value === '') return 0;
  const v = typeof value === 'bigint' ? value : BigInt(value);
  const base = 10n ** BigInt(decimals);
  return Number(v / base) + Number(v % base) / Number(base);
}

/** `0x1234…abcd`: keeps `head` hex digits after 0x and `tail` at the end. */
export function shortHex(hex: string | null | undefined, head = 4, tail = 4): string {
  if (!hex) return '—';
  if (hex.length <= 2 + head + tail + 1) return hex;
  return `${hex.slice(0, 2 + head)}…${hex.slice(-tail)}`;
}

/** Grouped integer: 12,345. */
export function formatCount(n: number | bigint | string): string {
  return BigInt(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Local date and time to the second, e.g. 2025-11-26 14:03:09. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '—';
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A duration in words: 45 s, 12 min, 3 h 5 min. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/** How long ago, e.g. "4 s ago". */
export function formatAgo(ms: number, now = Date.now()): string {
  return `${formatDuration(now - ms)} ago`;
}

/** Percentage with one decimal, from a ratio of bigints (no float money math). */
export function formatShare(part: bigint, whole: bigint): string {
  if (whole === 0n) return '—';
  const tenths = (part * 1000n) / whole;
  return `${tenths / 10n}.${tenths % 10n}%`;
}

/**
 * Parses a decimal token amount typed by a person into base units; undefined
 * when it is not a plain non-negative decimal with at most `decimals` fraction digits.
 * @example parseToken('1.5') === 1500000000000000000n
 */
export function parseToken(text: string, decimals = TOKEN_DECIMALS): bigint | undefined {
  const m = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(text.replace(/,/g, ''));
  if (!m) return undefined;
  const fraction = m[2] ?? '';
  if (fraction.length > decimals) return undefined;
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}
