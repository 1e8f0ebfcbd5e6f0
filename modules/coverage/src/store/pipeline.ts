/**
 * The module's own pipeline stage, between the core verifier and the epoch:
 * accepted coverage contributions are imported into the module's tables,
 * matched (witness ↔ beacon by packet, receipt ↔ session), judged as soon as
 * a beacon's witness window has closed (provisional verdicts), and judged for
 * good when the epoch closes. Every step is idempotent and keeps its cursor in
 * `coverage_meta`, so a crash replays work and never skips it.
 *
 * @module
 */

import type { EpochWindow, Params } from '@groundwork/node/modules/types.ts';
import type { Db } from '@groundwork/node/store/db.ts';
import { type Address, encodeAbiParameters, keccak256 } from 'viem';
import { beaconPacket, type HexString } from '../entropy.ts';
import {
  type BeaconFact,
  type CoverageFacts,
  emptyFacts,
  type SessionFact,
  type WitnessFact,
} from '../facts.ts';
import { judgeFacts } from '../judge.ts';
import { type CoverageParams, readCoverageParams } from '../params.ts';
import { BeaconReason, SessionReason, WitnessReason } from '../reasons.ts';
import { evaluateCoverage, outcomeDetail } from '../score.ts';
import type { CreditsDomain } from '../signatures.ts';
import { type CoverageDb, coverageDb, getMeta, setMeta } from './schema.ts';

const IMPORT_CURSOR = 'import.cursor';
const BATCH = 2_000;

/** Fee purposes as DataCredits records them (`spend(amount, purpose, ref)`). */
export const FEE_PURPOSE = { onboard: 'coverage.onboard', assert: 'coverage.assert' } as const;

/** The `ref` of an onboarding fee: the device id as bytes32. */
export function onboardFeeRef(deviceId: string): HexString {
  return `0x${BigInt(deviceId).toString(16).padStart(64, '0')}`;
}

/** The `ref` of a location fee: keccak256(abi.encode(uint256 deviceId, uint64 h3Cell)) — binds device and cell. */
export function assertFeeRef(deviceId: string, cell: string): HexString {
  return keccak256(
    encodeAbiParameters([{ type: 'uint256' }, { type: 'uint64' }], [BigInt(deviceId), BigInt(`0x${cell}`)]),
  );
}

/** The DataCredits domain this node settles against (written by `start`), if known. */
export async function readCreditsDomain(db: CoverageDb): Promise<CreditsDomain | undefined> {
  const raw = await getMeta(db, 'credits.domain');
  return raw ? (JSON.parse(raw) as CreditsDomain) : undefined;
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
const min = (a: bigint, b: bigint) => (a < b ? a : b);

interface ContributionRow {
  envelope_id: number;
  device_id: string;
  at: number;
  data: string;
}

/**
 * Imports the coverage contributions the core verifier accepted since the
 * last call, in envelope order: beacons (with their packet and duplicate
 * status), witness reports (duplicate status), sessions and receipts (judged
 * here against their session, since that needs history). Returns how many it
 * imported.
 */
export function importContributions(rawDb: Db, params: Params): Promise<number> {
  // The background loop and the epoch close both import; one at a time per database.
  const prev = importing.get(rawDb) ?? Promise.resolve(0);
  const next = prev.catch(() => 0).then(() => importPending(rawDb, params));
  importing.set(rawDb, next);
  return next;
}

const importing = new WeakMap<Db, Promise<number>>();

async function importPending(rawDb: Db, params: Params): Promise<number> {
  const db = coverageDb(rawDb);
  const p = readCoverageParams(params);
  const domain = await readCreditsDomain(db);
  let total = 0;
  for (;;) {
    const cursor = Number((await getMeta(db, IMPORT_CURSOR)) ?? 0);
    const rows: ContributionRow[] = await db
      .selectFrom('contributions')
      .select(['envelope_id', 'device_id', 'at', 'data'])
      .where('module', '=', 'coverage')
      .where('envelope_id', '>', cursor)
      .orderBy('envelope_id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) return total;
    await db.transaction().execute(async (trx) => {
      for (const r of rows) await importOne(trx as unknown as CoverageDb, r, p, domain);
      await setMeta(trx as unknown as CoverageDb, IMPORT_CURSOR, String(rows[rows.length - 1]!.envelope_id));
    });
    total += rows.length;
    if (rows.length < BATCH) return total;
  }
}

async function importOne(db: CoverageDb, r: ContributionRow, p: CoverageParams, domain?: CreditsDomain) {
  const c = JSON.parse(r.data) as Record<string, unknown> & { kind: string; cell: string; operator: string };
  const id = Number(r.envelope_id);
  const at = Number(r.at);
  if (c.kind === 'beacon') {
    const round = c.round as number;
    const nonce = c.nonce as string;
    const e = await db
      .selectFrom('coverage_entropy')
      .select('entropy')
      .where('round', '=', round)
      .executeTakeFirst();
    const prior = await db
      .selectFrom('coverage_beacons')
      .select('nonce')
      .where('device_id', '=', r.device_id)
      .where('round', '=', round)
      .execute();
    const dup = prior.length === 0 ? 0 : prior.some((x) => x.nonce === nonce) ? 1 : 2;
    await db
      .insertInto('coverage_beacons')
      .values({
        envelope_id: id,
        device_id: r.device_id,
        received_at: at,
        round,
        nonce,
        packet: e ? beaconPacket(e.entropy as HexString, r.device_id, nonce) : null,
        frequency_khz: c.frequencyKhz as number,
        eirp_ddbm: c.eirpDdbm as number,
        gain_ddbi: c.gainDdbi as number,
        cell: c.cell,
        operator: c.operator,
        dup,
        reason: null,
        final: 0,
        epoch: null,
      })
      .onConflict((oc) => oc.column('envelope_id').doNothing())
      .execute();
  } else if (c.kind === 'witness') {
    const packet = c.packet as string;
    const prior = await db
      .selectFrom('coverage_witnesses')
      .select('envelope_id')
      .where('device_id', '=', r.device_id)
      .where('packet', '=', packet)
      .executeTakeFirst();
    await db
      .insertInto('coverage_witnesses')
      .values({
        envelope_id: id,
        device_id: r.device_id,
        received_at: at,
        packet,
        beacon_id: null,
        rssi_ddbm: c.rssiDdbm as number,
        snr_ddb: c.snrDdb as number,
        frequency_khz: c.frequencyKhz as number,
        gain_ddbi: c.gainDdbi as number,
        cell: c.cell,
        operator: c.operator,
        dup: prior ? 1 : 0,
        reason: null,
        final: 0,
        epoch: null,
        distance_m: null,
        max_rssi_ddbm: null,
      })
      .onConflict((oc) => oc.column('envelope_id').doNothing())
      .execute();
  } else if (c.kind === 'session') {
    await importSession(db, id, r.device_id, at, c, domain);
  } else if (c.kind === 'receipt') {
    await importReceipt(db, id, r.device_id, at, c, p, domain);
  }
}

const sameDomain = (d: CreditsDomain | undefined, chainId: number, contract: string) =>
  d !== undefined && d.chainId === chainId && d.verifyingContract.toLowerCase() === contract.toLowerCase();

async function importSession(
  db: CoverageDb,
  id: number,
  deviceId: string,
  at: number,
  c: Record<string, unknown> & { operator: string },
  domain?: CreditsDomain,
) {
  const client = (c.client as string).toLowerCase();
  const sessionId = c.sessionId as string;
  const deadline = c.deadline as number;
  const existing = await db
    .selectFrom('coverage_settlements')
    .select('device_id')
    .where('client', '=', client)
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  let reason: string = SessionReason.accepted;
  if (!sameDomain(domain, c.chainId as number, c.credits as string)) reason = SessionReason.wrongDomain;
  else if (existing) reason = SessionReason.duplicate;
  else if (deadline * 1000 < at) reason = SessionReason.expired;
  else if (client === c.operator) reason = SessionReason.selfDealing;
  await db
    .insertInto('coverage_sessions')
    .values({
      envelope_id: id,
      device_id: deviceId,
      session_id: sessionId,
      client,
      max_credits: c.maxCredits as string,
      deadline,
      chain_id: c.chainId as number,
      contract: (c.credits as string).toLowerCase(),
      signature: c.clientSig as string,
      received_at: at,
      operator: c.operator,
      reason,
    })
    .onConflict((oc) => oc.column('envelope_id').doNothing())
    .execute();
  if (reason !== SessionReason.accepted) return;
  await db
    .insertInto('coverage_settlements')
    .values({
      client,
      session_id: sessionId,
      device_id: deviceId,
      session_envelope: id,
      max_credits: c.maxCredits as string,
      deadline,
      signature: c.clientSig as string,
      last_counter: 0,
      accepted_bytes: 0,
      last_receipt_at: at,
      owed_credits: '0',
      submitted_credits: '0',
      debited_credits: '0',
      paid_bytes: '0',
    })
    .onConflict((oc) => oc.columns(['client', 'session_id']).doNothing())
    .execute();
}

async function importReceipt(
  db: CoverageDb,
  id: number,
  deviceId: string,
  at: number,
  c: Record<string, unknown>,
  p: CoverageParams,
  domain?: CreditsDomain,
) {
  const client = (c.client as string).toLowerCase();
  const sessionId = c.sessionId as string;
  const counter = c.counter as number;
  const cumulative = c.cumulativeBytes as number;
  const s = await db
    .selectFrom('coverage_settlements')
    .selectAll()
    .where('client', '=', client)
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  let reason: string = SessionReason.receiptAccepted;
  if (!sameDomain(domain, c.chainId as number, c.credits as string))
    reason = SessionReason.receiptWrongDomain;
  else if (!s) {
    const rejected = await db
      .selectFrom('coverage_sessions')
      .select('reason')
      .where('session_id', '=', sessionId)
      .where('client', '=', client)
      .executeTakeFirst();
    reason = rejected ? SessionReason.receiptSessionRejected : SessionReason.receiptUnknownSession;
  } else if (s.device_id !== deviceId) reason = SessionReason.receiptHotspotMismatch;
  else if (counter <= Number(s.last_counter)) reason = SessionReason.receiptDuplicate;
  else if (cumulative <= Number(s.accepted_bytes)) reason = SessionReason.receiptBytesNotIncreasing;
  else {
    const seconds = Math.max(1, (at - Number(s.last_receipt_at)) / 1000);
    if ((cumulative - Number(s.accepted_bytes)) / seconds > p.maxBytesPerS)
      reason = SessionReason.receiptRateImplausible;
  }
  await db
    .insertInto('coverage_receipts')
    .values({
      envelope_id: id,
      device_id: deviceId,
      session_id: sessionId,
      client,
      counter,
      cumulative_bytes: cumulative,
      received_at: at,
      reason,
    })
    .onConflict((oc) => oc.column('envelope_id').doNothing())
    .execute();
  if (reason !== SessionReason.receiptAccepted || !s) return;
  const owed = min(ceilDiv(BigInt(cumulative), p.bytesPerCredit), BigInt(s.max_credits));
  await db
    .updateTable('coverage_settlements')
    .set({
      last_counter: counter,
      accepted_bytes: cumulative,
      last_receipt_at: at,
      owed_credits: owed.toString(),
    })
    .where('client', '=', client)
    .where('session_id', '=', sessionId)
    .execute();
}

interface BeaconRow {
  envelope_id: number;
  device_id: string;
  received_at: number;
  round: number;
  nonce: string;
  packet: string | null;
  frequency_khz: number;
  eirp_ddbm: number;
  gain_ddbi: number;
  cell: string;
  operator: string;
  dup: number;
}

interface WitnessRow {
  envelope_id: number;
  device_id: string;
  received_at: number;
  packet: string;
  rssi_ddbm: number;
  snr_ddb: number;
  frequency_khz: number;
  gain_ddbi: number;
  cell: string;
  operator: string;
  dup: number;
}

/** Builds facts from beacon and witness rows (cells and operators as given per hotspot). */
function buildFacts(
  beacons: BeaconRow[],
  witnesses: WitnessRow[],
  hotspots: Map<string, { cell: string; operator: string; fees: 0 | 1 }>,
  entropy: { round: number; entropy: string; issued_at: number }[],
  lookbackStartMs: number,
): { facts: CoverageFacts; beaconIds: number[]; witnessIds: number[]; beaconOfWitness: (number | null)[] } {
  const facts = emptyFacts(lookbackStartMs);
  const ids = [...hotspots.keys()].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  facts.hotspots = ids.map((id) => ({ id, ...hotspots.get(id)! }));
  facts.entropy = entropy
    .map((e) => [Number(e.round), e.entropy, Number(e.issued_at)] as [number, string, number])
    .sort((a, b) => a[0] - b[0]);
  const sortedB = [...beacons].sort(
    (a, b) => Number(a.received_at) - Number(b.received_at) || Number(a.envelope_id) - Number(b.envelope_id),
  );
  const byPacket = new Map<string, number>();
  facts.beacons = sortedB.map<BeaconFact>((b, i) => {
    // The first beacon with a packet owns it; a later one repeating it is a replay.
    if (b.packet && !byPacket.has(b.packet)) byPacket.set(b.packet, i);
    return [
      Number(b.envelope_id),
      index.get(b.device_id)!,
      Number(b.received_at),
      Number(b.round),
      b.nonce,
      b.frequency_khz,
      b.eirp_ddbm,
      b.gain_ddbi,
      b.dup as 0 | 1 | 2,
    ];
  });
  const sortedW = [...witnesses].sort(
    (a, b) => Number(a.received_at) - Number(b.received_at) || Number(a.envelope_id) - Number(b.envelope_id),
  );
  facts.witnesses = sortedW.map<WitnessFact>((w) => [
    Number(w.envelope_id),
    byPacket.get(w.packet) ?? -1,
    index.get(w.device_id)!,
    Number(w.received_at),
    w.rssi_ddbm,
    w.snr_ddb,
    w.frequency_khz,
    w.gain_ddbi,
    w.dup as 0 | 1,
  ]);
  return {
    facts,
    beaconIds: sortedB.map((b) => Number(b.envelope_id)),
    witnessIds: sortedW.map((w) => Number(w.envelope_id)),
    beaconOfWitness: facts.witnesses.map((w) => (w[1] >= 0 ? Number(sortedB[w[1]]!.envelope_id) : null)),
  };
}

async function entropyFor(db: CoverageDb, rounds: number[]) {
  const out: { round: number; entropy: string; issued_at: number }[] = [];
  const unique = [...new Set(rounds)];
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    out.push(
      ...(await db
        .selectFrom('coverage_entropy')
        .select(['round', 'entropy', 'issued_at'])
        .where('round', 'in', chunk)
        .execute()),
    );
  }
  return out;
}

async function inChunks<T>(ids: number[], fn: (chunk: number[]) => Promise<T>): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await fn(ids.slice(i, i + 500));
}

/**
 * Gives every beacon whose witness window has closed by `horizonMs` its
 * provisional verdict (its own checks, and each of its witness reports'),
 * so operators see them within seconds; witness reports whose packet matches
 * no beacon get `WITNESS_UNKNOWN_BEACON` once twice the window has passed.
 * The epoch close later replaces them with final verdicts. Returns how many
 * beacons it judged.
 */
export async function judgeClosedBeacons(rawDb: Db, params: Params, horizonMs: number): Promise<number> {
  const db = coverageDb(rawDb);
  const p = readCoverageParams(params);
  const beacons = (await db
    .selectFrom('coverage_beacons')
    .selectAll()
    .where('reason', 'is', null)
    .where('received_at', '<=', horizonMs - p.witnessWindowMs)
    .orderBy('envelope_id')
    .limit(BATCH)
    .execute()) as unknown as BeaconRow[];
  // Reports that arrived after their beacon was judged (late ones, replays): judge them with their beacon again.
  const strays = await db
    .selectFrom('coverage_witnesses as w')
    .innerJoin('coverage_beacons as b', 'b.packet', 'w.packet')
    .select('b.envelope_id')
    .where('w.reason', 'is', null)
    .where('w.received_at', '<=', horizonMs - p.witnessWindowMs)
    .where('b.reason', 'is not', null)
    .where('b.final', '=', 0)
    .limit(BATCH)
    .execute();
  const strayIds = [...new Set(strays.map((x) => Number(x.envelope_id)))].filter(
    (bid) => !beacons.some((b) => Number(b.envelope_id) === bid),
  );
  if (strayIds.length > 0)
    beacons.push(
      ...((await db
        .selectFrom('coverage_beacons')
        .selectAll()
        .where('envelope_id', 'in', strayIds)
        .execute()) as unknown as BeaconRow[]),
    );
  const packets = [...new Set(beacons.map((b) => b.packet).filter((x): x is string => x !== null))];
  const witnesses: WitnessRow[] = [];
  for (let i = 0; i < packets.length; i += 500) {
    witnesses.push(
      ...((await db
        .selectFrom('coverage_witnesses')
        .selectAll()
        .where('packet', 'in', packets.slice(i, i + 500))
        .where('final', '=', 0)
        .execute()) as unknown as WitnessRow[]),
    );
  }
  const hotspots = new Map<string, { cell: string; operator: string; fees: 0 | 1 }>();
  for (const r of [...beacons, ...witnesses])
    hotspots.set(r.device_id, { cell: r.cell, operator: r.operator, fees: 1 });
  const built = buildFacts(
    beacons,
    witnesses,
    hotspots,
    await entropyFor(
      db,
      beacons.map((b) => b.round),
    ),
    0,
  );
  const j = judgeFacts(built.facts, p);
  await db.transaction().execute(async (trx) => {
    const t = trx as unknown as CoverageDb;
    for (let i = 0; i < built.beaconIds.length; i++) {
      const v = j.beacons[i]!;
      await t
        .updateTable('coverage_beacons')
        .set({ reason: v === 'OK' ? BeaconReason.valid : v })
        .where('envelope_id', '=', built.beaconIds[i]!)
        .where('final', '=', 0)
        .execute();
    }
    for (let i = 0; i < built.witnessIds.length; i++) {
      const v = j.witnesses[i]!;
      await t
        .updateTable('coverage_witnesses')
        .set({
          reason: v === 'VALID' ? WitnessReason.valid : v,
          beacon_id: built.beaconOfWitness[i],
          distance_m: j.distanceM[i]! >= 0 ? j.distanceM[i]! : null,
          max_rssi_ddbm: j.maxRssiDdbm[i]! !== 0 ? j.maxRssiDdbm[i]! : null,
        })
        .where('envelope_id', '=', built.witnessIds[i]!)
        .where('final', '=', 0)
        .execute();
    }
    // Reports of packets no beacon carried, once a beacon could no longer arrive for them.
    const orphans = await t
      .selectFrom('coverage_witnesses as w')
      .select('w.envelope_id')
      .where('w.reason', 'is', null)
      .where('w.received_at', '<=', horizonMs - 2 * p.witnessWindowMs)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('coverage_beacons as b')
              .select('b.envelope_id')
              .whereRef('b.packet', '=', 'w.packet'),
          ),
        ),
      )
      .limit(BATCH)
      .execute();
    await inChunks(
      orphans.map((o) => Number(o.envelope_id)),
      (chunk) =>
        t
          .updateTable('coverage_witnesses')
          .set({ reason: WitnessReason.unknownBeacon })
          .where('envelope_id', 'in', chunk)
          .execute(),
    );
  });
  return beacons.length;
}

/**
 * The epoch's window on the chain's clock: its bounds rounded down to whole
 * seconds, the resolution of block timestamps. A block belongs to the epoch
 * when `⌊startMs / 1000⌋ ≤ timestamp < ⌊endMs / 1000⌋`. Compared with the
 * millisecond bounds instead, a block mined in the first second after an end
 * that is not a whole second (genesis is a millisecond time) carries that
 * second's timestamp, which is before the end: it fell in an epoch that had
 * already closed, and a session debit there was paid in no epoch. With the
 * bounds rounded down, every block mined at or after the end, on a chain
 * whose clock agrees with the node's, falls after it.
 */
export function chainWindow(window: { startMs: number; endMs: number }): { startMs: number; endMs: number } {
  return {
    startMs: Math.floor(window.startMs / 1000) * 1000,
    endMs: Math.floor(window.endMs / 1000) * 1000,
  };
}

/**
 * The module's `collectInputs`: imports what is pending, gathers the facts
 * of the look-back window that ends with the epoch (beacons whose witness
 * window closed before the epoch end, their witness reports, the entropy
 * rounds, every coverage hotspot with its current cell, operator and fees,
 * and the session debits DataCredits recorded during the epoch), evaluates
 * them, stores the final verdicts and each hotspot's tests for operators, and
 * returns the facts for the bundle.
 *
 * Reports made from a cell other than the hotspot's current one are left out:
 * moving a hotspot resets its location proof.
 *
 * Chain events are placed by block time ({@link chainWindow}).
 */
export async function collectCoverageInputs(
  rawDb: Db,
  window: EpochWindow,
  params: Params,
): Promise<CoverageFacts> {
  const db = coverageDb(rawDb);
  await importContributions(rawDb, params);
  const p = readCoverageParams(params);
  const lookbackStart = window.endMs - p.lookbackS * 1000;
  const onChain = chainWindow(window);
  const devices = await db
    .selectFrom('devices')
    .select(['device_id', 'h3_cell', 'operator', 'active'])
    .where('module', '=', 'coverage')
    .execute();
  const current = new Map(devices.map((d) => [d.device_id, d]));
  const beacons = (
    (await db
      .selectFrom('coverage_beacons')
      .selectAll()
      .where('received_at', '>=', lookbackStart)
      .where('received_at', '<', window.endMs - p.witnessWindowMs)
      .execute()) as unknown as BeaconRow[]
  ).filter((b) => current.get(b.device_id)?.h3_cell === b.cell);
  const witnesses = (
    (await db
      .selectFrom('coverage_witnesses')
      .selectAll()
      .where('received_at', '>=', lookbackStart - p.witnessWindowMs)
      .where('received_at', '<', window.endMs)
      .execute()) as unknown as WitnessRow[]
  ).filter((w) => current.get(w.device_id)?.h3_cell === w.cell);

  const spent = await db
    .selectFrom('coverage_credit_events')
    .select(['other', 'hotspot', 'amount'])
    .where('name', '=', 'CreditsSpent')
    .where('block_time', '<', onChain.endMs)
    .execute();
  const paid = new Map<string, bigint>();
  for (const r of spent) {
    const key = `${r.other}|${r.hotspot}`;
    paid.set(key, (paid.get(key) ?? 0n) + BigInt(r.amount));
  }
  const feesOk = (deviceId: string, cell: string): 0 | 1 => {
    if (!p.feesRequired) return 1;
    const onboard = paid.get(`${FEE_PURPOSE.onboard}|${onboardFeeRef(deviceId)}`) ?? 0n;
    const assert = cell ? (paid.get(`${FEE_PURPOSE.assert}|${assertFeeRef(deviceId, cell)}`) ?? 0n) : 0n;
    return onboard >= p.onboardFee && assert >= p.assertFee ? 1 : 0;
  };

  const hotspots = new Map<string, { cell: string; operator: string; fees: 0 | 1 }>();
  const addHotspot = (id: string) => {
    const d = current.get(id);
    if (!d || hotspots.has(id)) return;
    hotspots.set(id, {
      cell: d.h3_cell === '0' ? '' : d.h3_cell,
      operator: d.operator.toLowerCase(),
      fees: feesOk(id, d.h3_cell),
    });
  };
  for (const d of devices) if (d.active === 1) addHotspot(d.device_id);
  for (const r of [...beacons, ...witnesses]) addHotspot(r.device_id);

  // Paid data: debits recorded on chain during the epoch, per session.
  const debits = await db
    .selectFrom('coverage_credit_events')
    .select(['session_id', 'account', 'hotspot', 'amount', 'bytes'])
    .where('name', '=', 'SessionDebited')
    .where('block_time', '>=', onChain.startMs)
    .where('block_time', '<', onChain.endMs)
    .execute();
  const mints = await db
    .selectFrom('coverage_credit_events')
    .select(['account', 'other'])
    .where('name', '=', 'CreditsMinted')
    .where('block_time', '<', onChain.endMs)
    .execute();
  const fundedBy = new Map<string, Set<string>>();
  for (const m of mints) {
    if (m.account === m.other) continue;
    fundedBy.set(m.account, new Set([...(fundedBy.get(m.account) ?? []), m.other]));
  }
  const perSession = new Map<
    string,
    { sessionId: string; client: string; hotspot: string; credits: bigint; bytes: bigint }
  >();
  for (const d of debits) {
    const hotspot = `0x${BigInt(d.hotspot!).toString(16).padStart(64, '0')}`;
    addHotspot(hotspot);
    if (!hotspots.has(hotspot)) continue;
    const key = `${d.session_id}|${d.account}`;
    const s = perSession.get(key) ?? {
      sessionId: d.session_id!,
      client: d.account,
      hotspot,
      credits: 0n,
      bytes: 0n,
    };
    s.credits += BigInt(d.amount);
    s.bytes += BigInt(d.bytes);
    perSession.set(key, s);
  }

  // A report belongs to these facts when its packet is one of these beacons', or is nobody's (an orphan, once no
  // beacon can still arrive for it); reports of beacons judged in another epoch stay out.
  const inFacts = new Set(beacons.map((b) => b.packet).filter((x): x is string => x !== null));
  const otherPackets = new Set<string>();
  const unknown = [...new Set(witnesses.map((w) => w.packet))].filter((x) => !inFacts.has(x));
  for (let i = 0; i < unknown.length; i += 500) {
    const rows = await db
      .selectFrom('coverage_beacons')
      .select('packet')
      .where('packet', 'in', unknown.slice(i, i + 500))
      .execute();
    for (const r of rows) if (r.packet) otherPackets.add(r.packet);
  }
  const ownWitnesses = witnesses.filter(
    (w) =>
      inFacts.has(w.packet) ||
      (!otherPackets.has(w.packet) && Number(w.received_at) + p.witnessWindowMs < window.endMs),
  );
  const built = buildFacts(
    beacons.filter((b) => hotspots.has(b.device_id)),
    ownWitnesses.filter((w) => hotspots.has(w.device_id)),
    hotspots,
    await entropyFor(
      db,
      beacons.map((b) => b.round),
    ),
    lookbackStart,
  );
  const facts = built.facts;
  const index = new Map(facts.hotspots.map((h, i) => [h.id, i]));
  facts.sessions = [...perSession.values()]
    .sort((a, b) => (a.sessionId + a.client < b.sessionId + b.client ? -1 : 1))
    .map<SessionFact>((s) => {
      const operator = hotspots.get(s.hotspot)!.operator;
      const linked = s.client === operator || (fundedBy.get(s.client)?.has(operator) ?? false);
      return [
        s.sessionId,
        index.get(s.hotspot)!,
        s.client,
        linked ? 1 : 0,
        s.credits.toString(),
        s.bytes.toString(),
      ];
    });

  await storeFinalVerdicts(db, facts, built, p, window);
  return facts;
}

async function storeFinalVerdicts(
  db: CoverageDb,
  facts: CoverageFacts,
  built: ReturnType<typeof buildFacts>,
  p: CoverageParams,
  window: EpochWindow,
) {
  const ev = evaluateCoverage(facts, p, window);
  const beaconsByReason = new Map<string, number[]>();
  ev.beacons.forEach((v, i) => {
    if (v !== null) beaconsByReason.set(v, [...(beaconsByReason.get(v) ?? []), built.beaconIds[i]!]);
  });
  const witnessesByReason = new Map<string, number[]>();
  ev.witnesses.forEach((v, i) => {
    if (v !== null) witnessesByReason.set(v, [...(witnessesByReason.get(v) ?? []), built.witnessIds[i]!]);
  });
  await db.transaction().execute(async (trx) => {
    const t = trx as unknown as CoverageDb;
    for (const [reason, ids] of beaconsByReason)
      await inChunks(ids, (chunk) =>
        t
          .updateTable('coverage_beacons')
          .set({ reason, final: 1, epoch: window.epoch })
          .where('envelope_id', 'in', chunk)
          .execute(),
      );
    for (const [reason, ids] of witnessesByReason)
      await inChunks(ids, (chunk) =>
        t
          .updateTable('coverage_witnesses')
          .set({ reason, final: 1, epoch: window.epoch })
          .where('envelope_id', 'in', chunk)
          .execute(),
      );
    for (let i = 0; i < built.witnessIds.length; i++) {
      if (ev.witnesses[i] === null || built.beaconOfWitness[i] === null) continue;
      await t
        .updateTable('coverage_witnesses')
        .set({
          beacon_id: built.beaconOfWitness[i],
          distance_m: ev.distanceM[i]! >= 0 ? ev.distanceM[i]! : null,
          max_rssi_ddbm: ev.maxRssiDdbm[i]! !== 0 ? ev.maxRssiDdbm[i]! : null,
        })
        .where('envelope_id', '=', built.witnessIds[i]!)
        .execute();
    }
    await t.deleteFrom('coverage_hotspot_epochs').where('epoch', '=', window.epoch).execute();
    const rows = facts.hotspots.map((h, i) => {
      const o = ev.hotspots[i]!;
      return {
        epoch: window.epoch,
        device_id: h.id,
        flags: o.flags.join(','),
        reason: o.reason,
        score: o.score.toString(),
        detail: JSON.stringify({
          ...outcomeDetail(o),
          links: o.links,
          badLinks: o.badLinks,
          locLinks: o.locLinks,
          locChi2: o.locChi2,
          locOffsetM: o.locOffsetM,
          locLevelDdb: o.locLevelDdb,
          asymLinks: o.asymLinks,
          asymDdb: o.asymDdb,
          corrExpected: o.corrExpected,
          corrHeard: o.corrHeard,
          component: o.component,
          replays: o.replays,
          selfDealt: o.selfDealt,
        }),
      };
    });
    for (let i = 0; i < rows.length; i += 200)
      await t
        .insertInto('coverage_hotspot_epochs')
        .values(rows.slice(i, i + 200))
        .execute();
  });
}

/** For tests and tools: the DataCredits domain to record (what `start` writes). */
export async function recordCreditsDomain(
  rawDb: Db,
  chainId: number,
  verifyingContract: Address,
): Promise<void> {
  await setMeta(coverageDb(rawDb), 'credits.domain', JSON.stringify({ chainId, verifyingContract }));
}
