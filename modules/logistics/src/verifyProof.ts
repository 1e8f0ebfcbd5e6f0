import { anchorRegistryAbi, deviceRegistryAbi } from '@groundwork/abi';
import {
  canonicalize,
  deviceIdFromPublicKey,
  type Envelope,
  fromHex,
  verifyEnvelopeSignature,
} from '@groundwork/protocol';
import {
  type Address,
  createPublicClient,
  type Hex,
  hexToString,
  http,
  type PublicClient,
  parseEventLogs,
} from 'viem';
import { ANCHOR_TOPIC } from './anchor.ts';
import { checkHandoffSignatures } from './handoff.ts';
import { devicePublicKey } from './keys.ts';
import { type Hash, keccakHex, leafOf, verifyPath } from './merkle.ts';
import { type Proof, proofSchema } from './proof.ts';
import { handoffMessageSchema } from './schemas.ts';

/** One named check of a proof and what it found. */
export interface ProofCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The result of verifying a proof: every check, and `ok` only when all passed. */
export interface ProofReport {
  ok: boolean;
  recordId: string | null;
  recordType: string | null;
  checks: ProofCheck[];
  /** Names of the checks that failed. */
  failed: string[];
}

/** The chain facts a verifier reads (an RPC client, or a cached one in bulk audits). */
export interface ChainReader {
  chainId(): Promise<number>;
  anchorOf(registry: Address, root: Hash): Promise<{ anchorer: string; batch: number; timestamp: number }>;
  deviceRegistryOf(registry: Address): Promise<string>;
  deviceOf(
    deviceRegistry: Address,
    deviceId: Hash,
  ): Promise<{ keyType: number; publicKey: string; module: string } | null>;
  anchorEvents(tx: Hash): Promise<{
    status: string;
    events: { address: string; batch: number; root: string; topic: string }[];
  } | null>;
}

/** A {@link ChainReader} over JSON-RPC; answers are memoized (a proof audit asks the same things many times). */
export function rpcChainReader(rpcOrClient: string | PublicClient): ChainReader {
  const pc =
    typeof rpcOrClient === 'string'
      ? createPublicClient({ transport: http(rpcOrClient, { retryCount: 2 }) })
      : rpcOrClient;
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, f: () => Promise<T>): Promise<T> => {
    let p = memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = f();
      memo.set(key, p);
      p.catch(() => memo.delete(key));
    }
    return p;
  };
  return {
    chainId: () => once('chainId', () => pc.getChainId()),
    anchorOf: (registry, root) =>
      once(`anchor:${registry}:${root}`, async () => {
        const a = await pc.readContract({
          address: registry,
          abi: anchorRegistryAbi,
          functionName: 'anchorOf',
          args: [root],
        });
        return { anchorer: a.anchorer.toLowerCase(), batch: Number(a.batch), timestamp: Number(a.timestamp) };
      }),
    deviceRegistryOf: (registry) =>
      once(`devreg:${registry}`, async () =>
        (
          await pc.readContract({ address: registry, abi: anchorRegistryAbi, functionName: 'deviceRegistry' })
        ).toLowerCase(),
      ),
    deviceOf: (deviceRegistry, deviceId) =>
      once(`device:${deviceRegistry}:${deviceId}`, async () => {
        try {
          const d = await pc.readContract({
            address: deviceRegistry,
            abi: deviceRegistryAbi,
            functionName: 'deviceOf',
            args: [BigInt(deviceId)],
          });
          return {
            keyType: d.keyType,
            publicKey: d.publicKey.toLowerCase(),
            module: hexToString(d.module, { size: 32 }).replace(/\0+$/, ''),
          };
        } catch {
          return null;
        }
      }),
    anchorEvents: (tx) =>
      once(`tx:${tx}`, async () => {
        try {
          const receipt = await pc.getTransactionReceipt({ hash: tx });
          const events = parseEventLogs({
            abi: anchorRegistryAbi,
            logs: receipt.logs,
            eventName: 'RootAnchored',
          });
          return {
            status: receipt.status,
            events: events.map((e) => ({
              address: e.address.toLowerCase(),
              batch: Number(e.args.batch),
              root: e.args.root,
              topic: e.args.topic,
            })),
          };
        } catch {
          return null;
        }
      }),
  };
}

const short = (h: string) => (h.length > 18 ? `${h.slice(0, 10)}…${h.slice(-6)}` : h);

/**
 * Verifies a proof file's text: the format, the record id and leaf, who
 * signed the record (the device's envelope signature under its registered
 * key, or both parties' EIP-712 signatures of a hand-off), the Merkle path to
 * the root, and — with a chain — that AnchorRegistry anchored that root in
 * the named transaction and that DeviceRegistry holds the device's key.
 * Never throws for bad input: every problem is a failed, named check.
 *
 * `expectRegistry` pins the AnchorRegistry the verifier trusts (a proof is
 * only as good as the registry it names).
 */
export async function verifyProofText(
  text: string,
  o: { chain?: ChainReader; expectRegistry?: string } = {},
): Promise<ProofReport> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return report([{ name: 'format', ok: false, detail: `not JSON: ${(err as Error).message}` }], null, null);
  }
  return verifyProof(parsed, o);
}

function report(checks: ProofCheck[], recordId: string | null, recordType: string | null): ProofReport {
  const failed = checks.filter((c) => !c.ok).map((c) => c.name);
  return { ok: failed.length === 0, recordId, recordType, checks, failed };
}

/** {@link verifyProofText} on an already parsed proof. */
export async function verifyProof(
  input: unknown,
  o: { chain?: ChainReader; expectRegistry?: string } = {},
): Promise<ProofReport> {
  const checks: ProofCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const shape = proofSchema.safeParse(input);
  if (!shape.success) {
    const i = shape.error.issues[0];
    add('format', false, `${i?.path.join('.') || 'proof'}: ${i?.message ?? 'invalid'}`);
    return report(checks, null, null);
  }
  const p: Proof = shape.data;
  const type = typeof p.record.type === 'string' ? p.record.type : null;
  add('format', true, `${p.format} v${p.version}`);

  // Record id: keccak256 of the canonical JSON of the record.
  let recordHash: Hash | null = null;
  try {
    recordHash = keccakHex(Buffer.from(canonicalize(p.record), 'utf8'));
  } catch (err) {
    add('record id', false, `the record has no canonical JSON form: ${(err as Error).message}`);
  }
  if (recordHash)
    add(
      'record id',
      recordHash === p.recordId,
      recordHash === p.recordId
        ? `keccak256 of the canonical record is ${short(recordHash)}`
        : `keccak256 of the canonical record is ${recordHash}, not the recordId ${p.recordId}`,
    );
  const leaf = recordHash ? leafOf(p.salt as Hash, recordHash) : null;
  if (leaf)
    add(
      'leaf',
      leaf === p.leaf,
      leaf === p.leaf
        ? `keccak256(0x00 ‖ salt ‖ record id) = ${short(leaf)}`
        : `computed leaf ${leaf} ≠ ${p.leaf}`,
    );

  // Who signed the record.
  await checkSigner(p, type, add);

  // The path.
  if (leaf) {
    const got = verifyPath(leaf, p.path as Hash[]);
    add(
      'merkle path',
      got === p.root,
      got === p.root
        ? `the leaf and ${p.path.length} siblings lead to the root ${short(p.root)}`
        : `the leaf and ${p.path.length} siblings lead to ${got}, not to the root ${p.root}`,
    );
  }

  if (o.expectRegistry !== undefined) {
    const want = o.expectRegistry.toLowerCase();
    add(
      'anchor registry',
      want === p.anchor.registry,
      want === p.anchor.registry
        ? `the proof names the trusted AnchorRegistry ${p.anchor.registry}`
        : `the proof names AnchorRegistry ${p.anchor.registry}, not the trusted ${want}`,
    );
  }
  if (o.chain) await checkChain(p, o.chain, add);
  return report(checks, p.recordId, type);
}

async function checkSigner(p: Proof, type: string | null, add: (n: string, ok: boolean, d: string) => void) {
  if (type === 'logistics.reading') {
    if (p.signer.type !== 'device')
      return add('device signature', false, 'a reading proof must name its device');
    const env = p.record.envelope as Envelope | undefined;
    if (!env || typeof env !== 'object' || typeof env.device !== 'string')
      return add('device signature', false, 'the record holds no envelope');
    if (env.kind !== 'logistics.reading')
      return add('device signature', false, `the envelope is a ${String(env.kind)}, not a logistics.reading`);
    let keyOk = false;
    try {
      const id = deviceIdFromPublicKey(p.signer.keyType, fromHex(p.signer.publicKey as Hex));
      keyOk = id === env.device && id === p.signer.deviceId;
      add(
        'device key',
        keyOk,
        keyOk
          ? `the ${p.signer.keyType} key hashes to the device id ${short(id)}`
          : `the key hashes to ${id}; the envelope names ${env.device}, the proof ${p.signer.deviceId}`,
      );
    } catch (err) {
      add('device key', false, `bad public key: ${(err as Error).message}`);
    }
    let sigOk = false;
    try {
      sigOk = verifyEnvelopeSignature(
        env,
        p.signer.keyType,
        devicePublicKey(p.signer.keyType, p.signer.publicKey),
      );
    } catch {
      sigOk = false;
    }
    return add(
      'device signature',
      sigOk,
      sigOk
        ? `the ${p.signer.keyType} signature over the envelope verifies`
        : 'the envelope signature does not verify under the device key: the reading is not what the device signed',
    );
  }
  if (type === 'logistics.handoff') {
    if (p.signer.type !== 'parties')
      return add('party signatures', false, 'a hand-off proof must name its parties');
    const m = handoffMessageSchema.safeParse(p.record.handoff);
    const sigs = p.record.signatures as { from?: unknown; to?: unknown } | undefined;
    if (!m.success || typeof sigs?.from !== 'string' || typeof sigs?.to !== 'string')
      return add('party signatures', false, 'the record is not a hand-off with two signatures');
    const bad = await checkHandoffSignatures(
      m.data,
      { from: sigs.from as Hex, to: sigs.to as Hex },
      { chainId: p.anchor.chainId, anchorRegistry: p.anchor.registry as Address },
    );
    const named = m.data.from === p.signer.from && m.data.to === p.signer.to;
    return add(
      'party signatures',
      bad.length === 0 && named,
      bad.length === 0 && named
        ? `EIP-712 CustodyHandoff signed by ${m.data.from} (from) and ${m.data.to} (to)`
        : bad.length > 0
          ? `the ${bad.join(' and ')} signature does not recover to the named party`
          : 'the proof names other parties than the hand-off',
    );
  }
  if (type === 'logistics.alert')
    return add(
      'signature',
      p.signer.type === 'node',
      'alerts are made by the node; the anchor vouches for them',
    );
  add('signature', false, `unknown record type ${String(type)}`);
}

async function checkChain(p: Proof, chain: ChainReader, add: (n: string, ok: boolean, d: string) => void) {
  const registry = p.anchor.registry as Address;
  let chainId: number;
  try {
    chainId = await chain.chainId();
  } catch (err) {
    add('chain', false, `cannot reach the chain: ${(err as Error).message.split('\n')[0]}`);
    return;
  }
  add(
    'chain',
    chainId === p.anchor.chainId,
    chainId === p.anchor.chainId
      ? `chain id ${chainId}`
      : `the RPC serves chain ${chainId}, the proof names ${p.anchor.chainId}`,
  );
  try {
    const a = await chain.anchorOf(registry, p.root as Hash);
    const ok = a.batch !== 0 && a.batch === p.anchor.batch && a.timestamp === p.anchor.anchoredAt;
    add(
      'root on chain',
      ok,
      a.batch === 0
        ? `AnchorRegistry ${registry} has not anchored the root ${p.root}`
        : ok
          ? `AnchorRegistry ${short(registry)} anchored it in batch ${a.batch} at ${new Date(a.timestamp * 1000).toISOString()} (by ${short(a.anchorer)})`
          : `anchored in batch ${a.batch} at ${a.timestamp}, but the proof says batch ${p.anchor.batch} at ${p.anchor.anchoredAt}`,
    );
  } catch (err) {
    add(
      'root on chain',
      false,
      `AnchorRegistry ${registry} did not answer: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const tx = await chain.anchorEvents(p.anchor.tx as Hash);
  const ev = tx?.events.find((e) => e.address === registry && e.root === p.root);
  const txOk = tx?.status === 'success' && ev !== undefined && ev.topic === ANCHOR_TOPIC;
  add(
    'anchor transaction',
    txOk,
    !tx
      ? `no transaction ${p.anchor.tx} on this chain`
      : txOk
        ? `transaction ${short(p.anchor.tx)} emitted RootAnchored(batch ${ev!.batch}, root ${short(p.root)}, "logistics")`
        : `transaction ${p.anchor.tx} did not anchor this root as a logistics root in ${registry}`,
  );
  if (p.signer.type === 'device') {
    let ok = false;
    let detail = '';
    try {
      const reg = await chain.deviceRegistryOf(registry);
      if (reg !== p.signer.deviceRegistry) {
        detail = `the AnchorRegistry's DeviceRegistry is ${reg}, the proof names ${p.signer.deviceRegistry}`;
      } else {
        const d = await chain.deviceOf(reg as Address, p.signer.deviceId as Hash);
        const code = p.signer.keyType === 'ed25519' ? 1 : 2;
        if (!d) detail = `device ${p.signer.deviceId} is not registered in DeviceRegistry ${reg}`;
        else if (d.publicKey !== p.signer.publicKey || d.keyType !== code)
          detail = `DeviceRegistry holds another key for device ${p.signer.deviceId}`;
        else if (d.module !== 'logistics')
          detail = `device ${p.signer.deviceId} is registered for module ${d.module}`;
        else {
          ok = true;
          detail = `DeviceRegistry ${short(reg)} holds this ${p.signer.keyType} key for a logistics device`;
        }
      }
    } catch (err) {
      detail = `cannot read the device registry: ${(err as Error).message.split('\n')[0]}`;
    }
    add('device registry', ok, detail);
  }
}

/** The report as lines for a terminal. */
export function formatProofReport(r: ProofReport): string {
  const lines = [
    `proof of record ${r.recordId ?? '(unreadable)'}${r.recordType ? ` (${r.recordType})` : ''}`,
    ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(18)} ${c.detail}`),
    r.ok ? 'VALID' : `INVALID: ${r.failed.join(', ')} failed`,
  ];
  return `${lines.join('\n')}\n`;
}
