import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BaseError } from '@groundwork/node';
import type { Hex } from 'viem';

/** Parses a command's flags strictly; bad flags are a USAGE error with the usage line. */
export function parseFlags<T extends Record<string, { type: 'string' | 'boolean' }>>(
  argv: string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new BaseError('USAGE', `${(err as Error).message}\nusage: ${usage}`);
  }
}

/** The API of the running local network: `--api`, else `<data-dir>/runtime.json` written by `groundwork up`. */
export function resolveApi(api: string | undefined, dataDir: string | undefined): string {
  if (api) return api.replace(/\/+$/, '');
  const file = join(resolve(dataDir ?? '.groundwork'), 'runtime.json');
  if (!existsSync(file))
    throw new BaseError(
      'NO_NODE',
      `no running node: ${file} not found; start one with groundwork up, or pass --api <url>`,
    );
  const r = JSON.parse(readFileSync(file, 'utf8')) as { apiUrl?: string; rpcUrl?: string };
  if (!r.apiUrl) throw new BaseError('NO_NODE', `${file} names no apiUrl`);
  return r.apiUrl;
}

/** The chain of the running local network, from `<data-dir>/runtime.json`. */
export function resolveRpc(rpc: string | undefined, dataDir: string | undefined): string | undefined {
  if (rpc) return rpc;
  const file = join(resolve(dataDir ?? '.groundwork'), 'runtime.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { rpcUrl?: string }).rpcUrl;
}

/** The account key a command signs in with: `--private-key`, or `--private-key-file` (keeps it out of shell history). */
export function resolveKey(key: string | undefined, keyFile: string | undefined): Hex | undefined {
  const raw = key ?? (keyFile ? readFileSync(keyFile, 'utf8').trim() : undefined);
  if (raw === undefined) return undefined;
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) throw new BaseError('USAGE', 'a private key is 0x + 64 hex digits');
  return raw as Hex;
}
