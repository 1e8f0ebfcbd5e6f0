import { readFileSync, writeFileSync } from 'node:fs';
import { BaseError, type ModuleCommand } from '@groundwork/node';
import { ApiError, type LogisticsClient, signIn, withToken } from '../client.ts';
import type { Proof } from '../proof.ts';
import { formatProofReport, rpcChainReader, verifyProofText } from '../verifyProof.ts';
import { parseFlags, resolveApi, resolveKey, resolveRpc } from './args.ts';

const AUTH_FLAGS = {
  api: { type: 'string' },
  'data-dir': { type: 'string' },
  'private-key': { type: 'string' },
  'private-key-file': { type: 'string' },
  token: { type: 'string' },
} as const;
const AUTH_USAGE =
  '[--api <url>] [--data-dir <dir>] (--private-key <hex> | --private-key-file <file> | --token <token>)';

async function client(values: {
  api?: string | undefined;
  'data-dir'?: string | undefined;
  'private-key'?: string | undefined;
  'private-key-file'?: string | undefined;
  token?: string | undefined;
}): Promise<LogisticsClient> {
  const api = resolveApi(values.api, values['data-dir']);
  if (values.token) return withToken(api, values.token);
  const key = resolveKey(values['private-key'], values['private-key-file']);
  if (!key)
    throw new BaseError(
      'USAGE',
      'shipment records are visible to their parties only: sign in with --private-key, --private-key-file or --token',
    );
  return signIn(api, key);
}

function apiFailure(err: unknown): never {
  if (err instanceof ApiError) throw new BaseError(err.code, err.message.replace(/^\d+ [A-Z_]+: /, ''));
  throw err;
}

const proofUsage = `<record-id> [--out <file>] ${AUTH_USAGE}`;
/** `groundwork logistics proof <record-id>`: fetch a record's inclusion proof from the running node into a file. */
export const proofCommand: ModuleCommand = {
  summary: "write a record's inclusion proof to a file (check it with verify-proof)",
  usage: proofUsage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { ...AUTH_FLAGS, out: { type: 'string' } }, proofUsage);
    const id = positionals[0];
    if (positionals.length !== 1 || !id || !/^0x[0-9a-fA-F]{64}$/.test(id))
      throw new BaseError(
        'USAGE',
        `proof takes one record id (0x + 64 hex digits)\nusage: groundwork logistics proof ${proofUsage}`,
      );
    const c = await client(values);
    const proof = await c.get<Proof>(`/records/${id.toLowerCase()}/proof`).catch(apiFailure);
    const out = values.out ?? `proof-${id.slice(2, 14).toLowerCase()}.json`;
    writeFileSync(out, `${JSON.stringify(proof, null, 2)}\n`);
    process.stdout.write(
      `wrote ${out}: ${String(proof.record.type)} anchored in batch ${proof.anchor.batch} (tx ${proof.anchor.tx})\n` +
        `check it with: groundwork verify-proof ${out} --rpc <url>\n`,
    );
    return 0;
  },
};

const reportUsage = `<shipment-id> [--out <report.html>] [--json <report.json>] [--no-verify] ${AUTH_USAGE}`;
/** `groundwork logistics report <shipment-id>`: the printable HTML report (and JSON) of a shipment. */
export const reportCommand: ModuleCommand = {
  summary: 'write a shipment report: printable HTML (map, temperature chart, hand-offs, breaches) and JSON',
  usage: reportUsage,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { ...AUTH_FLAGS, out: { type: 'string' }, json: { type: 'string' }, 'no-verify': { type: 'boolean' } },
      reportUsage,
    );
    const id = positionals[0];
    if (positionals.length !== 1 || !id || !/^0x[0-9a-fA-F]{64}$/.test(id))
      throw new BaseError(
        'USAGE',
        `report takes one shipment id\nusage: groundwork logistics report ${reportUsage}`,
      );
    const c = await client(values);
    const verify = values['no-verify'] ? 'false' : 'true';
    const html = await c
      .text(`/shipments/${id.toLowerCase()}/report.html?verify=${verify}`)
      .catch(apiFailure);
    const out = values.out ?? `report-${id.slice(2, 14).toLowerCase()}.html`;
    writeFileSync(out, html);
    process.stdout.write(`wrote ${out}\n`);
    if (values.json) {
      const report = await c.get(`/shipments/${id.toLowerCase()}/report?verify=${verify}`).catch(apiFailure);
      writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`wrote ${values.json}\n`);
    }
    return 0;
  },
};

const loginUsage = AUTH_USAGE.replace(' | --token <token>', '');
/** `groundwork logistics login`: sign in with Ethereum and print a session token for scripts. */
export const loginCommand: ModuleCommand = {
  summary: 'sign in with Ethereum (EIP-4361) and print a session token',
  usage: loginUsage,
  async run(argv) {
    const { values } = parseFlags(argv, AUTH_FLAGS, loginUsage);
    const c = await client({ ...values, token: undefined }).catch(apiFailure);
    process.stdout.write(`${c.token}\n`);
    return 0;
  },
};

const verifyUsage = '<proof.json> --rpc <url> [--anchor-registry <address>] [--json]';
/**
 * `groundwork verify-proof <file> --rpc <url>`: checks a proof with only the
 * file and the chain. Exit 0 when valid, 1 naming what failed.
 */
export const verifyProofCommand: ModuleCommand = {
  summary: 'check a logistics proof file against the chain; exit 1 naming what failed',
  usage: verifyUsage,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      {
        rpc: { type: 'string' },
        'anchor-registry': { type: 'string' },
        json: { type: 'boolean' },
        'data-dir': { type: 'string' },
      },
      verifyUsage,
    );
    if (positionals.length !== 1)
      throw new BaseError(
        'USAGE',
        `verify-proof takes one file\nusage: groundwork verify-proof ${verifyUsage}`,
      );
    const rpc = resolveRpc(values.rpc, values['data-dir']);
    if (!rpc)
      throw new BaseError(
        'USAGE',
        `verify-proof needs the chain: --rpc <url>\nusage: groundwork verify-proof ${verifyUsage}`,
      );
    let text: string;
    try {
      text = readFileSync(positionals[0]!, 'utf8');
    } catch (err) {
      throw new BaseError('FILE_UNREADABLE', `cannot read ${positionals[0]}: ${(err as Error).message}`);
    }
    const report = await verifyProofText(text, {
      chain: rpcChainReader(rpc),
      ...(values['anchor-registry'] ? { expectRegistry: values['anchor-registry'] } : {}),
    });
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatProofReport(report));
    return report.ok ? 0 : 1;
  },
};
