/**
 * On chain, end to end: a local network with the coverage module. Two
 * hotspots answer challenges and witness each other, their operators claim
 * the GRND they earned; a client buys Data Credits by burning GRND (the token
 * supply drops by exactly that), a hotspot's operator pays its fees in
 * credits, the client pays a data session through dual-signed receipts, the
 * node settles it on chain, and the hotspot's reward line shows the paid
 * bytes — everything read back from the chain and the node's API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataCreditsAbi, groundTokenAbi, rewardsDistributorAbi } from '@groundwork/abi';
import {
  type AnvilHandle,
  bundleLines,
  type ChainClients,
  computeEpoch,
  createLogger,
  DEV_KEYS,
  type Deployment,
  h3ToUint64,
  type NodeHandle,
  parseBundle,
  type Settings,
  startNode,
} from '@groundwork/node';
import { type DeviceKey, deviceKeyFromSeed, signEnvelope } from '@groundwork/protocol';
import { type Address, type Hex, keccak256, parseEventLogs, parseUnits, toHex, zeroAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerOnChain, startTestNetwork } from '../../../packages/node/test/helpers.ts';
import { tagToBytes32 } from './chain.ts';
import { coverageCommands } from './cli.ts';
import { beaconPacket, type HexString } from './entropy.ts';
import coverage from './index.ts';
import { sessionAuthorizationTypedData, usageReceiptTypedData } from './signatures.ts';
import { assertFeeRef, FEE_PURPOSE, onboardFeeRef } from './store/pipeline.ts';
import { cellAt } from './test/factsBuilder.ts';

const op1 = privateKeyToAccount(DEV_KEYS[5] as Hex);
const op2 = privateKeyToAccount(DEV_KEYS[6] as Hex);
const clientAccount = privateKeyToAccount(DEV_KEYS[7] as Hex);
const hotspotA = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(0xa1));
const hotspotB = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(0xb2));
const cellA = cellAt(0, 0, 12);
const cellB = cellAt(900, 0, 12);

/** Runs a CLI command and returns what it printed. */
async function capture(run: () => Promise<number>): Promise<string> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    lines.push(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    expect(await run()).toBe(0);
  } finally {
    process.stdout.write = write;
  }
  return lines.join('');
}

/** Polls `fn` until it gives a value; on timeout the error carries what `state` reports then. */
async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 40_000,
  state?: () => Promise<unknown>,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) {
      const seen = state
        ? ` (at ${Date.now()}: ${JSON.stringify(await state().catch((e) => String(e)))})`
        : '';
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('coverage on chain', () => {
  let anvil: AnvilHandle;
  let node: NodeHandle;
  let clients: ChainClients;
  let deployment: Deployment;
  let credits: Address;
  let dataDir: string;
  let seq = Date.now();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gw-coverage-'));
    let settings: Settings;
    ({ anvil, clients, settings, deployment } = await startTestNetwork({
      settings: { dataDir, genesis: { epochSeconds: 8 } },
      modules: [coverage],
      // Two hotspots are an isolated pair by construction, and nobody holds GRND for fees before the first claims.
      parameterOverrides: { 'coverage.ringMaxSize': 0n, 'coverage.feesRequired': 0n },
    }));
    credits = deployment.modules!.coverage!.DataCredits!;
    for (const [key, cell, operator] of [
      [hotspotA, cellA, DEV_KEYS[5]],
      [hotspotB, cellB, DEV_KEYS[6]],
    ] as [DeviceKey, string, Hex][]) {
      const hash = await registerOnChain(clients, deployment, key, {
        operatorKey: operator,
        module: 'coverage',
        h3Cell: h3ToUint64(cell),
      });
      await clients.publicClient.waitForTransactionReceipt({ hash });
    }
    node = await startNode({
      settings,
      deployment,
      clients,
      log: createLogger({ level: 'silent' }),
      modules: [coverage],
    });
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await anvil?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const api = (path: string) =>
    fetch(`${node.url}${path}`).then((r) => r.json() as Promise<Record<string, unknown>>);
  const post = async (key: DeviceKey, kind: string, body: Record<string, unknown>) => {
    const now = Date.now();
    const env = signEnvelope(
      { v: 1, device: key.deviceId, seq: ++seq, time: now, kind: `coverage.${kind}`, body },
      key,
    );
    const res = await fetch(`${node.url}/v1/envelopes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ envelopes: [env] }),
    });
    const out = (await res.json()) as { results: { status: string; reason?: string }[] };
    expect(out.results[0]!.status).toBe('accepted');
  };
  const read = <T>(
    address: Address,
    abi: readonly unknown[],
    functionName: string,
    args: unknown[] = [],
    blockNumber?: bigint,
  ) =>
    clients.publicClient.readContract({
      address,
      abi: abi as never,
      functionName: functionName as never,
      args: args as never,
      ...(blockNumber === undefined ? {} : { blockNumber }),
    }) as Promise<T>;
  const claim = async (account: Address) => {
    const c = await until('a claimable amount', async () => {
      const x = (await api(`/v1/accounts/${account}/claimable`)) as {
        claimable: string;
        cumulativeAmount: string;
        proof: Hex[];
      };
      return BigInt(x.claimable) > 0n ? x : undefined;
    });
    const hash = await clients.walletFor(DEV_KEYS[0] as Hex).writeContract({
      address: deployment.contracts.distributor,
      abi: rewardsDistributorAbi,
      functionName: 'claim',
      args: [account, BigInt(c.cumulativeAmount), c.proof],
    });
    const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
    const paid = parseEventLogs({ abi: groundTokenAbi, logs: receipt.logs, eventName: 'Transfer' }).find(
      (l) => l.args.to.toLowerCase() === account.toLowerCase(),
    )!.args.value;
    return { claimable: BigInt(c.claimable), paid };
  };

  it('pays hotspots for challenged beacons their neighbour witnessed', async () => {
    for (const [beaconer, witness] of [
      [hotspotA, hotspotB],
      [hotspotB, hotspotA],
    ] as const) {
      const ch = await until('a challenge', async () => {
        const c = (await api(`/v1/modules/coverage/challenges/${beaconer.deviceId}`)) as {
          challenged?: boolean;
          round: number;
          entropy: HexString;
        };
        return c.challenged ? c : undefined;
      });
      const nonce = toHex(crypto.getRandomValues(new Uint8Array(16)));
      await post(beaconer, 'beacon', {
        round: ch.round,
        nonce,
        frequencyKhz: 868_100,
        eirpDdbm: 160,
        gainDdbi: 30,
      });
      await post(witness, 'witness', {
        packet: beaconPacket(ch.entropy, beaconer.deviceId, nonce),
        rssiDdbm: -950,
        snrDdb: 60,
        frequencyKhz: 868_100,
        gainDdbi: 30,
        time: Date.now(),
      });
    }
    const line = await until('a coverage reward', async () => {
      const r = (await api(`/v1/modules/coverage/hotspots/${hotspotA.deviceId}/rewards`)) as {
        lines: { amount: string; reason: string; detail: Record<string, unknown> }[];
      };
      return r.lines.find((l) => BigInt(l.amount) > 0n);
    });
    expect(line.reason).toBe('COVERAGE');
    expect(Number(line.detail.beaconsWitnessed) + Number(line.detail.witnessesRewarded)).toBeGreaterThan(0);
    const verdicts = (await api(`/v1/modules/coverage/hotspots/${hotspotB.deviceId}/verdicts`)) as {
      witnessReports: { reason: string }[];
    };
    expect(verdicts.witnessReports.map((w) => w.reason)).toContain('WITNESS_REWARDED');
    const a = await claim(op1.address);
    expect(a.paid).toBe(a.claimable);
    const b = await claim(op2.address);
    expect(b.paid).toBe(b.claimable);
  }, 90_000);

  it('burns GRND for credits, spends them on fees and on a session, and pays the hotspot for the paid bytes', async () => {
    const token = deployment.contracts.token;
    // The client gets GRND from the other operator and buys credits with it.
    const tokens = parseUnits('2', 18);
    await clients.publicClient.waitForTransactionReceipt({
      hash: await clients.walletFor(DEV_KEYS[6] as Hex).writeContract({
        address: token,
        abi: groundTokenAbi,
        functionName: 'transfer',
        args: [clientAccount.address, tokens],
      }),
    });
    const cw = clients.walletFor(DEV_KEYS[7] as Hex);
    await clients.publicClient.waitForTransactionReceipt({
      hash: await cw.writeContract({
        address: token,
        abi: groundTokenAbi,
        functionName: 'approve',
        args: [credits, tokens],
      }),
    });
    const mint = await clients.publicClient.waitForTransactionReceipt({
      hash: await cw.writeContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'mint',
        args: [clientAccount.address, tokens, 0n],
      }),
    });
    expect(mint.status).toBe('success');
    const before = await read<bigint>(token, groundTokenAbi, 'totalSupply', [], mint.blockNumber - 1n);
    const after = await read<bigint>(token, groundTokenAbi, 'totalSupply', [], mint.blockNumber);
    expect(before - after).toBe(tokens);
    const burned = parseEventLogs({ abi: groundTokenAbi, logs: mint.logs, eventName: 'Transfer' }).find(
      (l) => l.args.to === zeroAddress,
    )!;
    expect(burned.args.value).toBe(tokens);
    // $1 per GRND (the local oracles' price): 2 GRND = $2 = 200,000 credits of $0.00001.
    expect(await read<bigint>(credits, dataCreditsAbi, 'balanceOf', [clientAccount.address])).toBe(200_000n);

    // The hotspot's operator buys credits and pays onboarding and location fees with them.
    const o1 = clients.walletFor(DEV_KEYS[5] as Hex);
    const feeTokens = parseUnits('50', 18);
    await clients.publicClient.waitForTransactionReceipt({
      hash: await o1.writeContract({
        address: token,
        abi: groundTokenAbi,
        functionName: 'approve',
        args: [credits, feeTokens],
      }),
    });
    await clients.publicClient.waitForTransactionReceipt({
      hash: await o1.writeContract({
        address: credits,
        abi: dataCreditsAbi,
        functionName: 'mint',
        args: [op1.address, feeTokens, 0n],
      }),
    });
    for (const [purpose, ref, amount] of [
      [FEE_PURPOSE.onboard, onboardFeeRef(hotspotA.deviceId), 4_000_000n],
      [FEE_PURPOSE.assert, assertFeeRef(hotspotA.deviceId, cellA), 1_000_000n],
    ] as const) {
      const r = await clients.publicClient.waitForTransactionReceipt({
        hash: await o1.writeContract({
          address: credits,
          abi: dataCreditsAbi,
          functionName: 'spend',
          args: [amount, tagToBytes32(purpose), ref],
        }),
      });
      expect(
        parseEventLogs({ abi: dataCreditsAbi, logs: r.logs, eventName: 'CreditsSpent' })[0]!.args.amount,
      ).toBe(amount);
    }
    expect(await read<bigint>(credits, dataCreditsAbi, 'balanceOf', [op1.address])).toBe(0n);

    // A data session: the client signs the authorization and each receipt; the hotspot signs the envelopes.
    const domain = { chainId: clients.chain.id, verifyingContract: credits };
    const sessionId = keccak256(toHex(`session-${Date.now()}`));
    const deadline = Math.floor(Date.now() / 1000) + 3_600;
    const provider = BigInt(hotspotA.deviceId);
    const clientSig = await clientAccount.signTypedData(
      sessionAuthorizationTypedData(domain, {
        sessionId,
        provider,
        maxCredits: 50_000n,
        deadline: BigInt(deadline),
      }),
    );
    const common = { sessionId, client: clientAccount.address, chainId: clients.chain.id, credits };
    await post(hotspotA, 'session', { ...common, maxCredits: '50000', deadline, clientSig });
    const receipt = async (counter: number, cumulativeBytes: number) =>
      clientAccount.signTypedData(
        usageReceiptTypedData(domain, {
          sessionId,
          provider,
          counter: BigInt(counter),
          cumulativeBytes: BigInt(cumulativeBytes),
        }),
      );
    await post(hotspotA, 'receipt', {
      ...common,
      counter: 1,
      cumulativeBytes: 120_000,
      clientSig: await receipt(1, 120_000),
    });
    await post(hotspotA, 'receipt', { ...common, counter: 2, cumulativeBytes: 240_000 }); // hotspot's signature only
    await post(hotspotA, 'receipt', {
      ...common,
      counter: 1,
      cumulativeBytes: 120_000,
      clientSig: await receipt(1, 120_000),
    });
    await post(hotspotA, 'receipt', {
      ...common,
      counter: 2,
      cumulativeBytes: 240_000,
      clientSig: await receipt(2, 240_000),
    });

    // The node settles: 240,000 bytes at 24 per credit = 10,000 credits debited from the client on chain.
    await until('the session debit', async () =>
      (await read<bigint>(credits, dataCreditsAbi, 'debitedOf', [clientAccount.address, sessionId])) ===
      10_000n
        ? true
        : undefined,
    );
    expect(await read<bigint>(credits, dataCreditsAbi, 'balanceOf', [clientAccount.address])).toBe(190_000n);

    const session = (await api(`/v1/modules/coverage/sessions/${clientAccount.address}/${sessionId}`)) as {
      receipts: { reason: string }[];
    };
    expect(session.receipts.map((r) => r.reason)).toEqual([
      'RECEIPT_ACCEPTED',
      'RECEIPT_DUPLICATE',
      'RECEIPT_ACCEPTED',
    ]);
    const core = (await api(`/v1/devices/${hotspotA.deviceId}/verdicts`)) as {
      envelopes: { kind: string; verdict: { reason: string } }[];
    };
    expect(core.envelopes.map((e) => e.verdict.reason)).toContain('RECEIPT_CLIENT_SIGNATURE_MISSING');

    // The epochs that saw the debits pay hotspot A for exactly those bytes; its operator claims it on chain.
    // One debit when the node settled after the second receipt, two when it settled between the
    // receipts (a loaded machine): either way 240,000 bytes and 10,000 credits in all.
    const paidLines = await until(
      'reward lines paying all 240,000 bytes',
      async () => {
        const r = (await api(`/v1/modules/coverage/hotspots/${hotspotA.deviceId}/rewards`)) as {
          lines: { epoch: number; amount: string; reason: string; detail: Record<string, unknown> }[];
        };
        const paying = r.lines.filter((l) => BigInt((l.detail?.paidBytes as string | undefined) ?? '0') > 0n);
        const bytes = paying.reduce((sum, l) => sum + BigInt(l.detail.paidBytes as string), 0n);
        return bytes === 240_000n ? paying.sort((a, b) => a.epoch - b.epoch) : undefined;
      },
      60_000,
      async () => ({
        lines: (
          (await api(`/v1/modules/coverage/hotspots/${hotspotA.deviceId}/rewards`)) as { lines: unknown[] }
        ).lines,
        epochs: ((await api('/v1/epochs?limit=20')) as { epochs: unknown[] }).epochs,
        credits: (
          (await api(`/v1/modules/coverage/credits/${clientAccount.address}`)) as { events: unknown[] }
        ).events,
      }),
    );
    expect(paidLines.length).toBeLessThanOrEqual(2);
    expect(paidLines.reduce((sum, l) => sum + BigInt(l.detail.paidCredits as string), 0n)).toBe(10_000n);
    for (const l of paidLines) {
      expect(BigInt(l.amount) > 0n).toBe(true);
      expect(['DATA_TRANSFER', 'COVERAGE_AND_DATA']).toContain(l.reason);
    }
    const line = paidLines.at(-1)!;
    await until('the epoch on chain', async () => {
      const e = (await api(`/v1/epochs/${line.epoch}`)) as { status?: string };
      return e.status === 'submitted' ? true : undefined;
    });
    const paid = await claim(op1.address);
    expect(paid.paid).toBe(paid.claimable);
    expect(paid.paid >= paidLines.reduce((sum, l) => sum + BigInt(l.amount), 0n)).toBe(true);

    // Anyone re-running the published bundle (every physics check included) gets the root on chain.
    const text = await (await fetch(`${node.url}/v1/epochs/${line.epoch}/bundle`)).text();
    const bundle = parseBundle(bundleLines(text));
    const coverageInputs = bundle.modules.find((m) => m.id === 'coverage')!.inputs as { sessions: unknown[] };
    expect(coverageInputs.sessions).toHaveLength(1);
    const rerun = computeEpoch(bundle, [coverage]);
    const onChain = await read<Hex>(deployment.contracts.distributor, rewardsDistributorAbi, 'rootOf', [
      BigInt(line.epoch),
    ]);
    expect(rerun.root).toBe(onChain);

    // The operator's view through the CLI: verdicts and reward lines with their reasons; the client's credits.
    const hotspot = JSON.parse(
      await capture(() => coverageCommands.hotspot!.run([hotspotA.deviceId, '--api', node.url, '--json'])),
    ) as {
      verdicts: { receipts: { reason: string }[] };
      rewards: { lines: { reason: string; detail: Record<string, unknown> }[] };
    };
    expect(hotspot.verdicts.receipts.map((r) => r.reason)).toEqual([
      'RECEIPT_ACCEPTED',
      'RECEIPT_DUPLICATE',
      'RECEIPT_ACCEPTED',
    ]);
    expect(
      hotspot.rewards.lines.reduce(
        (sum, l) => sum + BigInt((l.detail?.paidBytes as string | undefined) ?? '0'),
        0n,
      ),
    ).toBe(240_000n);
    const balance = JSON.parse(
      await capture(() =>
        coverageCommands.balance!.run([clientAccount.address, '--api', node.url, '--json']),
      ),
    ) as {
      balance: string;
      events: { name: string; amount: string }[];
    };
    expect(balance.balance).toBe('190000');
    const debits = balance.events.filter((e) => e.name === 'SessionDebited');
    expect(balance.events.filter((e) => e.name !== 'SessionDebited').map((e) => e.name)).toEqual([
      'CreditsMinted',
    ]);
    // Two debits may still fall in one epoch, and so pay in one line.
    expect([1, 2]).toContain(debits.length);
    expect(debits.length).toBeGreaterThanOrEqual(paidLines.length);
    expect(debits.reduce((sum, e) => sum + BigInt(e.amount), 0n)).toBe(10_000n);
  }, 120_000);
});
