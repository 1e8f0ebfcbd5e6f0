import { randomBytes } from 'node:crypto';
import { canonicalize, type Envelope } from '@groundwork/protocol';
import { type Hash, keccakHex, leafOf } from './merkle.ts';
import type { HandoffMessage, Rule } from './schemas.ts';

/** A tracker reading: the device's signed envelope exactly as it signed it. */
export interface ReadingRecord {
  type: 'logistics.reading';
  envelope: Envelope;
}

/** A custody hand-off: the EIP-712 message and both parties' signatures. */
export interface HandoffRecord {
  type: 'logistics.handoff';
  handoff: HandoffMessage;
  signatures: { from: Hash; to: Hash };
}

/** A rule breach the node detected, with the readings (record ids) that caused it. */
export interface AlertRecord {
  type: 'logistics.alert';
  shipment: Hash;
  /** The alert's number within its shipment, from 0. */
  index: number;
  ruleIndex: number;
  rule: Rule;
  code: string;
  startAt: number;
  /** Last reading time in the breach when it was raised. */
  lastAt: number;
  /** Worst value seen (milli-°C, per mille, milli-g, metres or ms, by rule). */
  worst: number;
  trackers: Hash[];
  /** Record ids of the readings that caused the alert (the first 64), and how many there were. */
  readings: Hash[];
  readingCount: number;
  raisedAt: number;
}

export type LogisticsRecord = ReadingRecord | HandoffRecord | AlertRecord;

/** Canonical JSON (RFC 8785) of a record: the exact bytes that are hashed. */
export function encodeRecord(record: LogisticsRecord): string {
  return canonicalize(record);
}

/** The record id: keccak256 of the record's canonical JSON (UTF-8). */
export function recordHashOf(record: LogisticsRecord): Hash {
  return keccakHex(Buffer.from(encodeRecord(record), 'utf8'));
}

/** A fresh 32-byte salt: sibling hashes in a proof then say nothing about the records beside it. */
export function newSalt(): Hash {
  return `0x${randomBytes(32).toString('hex')}`;
}

/** Everything stored for a record: its canonical text, id, salt and leaf. */
export function sealRecord(record: LogisticsRecord, salt: Hash = newSalt()) {
  const json = encodeRecord(record);
  const id = keccakHex(Buffer.from(json, 'utf8'));
  return { json, id, salt, leaf: leafOf(salt, id) };
}
