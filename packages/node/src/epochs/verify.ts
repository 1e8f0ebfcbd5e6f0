/**
 * `verify-epoch`: re-runs an epoch from its published bundle with the code
 * the node used, and checks it against the chain. Isomorphic — the CLI runs
 * it on a file, the dashboard in the browser on the bundle the node serves.
 *
 * @module
 */
import { emissionScheduleAbi, parameterRegistryAbi, rewardsDistributorAbi } from '@groundwork/abi';
import type { Hex } from 'viem';
import { connectChain } from '../chain/clients.ts';
import { paramKeyFromBytes32 } from '../chain/params.ts';
import type { GroundworkModule } from '../modules/types.ts';
import { buildRewardTree } from '../rewards/merkle.ts';
import { bundleChunks, bundleParams, computeEpoch, type EpochBundle, parseBundle } from './bundle.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const clip = (s: string | undefined) =>
  s === undefined ? '(no line)' : s.length > 240 ? `${s.slice(0, 240)}… (${s.length} chars)` : s;

/**
 * Compares the published lines with the bundle a re-run writes; returns the
 * first difference (1-based line number, both lines) or undefined.
 */
function firstDifference(published: readonly string[], rerun: Iterable<string>): string | undefined {
  let i = 0;
  for (const chunk of rerun) {
    const lines = chunk.split('\n');
    lines.pop(); // every chunk ends with a newline
    for (const line of lines) {
      if (published[i] !== line)
        return `line ${i + 1}: bundle says ${clip(published[i])}, re-run gives ${clip(line)}`;
      i++;
    }
  }
  const extra = published.length > i && !(published.length === i + 1 && published[i] === '');
  return extra ? `line ${i + 1}: the bundle goes on where the re-run ends` : undefined;
}

/**
 * Re-runs the epoch of the bundle given as `lines` (its text split at
 * newlines) whose bytes hash to `hash` (SHA-256, see `hashBundleBytes`), and
 * checks it against the chain at `rpcUrl`: the re-run must rewrite the bundle
 * line for line, and the chain must hold its root, the quorum-signed bundle
 * hash, its total, pool, parameters and previous root. Returns every check;
 * the epoch verifies when all pass. `modules` must include every module the
 * bundle names. Throws `BundleInvalidError` when the lines are not a bundle.
 */
export async function verifyBundle(o: {
  lines: readonly string[];
  hash: Hex;
  modules: readonly GroundworkModule[];
  rpcUrl: string;
  /** The lines already parsed, to save parsing them twice. */
  bundle?: EpochBundle;
}): Promise<{ bundle: EpochBundle; checks: Check[] }> {
  const bundle = o.bundle ?? parseBundle(o.lines);
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  // 1. Re-run: same inputs, same pure functions, the same bytes.
  const { epoch } = bundle;
  let rerunRoot: Hex | undefined;
  try {
    const { output, root, total } = computeEpoch(bundle, o.modules);
    rerunRoot = root;
    const diff = firstDifference(o.lines, bundleChunks(bundle, output, root));
    check(
      'bundle re-written from its inputs',
      diff === undefined,
      diff ?? `${output.lines.length} reward lines and ${output.cumulative.length} cumulative amounts match`,
    );
    check(
      'root re-computed from cumulative amounts',
      root === bundle.root,
      `re-run ${root}, bundle ${bundle.root}`,
    );
    check('cumulative total', total.toString() === bundle.total, `re-run ${total}, bundle ${bundle.total}`);
  } catch (err) {
    check('re-run', false, (err as Error).message);
  }

  // 2. Against the chain.
  const clients = await connectChain(o.rpcUrl);
  const pc = clients.publicClient;
  check(
    'chain id',
    clients.chain.id === bundle.chainId,
    `chain ${clients.chain.id}, bundle ${bundle.chainId}`,
  );
  const dist = bundle.contracts.distributor;
  const onChainRoot = (await pc.readContract({
    address: dist,
    abi: rewardsDistributorAbi,
    functionName: 'rootOf',
    args: [BigInt(epoch)],
  })) as Hex;
  check(
    'root on chain',
    onChainRoot.toLowerCase() === bundle.root.toLowerCase() && rerunRoot === bundle.root,
    `chain ${onChainRoot}`,
  );
  const logs = await pc.getContractEvents({
    address: dist,
    abi: rewardsDistributorAbi,
    eventName: 'RootSubmitted',
    args: { epoch: BigInt(epoch) },
    fromBlock: 0n,
  });
  const ev = logs[0]?.args as { bundleHash?: Hex; total?: bigint } | undefined;
  check(
    'bundle hash signed by the oracle quorum',
    ev?.bundleHash === o.hash,
    `bundle ${o.hash}, chain ${ev?.bundleHash ?? 'no RootSubmitted event'}`,
  );
  check(
    'total on chain',
    ev?.total?.toString() === bundle.total,
    `chain ${ev?.total ?? '?'}, bundle ${bundle.total}`,
  );
  const pool = (await pc.readContract({
    address: bundle.contracts.schedule,
    abi: emissionScheduleAbi,
    functionName: 'poolOf',
    args: [BigInt(epoch)],
  })) as bigint;
  check(
    'pool from EmissionSchedule',
    pool.toString() === bundle.pool,
    `chain ${pool}, bundle ${bundle.pool}`,
  );
  // Parameters in force at paramsBlock, replayed from ParameterSet events (works on
  // any node, archive or not, and is how the node itself learns them).
  const sets = await pc.getContractEvents({
    address: bundle.contracts.parameters,
    abi: parameterRegistryAbi,
    eventName: 'ParameterSet',
    fromBlock: 0n,
    toBlock: BigInt(bundle.paramsBlock),
  });
  const onChain = new Map<string, bigint>();
  for (const e of sets) {
    const a = e.args as { key: Hex; value: bigint };
    onChain.set(paramKeyFromBytes32(a.key), a.value);
  }
  const params = bundleParams(bundle);
  const differ = [...new Set([...params.keys(), ...onChain.keys()])].filter(
    (k) => params.get(k) !== onChain.get(k),
  );
  check(
    `parameters at block ${bundle.paramsBlock}`,
    differ.length === 0,
    differ.length === 0
      ? `${params.size} match ParameterRegistry`
      : `differ: ${differ.map((k) => `${k} bundle ${params.get(k)} chain ${onChain.get(k)}`).join(', ')}`,
  );
  if (epoch > 1) {
    const prevRoot = (await pc.readContract({
      address: dist,
      abi: rewardsDistributorAbi,
      functionName: 'rootOf',
      args: [BigInt(epoch - 1)],
    })) as Hex;
    const prevTree = buildRewardTree(
      bundle.previousCumulative.map((p) => ({
        account: p.account as Hex,
        cumulativeAmount: BigInt(p.cumulativeAmount),
      })),
    );
    check(
      `previous cumulative amounts match epoch ${epoch - 1}'s root`,
      prevTree.root === prevRoot,
      `tree ${prevTree.root}, chain ${prevRoot}`,
    );
  } else {
    check(
      'no previous cumulative amounts before epoch 1',
      bundle.previousCumulative.length === 0,
      `${bundle.previousCumulative.length} entries`,
    );
  }
  return { bundle, checks };
}
