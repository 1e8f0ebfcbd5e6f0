import { parseArgs } from 'node:util';
import { BaseError, type GroundworkModule, loadModules } from '@groundwork/node';
import { claimCommand } from './commands/claim.ts';
import { nodeCommand } from './commands/node.ts';
import { upCommand } from './commands/up.ts';
import { verifyEpochCommand } from './commands/verifyEpoch.ts';

export const USAGE = `groundwork — run and check a Groundwork DePIN network

Usage:
  groundwork up [options]                 start a local network: anvil, contracts, node, simulated fleet
  groundwork verify-epoch <bundle.jsonl>  re-run an epoch from its bundle and the chain; exit 1 on mismatch
  groundwork claim --account <address>    claim what an account is owed (anyone may relay a claim)
  groundwork node [--role all|ingest]     a node process for an existing network (scale-out ingest workers)
  groundwork sim --module <id> [options]  run a module's simulation (see the module's docs)
  groundwork help                         this text

Options of up:
  --data-dir <dir>        where the chain state, database and bundles live (default ./.groundwork)
  --port <n>              API port (default 8787; 0 picks a free one)
  --chain-port <n>        local anvil port (default 8545; 0 picks a free one)
  --rpc <url>             use this chain instead of a local anvil
  --devices <n>           simulated devices (default 50; 0 runs no fleet)
  --epoch-seconds <s>     epoch length of a new network (default 3600)
  --epochs <k>            with --exit: how many epochs to run
  --exit                  run --epochs epochs, have operators claim, print a summary, exit
  --json                  print the summary as one JSON object on stdout
  --seed <text>           fleet seed (default "groundwork")
  --log-level <level>     node log level (log file: <data-dir>/node.log)
  --modules <a,b,…>       run only these modules (default: every folder in modules/)

Options of node:
  --role all|ingest       all: the whole node; ingest: HTTP + MQTT ingest only, into the shared store
  --rpc <url>             the network's chain (or RPC_URL); DATABASE_URL for PostgreSQL, MQTT_URL for a broker
  --mqtt-url <url>        external broker (shared subscription $share/groundwork/groundwork/v1/+/up)
  --client-id <id>        this worker's MQTT client id (stable across restarts; the broker keeps its session)
  --data-dir <dir>        holds the network's deployment.json
  --port <n>              API port

Options of verify-epoch:
  --rpc <url>             chain to check against (default: the local network of --data-dir)
  --data-dir <dir>        local network whose chain to use when --rpc is not given
  --json                  print the report as JSON

Options of claim:
  --account <address>     beneficiary to claim for
  --api <url>             node API (default: the running local network of --data-dir)
  --rpc <url>             chain (default: from the node's /v1/status)
  --private-key <hex>     key that sends the transaction (default: a local development key)
`;

/** The commands modules add, for the help text. */
function moduleUsage(modules: GroundworkModule[]): string {
  const lines: string[] = [];
  for (const m of modules) {
    if (m.cli?.simulate)
      lines.push(
        `  groundwork sim --module ${m.id} ${m.cli.simulate.usage}`.padEnd(44) + ' ' + m.cli.simulate.summary,
      );
    for (const [name, c] of Object.entries(m.cli?.commands ?? {}))
      lines.push(`  groundwork ${m.id} ${name} ${c.usage}`.padEnd(44) + ' ' + c.summary);
    for (const [name, c] of Object.entries(m.cli?.topLevel ?? {}))
      lines.push(`  groundwork ${name} ${c.usage}`.padEnd(44) + ' ' + c.summary);
  }
  return lines.length > 0 ? `\nModule commands:\n${lines.join('\n')}\n` : '';
}

/** Runs one CLI invocation; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const builtIn = new Set(['up', 'verify-epoch', 'claim', 'node', 'help', '--help', '-h', undefined]);
    if (!builtIn.has(command)) {
      const modules = await loadModules();
      if (command === 'sim') {
        const at = rest.indexOf('--module');
        const id = at >= 0 ? rest[at + 1] : undefined;
        const m = modules.find((x) => x.id === id);
        if (!m?.cli?.simulate) {
          const have = modules.filter((x) => x.cli?.simulate).map((x) => x.id);
          throw new BaseError('USAGE', `sim needs --module <id>, one of: ${have.join(', ') || '(none)'}`);
        }
        return await m.cli.simulate.run(rest.filter((_, i) => i !== at && i !== at + 1));
      }
      const byId = modules.find((x) => x.id === command);
      if (byId) {
        const [sub, ...args] = rest;
        const c = sub ? byId.cli?.commands?.[sub] : undefined;
        if (!c)
          throw new BaseError('USAGE', `${command}: unknown command "${sub ?? ''}"\n${moduleUsage([byId])}`);
        return await c.run(args);
      }
      for (const m of modules) {
        const c = m.cli?.topLevel?.[command!];
        if (c) return await c.run(rest);
      }
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}${moduleUsage(modules)}`);
      return 2;
    }
    switch (command) {
      case 'up':
        return await upCommand(parse(rest, UP_OPTIONS).values);
      case 'verify-epoch': {
        const { values, positionals } = parse(rest, VERIFY_OPTIONS, true);
        if (positionals.length !== 1) throw new BaseError('USAGE', 'verify-epoch takes one bundle file');
        return await verifyEpochCommand(positionals[0]!, values);
      }
      case 'claim':
        return await claimCommand(parse(rest, CLAIM_OPTIONS).values);
      case 'node':
        return await nodeCommand(parse(rest, NODE_OPTIONS).values);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + moduleUsage(await loadModules()));
        return 0;
      default:
        return 2;
    }
  } catch (err) {
    if (err instanceof BaseError) {
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
      return err.code === 'USAGE' ? 2 : 1;
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

const UP_OPTIONS = {
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  'chain-port': { type: 'string' },
  rpc: { type: 'string' },
  devices: { type: 'string' },
  'epoch-seconds': { type: 'string' },
  epochs: { type: 'string' },
  exit: { type: 'boolean' },
  json: { type: 'boolean' },
  seed: { type: 'string' },
  'log-level': { type: 'string' },
  config: { type: 'string' },
  modules: { type: 'string' },
} as const;
const VERIFY_OPTIONS = {
  rpc: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;
const CLAIM_OPTIONS = {
  account: { type: 'string' },
  api: { type: 'string' },
  rpc: { type: 'string' },
  'private-key': { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

const NODE_OPTIONS = {
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  rpc: { type: 'string' },
  role: { type: 'string' },
  'mqtt-url': { type: 'string' },
  'client-id': { type: 'string' },
  'log-level': { type: 'string' },
} as const;
export type NodeOptions = ReturnType<typeof parse<typeof NODE_OPTIONS>>['values'];
export type UpOptions = ReturnType<typeof parse<typeof UP_OPTIONS>>['values'];
export type VerifyOptions = ReturnType<typeof parse<typeof VERIFY_OPTIONS>>['values'];
export type ClaimOptions = ReturnType<typeof parse<typeof CLAIM_OPTIONS>>['values'];

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(
  args: string[],
  options: T,
  positionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (err) {
    throw new BaseError('USAGE', `${(err as Error).message}\n\n${USAGE}`);
  }
}

/** Parses a non-negative integer flag, failing with the expected format. */
export function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new BaseError('USAGE', `--${name} takes a whole number, got "${value}"`);
  return Number(value);
}
