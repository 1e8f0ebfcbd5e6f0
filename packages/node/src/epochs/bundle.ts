/**
 * The epoch bundle: the published record of how an epoch's rewards were
 * computed, and the pure function that computes them. Isomorphic — no Node
 * built-ins — so the dashboard re-runs epochs in the browser with this file.
 *
 * On disk a bundle is JSON Lines (docs/REWARDS.md §4): a header line, then
 * per module its inputs and one line per device, then the previous and the
 * new cumulative amounts. Every line is RFC 8785 canonical JSON, so the bytes
 * are fixed by the content and the bundle hash is SHA-256 over the file.
 * Written and hashed in chunks, never as one string: at a million devices a
 * bundle is a few hundred megabytes.
 *
 * @module
 */
import { canonicalize } from '@groundwork/protocol/canonical';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Address, Hex } from 'viem';
import { BaseError } from '../internal/errors.ts';
import type { EpochWindow, GroundworkModule, ModuleDeviceScore, Params } from '../modules/types.ts';
import {
  type ComputeRewardsOutput,
  computeRewards,
  type DeviceScore,
  type RewardDetail,
  type SerializedRewardOutput,
} from '../rewards/computeRewards.ts';
import { buildRewardTree } from '../rewards/merkle.ts';

export const BUNDLE_FORMAT = 'groundwork-epoch-bundle/2';

/** Everything needed to re-run an epoch, as an object (what {@link parseBundle} returns). */
export interface EpochBundle {
  format: typeof BUNDLE_FORMAT;
  chainId: number;
  contracts: { distributor: Address; parameters: Address; schedule: Address; registry: Address };
  epoch: number;
  window: { startMs: number; endMs: number };
  /** Block at which `params` were read (ParameterRegistry state). */
  paramsBlock: number;
  params: Record<string, string>;
  /** The epoch's emission, EmissionSchedule.poolOf(epoch). */
  pool: string;
  /** SHA-256 over the epoch's accepted envelopes, see docs/REWARDS.md. */
  inputsDigest: Hex;
  envelopeCount: number;
  /**
   * The part length of `inputsDigest` in ms (docs/REWARDS.md §4). Absent in
   * bundles written before parts, whose digest hashes the lines directly.
   */
  inputsDigestPartMs?: number;
  modules: {
    id: string;
    weight: string;
    /** Every active device of the module at close with the account it pays, sorted by id. */
    devices: readonly { deviceId: string; beneficiary: string }[];
    /** The module's scoring inputs, as collected from the store. */
    inputs: unknown;
  }[];
  previousCumulative: { account: string; cumulativeAmount: string }[];
  result: SerializedRewardOutput;
  root: Hex;
  /** Cumulative total of the tree (sum of all leaves). */
  total: string;
}

export type BundleInputs = Omit<EpochBundle, 'result' | 'root' | 'total'>;

/** A bundle that cannot be read: not JSON Lines of the documented shape. */
export class BundleInvalidError extends BaseError {
  constructor(message: string) {
    super('BUNDLE_INVALID', message);
  }
}

/** The parameters of a bundle as the map modules read. */
export function bundleParams(b: Pick<EpochBundle, 'params'>): Params {
  return new Map(Object.entries(b.params).map(([k, v]) => [k, BigInt(v)]));
}

/**
 * Computes an epoch from its inputs — the one function both the epoch closer
 * and `verify-epoch` call, so that re-running a bundle is the same code path
 * as producing it. Pure: no I/O, no clock.
 *
 * Throws when a module's `score` does not return exactly one score per device
 * it was given (the bundle pairs every device with its line).
 */
export function computeEpoch(
  inputs: BundleInputs,
  modules: readonly GroundworkModule[],
): {
  output: ComputeRewardsOutput;
  root: Hex;
  total: bigint;
} {
  const params = bundleParams(inputs);
  const window: EpochWindow = { epoch: inputs.epoch, ...inputs.window };
  const byId = new Map(modules.map((m) => [m.id, m]));
  const moduleScores = inputs.modules.map((m) => {
    const module = byId.get(m.id);
    if (!module) throw new Error(`bundle names module ${m.id}, which this installation does not have`);
    const ids = new Array<string>(m.devices.length);
    for (let i = 0; i < m.devices.length; i++) ids[i] = m.devices[i]!.deviceId;
    // Scorers normally answer in the order they were asked; the map is built only when not.
    let beneficiary: Map<string, string> | undefined;
    const beneficiaryOf = (deviceId: string, i: number): string | undefined => {
      if (m.devices[i]?.deviceId === deviceId) return m.devices[i]!.beneficiary;
      beneficiary ??= new Map(m.devices.map((d) => [d.deviceId, d.beneficiary]));
      return beneficiary.get(deviceId);
    };
    const scores = module.score({
      window,
      inputs: m.inputs as Record<string, unknown> | unknown[],
      devices: ids,
      params,
    });
    if (scores.length !== m.devices.length)
      throw new Error(`module ${m.id} scored ${scores.length} of its ${m.devices.length} devices`);
    // A plain loop, no spreads, no copies: this runs once per device, a million times at
    // national scale. Each score object the module returned becomes the DeviceScore
    // (the interface lets the core extend them) by gaining its beneficiary.
    const devices = scores as unknown as DeviceScore[];
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]! as ModuleDeviceScore & { beneficiary?: string };
      const b = beneficiaryOf(s.deviceId, i);
      if (b === undefined) throw new Error(`module ${m.id} scored ${s.deviceId}, which is not its device`);
      s.beneficiary = b;
    }
    return { module: m.id, weight: BigInt(m.weight), devices };
  });
  const previousCumulative: Record<string, bigint> = {};
  for (const p of inputs.previousCumulative)
    previousCumulative[p.account.toLowerCase()] = BigInt(p.cumulativeAmount);
  const output = computeRewards({
    epoch: inputs.epoch,
    pool: BigInt(inputs.pool),
    modules: moduleScores,
    previousCumulative,
  });
  const tree = buildRewardTree(output.cumulative);
  return { output, root: tree.root, total: output.cumulativeTotal };
}

/** A computed epoch's result, with amounts as bigints (computeRewards) or decimal strings (a parsed bundle). */
export interface BundleResult {
  lines: readonly {
    deviceId: string;
    module: string;
    beneficiary: string;
    score: bigint | string;
    amount: bigint | string;
    reason: string;
    detail?: RewardDetail;
  }[];
  moduleTotals: Readonly<Record<string, bigint | string>>;
  epochTotal: bigint | string;
  dust: bigint | string;
  cumulative: readonly { account: string; cumulativeAmount: bigint | string }[];
}

/** Device lines per chunk yielded by {@link bundleChunks}. */
const LINES_PER_CHUNK = 8192;

/**
 * The bundle's bytes, as text chunks (each ends with a newline), in order:
 * concatenated they are the file whose SHA-256 is the bundle hash. Built from
 * the inputs and the result computed from them; the result's lines must be
 * computeRewards' (sorted by module then device, details normalised).
 *
 * Line 1, the header (an object): format, chainId, contracts, epoch, window,
 * paramsBlock, params, pool, modules (`id`, `weight`, `devices` — how many
 * device lines follow its inputs — and `total`, sorted by id),
 * previousCumulative and cumulative (line counts), epochTotal, dust, root,
 * total. Then for each module of the header: one line with its inputs, then
 * one line per device sorted by id:
 * `[deviceId, beneficiary, score, amount, reason, detail | null]`. Then the
 * previous cumulative amounts and the new ones, one `[account, amount]` line
 * each, sorted by account. Last, the trailer: `{envelopeCount, inputsDigest}`
 * — last so that a node can write everything else while the digest runs.
 */
export function* bundleChunks(inputs: BundleInputs, result: BundleResult, root: Hex): Generator<string> {
  yield* bundleBodyChunks(inputs, result, root);
  yield bundleTrailer(inputs);
}

/** The trailer line of a bundle: its inputs digest and envelope count. */
export function bundleTrailer(
  d: Pick<BundleInputs, 'inputsDigest' | 'envelopeCount' | 'inputsDigestPartMs'>,
): string {
  return `${canonicalize({
    envelopeCount: d.envelopeCount,
    inputsDigest: d.inputsDigest,
    ...(d.inputsDigestPartMs !== undefined ? { inputsDigestPartMs: d.inputsDigestPartMs } : {}),
  })}\n`;
}

/** Every line of the bundle but the trailer (see {@link bundleChunks}); needs no digest. */
export function* bundleBodyChunks(
  inputs: Omit<BundleInputs, 'inputsDigest' | 'envelopeCount'>,
  result: BundleResult,
  root: Hex,
): Generator<string> {
  const modules = [...inputs.modules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const counts = new Map<string, number>();
  for (const l of result.lines) counts.set(l.module, (counts.get(l.module) ?? 0) + 1);
  for (const m of modules) {
    if ((counts.get(m.id) ?? 0) !== m.devices.length)
      throw new Error(`module ${m.id} has ${m.devices.length} devices but ${counts.get(m.id) ?? 0} lines`);
  }
  const total = result.cumulative.reduce((s, c) => s + BigInt(c.cumulativeAmount), 0n);
  const header = {
    format: BUNDLE_FORMAT,
    chainId: inputs.chainId,
    contracts: inputs.contracts,
    epoch: inputs.epoch,
    window: inputs.window,
    paramsBlock: inputs.paramsBlock,
    params: inputs.params,
    pool: inputs.pool,
    modules: modules.map((m) => ({
      id: m.id,
      weight: m.weight,
      devices: m.devices.length,
      total: String(result.moduleTotals[m.id] ?? 0n),
    })),
    previousCumulative: inputs.previousCumulative.length,
    cumulative: result.cumulative.length,
    epochTotal: String(result.epochTotal),
    dust: String(result.dust),
    root,
    total: total.toString(),
  };
  yield `${canonicalize(header)}\n`;

  let at = 0;
  let lastReason: string | undefined;
  let lastReasonJson = '';
  let lastDetail: RewardDetail | undefined | null = null;
  let lastDetailJson = '';
  for (const m of modules) {
    yield `${canonicalize(m.inputs)}\n`;
    const end = at + m.devices.length;
    while (at < end) {
      const stop = Math.min(end, at + LINES_PER_CHUNK);
      let chunk = '';
      for (; at < stop; at++) {
        const l = result.lines[at]!;
        if (l.module !== m.id) throw new Error(`line ${at} belongs to ${l.module}, expected ${m.id}`);
        // Hex ids, decimal amounts and a normalised detail (sorted keys, strings and finite
        // numbers): JSON.stringify writes exactly their RFC 8785 form. Neighbours often
        // share a reason and a detail object: those are written once and reused.
        if (l.reason !== lastReason) {
          lastReason = l.reason;
          lastReasonJson = JSON.stringify(l.reason);
        }
        if (l.detail !== lastDetail) {
          lastDetail = l.detail;
          lastDetailJson = l.detail === undefined ? 'null' : JSON.stringify(l.detail);
        }
        chunk += `["${l.deviceId}","${l.beneficiary}","${l.score}","${l.amount}",${lastReasonJson},${lastDetailJson}]\n`;
      }
      yield chunk;
    }
  }
  yield* pairChunks(inputs.previousCumulative);
  yield* pairChunks(result.cumulative);
}

function* pairChunks(entries: readonly { account: string; cumulativeAmount: bigint | string }[]) {
  for (let i = 0; i < entries.length; i += LINES_PER_CHUNK) {
    let chunk = '';
    const stop = Math.min(entries.length, i + LINES_PER_CHUNK);
    for (let j = i; j < stop; j++) chunk += `["${entries[j]!.account}","${entries[j]!.cumulativeAmount}"]\n`;
    yield chunk;
  }
}

/** The whole bundle as one string (small epochs, tests). */
export function bundleText(inputs: BundleInputs, result: BundleResult, root: Hex): string {
  let s = '';
  for (const chunk of bundleChunks(inputs, result, root)) s += chunk;
  return s;
}

/** The bundle hash the oracles sign: SHA-256 of the bundle's bytes, 0x-prefixed hex. */
export function hashBundleBytes(bytes: Uint8Array): Hex {
  let hex = '0x';
  for (const b of sha256(bytes)) hex += b.toString(16).padStart(2, '0');
  return hex as Hex;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX = /^0x[0-9a-f]+$/;

/**
 * Reads a bundle from its lines (the text split at newlines, without them; a
 * trailing empty line is ignored). Checks the shape — counts, types, decimal
 * amounts — and throws {@link BundleInvalidError} naming the line; whether
 * the numbers are *right* is for `verifyBundle`, which re-runs the epoch.
 */
export function parseBundle(lines: readonly string[]): EpochBundle {
  let n = lines.length;
  if (n > 0 && lines[n - 1] === '') n--;
  let at = 0;
  const next = (what: string): unknown => {
    if (at >= n) throw new BundleInvalidError(`bundle ends at line ${at + 1}, expected ${what}`);
    try {
      return JSON.parse(lines[at++]!);
    } catch {
      throw new BundleInvalidError(`line ${at} is not JSON (expected ${what})`);
    }
  };
  const bad = (what: string): never => {
    throw new BundleInvalidError(`line ${at}: expected ${what}`);
  };
  const h = next('the header') as Record<string, unknown>;
  if (h === null || typeof h !== 'object' || h.format !== BUNDLE_FORMAT)
    throw new BundleInvalidError(
      `not a Groundwork epoch bundle (expected format ${BUNDLE_FORMAT} on line 1)`,
    );
  const count = (v: unknown, what: string) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad(what);
  const str = (v: unknown, what: string, re?: RegExp) =>
    typeof v === 'string' && (!re || re.test(v)) ? v : bad(what);
  const headerModules = Array.isArray(h.modules) ? (h.modules as Record<string, unknown>[]) : bad('modules');

  const modules: EpochBundle['modules'] = [];
  const lines_: SerializedRewardOutput['lines'] = [];
  const moduleTotals: Record<string, string> = {};
  for (const hm of headerModules) {
    const id = str(hm?.id, 'a module id');
    const devicesCount = count(hm.devices, `a device count for ${id}`);
    moduleTotals[id] = str(hm.total, `a decimal total for ${id}`, DECIMAL);
    const inputs = next(`the inputs of ${id}`);
    const devices = new Array<{ deviceId: string; beneficiary: string }>(devicesCount);
    for (let i = 0; i < devicesCount; i++) {
      const l = next(`device ${i + 1} of ${devicesCount} of ${id}`) as [
        string,
        string,
        string,
        string,
        string,
        RewardDetail | null,
      ];
      if (
        !Array.isArray(l) ||
        l.length !== 6 ||
        typeof l[0] !== 'string' ||
        !HEX.test(l[0]) ||
        typeof l[1] !== 'string' ||
        !HEX.test(l[1]) ||
        typeof l[2] !== 'string' ||
        !DECIMAL.test(l[2]) ||
        typeof l[3] !== 'string' ||
        !DECIMAL.test(l[3]) ||
        typeof l[4] !== 'string' ||
        !(l[5] === null || (typeof l[5] === 'object' && !Array.isArray(l[5])))
      )
        bad('[deviceId, beneficiary, score, amount, reason, detail | null]');
      const line: SerializedRewardOutput['lines'][number] = {
        deviceId: l[0],
        module: id,
        beneficiary: l[1],
        score: l[2],
        amount: l[3],
        reason: l[4],
      };
      if (l[5] !== null) line.detail = l[5] as RewardDetail;
      devices[i] = { deviceId: l[0], beneficiary: l[1] };
      lines_.push(line);
    }
    modules.push({ id, weight: str(hm.weight, `a decimal weight for ${id}`, DECIMAL), devices, inputs });
  }
  const pairs = (k: number, what: string) => {
    const out: { account: string; cumulativeAmount: string }[] = new Array(k);
    for (let i = 0; i < k; i++) {
      const l = next(`${what} ${i + 1} of ${k}`) as [string, string];
      if (
        !Array.isArray(l) ||
        l.length !== 2 ||
        typeof l[0] !== 'string' ||
        !HEX.test(l[0]) ||
        typeof l[1] !== 'string' ||
        !DECIMAL.test(l[1])
      )
        bad('[account, amount]');
      out[i] = { account: l[0], cumulativeAmount: l[1] };
    }
    return out;
  };
  const previousCumulative = pairs(
    count(h.previousCumulative, 'previousCumulative: a count'),
    'previous amount',
  );
  const cumulative = pairs(count(h.cumulative, 'cumulative: a count'), 'cumulative amount');
  const trailer = next('the trailer {envelopeCount, inputsDigest}') as Record<string, unknown> | null;
  if (trailer === null || typeof trailer !== 'object' || Array.isArray(trailer))
    bad('the trailer {envelopeCount, inputsDigest}');
  if (at !== n) throw new BundleInvalidError(`line ${at + 1}: the bundle should have ended`);
  const total = str(h.total, 'total', DECIMAL);
  const w = h.window as { startMs?: unknown; endMs?: unknown } | undefined;
  return {
    format: BUNDLE_FORMAT,
    chainId: count(h.chainId, 'chainId'),
    contracts: h.contracts as EpochBundle['contracts'],
    epoch: count(h.epoch, 'epoch'),
    window: { startMs: count(w?.startMs, 'window.startMs'), endMs: count(w?.endMs, 'window.endMs') },
    paramsBlock: count(h.paramsBlock, 'paramsBlock'),
    params: h.params as Record<string, string>,
    pool: str(h.pool, 'pool', DECIMAL),
    inputsDigest: str(trailer!.inputsDigest, 'inputsDigest', HEX) as Hex,
    envelopeCount: count(trailer!.envelopeCount, 'envelopeCount'),
    ...(trailer!.inputsDigestPartMs !== undefined
      ? { inputsDigestPartMs: count(trailer!.inputsDigestPartMs, 'inputsDigestPartMs') }
      : {}),
    modules,
    previousCumulative,
    result: {
      epoch: count(h.epoch, 'epoch'),
      pool: str(h.pool, 'pool', DECIMAL),
      lines: lines_,
      moduleTotals,
      epochTotal: str(h.epochTotal, 'epochTotal', DECIMAL),
      dust: str(h.dust, 'dust', DECIMAL),
      cumulative,
      cumulativeTotal: total,
    },
    root: str(h.root, 'root', HEX) as Hex,
    total,
  };
}

/** Splits bundle text into its lines (for {@link parseBundle}). */
export function bundleLines(text: string): string[] {
  return text.split('\n');
}
