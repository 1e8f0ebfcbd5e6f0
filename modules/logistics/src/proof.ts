import { type Db, NotFoundError } from '@groundwork/node';
import { keyTypeFromCode } from '@groundwork/protocol';
import { z } from 'zod';
import { treeOf } from './anchor.ts';
import { conflict } from './errors.ts';
import type { Hash, RecordTree } from './merkle.ts';
import type { LogisticsRecord } from './records.ts';
import { ldb } from './store.ts';

/** The `format` member of a proof file. */
export const PROOF_FORMAT = 'groundwork.logistics.proof';
export const PROOF_VERSION = 1;

const hash = z.string().regex(/^0x[0-9a-f]{64}$/, '0x + 64 lowercase hex digits');
const address = z.string().regex(/^0x[0-9a-f]{40}$/, '0x + 40 lowercase hex digits');

/** The JSON schema of a proof file (docs/LOGISTICS.md §Proof file). Hex is lowercase everywhere. */
export const proofSchema = z
  .object({
    format: z.literal(PROOF_FORMAT),
    version: z.literal(PROOF_VERSION),
    recordId: hash,
    record: z.record(z.string(), z.unknown()),
    salt: hash,
    leaf: hash,
    path: z.array(hash).max(64),
    root: hash,
    anchor: z
      .object({
        chainId: z.number().int().positive(),
        registry: address,
        topic: z.string(),
        batch: z.number().int().positive(),
        tx: hash,
        block: z.number().int().min(0),
        anchoredAt: z.number().int().min(0),
      })
      .strict(),
    signer: z.discriminatedUnion('type', [
      z
        .object({
          type: z.literal('device'),
          deviceId: hash,
          keyType: z.enum(['ed25519', 'p256']),
          publicKey: z.string().regex(/^0x([0-9a-f]{64}|[0-9a-f]{128})$/, 'a raw 32- or 64-byte public key'),
          deviceRegistry: address,
        })
        .strict(),
      z.object({ type: z.literal('parties'), from: address, to: address }).strict(),
      z.object({ type: z.literal('node') }).strict(),
    ]),
  })
  .strict();

export type Proof = z.infer<typeof proofSchema>;

/**
 * Builds the inclusion proof of one anchored record from the store: the
 * record, its salt and leaf, the path to its batch's root, the anchoring
 * transaction, and who signed the record (the device's registered key, or
 * the two parties of a hand-off). It discloses nothing else: siblings are
 * salted hashes.
 *
 * Throws NOT_FOUND for an unknown record and 409 `RECORD_NOT_ANCHORED` while
 * its batch is not on chain yet.
 */
export async function buildProof(core: Db, recordId: string, network: ProofNetwork): Promise<Proof> {
  const db = ldb(core);
  const r = await db
    .selectFrom('logistics_records')
    .selectAll()
    .where('id', '=', recordId)
    .executeTakeFirst();
  if (!r) throw new NotFoundError(`record ${recordId}`);
  const b =
    r.batch === null
      ? undefined
      : await db.selectFrom('logistics_batches').selectAll().where('batch', '=', r.batch).executeTakeFirst();
  if (b?.status !== 'anchored' || b.tx_hash === null)
    throw conflict(
      'RECORD_NOT_ANCHORED',
      `record ${recordId} is not anchored yet; it will be at the next anchor`,
      {
        batch: r.batch,
      },
    );
  const record = JSON.parse(r.json) as LogisticsRecord;
  const devices = new Map<string, DeviceKeyRow>();
  if (record.type === 'logistics.reading') {
    const d = await core
      .selectFrom('devices')
      .select(['device_id', 'key_type', 'public_key'])
      .where('device_id', '=', record.envelope.device)
      .executeTakeFirst();
    if (d) devices.set(d.device_id, d);
  }
  return assembleProof(r, record, b, await treeOf(core, b.batch), devices, network);
}

/**
 * Every proof of one anchored batch, built with a handful of queries (for
 * audits that check a whole batch). Ordered by record.
 */
export async function buildBatchProofs(core: Db, batch: number, network: ProofNetwork): Promise<Proof[]> {
  const db = ldb(core);
  const b = await db
    .selectFrom('logistics_batches')
    .selectAll()
    .where('batch', '=', batch)
    .executeTakeFirst();
  if (b?.status !== 'anchored' || b.tx_hash === null)
    throw conflict('RECORD_NOT_ANCHORED', `batch ${batch} is not anchored`, { batch });
  const rows = await db
    .selectFrom('logistics_records')
    .selectAll()
    .where('batch', '=', batch)
    .orderBy('seq')
    .execute();
  const ids = [...new Set(rows.map((r) => r.device_id).filter((d): d is string => d !== null))];
  const devices = new Map<string, DeviceKeyRow>();
  for (let i = 0; i < ids.length; i += 500) {
    const found = await core
      .selectFrom('devices')
      .select(['device_id', 'key_type', 'public_key'])
      .where('device_id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const d of found) devices.set(d.device_id, d);
  }
  const tree = await treeOf(core, batch);
  return rows.map((r) => assembleProof(r, JSON.parse(r.json) as LogisticsRecord, b, tree, devices, network));
}

/** Where proofs point: the chain, its AnchorRegistry and DeviceRegistry. */
export interface ProofNetwork {
  chainId: number;
  anchorRegistry: string;
  deviceRegistry: string;
}

interface DeviceKeyRow {
  device_id: string;
  key_type: number;
  public_key: string;
}

function assembleProof(
  r: { id: string; seq: number; salt: string; leaf: string },
  record: LogisticsRecord,
  b: {
    root: string;
    first_seq: number;
    chain_batch: number | null;
    tx_hash: string | null;
    block: number | null;
    anchored_at: number | null;
  },
  tree: RecordTree,
  devices: Map<string, DeviceKeyRow>,
  network: ProofNetwork,
): Proof {
  let signer: Proof['signer'];
  if (record.type === 'logistics.reading') {
    const d = devices.get(record.envelope.device);
    if (!d) throw new NotFoundError(`device ${record.envelope.device}`);
    signer = {
      type: 'device',
      deviceId: record.envelope.device,
      keyType: keyTypeFromCode(d.key_type),
      publicKey: d.public_key.toLowerCase(),
      deviceRegistry: network.deviceRegistry.toLowerCase(),
    };
  } else if (record.type === 'logistics.handoff') {
    signer = { type: 'parties', from: record.handoff.from, to: record.handoff.to };
  } else {
    signer = { type: 'node' };
  }
  return {
    format: PROOF_FORMAT,
    version: PROOF_VERSION,
    recordId: r.id,
    record: record as unknown as Record<string, unknown>,
    salt: r.salt,
    leaf: r.leaf,
    path: tree.proofOf(Number(r.seq) - Number(b.first_seq)),
    root: b.root as Hash,
    anchor: {
      chainId: network.chainId,
      registry: network.anchorRegistry.toLowerCase(),
      topic: 'logistics',
      batch: b.chain_batch ?? 0,
      tx: b.tx_hash!,
      block: Number(b.block),
      anchoredAt: Number(b.anchored_at),
    },
    signer,
  };
}
