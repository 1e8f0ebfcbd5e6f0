import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  dataCreditsAbi,
  deviceRegistryAbi,
  groundTokenAbi,
  parameterRegistryAbi,
  rewardsDistributorAbi,
} from '@groundwork/abi';
import { type ChainClients, connectChain } from '@groundwork/node/chain/clients.ts';
import { readDeployment } from '@groundwork/node/chain/deployment.ts';
import { paramKeyFromBytes32, paramKeyToBytes32 } from '@groundwork/node/chain/params.ts';
import { BaseError } from '@groundwork/node/internal/errors.ts';
import { DEV_KEYS, loadSettings } from '@groundwork/node/internal/settings.ts';
import type { ModuleCommand } from '@groundwork/node/modules/types.ts';
import { type Address, type Hex, parseUnits } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { postPrice, tagToBytes32 } from './chain.ts';
import { DENY_PREFIX } from './params.ts';
import { runCoverageSim, type Scenario } from './sim/run.ts';
import { assertFeeRef, FEE_PURPOSE, onboardFeeRef } from './store/pipeline.ts';

const out = (s: string) => process.stdout.write(`${s}\n`);

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(
  args: string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new BaseError('USAGE', `${(err as Error).message}\nusage: ${usage}`);
  }
}

const intOf = (name: string, v: string | undefined, d: number) => {
  if (v === undefined) return d;
  if (!/^\d+$/.test(v)) throw new BaseError('USAGE', `--${name} takes a whole number, got "${v}"`);
  return Number(v);
};

/** `groundwork sim --module coverage …` */
export const simCommand: ModuleCommand = {
  summary: 'city of hotspots with cheaters; prints detection precision/recall and cheaters’ reward share',
  usage: '--scenario adversarial|honest [--seed n] [--hotspots n] [--cheaters share] [--json]',
  async run(argv) {
    const usage = simCommand.usage;
    const { values } = parse(
      argv,
      {
        scenario: { type: 'string' },
        seed: { type: 'string' },
        hotspots: { type: 'string' },
        cheaters: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    const scenario = (values.scenario ?? 'adversarial') as Scenario;
    if (scenario !== 'adversarial' && scenario !== 'honest')
      throw new BaseError('USAGE', `--scenario is adversarial or honest, got "${values.scenario}"`);
    const share = values.cheaters === undefined ? undefined : Number(values.cheaters);
    if (share !== undefined && !(share >= 0 && share <= 0.9))
      throw new BaseError('USAGE', `--cheaters is a share between 0 and 0.9, got "${values.cheaters}"`);
    const hotspots = intOf('hotspots', values.hotspots, 500);
    if (hotspots < 20 || hotspots > 5_000)
      throw new BaseError('USAGE', '--hotspots must be between 20 and 5000');
    const { detail, ...result } = runCoverageSim({
      seed: intOf('seed', values.seed, 1),
      scenario,
      hotspots,
      ...(share === undefined ? {} : { cheaterShare: share }),
    });
    if (values.json) out(JSON.stringify(result));
    else {
      out(`coverage simulation (${scenario}): ${result.hotspots} hotspots, ${result.cheaters} cheaters`);
      out(
        `  precision ${result.precision}  recall ${result.recall}  honest penalised ${result.honestPenalisedRate}`,
      );
      out(`  cheaters' share of the epoch's coverage rewards: ${result.cheaterRewardShare}`);
      for (const [kind, c] of Object.entries(result.byCheat))
        out(`  ${kind.padEnd(16)} ${c.caught}/${c.count} caught`);
      out(
        `  honest flags: ${JSON.stringify(detail.honestFlags)}; ${detail.beacons} beacons, ${detail.witnesses} witness reports`,
      );
    }
    return 0;
  },
};

/** Where the local network of a data directory is: its API and RPC (from runtime.json), settings, deployment. */
function locate(values: {
  'data-dir'?: string | undefined;
  api?: string | undefined;
  rpc?: string | undefined;
}) {
  const settings = loadSettings(values['data-dir'] ? { dataDir: values['data-dir'] } : {});
  const runtimePath = join(settings.dataDir, 'runtime.json');
  const runtime = existsSync(runtimePath)
    ? (JSON.parse(readFileSync(runtimePath, 'utf8')) as { apiUrl?: string; rpcUrl?: string })
    : {};
  const api = values.api ?? runtime.apiUrl ?? `http://${settings.api.host}:${settings.api.port}`;
  const rpc =
    values.rpc ?? settings.chain.rpcUrl ?? runtime.rpcUrl ?? `http://127.0.0.1:${settings.chain.anvilPort}`;
  return { settings, api, rpc };
}

async function chainOf(values: { 'data-dir'?: string | undefined; rpc?: string | undefined }) {
  const { settings, rpc } = locate(values);
  const deployment = readDeployment(settings.dataDir);
  if (!deployment)
    throw new BaseError(
      'NETWORK_MISSING',
      `no deployment.json in ${settings.dataDir}: run groundwork up first`,
    );
  const credits = deployment.modules?.coverage?.DataCredits as Address | undefined;
  if (!credits)
    throw new BaseError('NETWORK_MISSING', 'this network has no DataCredits (coverage module not deployed)');
  const clients: ChainClients = await connectChain(rpc);
  return { settings, deployment, credits, clients };
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  const body = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok)
    throw new BaseError(body.error?.code ?? 'API_ERROR', body.error?.message ?? `${res.status} from ${url}`);
  return body;
}

const common = {
  'data-dir': { type: 'string' },
  api: { type: 'string' },
  rpc: { type: 'string' },
  json: { type: 'boolean' },
  'private-key': { type: 'string' },
} as const;

const keyOf = (v: string | undefined, fallback: Hex): Hex => {
  if (v === undefined) return fallback;
  if (!/^0x[0-9a-fA-F]{64}$/.test(v))
    throw new BaseError('USAGE', '--private-key takes a 0x-prefixed 32-byte hex key');
  return v as Hex;
};
const deviceArg = (v: string | undefined, usage: string): string => {
  if (!v || !/^0x[0-9a-fA-F]{64}$/.test(v))
    throw new BaseError('USAGE', `a 0x-prefixed 32-byte device id is needed\nusage: ${usage}`);
  return v.toLowerCase();
};

async function send(clients: ChainClients, hash: Hex) {
  const r = await clients.publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== 'success') throw new BaseError('TX_REVERTED', `transaction ${hash} reverted`);
}

/** `groundwork coverage <command>` */
export const coverageCommands: Record<string, ModuleCommand> = {
  hotspot: {
    summary: "a hotspot's verdicts, tests and reward lines with reasons",
    usage: '<deviceId> [--api url] [--data-dir dir] [--json]',
    async run(argv) {
      const usage = coverageCommands.hotspot!.usage;
      const { values, positionals } = parse(argv, common, usage);
      const id = deviceArg(positionals[0], usage);
      const { api } = locate(values);
      const base = `${api}/v1/modules/coverage/hotspots/${id}`;
      const [summary, verdicts, rewards] = await Promise.all([
        getJson(base),
        getJson(`${base}/verdicts?limit=50`),
        getJson(`${base}/rewards`),
      ]);
      if (values.json) {
        out(JSON.stringify({ summary, verdicts, rewards }));
        return 0;
      }
      const s = summary as {
        h3Cell: string;
        operator: string;
        denylisted: boolean;
        beacons: unknown;
        witnessReports: unknown;
      };
      out(`hotspot ${id}  cell ${s.h3Cell}  operator ${s.operator}${s.denylisted ? '  DENYLISTED' : ''}`);
      const v = verdicts as {
        beacons: { envelopeId: number; round: number; reason: string | null; status: string }[];
        witnessReports: {
          envelopeId: number;
          rssiDdbm: number;
          distanceM: number | null;
          reason: string | null;
          status: string;
        }[];
        sessions: { sessionId: string; reason: string }[];
        receipts: { counter: number; cumulativeBytes: number; reason: string }[];
      };
      out('beacons:');
      for (const b of v.beacons)
        out(`  #${b.envelopeId} round ${b.round}  ${b.reason ?? 'PENDING'} (${b.status})`);
      out('witness reports:');
      for (const w of v.witnessReports)
        out(
          `  #${w.envelopeId} ${w.rssiDdbm / 10} dBm at ${w.distanceM ?? '?'} m  ${w.reason ?? 'PENDING'} (${w.status})`,
        );
      if (v.sessions.length) out('sessions:');
      for (const x of v.sessions) out(`  ${x.sessionId.slice(0, 18)}…  ${x.reason}`);
      for (const x of v.receipts) out(`    receipt ${x.counter}: ${x.cumulativeBytes} bytes  ${x.reason}`);
      out('reward lines:');
      for (const l of (
        rewards as {
          lines: { epoch: number; amount: string; reason: string; detail: Record<string, unknown> | null }[];
        }
      ).lines)
        out(`  epoch ${l.epoch}: ${l.amount}  ${l.reason}  ${l.detail ? JSON.stringify(l.detail) : ''}`);
      return 0;
    },
  },

  buy: {
    summary: 'buy Data Credits by burning GRND at the oracle price',
    usage: '--tokens <GRND> [--to address] [--private-key hex] [--data-dir dir] [--rpc url]',
    async run(argv) {
      const usage = coverageCommands.buy!.usage;
      const { values } = parse(
        argv,
        { ...common, tokens: { type: 'string' }, to: { type: 'string' } },
        usage,
      );
      if (!values.tokens || !/^\d+(\.\d{1,18})?$/.test(values.tokens))
        throw new BaseError('USAGE', `--tokens takes an amount of GRND, e.g. 12.5\nusage: ${usage}`);
      const { deployment, credits, clients } = await chainOf(values);
      const key = keyOf(values['private-key'], DEV_KEYS[4] as Hex);
      const payer = privateKeyToAccount(key).address;
      const to = (values.to ?? payer) as Address;
      const tokens = parseUnits(values.tokens, 18);
      const w = clients.walletFor(key);
      await send(
        clients,
        await w.writeContract({
          address: deployment.contracts.token,
          abi: groundTokenAbi,
          functionName: 'approve',
          args: [credits, tokens],
        }),
      );
      const quote = (await clients.publicClient.readContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'creditsForTokens',
        args: [tokens],
      })) as bigint;
      const hash = await w.writeContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'mint',
        args: [to, tokens, quote],
      });
      await send(clients, hash);
      out(
        values.json
          ? JSON.stringify({ tx: hash, payer, to, tokens: tokens.toString(), credits: quote.toString() })
          : `burned ${values.tokens} GRND for ${quote} credits to ${to} in ${hash}`,
      );
      return 0;
    },
  },

  balance: {
    summary: "an account's Data Credits and its credit history",
    usage: '<address> [--api url] [--data-dir dir] [--json]',
    async run(argv) {
      const usage = coverageCommands.balance!.usage;
      const { values, positionals } = parse(argv, common, usage);
      const a = positionals[0];
      if (!a || !/^0x[0-9a-fA-F]{40}$/.test(a))
        throw new BaseError('USAGE', `an address is needed\nusage: ${usage}`);
      const body = (await getJson(`${locate(values).api}/v1/modules/coverage/credits/${a}`)) as {
        balance: string;
        events: { name: string; amount: string; blockTime: number }[];
      };
      if (values.json) out(JSON.stringify(body));
      else {
        out(`${a}: ${body.balance} credits`);
        for (const e of body.events) out(`  ${new Date(e.blockTime).toISOString()} ${e.name} ${e.amount}`);
      }
      return 0;
    },
  },

  'pay-fees': {
    summary: "pay a hotspot's onboarding and location fees in credits (from the operator's credits)",
    usage: '<deviceId> [--private-key hex] [--data-dir dir] [--rpc url]',
    async run(argv) {
      const usage = coverageCommands['pay-fees']!.usage;
      const { values, positionals } = parse(argv, common, usage);
      const id = deviceArg(positionals[0], usage);
      const { deployment, credits, clients } = await chainOf(values);
      const key = keyOf(values['private-key'], DEV_KEYS[4] as Hex);
      const pr = deployment.contracts.parameters;
      const get = async (k: string) =>
        (await clients.publicClient.readContract({
          address: pr,
          abi: parameterRegistryAbi,
          functionName: 'get',
          args: [paramKeyToBytes32(k)],
        })) as bigint;
      const device = (await clients.publicClient.readContract({
        address: deployment.contracts.registry,
        abi: deviceRegistryAbi,
        functionName: 'deviceOf',
        args: [BigInt(id)],
      })) as { h3Cell: bigint };
      const cell = device.h3Cell.toString(16);
      const w = clients.walletFor(key);
      const onboard = await w.writeContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'spend',
        args: [await get('coverage.onboardFee'), tagToBytes32(FEE_PURPOSE.onboard), onboardFeeRef(id)],
      });
      await send(clients, onboard);
      const assert = await w.writeContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'spend',
        args: [await get('coverage.assertFee'), tagToBytes32(FEE_PURPOSE.assert), assertFeeRef(id, cell)],
      });
      await send(clients, assert);
      out(`paid onboarding (${onboard}) and location fees for cell ${cell} (${assert})`);
      return 0;
    },
  },

  price: {
    summary: 'show the credit price, or post a new one signed by this network’s local oracle keys',
    usage: '[--usd price] [--data-dir dir] [--rpc url]',
    async run(argv) {
      const usage = coverageCommands.price!.usage;
      const { values } = parse(argv, { ...common, usd: { type: 'string' } }, usage);
      const { settings, deployment, credits, clients } = await chainOf(values);
      if (values.usd !== undefined) {
        if (!/^\d+(\.\d{1,8})?$/.test(values.usd))
          throw new BaseError('USAGE', '--usd takes a price such as 0.42');
        const threshold = (await clients.publicClient.readContract({
          address: deployment.contracts.distributor,
          abi: rewardsDistributorAbi,
          functionName: 'threshold',
        })) as bigint;
        const tx = await postPrice({
          clients,
          credits,
          oracleKeys: settings.oracleKeys as Hex[],
          threshold: Number(threshold),
          submitterKey: settings.deployerKey as Hex,
          priceE8: parseUnits(values.usd, 8),
        });
        out(tx ? `price set in ${tx}` : 'price not newer than the current one; try again in a second');
      }
      const [p, ts] = (await clients.publicClient.readContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'price',
      })) as [bigint, bigint];
      out(
        `$${Number(p) / 1e8} per GRND, observed ${new Date(Number(ts) * 1000).toISOString()}; a credit is $0.00001`,
      );
      return 0;
    },
  },

  deny: {
    summary: 'denylist a hotspot (or --remove it) through the governed parameters; owner key',
    usage: '<deviceId> [--remove] [--private-key hex] [--data-dir dir] [--rpc url]',
    async run(argv) {
      const usage = coverageCommands.deny!.usage;
      const { values, positionals } = parse(argv, { ...common, remove: { type: 'boolean' } }, usage);
      const id = deviceArg(positionals[0], usage);
      const { settings, deployment, clients } = await chainOf(values);
      const pr = deployment.contracts.parameters;
      const keys = (await clients.publicClient.readContract({
        address: pr,
        abi: parameterRegistryAbi,
        functionName: 'keys',
      })) as Hex[];
      const slots = new Map<string, bigint>();
      for (const k of keys) {
        const name = paramKeyFromBytes32(k);
        if (!name.startsWith(DENY_PREFIX)) continue;
        slots.set(
          name,
          (await clients.publicClient.readContract({
            address: pr,
            abi: parameterRegistryAbi,
            functionName: 'get',
            args: [k],
          })) as bigint,
        );
      }
      const target = BigInt(id);
      let key: string | undefined;
      let value: bigint;
      if (values.remove) {
        key = [...slots].find(([, v]) => v === target)?.[0];
        if (!key) throw new BaseError('NOT_DENYLISTED', `${id} is not on the denylist`);
        value = 0n;
      } else {
        if ([...slots.values()].includes(target))
          throw new BaseError('ALREADY_DENYLISTED', `${id} is already denylisted`);
        key = [...slots].find(([, v]) => v === 0n)?.[0] ?? `${DENY_PREFIX}${slots.size}`;
        value = target;
      }
      const w = clients.walletFor(keyOf(values['private-key'], settings.deployerKey as Hex));
      const hash = await w.writeContract({
        address: pr,
        abi: parameterRegistryAbi,
        functionName: 'set',
        args: [paramKeyToBytes32(key), value],
      });
      await send(clients, hash);
      out(`${values.remove ? 'removed' : 'denylisted'} ${id} (${key}) in ${hash}`);
      return 0;
    },
  },
};
