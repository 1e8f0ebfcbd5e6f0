/**
 * The epoch reward function: module scores in, per-device amounts and
 * per-account cumulative amounts out. Pure and deterministic; every rule is
 * written out in docs/REWARDS.md so that a third party can re-implement it.
 *
 * @module
 */
import { RewardDuplicateDeviceError, RewardDuplicateModuleError, RewardInputInvalidError } from './errors.ts';
import type { RewardTreeEntry } from './merkle.ts';

// The epoch bundle stores the output as JSON; its (de)serialisation lives beside this file.
export {
  parseRewardOutput,
  type SerializedRewardLine,
  type SerializedRewardOutput,
  serializeRewardOutput,
} from './serializeRewardOutput.ts';

/** Free-form, JSON-safe facts a module attaches to a score (e.g. `{ uptimePct: 99.5 }`). */
export type RewardDetail = Record<string, string | number>;

/** One device's score in one module for the epoch. */
export interface DeviceScore {
  /** Device id, 0x-prefixed hex (any length ≥ 1 digit); compared and output lowercased. */
  deviceId: `0x${string}`;
  /** Who is paid for this device: a 20-byte address, output lowercased. */
  beneficiary: `0x${string}`;
  /** Non-negative score; only ratios within the module matter. */
  score: bigint;
  /** The module's reason code for this score, e.g. 'UPTIME_OK'; shown to the operator. */
  reason: string;
  detail?: RewardDetail;
}

/** One module's scores and its governed weight. */
export interface ModuleScores {
  /** Module name, unique within the epoch, e.g. 'coverage'. */
  module: string;
  /** Governed weight (e.g. basis points); only ratios between modules matter. */
  weight: bigint;
  devices: readonly DeviceScore[];
}

export interface ComputeRewardsInput {
  /** Epoch number, a non-negative safe integer; carried to the output. */
  epoch: number;
  /** The epoch's emission in token base units. */
  pool: bigint;
  modules: readonly ModuleScores[];
  /** Cumulative amounts after the previous epoch, keyed by (lowercased) address. */
  previousCumulative: Readonly<Record<string, bigint>>;
}

/** One device's line item for the epoch. */
export interface RewardLine {
  deviceId: `0x${string}`;
  module: string;
  beneficiary: `0x${string}`;
  score: bigint;
  amount: bigint;
  reason: string;
  detail?: RewardDetail;
}

export interface ComputeRewardsOutput {
  epoch: number;
  pool: bigint;
  /** One line per (module, device), sorted by module then deviceId; zero-score devices included. */
  lines: RewardLine[];
  /** Sum of line amounts per module, for every input module (0 for one that earned nothing). */
  moduleTotals: Record<string, bigint>;
  /** Sum of all line amounts. */
  epochTotal: bigint;
  /** pool − epochTotal: rounding remainders and the shares nobody earned. */
  dust: bigint;
  /** Cumulative amount per account (previous + this epoch), sorted by account; only amounts > 0. */
  cumulative: RewardTreeEntry[];
  /** Sum of `cumulative` amounts. */
  cumulativeTotal: bigint;
}

/**
 * Computes an epoch's rewards.
 *
 * Rules (see docs/REWARDS.md for the full statement):
 * 1. A module is *eligible* when at least one of its devices has score > 0.
 *    W = sum of the weights of eligible modules.
 * 2. An eligible module gets modulePool = floor(pool · weight / W); any other
 *    module gets 0. If W = 0 every module gets 0.
 * 3. A device gets floor(modulePool · score / S), S the sum of its module's scores
 *    (0 when S = 0).
 * 4. Everything not paid out is dust: dust = pool − Σ amounts.
 * 5. cumulative[a] = previous[a] + Σ amounts of lines whose beneficiary is a,
 *    listed for every account where that is > 0.
 *
 * Guarantees:
 * - epochTotal + dust == pool, and dust >= 0;
 * - every amount >= 0;
 * - rounding loss is bounded by the number of divisions: when some eligible module
 *   has weight > 0, dust <= (eligible modules − 1) + Σ over eligible modules of
 *   (devices with score > 0 − 1), so dust < eligible modules + devices;
 *   otherwise dust == pool;
 * - no account appears twice in `cumulative`, which is sorted by account;
 * - for every account a: cumulative[a] (0 if absent) == previous[a] (0 if absent)
 *   + Σ amounts of a's lines; hence cumulative never decreases and
 *   cumulativeTotal == Σ previous + epochTotal;
 * - a device's amount is monotone in its own score: raising it, all else fixed,
 *   never lowers that device's amount;
 * - a device with score 0 gets amount 0 (and still has its line, with its reason);
 * - any permutation of modules, of devices within a module, or of previousCumulative
 *   keys gives an identical output;
 * - the per-device amounts do not depend on which beneficiary owns which device;
 * - moduleTotals sum to epochTotal.
 *
 * Throws {@link RewardInputInvalidError} for malformed input (negative pool, weight
 * or score, bad address, non-finite detail number, ...),
 * {@link RewardDuplicateModuleError} when a module name repeats and
 * {@link RewardDuplicateDeviceError} when a device id repeats within a module.
 *
 * @example
 * computeRewards({
 *   epoch: 7,
 *   pool: 1000n,
 *   modules: [{ module: 'uptime', weight: 1n, devices: [
 *     { deviceId: '0x01', beneficiary: '0xaa…', score: 2n, reason: 'UPTIME_OK' },
 *     { deviceId: '0x02', beneficiary: '0xbb…', score: 1n, reason: 'UPTIME_OK' },
 *   ] }],
 *   previousCumulative: {},
 * });
 * // lines: 666n and 333n, dust 1n
 */
export function computeRewards(input: ComputeRewardsInput): ComputeRewardsOutput {
  const { epoch, pool } = input;
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RewardInputInvalidError('epoch', 'a non-negative safe integer', epoch);
  }
  if (typeof pool !== 'bigint' || pool < 0n) throw new RewardInputInvalidError('pool', 'a bigint >= 0', pool);
  if (!Array.isArray(input.modules)) throw new RewardInputInvalidError('modules', 'an array', input.modules);

  const modules = input.modules.map(normaliseModule);
  // Input order must not matter: fix one order before any arithmetic or output.
  modules.sort((a, b) => compareStrings(a.module, b.module));
  for (let m = 1; m < modules.length; m++) {
    if (modules[m]!.module === modules[m - 1]!.module)
      throw new RewardDuplicateModuleError(modules[m]!.module);
  }
  // Validated before any arithmetic, so that bad input fails whatever the scores.
  const cumulativeByAccount = normalisePrevious(input.previousCumulative);

  let sumWeights = 0n;
  for (const m of modules) if (m.scoreSum > 0n) sumWeights += m.weight;

  const lines: RewardLine[] = [];
  const moduleTotals: [string, bigint][] = [];
  let epochTotal = 0n;
  for (const m of modules) {
    // Floor division throughout: every remainder stays with the pool as dust.
    const modulePool = m.scoreSum > 0n && sumWeights > 0n ? (pool * m.weight) / sumWeights : 0n;
    let moduleTotal = 0n;
    // Equal scores get equal amounts: neighbours with the same score (most of a large,
    // healthy fleet) reuse the last division instead of repeating it.
    let lastScore = -1n;
    let lastAmount = 0n;
    for (const line of m.lines) {
      if (line.score !== lastScore) {
        lastScore = line.score;
        lastAmount = m.scoreSum > 0n ? (modulePool * line.score) / m.scoreSum : 0n;
      }
      const amount = lastAmount;
      line.amount = amount;
      lines.push(line);
      moduleTotal += amount;
      if (amount > 0n) {
        cumulativeByAccount.set(line.beneficiary, (cumulativeByAccount.get(line.beneficiary) ?? 0n) + amount);
      }
    }
    moduleTotals.push([m.module, moduleTotal]);
    epochTotal += moduleTotal;
  }

  const cumulative: RewardTreeEntry[] = [];
  let cumulativeTotal = 0n;
  for (const [account, cumulativeAmount] of cumulativeByAccount) {
    if (cumulativeAmount === 0n) continue;
    cumulative.push({ account: account as `0x${string}`, cumulativeAmount });
    cumulativeTotal += cumulativeAmount;
  }
  cumulative.sort((a, b) => compareStrings(a.account, b.account));

  return {
    epoch,
    pool,
    lines,
    // fromEntries defines own properties, so even a module named '__proto__' is a plain key.
    moduleTotals: Object.fromEntries(moduleTotals),
    epochTotal,
    dust: pool - epochTotal,
    cumulative,
    cumulativeTotal,
  };
}

interface NormalisedModule {
  module: string;
  weight: bigint;
  /** The module's lines, sorted by deviceId, amounts still 0 (filled in by computeRewards). */
  lines: RewardLine[];
  scoreSum: bigint;
}

const DEVICE_ID = /^0x[0-9a-fA-F]+$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function normaliseModule(m: ModuleScores, index: number): NormalisedModule {
  const path = `modules[${index}]`;
  if (m === null || typeof m !== 'object') throw new RewardInputInvalidError(path, 'an object', m);
  if (typeof m.module !== 'string' || m.module.length === 0) {
    throw new RewardInputInvalidError(`${path}.module`, 'a non-empty string', m.module);
  }
  if (typeof m.weight !== 'bigint' || m.weight < 0n) {
    throw new RewardInputInvalidError(`${path}.weight`, 'a bigint >= 0', m.weight);
  }
  if (!Array.isArray(m.devices)) throw new RewardInputInvalidError(`${path}.devices`, 'an array', m.devices);

  // Scorers may share one detail object among devices with equal facts (uptime does):
  // within this call, an object already normalised is not checked again.
  const normalised = {
    input: undefined as RewardDetail | undefined,
    output: undefined as RewardDetail | undefined,
  };
  const lines = m.devices.map((d, i) => lineOf(m.module, d, path, i, normalised));
  // Scorers usually return devices in id order already: sort only when not.
  let sorted = true;
  for (let i = 1; i < lines.length && sorted; i++)
    if (lines[i - 1]!.deviceId > lines[i]!.deviceId) sorted = false;
  if (!sorted) lines.sort((a, b) => compareStrings(a.deviceId, b.deviceId));
  let scoreSum = 0n;
  for (let i = 0; i < lines.length; i++) {
    if (i > 0 && lines[i]!.deviceId === lines[i - 1]!.deviceId) {
      throw new RewardDuplicateDeviceError(m.module, lines[i]!.deviceId);
    }
    scoreSum += lines[i]!.score;
  }
  return { module: m.module, weight: m.weight, lines, scoreSum };
}

/** The validated, lowercased line of one device, amount 0 for now. */
function lineOf(
  module: string,
  d: DeviceScore,
  modulePath: string,
  index: number,
  last: { input: RewardDetail | undefined; output: RewardDetail | undefined },
): RewardLine {
  // Paths are built only on error (no closure, no string per device): a million of
  // either would cost more than the rest.
  if (d === null || typeof d !== 'object')
    throw new RewardInputInvalidError(devicePath(modulePath, index), 'an object', d);
  if (typeof d.deviceId !== 'string' || !DEVICE_ID.test(d.deviceId)) {
    throw new RewardInputInvalidError(
      `${devicePath(modulePath, index)}.deviceId`,
      '0x-prefixed hex',
      d.deviceId,
    );
  }
  if (typeof d.beneficiary !== 'string' || !ADDRESS.test(d.beneficiary)) {
    throw new RewardInputInvalidError(
      `${devicePath(modulePath, index)}.beneficiary`,
      'a 0x-prefixed 20-byte hex address',
      d.beneficiary,
    );
  }
  if (typeof d.score !== 'bigint' || d.score < 0n) {
    throw new RewardInputInvalidError(`${devicePath(modulePath, index)}.score`, 'a bigint >= 0', d.score);
  }
  if (typeof d.reason !== 'string')
    throw new RewardInputInvalidError(`${devicePath(modulePath, index)}.reason`, 'a string', d.reason);
  const line: RewardLine = {
    deviceId: d.deviceId.toLowerCase() as `0x${string}`,
    module,
    beneficiary: d.beneficiary.toLowerCase() as `0x${string}`,
    score: d.score,
    amount: 0n,
    reason: d.reason,
  };
  if (d.detail !== undefined) {
    if (d.detail !== last.input) {
      last.output = normaliseDetail(d.detail, modulePath, index);
      last.input = d.detail;
    }
    line.detail = last.output;
  }
  return line;
}

function devicePath(modulePath: string, index: number): string {
  return `${modulePath}.devices[${index}]`;
}

/** A copy with keys in sorted order, so that key order in the input cannot change the output. */
function normaliseDetail(detail: RewardDetail, modulePath: string, index: number): RewardDetail {
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    throw new RewardInputInvalidError(`${devicePath(modulePath, index)}.detail`, 'an object', detail);
  }
  // Fast path: keys already sorted, values valid, no −0 — the detail is its own normal form.
  const keys = Object.keys(detail);
  let normal = true;
  for (let i = 0; i < keys.length && normal; i++) {
    const value = detail[keys[i]!];
    normal =
      (i === 0 || keys[i - 1]! < keys[i]!) &&
      (typeof value === 'string' ||
        (typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0)));
  }
  if (normal && Object.getPrototypeOf(detail) === Object.prototype) return detail;
  const entries = Object.entries(detail).sort(([a], [b]) => compareStrings(a, b));
  for (const [key, value] of entries) {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      // NaN and ±Infinity would not survive JSON, and the bundle is JSON.
      throw new RewardInputInvalidError(
        `${devicePath(modulePath, index)}.detail.${key}`,
        'a string or a finite number',
        value,
      );
    }
  }
  // JSON has no −0: store 0, so that the bundle round-trips exactly.
  return Object.fromEntries(entries.map(([key, value]) => [key, Object.is(value, -0) ? 0 : value]));
}

function normalisePrevious(previous: Readonly<Record<string, bigint>>): Map<string, bigint> {
  if (previous === null || typeof previous !== 'object' || Array.isArray(previous)) {
    throw new RewardInputInvalidError('previousCumulative', 'an object', previous);
  }
  const result = new Map<string, bigint>();
  const keys = Object.keys(previous);
  for (const key of keys) {
    const amount = previous[key];
    if (!ADDRESS.test(key)) {
      throw new RewardInputInvalidError(previousPath(key), 'keyed by a 20-byte hex address', key);
    }
    if (typeof amount !== 'bigint' || amount < 0n) {
      throw new RewardInputInvalidError(previousPath(key), 'a bigint >= 0', amount);
    }
    result.set(key.toLowerCase(), amount);
  }
  if (result.size !== keys.length) {
    // Two keys differ only in letter case: find the second, for the message.
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key.toLowerCase())) {
        throw new RewardInputInvalidError(
          previousPath(key),
          'the only key for its account (keys are case-insensitive)',
          key,
        );
      }
      seen.add(key.toLowerCase());
    }
  }
  return result;
}

function previousPath(key: string): string {
  return `previousCumulative[${JSON.stringify(key)}]`;
}

/** Plain code-unit order (not locale order): the same on every machine. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
