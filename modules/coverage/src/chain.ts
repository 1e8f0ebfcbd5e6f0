/**
 * The coverage module's chain side: deploying DataCredits, posting prices
 * signed by the oracle quorum, following DataCredits events into the store,
 * settling data sessions in batches, and issuing challenge entropy from the
 * chain's latest block.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { dataCreditsAbi, dataCreditsBytecode } from '@groundwork/abi';
import type { ChainClients } from '@groundwork/node/chain/clients.ts';
import type { Db } from '@groundwork/node/store/db.ts';
import { type Abi, type Address, type Hex, parseEventLogs } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { commitSecret, deriveEntropy, type EntropyRound, type HexString } from './entropy.ts';
import { coverageDb, getMeta, setMeta } from './store/schema.ts';

/** Genesis of a local network's DataCredits: price age bound and the first price ($1.00 per GRND). */
export const DATA_CREDITS_MAX_PRICE_AGE_S = 86_400n;
export const DEV_PRICE_E8 = 100_000_000n;

async function waitOk(clients: ChainClients, hash: Hex): Promise<void> {
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
}

/** The EIP-712 price update oracles sign (DataCredits domain). */
export function priceUpdateTypedData(chainId: number, credits: Address, priceE8: bigint, timestamp: bigint) {
  return {
    domain: { name: 'GroundworkDataCredits', version: '1', chainId, verifyingContract: credits },
    types: {
      PriceUpdate: [
        { name: 'priceE8', type: 'uint256' },
        { name: 'timestamp', type: 'uint64' },
      ],
    } as const,
    primaryType: 'PriceUpdate' as const,
    message: { priceE8, timestamp },
  };
}

/**
 * Signs a price with `threshold` of the oracle keys and submits it. The
 * timestamp is the chain's latest block time (a price may not be newer than
 * the block that records it), bumped past the current price's.
 */
export async function postPrice(o: {
  clients: ChainClients;
  credits: Address;
  oracleKeys: Hex[];
  threshold: number;
  submitterKey: Hex;
  priceE8: bigint;
}): Promise<Hex | undefined> {
  const { clients } = o;
  const block = await clients.publicClient.getBlock();
  const [, current] = (await clients.publicClient.readContract({
    address: o.credits,
    abi: dataCreditsAbi,
    functionName: 'price',
  })) as [bigint, bigint];
  const timestamp = block.timestamp;
  if (timestamp <= current) return undefined;
  const typed = priceUpdateTypedData(clients.chain.id, o.credits, o.priceE8, timestamp);
  const signed = await Promise.all(
    o.oracleKeys.slice(0, Math.max(1, o.threshold)).map(async (k) => {
      const a = privateKeyToAccount(k);
      return { signer: a.address, signature: await a.signTypedData(typed) };
    }),
  );
  signed.sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
  const hash = await clients.walletFor(o.submitterKey).writeContract({
    address: o.credits,
    abi: dataCreditsAbi,
    functionName: 'setPrice',
    args: [o.priceE8, timestamp, signed.map((s) => s.signature)],
  });
  await waitOk(clients, hash);
  return hash;
}

/**
 * Deploys DataCredits for a network: burning the network's token, prices
 * signed by the distributor's oracles, the deployer as owner and as the
 * settlement spender, and a first price from the local oracle keys.
 */
export async function deployDataCredits(ctx: {
  clients: ChainClients;
  deployerKey: Hex;
  oracleKeys: Hex[];
  oracleThreshold: number;
  core: { token: Address; distributor: Address };
  onProgress: (step: string) => void;
}): Promise<Record<string, Address>> {
  const { clients } = ctx;
  const w = clients.walletFor(ctx.deployerKey);
  ctx.onProgress('DataCredits');
  const hash = await w.deployContract({
    abi: dataCreditsAbi as Abi,
    bytecode: dataCreditsBytecode,
    args: [ctx.core.token, ctx.core.distributor, w.account.address, DATA_CREDITS_MAX_PRICE_AGE_S],
  } as Parameters<typeof w.deployContract>[0]);
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress || receipt.status !== 'success')
    throw new Error(`DataCredits deployment failed in ${hash}`);
  const credits = receipt.contractAddress;
  await waitOk(
    clients,
    await w.writeContract({
      address: credits,
      abi: dataCreditsAbi,
      functionName: 'setSpender',
      args: [w.account.address, true],
    }),
  );
  await postPrice({
    clients,
    credits,
    oracleKeys: ctx.oracleKeys,
    threshold: ctx.oracleThreshold,
    submitterKey: ctx.deployerKey,
    priceE8: DEV_PRICE_E8,
  });
  return { DataCredits: credits };
}

/**
 * Follows DataCredits events from where it stopped to the latest block into
 * `coverage_credit_events` (with block times in ms, the epoch clock), and
 * books each debit against its session's settlement. Returns the events seen.
 */
export async function indexCreditEvents(o: {
  db: Db;
  clients: ChainClients;
  credits: Address;
  fromBlock: number;
  bytesPerCredit: bigint;
}): Promise<number> {
  const db = coverageDb(o.db);
  const pc = o.clients.publicClient;
  const head = Number(await pc.getBlockNumber());
  let from = Number((await getMeta(db, 'chain.next')) ?? o.fromBlock);
  let seen = 0;
  const times = new Map<bigint, number>();
  while (from <= head) {
    const to = Math.min(head, from + 4_999);
    const logs = await pc.getLogs({ address: o.credits, fromBlock: BigInt(from), toBlock: BigInt(to) });
    const events = parseEventLogs({ abi: dataCreditsAbi, logs });
    for (const e of events) {
      let t = times.get(e.blockNumber);
      if (t === undefined) {
        t = Number((await pc.getBlock({ blockNumber: e.blockNumber })).timestamp) * 1000;
        times.set(e.blockNumber, t);
      }
      const base = {
        tx_hash: e.transactionHash,
        log_index: e.logIndex,
        block: Number(e.blockNumber),
        block_time: t,
      };
      let row: Omit<typeof base, never> & Record<string, string | number | null>;
      switch (e.eventName) {
        case 'CreditsMinted':
          row = {
            ...base,
            name: e.eventName,
            account: e.args.account.toLowerCase(),
            other: e.args.payer.toLowerCase(),
            session_id: null,
            hotspot: null,
            amount: e.args.credits.toString(),
            total: e.args.tokens.toString(),
            bytes: '0',
            data: JSON.stringify({ tokens: e.args.tokens.toString(), priceE8: e.args.priceE8.toString() }),
          };
          break;
        case 'CreditsSpent':
          row = {
            ...base,
            name: e.eventName,
            account: e.args.account.toLowerCase(),
            other: bytes32ToTag(e.args.purpose),
            session_id: null,
            hotspot: e.args.ref.toLowerCase(),
            amount: e.args.amount.toString(),
            total: '0',
            bytes: '0',
            data: '{}',
          };
          break;
        case 'SessionDebited': {
          const client = e.args.client.toLowerCase();
          const sessionId = e.args.sessionId.toLowerCase();
          const s = await db
            .selectFrom('coverage_settlements')
            .select(['accepted_bytes', 'paid_bytes'])
            .where('client', '=', client)
            .where('session_id', '=', sessionId)
            .executeTakeFirst();
          // Bytes this debit paid for: what the session's total debit covers now, less what earlier debits covered.
          const covered = e.args.totalDebited * o.bytesPerCredit;
          const accepted = BigInt(s?.accepted_bytes ?? 0);
          const paidNow = covered < accepted ? covered : accepted;
          const before = BigInt(s?.paid_bytes ?? '0');
          const bytes = paidNow > before ? paidNow - before : 0n;
          row = {
            ...base,
            name: e.eventName,
            account: client,
            other: e.args.spender.toLowerCase(),
            session_id: sessionId,
            hotspot: e.args.provider.toString(),
            amount: e.args.amount.toString(),
            total: e.args.totalDebited.toString(),
            bytes: bytes.toString(),
            data: '{}',
          };
          if (s)
            await db
              .updateTable('coverage_settlements')
              .set({
                debited_credits: e.args.totalDebited.toString(),
                paid_bytes: (before + bytes).toString(),
              })
              .where('client', '=', client)
              .where('session_id', '=', sessionId)
              .execute();
          break;
        }
        case 'PriceUpdated':
          row = {
            ...base,
            name: e.eventName,
            account: '',
            other: '',
            session_id: null,
            hotspot: null,
            amount: e.args.priceE8.toString(),
            total: e.args.timestamp.toString(),
            bytes: '0',
            data: JSON.stringify({ signers: e.args.signers }),
          };
          break;
        default:
          continue;
      }
      await db
        .insertInto('coverage_credit_events')
        .values(row as never)
        .onConflict((oc) => oc.columns(['tx_hash', 'log_index']).doNothing())
        .execute();
      seen++;
    }
    from = to + 1;
    await setMeta(db, 'chain.next', String(from));
  }
  return seen;
}

/** A bytes32 ASCII tag (left-aligned, zero-padded) as a string. */
export function bytes32ToTag(b: Hex): string {
  return Buffer.from(b.slice(2), 'hex').toString('utf8').replace(/\0+$/, '');
}

/** A short ASCII tag as bytes32 (left-aligned, zero-padded). */
export function tagToBytes32(tag: string): Hex {
  if (tag.length > 32) throw new Error(`tag "${tag}" is longer than 32 bytes`);
  return `0x${Buffer.from(tag, 'utf8').toString('hex').padEnd(64, '0')}`;
}

/**
 * Submits one batch of session debits for every session that owes more than
 * it has submitted and whose authorization has not expired (as cumulative
 * targets: a retry after a crash debits nothing twice). Returns the
 * transaction, or undefined when nothing was due.
 */
export async function settleDueSessions(o: {
  db: Db;
  clients: ChainClients;
  credits: Address;
  spenderKey: Hex;
  nowMs: number;
  maxBatch?: number;
}): Promise<Hex | undefined> {
  const db = coverageDb(o.db);
  const rows = await db
    .selectFrom('coverage_settlements')
    .selectAll()
    .where('deadline', '>', Math.floor(o.nowMs / 1000) + 5)
    .execute();
  const due = rows
    .filter((r) => BigInt(r.owed_credits) > BigInt(r.submitted_credits))
    .sort((a, b) => Number(a.session_envelope) - Number(b.session_envelope))
    .slice(0, o.maxBatch ?? 50);
  if (due.length === 0) return undefined;
  const hash = await o.clients.walletFor(o.spenderKey).writeContract({
    address: o.credits,
    abi: dataCreditsAbi,
    functionName: 'settleSessions',
    args: [
      due.map((r) => ({
        client: r.client as Address,
        sessionId: r.session_id as Hex,
        provider: BigInt(r.device_id),
        maxCredits: BigInt(r.max_credits),
        deadline: BigInt(r.deadline),
        cumulativeCredits: BigInt(r.owed_credits),
        signature: r.signature as Hex,
      })),
    ],
  });
  await waitOk(o.clients, hash);
  for (const r of due)
    await db
      .updateTable('coverage_settlements')
      .set({ submitted_credits: r.owed_credits })
      .where('client', '=', r.client)
      .where('session_id', '=', r.session_id)
      .execute();
  return hash;
}

const random32 = (): HexString => `0x${randomBytes(32).toString('hex')}`;

/**
 * Issues the next entropy round when `entropySeconds` have passed since the
 * last: reveals the secret committed to last round, mixes it with the hash of
 * the latest block, and commits to the next round's secret. Returns the new
 * round, or undefined when none was due.
 */
export async function issueEntropyRound(o: {
  db: Db;
  latestBlock: () => Promise<{ number: bigint; hash: Hex }>;
  nowMs: number;
  entropySeconds: number;
}): Promise<EntropyRound | undefined> {
  const db = coverageDb(o.db);
  const last = await db
    .selectFrom('coverage_entropy')
    .selectAll()
    .orderBy('round', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last && o.nowMs - Number(last.issued_at) < o.entropySeconds * 1000) return undefined;
  const block = await o.latestBlock();
  const secret = (last?.next_secret ?? random32()) as HexString;
  const nextSecret = random32();
  const round = (last ? Number(last.round) : 0) + 1;
  const r: EntropyRound = {
    round,
    blockNumber: Number(block.number),
    blockHash: block.hash as HexString,
    secret,
    commitment: (last?.next_commitment as HexString | undefined) ?? null,
    nextCommitment: commitSecret(nextSecret),
    entropy: deriveEntropy({ round, blockHash: block.hash as HexString, secret }),
    issuedAt: o.nowMs,
  };
  await db
    .insertInto('coverage_entropy')
    .values({
      round,
      block_number: r.blockNumber,
      block_hash: r.blockHash,
      secret: r.secret,
      commitment: r.commitment,
      next_commitment: r.nextCommitment,
      next_secret: nextSecret,
      entropy: r.entropy,
      issued_at: r.issuedAt,
    })
    .execute();
  return r;
}
