import type { Generated } from 'kysely';

/** Devices as learned from DeviceRegistry events (never from anywhere else). */
export interface DeviceTable {
  device_id: string;
  key_type: number;
  public_key: string;
  module: string;
  h3_cell: string;
  operator: string;
  active: number;
  registered_block: number;
  /** Stamped by triggers on insert and on a change of module, operator or active (migration 0009). */
  change_seq: Generated<number>;
}

/** One row: how many times a device row was deleted or its id changed (migration 0009). */
export interface DevicesResetsTable {
  id: number;
  n: number;
}

/** Accepted envelopes, exactly as signed (body as canonical JSON). */
export interface EnvelopeTable {
  id: Generated<number>;
  device_id: string;
  seq: number;
  time: number;
  received_at: number;
  kind: string;
  body: string;
  sig: string;
}

/** Ingest rejections of envelopes that named a known device (its audit trail). */
export interface RejectionTable {
  id: Generated<number>;
  device_id: string;
  received_at: number;
  reason: string;
  detail: string;
  seq: number | null;
  kind: string | null;
}

/** One module verdict per accepted envelope. */
export interface VerdictTable {
  envelope_id: number;
  device_id: string;
  module: string;
  status: string;
  reason: string;
  created_at: number;
}

/** What a module verifier accepted as a contribution, module-specific `data` (JSON). */
export interface ContributionTable {
  envelope_id: number;
  module: string;
  device_id: string;
  at: number;
  data: string;
}

export interface CursorTable {
  name: string;
  position: number;
}

export interface EpochTable {
  epoch: number;
  start_ms: number;
  end_ms: number;
  status: string;
  pool: string | null;
  root: string | null;
  total: string | null;
  epoch_total: string | null;
  bundle_path: string | null;
  bundle_hash: string | null;
  tx_hash: string | null;
  closed_at: number | null;
  /** 1 once the epoch's reward lines are in `reward_lines` (they are indexed after the close). */
  lines_indexed: Generated<number>;
}

export interface RewardLineTable {
  epoch: number;
  module: string;
  device_id: string;
  beneficiary: string;
  score: string;
  amount: string;
  reason: string;
  detail: string | null;
}

export interface CumulativeTable {
  epoch: number;
  account: string;
  amount: string;
}

export interface ParamTable {
  key: string;
  value: string;
  block: number;
}

/** RootSubmitted events seen on chain. */
export interface ChainRootTable {
  epoch: number;
  root: string;
  total: string;
  bundle_hash: string;
  tx_hash: string;
  block: number;
}

/** RewardsClaimed events seen on chain. */
export interface ClaimTable {
  tx_hash: string;
  log_index: number;
  account: string;
  amount: string;
  cumulative: string;
  caller: string;
  block: number;
}

export interface DeviceSeqTable {
  device_id: string;
  last_seq: number;
}

/** A finished part of an epoch's inputs digest (docs/REWARDS.md §4), computed ahead of the close. */
export interface DigestPartTable {
  start_ms: number | string;
  end_ms: number | string;
  /** SHA-256 of the part's lines, 0x-hex. */
  digest: string;
  count: number | string;
}

export interface Database {
  device_seq: DeviceSeqTable;
  digest_parts: DigestPartTable;
  devices: DeviceTable;
  devices_resets: DevicesResetsTable;
  envelopes: EnvelopeTable;
  rejections: RejectionTable;
  verdicts: VerdictTable;
  contributions: ContributionTable;
  cursors: CursorTable;
  epochs: EpochTable;
  reward_lines: RewardLineTable;
  cumulative: CumulativeTable;
  params: ParamTable;
  chain_roots: ChainRootTable;
  claims: ClaimTable;
}
