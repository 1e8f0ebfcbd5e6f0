/**
 * JSON form of a reward output, as stored in the epoch bundle: every bigint
 * becomes a decimal string, everything else is already JSON-safe.
 *
 * @module
 */
import type { ComputeRewardsOutput, RewardDetail, RewardLine } from './computeRewards.ts';
import { RewardOutputInvalidError } from './errors.ts';
import type { RewardTreeEntry } from './merkle.ts';

export interface SerializedRewardLine {
  deviceId: string;
  module: string;
  beneficiary: string;
  score: string;
  amount: string;
  reason: string;
  detail?: RewardDetail;
}

export interface SerializedRewardOutput {
  epoch: number;
  pool: string;
  lines: SerializedRewardLine[];
  moduleTotals: Record<string, string>;
  epochTotal: string;
  dust: string;
  cumulative: { account: string; cumulativeAmount: string }[];
  cumulativeTotal: string;
}

/**
 * Converts a reward output to a JSON-safe object (bigints as decimal strings).
 *
 * Guarantees:
 * - `JSON.parse(JSON.stringify(serializeRewardOutput(out)))` parsed with
 *   {@link parseRewardOutput} deep-equals `out` for every output of `computeRewards`;
 * - field and key order follow `out`, so equal outputs stringify to equal bytes.
 */
export function serializeRewardOutput(out: ComputeRewardsOutput): SerializedRewardOutput {
  return {
    epoch: out.epoch,
    pool: out.pool.toString(),
    lines: out.lines.map((line) => {
      const s: SerializedRewardLine = {
        deviceId: line.deviceId,
        module: line.module,
        beneficiary: line.beneficiary,
        score: line.score.toString(),
        amount: line.amount.toString(),
        reason: line.reason,
      };
      if (line.detail !== undefined) s.detail = { ...line.detail };
      return s;
    }),
    moduleTotals: Object.fromEntries(Object.entries(out.moduleTotals).map(([m, v]) => [m, v.toString()])),
    epochTotal: out.epochTotal.toString(),
    dust: out.dust.toString(),
    cumulative: out.cumulative.map((c) => ({
      account: c.account,
      cumulativeAmount: c.cumulativeAmount.toString(),
    })),
    cumulativeTotal: out.cumulativeTotal.toString(),
  };
}

/**
 * Parses the JSON form back into a reward output, checking both its shape and
 * its arithmetic, since a bundle may come from anyone.
 *
 * Guarantees:
 * - inverse of {@link serializeRewardOutput} on every output of `computeRewards`;
 * - accepts only canonical decimal strings (no sign, no leading zeros, no exponent);
 * - rejects, with {@link RewardOutputInvalidError}, an output that breaks the reward
 *   function's own invariants: lines not strictly sorted by (module, deviceId),
 *   moduleTotals not the per-module sums of the lines, epochTotal not their sum,
 *   dust ≠ pool − epochTotal or negative, cumulative not strictly sorted by lowercase
 *   account, cumulativeTotal not its sum.
 */
export function parseRewardOutput(value: unknown): ComputeRewardsOutput {
  const o = expectObject(value, 'output');
  const epoch = o.epoch;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RewardOutputInvalidError('epoch', 'a non-negative safe integer');
  }
  const pool = expectAmount(o.pool, 'pool');
  const linesIn = expectArray(o.lines, 'lines');
  const lines: RewardLine[] = linesIn.map((l, i) => parseLine(l, `lines[${i}]`));
  const moduleTotalsIn = expectObject(o.moduleTotals, 'moduleTotals');
  const moduleTotals: Record<string, bigint> = Object.fromEntries(
    Object.entries(moduleTotalsIn).map(([m, v]) => [
      m,
      expectAmount(v, `moduleTotals[${JSON.stringify(m)}]`),
    ]),
  );
  const epochTotal = expectAmount(o.epochTotal, 'epochTotal');
  const dust = expectAmount(o.dust, 'dust');
  const cumulative: RewardTreeEntry[] = expectArray(o.cumulative, 'cumulative').map((c, i) => {
    const e = expectObject(c, `cumulative[${i}]`);
    return {
      account: expectString(
        e.account,
        `cumulative[${i}].account`,
        ADDRESS,
        'a lowercase 20-byte hex address',
      ),
      cumulativeAmount: expectAmount(e.cumulativeAmount, `cumulative[${i}].cumulativeAmount`),
    };
  });
  const cumulativeTotal = expectAmount(o.cumulativeTotal, 'cumulativeTotal');

  // Arithmetic and ordering: the same invariants computeRewards guarantees.
  const sums = new Map<string, bigint>();
  let lineSum = 0n;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const prev = lines[i - 1];
    if (
      prev !== undefined &&
      !(prev.module < line.module || (prev.module === line.module && prev.deviceId < line.deviceId))
    ) {
      throw new RewardOutputInvalidError(
        `lines[${i}]`,
        'after lines[i - 1] in (module, deviceId) order, no repeats',
      );
    }
    if (!Object.hasOwn(moduleTotals, line.module)) {
      throw new RewardOutputInvalidError(
        `moduleTotals[${JSON.stringify(line.module)}]`,
        'present for every line module',
      );
    }
    sums.set(line.module, (sums.get(line.module) ?? 0n) + line.amount);
    lineSum += line.amount;
  }
  for (const [m, total] of Object.entries(moduleTotals)) {
    if (total !== (sums.get(m) ?? 0n)) {
      throw new RewardOutputInvalidError(
        `moduleTotals[${JSON.stringify(m)}]`,
        'the sum of that module’s line amounts',
      );
    }
  }
  if (epochTotal !== lineSum) throw new RewardOutputInvalidError('epochTotal', 'the sum of line amounts');
  if (epochTotal > pool || dust !== pool - epochTotal)
    throw new RewardOutputInvalidError('dust', 'pool − epochTotal, >= 0');
  let cumulativeSum = 0n;
  for (let i = 0; i < cumulative.length; i++) {
    if (i > 0 && !(cumulative[i - 1]!.account < cumulative[i]!.account)) {
      throw new RewardOutputInvalidError(
        `cumulative[${i}]`,
        'after cumulative[i - 1] in account order, no repeats',
      );
    }
    cumulativeSum += cumulative[i]!.cumulativeAmount;
  }
  if (cumulativeTotal !== cumulativeSum)
    throw new RewardOutputInvalidError('cumulativeTotal', 'the sum of cumulative');

  return { epoch, pool, lines, moduleTotals, epochTotal, dust, cumulative, cumulativeTotal };
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;
const DEVICE_ID = /^0x[0-9a-f]+$/;

function parseLine(value: unknown, path: string): RewardLine {
  const l = expectObject(value, path);
  const line: RewardLine = {
    deviceId: expectString(l.deviceId, `${path}.deviceId`, DEVICE_ID, 'lowercase 0x-prefixed hex'),
    module: expectString(l.module, `${path}.module`, /^.+$/s, 'a non-empty string'),
    beneficiary: expectString(
      l.beneficiary,
      `${path}.beneficiary`,
      ADDRESS,
      'a lowercase 20-byte hex address',
    ),
    score: expectAmount(l.score, `${path}.score`),
    amount: expectAmount(l.amount, `${path}.amount`),
    reason: expectString(l.reason, `${path}.reason`, /^/, 'a string'),
  };
  if (l.detail !== undefined) {
    const detail = expectObject(l.detail, `${path}.detail`);
    for (const [k, v] of Object.entries(detail)) {
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
        throw new RewardOutputInvalidError(`${path}.detail.${k}`, 'a string or a finite number');
      }
    }
    line.detail = { ...(detail as RewardDetail) };
  }
  return line;
}

function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RewardOutputInvalidError(path, 'an object');
  }
  return value as Record<string, unknown>;
}

function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new RewardOutputInvalidError(path, 'an array');
  return value;
}

function expectString<T extends string>(value: unknown, path: string, pattern: RegExp, expected: string): T {
  if (typeof value !== 'string' || !pattern.test(value)) throw new RewardOutputInvalidError(path, expected);
  return value as T;
}

function expectAmount(value: unknown, path: string): bigint {
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    throw new RewardOutputInvalidError(path, 'a non-negative decimal integer string');
  }
  return BigInt(value);
}
