import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { emissionScheduleAbi, parameterRegistryAbi, rewardsDistributorAbi } from '@groundwork/abi';
import {
  type AnvilHandle,
  BaseError,
  buildRewardTree,
  bundleParams,
  computeEpoch,
  connectChain,
  type EpochBundle,
  hashBundle,
  loadModules,
  paramKeyFromBytes32,
  serializeRewardOutput,
  startAnvil,
} from '@groundwork/node';
import { canonicalize } from '@groundwork/protocol';
import type { Hex } from 'viem';
import type { VerifyOptions } from '../main.ts';
import { readRuntime } from '../runtime.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Finds the first differing reward line between two serialized results, for a useful message. */
function firstDifference(a: EpochBundle['result'], b: EpochBundle['result']): string {
  const n = Math.max(a.lines.length, b.lines.length);
  for (let i = 0; i < n; i++) {
    const x = canonicalize(a.lines[i] ?? null);
    const y = canonicalize(b.lines[i] ?? null);
    if (x !== y) return `line ${i}: bundle says ${y}, re-run gives ${x}`;
  }
  return 'totals or cumulative amounts differ';
}

/**
 * Re-runs an epoch from its bundle with the same code the node uses, and
 * checks it against the chain: root, bundle hash, pool, parameters and the
 * previous epoch's root. Returns every check; the command fails if any fails.
 */
export async function verifyBundle(bundle: EpochBundle, rpcUrl: string): Promise<Check[]> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const modules = await loadModules({ only: bundle.modules.map((m) => m.id) });

  // 1. Re-run: same inputs, same pure functions, same answer.
  const { epoch } = bundle;
  let rerunRoot: Hex | undefined;
  try {
    const { output, root, total } = computeEpoch(bundle, modules);
    rerunRoot = root;
    const again = serializeRewardOutput(output);
    const same = canonicalize(again) === canonicalize(bundle.result);
    check(
      'reward lines re-computed from inputs',
      same,
      same ? `${output.lines.length} lines match` : firstDifference(again, bundle.result),
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
  const clients = await connectChain(rpcUrl);
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
  const hash = hashBundle(bundle);
  check(
    'bundle hash signed by the oracle quorum',
    ev?.bundleHash === hash,
    `bundle ${hash}, chain ${ev?.bundleHash ?? 'no RootSubmitted event'}`,
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
  for (const ev of sets) {
    const a = ev.args as { key: Hex; value: bigint };
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
      'previous cumulative amounts match epoch ' + (epoch - 1) + "'s root",
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
  return checks;
}

/** `groundwork verify-epoch <bundle>`: exit 0 when every check passes, 1 otherwise. */
export async function verifyEpochCommand(file: string, opts: VerifyOptions): Promise<number> {
  if (!existsSync(file)) throw new BaseError('USAGE', `no such bundle file: ${file}`);
  let bundle: EpochBundle;
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8')) as EpochBundle;
  } catch (cause) {
    throw new BaseError('BUNDLE_INVALID', `${file} is not JSON`, { cause });
  }
  if (bundle.format !== 'groundwork-epoch-bundle/1')
    throw new BaseError('BUNDLE_INVALID', `${file} is not a Groundwork epoch bundle`);

  let anvil: AnvilHandle | undefined;
  let tmp: string | undefined;
  let rpcUrl = opts.rpc;
  if (!rpcUrl) {
    const dataDir = resolve(opts['data-dir'] ?? '.groundwork');
    const running = readRuntime(dataDir);
    if (running) rpcUrl = running.rpcUrl;
    else {
      // The local network is not running: replay its chain from a copy of the saved state.
      const state = join(dataDir, 'chain', 'state.json');
      if (!existsSync(state))
        throw new BaseError(
          'USAGE',
          `no chain to check against: pass --rpc, or --data-dir of a local network`,
        );
      tmp = mkdtempSync(join(tmpdir(), 'gw-verify-'));
      copyFileSync(state, join(tmp, 'state.json'));
      anvil = await startAnvil({ stateFile: join(tmp, 'state.json'), readOnly: true });
      rpcUrl = anvil.rpcUrl;
    }
  }
  try {
    const checks = await verifyBundle(bundle, rpcUrl);
    const ok = checks.every((c) => c.ok);
    if (opts.json) process.stdout.write(`${JSON.stringify({ epoch: bundle.epoch, ok, checks })}\n`);
    else {
      for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name} — ${c.detail}\n`);
      process.stdout.write(
        ok
          ? `epoch ${bundle.epoch}: MATCH — the root on chain is what the bundle computes\n`
          : `epoch ${bundle.epoch}: MISMATCH\n`,
      );
    }
    return ok ? 0 : 1;
  } finally {
    await anvil?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
