import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { energyMarketAbi, testStableAbi } from '@groundwork/abi';
import { connectChain } from '@groundwork/node/chain/clients.ts';
import { BaseError } from '@groundwork/node/internal/errors.ts';
import { DEV_KEYS } from '@groundwork/node/internal/settings.ts';
import type { ModuleCommand } from '@groundwork/node/modules/types.ts';
import { type Address, type Hex, parseEventLogs } from 'viem';
import { type ClearingResult, clearMarket } from '../market/clear.ts';
import { type Order, signOrderBatch } from '../market/orders.ts';

type Options = Record<string, { type: 'string' | 'boolean' }>;

function parse<T extends Options>(args: string[], options: T, usage: string, positionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (err) {
    throw new BaseError('USAGE', `${(err as Error).message}\nusage: ${usage}`);
  }
}

const API = { api: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } } as const;

/** The node to ask: `--api`, or the running `groundwork up` of `--data-dir` (default ./.groundwork). */
function apiOf(values: {
  api?: string | boolean | undefined;
  'data-dir'?: string | boolean | undefined;
}): string {
  if (typeof values.api === 'string') return values.api.replace(/\/$/, '');
  const file = join(
    resolve(typeof values['data-dir'] === 'string' ? values['data-dir'] : '.groundwork'),
    'runtime.json',
  );
  if (existsSync(file)) {
    const r = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; apiUrl: string };
    try {
      process.kill(r.pid, 0);
      return r.apiUrl;
    } catch {
      // The node of that data directory is not running.
    }
  }
  throw new BaseError('USAGE', 'no node to ask: start `groundwork up` or pass --api <url>');
}

async function get<T>(url: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new BaseError('API_UNREACHABLE', `cannot reach ${url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new BaseError('API_ERROR', `${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const kwh = (wh: number) => (wh / 1000).toFixed(3);
const money = (units: string | bigint | number) => {
  const v = BigInt(units);
  const sign = v < 0n ? '-' : '';
  const a = v < 0n ? -v : v;
  return `${sign}${a / 1_000_000n}.${(a % 1_000_000n).toString().padStart(6, '0')}`;
};

/** Formats a clearing for people: the price, the volume, each order's fill, the trades. */
export function formatClearing(slot: number | null, r: ClearingResult): string {
  const lines = [
    `${slot === null ? 'book' : `slot ${slot}`}: ${
      r.price === null
        ? 'no trade (the best bid is below the best ask)'
        : `clearing price ${r.price} per kWh (${money(r.price)} tUSD/kWh)`
    }, matched ${r.volumeWh} Wh (${kwh(r.volumeWh)} kWh)`,
    '',
    `${'side'.padEnd(5)}${'order'.padEnd(24)}${'limit'.padStart(10)}${'volume Wh'.padStart(12)}${'filled Wh'.padStart(12)}`,
  ];
  for (const f of r.fills) {
    const id = f.id.length > 22 ? `${f.id.slice(0, 12)}…${f.id.slice(-8)}` : f.id;
    lines.push(
      `${f.side.padEnd(5)}${id.padEnd(24)}${String(f.price).padStart(10)}${String(f.volumeWh).padStart(12)}${String(f.filledWh).padStart(12)}`,
    );
  }
  if (r.trades.length > 0) {
    lines.push('', 'trades (walk order):');
    for (const t of r.trades) lines.push(`  ${t.bidId} ← ${t.askId}: ${t.volumeWh} Wh`);
  }
  return lines.join('\n');
}

const clear: ModuleCommand = {
  summary: 'clear an order book file with the market’s own code (replay a slot, try a what-if)',
  usage: '<orders.json> [--json]',
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { json: { type: 'boolean' } } as const,
      'groundwork energy clear <orders.json> [--json]',
      true,
    );
    if (positionals.length !== 1) throw new BaseError('USAGE', 'clear takes one orders.json file');
    let file: unknown;
    try {
      file = JSON.parse(readFileSync(positionals[0]!, 'utf8'));
    } catch (err) {
      throw new BaseError('USAGE', `cannot read ${positionals[0]}: ${(err as Error).message}`);
    }
    const book = file as { slot?: number | null; tick: number; orders: never[] };
    const r = clearMarket({ tick: book?.tick, orders: book?.orders });
    const slot = typeof book.slot === 'number' ? book.slot : null;
    if (values.json) out(JSON.stringify({ format: 'groundwork-energy-clearing/1', slot, ...r }));
    else out(formatClearing(slot, r));
    return 0;
  },
};

const book: ModuleCommand = {
  summary: 'print a slot’s order book (the file `clear` reads)',
  usage: '--slot <n> [--api <url>]',
  async run(argv) {
    const { values } = parse(
      argv,
      { ...API, slot: { type: 'string' } } as const,
      'groundwork energy book --slot <n>',
    );
    if (!values.slot || !/^\d+$/.test(values.slot))
      throw new BaseError('USAGE', '--slot takes a slot number');
    out(JSON.stringify(await get(`${apiOf(values)}/v1/modules/energy/slots/${values.slot}/book`), null, 2));
    return 0;
  },
};

const prices: ModuleCommand = {
  summary: 'clearing prices and volumes over a day',
  usage: '[--day YYYY-MM-DD] [--api <url>] [--json]',
  async run(argv) {
    const { values } = parse(
      argv,
      { ...API, day: { type: 'string' } } as const,
      'groundwork energy prices [--day YYYY-MM-DD]',
    );
    const q = values.day ? `?day=${values.day}` : '';
    const r = await get<{
      slots: { slot: number; start: string; price: number | null; volumeWh: number; orders: number }[];
    }>(`${apiOf(values)}/v1/modules/energy/prices${q}`);
    if (values.json) {
      out(JSON.stringify(r));
      return 0;
    }
    out(
      `${'slot start (UTC)'.padEnd(18)}${'price/kWh'.padStart(12)}${'volume kWh'.padStart(12)}${'orders'.padStart(8)}`,
    );
    for (const s of r.slots) {
      out(
        `${s.start.slice(0, 16).replace('T', ' ').padEnd(18)}${(s.price === null ? '-' : money(s.price)).padStart(12)}${kwh(s.volumeWh).padStart(12)}${String(s.orders).padStart(8)}`,
      );
    }
    if (r.slots.length === 0) out('no slot cleared in that day');
    return 0;
  },
};

interface StatementSlot {
  slot: number;
  status: string;
  matched: { boughtWh: number; soldWh: number };
  deliveredWh?: number;
  consumedWh?: number;
  paid?: string;
  earned?: string;
  refunded?: string;
  amount?: string;
}

const statement: ModuleCommand = {
  summary: 'an account’s settlement statement per slot: matched, delivered, paid, refunded',
  usage: '--account <address> [--day YYYY-MM-DD] [--api <url>] [--json]',
  async run(argv) {
    const { values } = parse(
      argv,
      { ...API, account: { type: 'string' }, day: { type: 'string' } } as const,
      statement.usage,
    );
    if (!values.account || !/^0x[0-9a-fA-F]{40}$/.test(values.account))
      throw new BaseError('USAGE', '--account takes a 0x-prefixed address');
    const q = values.day ? `?day=${values.day}` : '';
    const r = await get<{
      slots: StatementSlot[];
      balance: { cumulativeAmount: string; withdrawn: string; withdrawable: string };
    }>(`${apiOf(values)}/v1/modules/energy/accounts/${values.account}/statement${q}`);
    if (values.json) {
      out(JSON.stringify(r));
      return 0;
    }
    out(
      `${'slot'.padEnd(10)}${'status'.padEnd(10)}${'bought Wh'.padStart(10)}${'sold Wh'.padStart(9)}${'deliv. Wh'.padStart(10)}${'paid'.padStart(12)}${'earned'.padStart(12)}${'refunded'.padStart(12)}${'owed'.padStart(12)}`,
    );
    let sum = 0n;
    for (const s of r.slots) {
      out(
        `${String(s.slot).padEnd(10)}${s.status.padEnd(10)}${String(s.matched.boughtWh).padStart(10)}${String(s.matched.soldWh).padStart(9)}${String(s.deliveredWh ?? '-').padStart(10)}${(s.paid ? money(s.paid) : '-').padStart(12)}${(s.earned ? money(s.earned) : '-').padStart(12)}${(s.refunded ? money(s.refunded) : '-').padStart(12)}${(s.amount ? money(s.amount) : '-').padStart(12)}`,
      );
      if (s.amount) sum += BigInt(s.amount);
    }
    out(
      `${r.slots.length} slots owe ${money(sum)} tUSD; in all ${money(r.balance.cumulativeAmount)} owed on chain, ${money(r.balance.withdrawn)} withdrawn, ${money(r.balance.withdrawable)} to withdraw`,
    );
    return 0;
  },
};

interface MarketInfo {
  chainId: number;
  market: Address | null;
  token: Address | null;
}

async function chainFor(api: string, rpc: string | undefined) {
  const status = await get<{ rpcUrl: string }>(`${api}/v1/status`);
  const m = await get<MarketInfo>(`${api}/v1/modules/energy/market`);
  if (!m.market) throw new BaseError('ENERGY_MARKET_MISSING', 'the node has no EnergyMarket');
  return { clients: await connectChain(rpc ?? status.rpcUrl), market: m.market, token: m.token };
}

const withdraw: ModuleCommand = {
  summary: 'withdraw everything an account is owed by settled slots (anyone may relay)',
  usage: '--account <address> [--private-key <hex>] [--rpc <url>] [--api <url>]',
  async run(argv) {
    const { values } = parse(
      argv,
      {
        ...API,
        account: { type: 'string' },
        'private-key': { type: 'string' },
        rpc: { type: 'string' },
      } as const,
      withdraw.usage,
    );
    if (!values.account || !/^0x[0-9a-fA-F]{40}$/.test(values.account))
      throw new BaseError('USAGE', '--account takes a 0x-prefixed address');
    const api = apiOf(values);
    const w = await get<{
      cumulativeAmount: string;
      withdrawable: string;
      proof: Hex[];
      slot: number | null;
    }>(`${api}/v1/modules/energy/accounts/${values.account}/withdrawable`);
    if (BigInt(w.withdrawable) === 0n) {
      out(
        `nothing to withdraw for ${values.account} (owed ${money(w.cumulativeAmount)} tUSD in all, as of slot ${w.slot ?? '-'})`,
      );
      return 0;
    }
    const { clients, market } = await chainFor(api, values.rpc);
    const wallet = clients.walletFor((values['private-key'] ?? DEV_KEYS[0]) as Hex);
    const hash = await wallet.writeContract({
      address: market,
      abi: energyMarketAbi,
      functionName: 'withdraw',
      args: [values.account as Address, BigInt(w.cumulativeAmount), w.proof],
    });
    const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success')
      throw new BaseError('WITHDRAW_REVERTED', `withdraw reverted in ${hash}`);
    const paid = parseEventLogs({
      abi: energyMarketAbi,
      logs: receipt.logs,
      eventName: 'SettlementWithdrawn',
    }).reduce((s, l) => s + l.args.amount, 0n);
    out(`paid ${money(paid)} tUSD to ${values.account} in ${hash}`);
    return 0;
  },
};

const deposit: ModuleCommand = {
  summary: 'escrow settlement tokens for a slot before bidding in it',
  usage: '--slot <n> --amount <base units> --private-key <hex> [--rpc <url>] [--api <url>]',
  async run(argv) {
    const { values } = parse(
      argv,
      {
        ...API,
        slot: { type: 'string' },
        amount: { type: 'string' },
        'private-key': { type: 'string' },
        rpc: { type: 'string' },
      } as const,
      deposit.usage,
    );
    if (!values.slot || !/^\d+$/.test(values.slot))
      throw new BaseError('USAGE', '--slot takes a slot number');
    if (!values.amount || !/^\d+$/.test(values.amount))
      throw new BaseError('USAGE', '--amount takes base units (6 decimals)');
    if (!values['private-key']) throw new BaseError('USAGE', '--private-key of the buyer is required');
    const { clients, market, token } = await chainFor(apiOf(values), values.rpc);
    const wallet = clients.walletFor(values['private-key'] as Hex);
    if (token) {
      const a = await wallet.writeContract({
        address: token,
        abi: testStableAbi,
        functionName: 'approve',
        args: [market, BigInt(values.amount)],
      });
      await clients.publicClient.waitForTransactionReceipt({ hash: a });
    }
    const hash = await wallet.writeContract({
      address: market,
      abi: energyMarketAbi,
      functionName: 'deposit',
      args: [BigInt(values.slot), BigInt(values.amount)],
    });
    const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new BaseError('DEPOSIT_REVERTED', `deposit reverted in ${hash}`);
    out(`escrowed ${money(values.amount)} tUSD for slot ${values.slot} in ${hash}`);
    return 0;
  },
};

const order: ModuleCommand = {
  summary: 'sign and place a bid or an ask for a slot',
  usage:
    '--side bid|ask --meter <device id> --slot <n> --wh <n> --price <per kWh> --private-key <hex> [--nonce <n>] [--api <url>]',
  async run(argv) {
    const { values } = parse(
      argv,
      {
        ...API,
        side: { type: 'string' },
        meter: { type: 'string' },
        slot: { type: 'string' },
        wh: { type: 'string' },
        price: { type: 'string' },
        nonce: { type: 'string' },
        'private-key': { type: 'string' },
      } as const,
      order.usage,
    );
    const int = (name: string, v: string | undefined) => {
      if (!v || !/^\d+$/.test(v)) throw new BaseError('USAGE', `--${name} takes a whole number`);
      return Number(v);
    };
    if (values.side !== 'bid' && values.side !== 'ask') throw new BaseError('USAGE', '--side is bid or ask');
    if (!values.meter || !/^0x[0-9a-fA-F]{64}$/.test(values.meter))
      throw new BaseError('USAGE', '--meter takes a device id');
    if (!values['private-key'])
      throw new BaseError('USAGE', '--private-key of the meter’s operator is required');
    const api = apiOf(values);
    const m = await get<MarketInfo>(`${api}/v1/modules/energy/market`);
    if (!m.market) throw new BaseError('ENERGY_MARKET_MISSING', 'the node has no EnergyMarket');
    const o: Order = {
      slot: int('slot', values.slot),
      meter: values.meter as Hex,
      side: values.side,
      volumeWh: int('wh', values.wh),
      price: int('price', values.price),
      nonce: values.nonce ? int('nonce', values.nonce) : Date.now(),
    };
    const batch = await signOrderBatch(
      values['private-key'] as Hex,
      { chainId: m.chainId, market: m.market },
      [o],
    );
    const res = await fetch(`${api}/v1/modules/energy/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    }).catch((err: Error) => {
      throw new BaseError('API_UNREACHABLE', `cannot reach ${api}: ${err.message}`);
    });
    const body = await res.text();
    if (!res.ok) throw new BaseError('ORDER_REFUSED', `the node refused the order (${res.status}): ${body}`);
    out(
      values.json
        ? body
        : `placed ${o.side} ${(JSON.parse(body) as { orderIds: string[] }).orderIds[0]} for slot ${o.slot}`,
    );
    return 0;
  },
};

/** `groundwork energy <command>`. */
export const energyCommands: Record<string, ModuleCommand> = {
  clear,
  book,
  prices,
  statement,
  order,
  deposit,
  withdraw,
};
