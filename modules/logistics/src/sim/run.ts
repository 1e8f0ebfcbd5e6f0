import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceRegistryAbi } from '@groundwork/abi';
import {
  type ChainClients,
  connectChain,
  createLogger,
  DEV_KEYS,
  ensureNetwork,
  type GroundworkModule,
  loadSettings,
  moduleToBytes32,
  openSqliteStore,
  startAnvil,
  startNode,
} from '@groundwork/node';
import {
  canonicalize,
  type DeviceKey,
  deviceKeyFromSeed,
  type Envelope,
  type KeyType,
  keyTypeCode,
  registrationDigest,
  signEnvelope,
  signRegistration,
  toHex,
} from '@groundwork/protocol';
import { sql } from 'kysely';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { type AnchorContext, anchorPending } from '../anchor.ts';
import { ApiError, type LogisticsClient, signIn } from '../client.ts';
import { handoffTypedData } from '../handoff.ts';
import type { Hash } from '../merkle.ts';
import { LOGISTICS_PARAMS } from '../params.ts';
import { catchUp } from '../processor.ts';
import { buildBatchProofs, type Proof } from '../proof.ts';
import type { LogisticsRecord, ReadingRecord } from '../records.ts';
import { auditShipment } from '../report.ts';
import type { HandoffMessage, Rule } from '../schemas.ts';
import { ldb } from '../store.ts';
import { rpcChainReader, verifyProof } from '../verifyProof.ts';
import { derive, type PlannedShipment, planScenario, SIM_RULES } from './scenario.ts';

/** The one-line result the issue asks for. */
export interface SimSummary {
  shipments: number;
  records: number;
  anchors: number;
  breaches: number;
  breachesExpected: number;
  tamperingCaught: boolean;
}

/** Everything the simulation checked, for tests and for `--report-dir`. */
export interface SimOutcome {
  summary: SimSummary;
  details: {
    trackers: number;
    readings: number;
    handoffs: number;
    alerts: number;
    envelopesRejected: number;
    injected: { shipment: number; kind: string }[];
    missed: { shipment: number; kind: string }[];
    unexpected: { shipment: number; code: string }[];
    blipsIgnored: number;
    proofsVerified: number;
    proofsInvalid: number;
    apiProofsVerified: number;
    outsiderStatus: number;
    tamper: {
      shipment: number;
      recordId: string;
      editedBy: string;
      tempBeforeMc: number;
      tempAfterMc: number;
      failedChecks: string[];
      auditFailed: string[];
      reportIntegrityFailed: number;
    };
    seconds: number;
  };
}

const HOUR = 3_600_000;
const WINDOW_MS = 12 * HOUR;

function keyOf(seed: string, label: string): Hex {
  return `0x${Buffer.from(derive(seed, label)).toString('hex')}`;
}

function trackerKey(seed: string, t: number): DeviceKey {
  const keyType: KeyType = t % 2 === 0 ? 'ed25519' : 'p256';
  for (let attempt = 0; ; attempt++) {
    try {
      return deviceKeyFromSeed(keyType, derive(seed, `tracker:${t}:${attempt}`));
    } catch {
      // A P-256 scalar out of range: astronomically rare; take the next.
    }
  }
}

async function registerTrackers(
  clients: ChainClients,
  registry: Address,
  byOperator: Map<Hex, DeviceKey[]>,
): Promise<void> {
  for (const [operatorKey, keys] of byOperator) {
    const w = clients.walletFor(operatorKey);
    for (let i = 0; i < keys.length; i += 20) {
      const batch = keys.slice(i, i + 20).map((k) => {
        const digest = registrationDigest({
          chainId: clients.chain.id,
          registry,
          operator: w.account.address,
          nonce: 0,
        });
        return {
          keyType: keyTypeCode(k.keyType),
          publicKey: toHex(k.publicKey) as Hex,
          module: moduleToBytes32('logistics'),
          h3Cell: 0n,
          signature: toHex(signRegistration(k.privateKey, k.keyType, digest)) as Hex,
        };
      });
      const hash = await w.writeContract({
        address: registry,
        abi: deviceRegistryAbi,
        functionName: 'registerBatch',
        args: [batch],
      });
      const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`registerBatch reverted in ${hash}`);
    }
  }
}

/**
 * The logistics simulation, self-contained: its own anvil chain, a fresh
 * network with AnchorRegistry, a node, and `count` cold-chain shipments
 * (planned from `seed`) driven through the real API — Sign-In with Ethereum,
 * shipments, trackers posting signed readings, hand-offs signed by both
 * parties — in twelve-hour windows of shipment time, anchoring after each.
 * Then it verifies every record's proof against the chain, has a carrier
 * edit a stored reading of an excursion, and checks that proof verification
 * catches it (and nothing else).
 */
export async function runLogisticsSim(o: {
  shipments: number;
  seed: string;
  module: GroundworkModule;
  progress?: (line: string) => void;
  reportDir?: string;
}): Promise<SimOutcome> {
  const started = Date.now();
  const t00 = Date.now();
  const say = (line: string) => o.progress?.(`${((Date.now() - t00) / 1000).toFixed(1)}s ${line}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-logistics-sim-'));
  const anvil = await startAnvil({ port: 0 });
  let node: Awaited<ReturnType<typeof startNode>> | undefined;
  try {
    const clients = await connectChain(anvil.rpcUrl);
    const settings = loadSettings(
      {
        dataDir,
        logLevel: 'silent',
        api: { host: '127.0.0.1', port: 0 },
        mqtt: { enabled: false },
        genesis: { epochSeconds: 3600 },
      },
      { env: {} },
    );
    // The simulation anchors after each window itself; the node's own load trigger stays out of the way.
    const { deployment } = await ensureNetwork({
      settings,
      clients,
      modules: [o.module],
      parameterOverrides: { [LOGISTICS_PARAMS.anchorLoadRecords]: 2n ** 53n },
    });
    const network = {
      chainId: deployment.chainId,
      anchorRegistry: deployment.modules!.logistics!.AnchorRegistry! as Address,
      deviceRegistry: deployment.contracts.registry,
    };
    const scenario = planScenario(o.seed, o.shipments, Date.now());
    say(
      `planned ${scenario.shipments.length} shipments, ${scenario.trackers} trackers, ${scenario.injected.length} breaches`,
    );

    // Trackers belong to the shipper who puts them on its shipments.
    const shipperKeys = DEV_KEYS.slice(4, 9) as unknown as Hex[];
    const trackers = Array.from({ length: scenario.trackers }, (_, t) => trackerKey(o.seed, t));
    const byOperator = new Map<Hex, DeviceKey[]>();
    for (const s of scenario.shipments)
      for (const t of s.trackers) {
        const k = shipperKeys[s.shipper]!;
        byOperator.set(k, [...(byOperator.get(k) ?? []), trackers[t]!]);
      }
    await registerTrackers(clients, deployment.contracts.registry, byOperator);
    say(`registered ${trackers.length} trackers in DeviceRegistry`);

    // A throw-away database: no fsync per commit (the node's default is synchronous=FULL, for durability).
    const store = await openSqliteStore(join(dataDir, 'node.sqlite'), [o.module]);
    await sql`PRAGMA synchronous = OFF`.execute(store.db);
    node = await startNode({
      settings,
      deployment,
      clients,
      store,
      log: createLogger({ level: 'silent' }),
      modules: [o.module],
    });
    const rt = node.ctx.runtimeFor('logistics');
    const anchorCtx: AnchorContext = {
      db: rt.db,
      clients,
      registry: network.anchorRegistry,
      anchorKey: settings.oracleKeys[0] as Hex,
      params: rt.params(),
    };

    const carrierKeys = Array.from({ length: 8 }, (_, k) => keyOf(o.seed, `carrier:${k}`));
    const receiverKeys = Array.from({ length: 6 }, (_, k) => keyOf(o.seed, `receiver:${k}`));
    const auditorKey = keyOf(o.seed, 'auditor');
    const outsiderKey = keyOf(o.seed, 'outsider');
    const sessions = new Map<Hex, LogisticsClient>();
    const session = async (key: Hex) => {
      let c = sessions.get(key);
      if (!c) {
        c = await signIn(node!.url, key);
        sessions.set(key, c);
      }
      return c;
    };
    const addr = (key: Hex) => privateKeyToAccount(key).address.toLowerCase() as Address;
    const partyKey = (s: PlannedShipment, who: number): Hex =>
      who < 0
        ? shipperKeys[s.shipper]!
        : who >= s.carriers.length
          ? receiverKeys[s.receiver]!
          : carrierKeys[s.carriers[who]!]!;

    const ids: string[] = [];
    for (const s of scenario.shipments) {
      const shipper = await session(shipperKeys[s.shipper]!);
      const carriers = [...new Set(s.carriers)].map((c) => ({
        account: addr(carrierKeys[c]!),
        role: 'carrier' as const,
      }));
      const created = await shipper.post<{ id: string }>('/shipments', {
        reference: s.reference,
        trackers: s.trackers.map((t) => trackers[t]!.deviceId),
        parties: [
          ...carriers,
          { account: addr(receiverKeys[s.receiver]!), role: 'receiver' },
          { account: addr(auditorKey), role: 'auditor' },
        ],
        route: { waypoints: s.route },
        rules: SIM_RULES,
        startAt: s.startAt,
      });
      ids.push(created.id);
    }
    say(`created ${ids.length} shipments through the API`);

    const seqs = new Map<number, number>();
    let envelopesRejected = 0;
    let readingsSent = 0;
    let handoffsSent = 0;
    let anchors = 0;
    const t0 = Math.min(...scenario.shipments.map((s) => s.startAt));
    const t1 = Math.max(...scenario.shipments.map((s) => s.deliveredAt));
    for (let w = t0; w <= t1; w += WINDOW_MS) {
      const handoffs = scenario.shipments
        .flatMap((s) => s.handoffs.filter((h) => h.at >= w && h.at < w + WINDOW_MS).map((h) => ({ s, h })))
        .sort((a, b) => a.h.at - b.h.at || a.s.index - b.s.index || a.h.index - b.h.index);
      for (const { s, h } of handoffs) {
        const fromKey = partyKey(s, h.from);
        const toKey = partyKey(s, h.to);
        const message: HandoffMessage = {
          shipment: ids[s.index]! as Hash,
          index: h.index,
          from: addr(fromKey),
          to: addr(toKey),
          at: h.at,
          latE7: h.latE7,
          lngE7: h.lngE7,
          place: h.place,
          note: h.note,
        };
        const typed = handoffTypedData(message, network);
        const signatures = {
          from: await privateKeyToAccount(fromKey).signTypedData(typed),
          to: await privateKeyToAccount(toKey).signTypedData(typed),
        };
        await (await session(fromKey)).post(`/shipments/${ids[s.index]}/handoffs`, {
          handoff: message,
          signatures,
        });
        handoffsSent++;
      }
      const readings = scenario.shipments
        .flatMap((s) => s.readings.filter((r) => r.at >= w && r.at < w + WINDOW_MS))
        .sort((a, b) => a.at - b.at || a.tracker - b.tracker);
      const envelopes: Envelope[] = readings.map((r) => {
        const seq = (seqs.get(r.tracker) ?? 0) + 1;
        seqs.set(r.tracker, seq);
        const key = trackers[r.tracker]!;
        return signEnvelope(
          {
            v: 1,
            device: key.deviceId,
            seq,
            time: Date.now(),
            kind: 'logistics.reading',
            body: {
              at: r.at,
              tempMc: r.tempMc,
              humidityPm: r.humidityPm,
              position: { latE7: r.latE7, lngE7: r.lngE7 },
              shockMg: r.shockMg,
            },
          },
          key,
        );
      });
      for (let i = 0; i < envelopes.length; i += 1000) {
        const body = JSON.stringify({ envelopes: envelopes.slice(i, i + 1000) });
        // The node sheds load with 503 + Retry-After: wait and send the same batch again (bounded).
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(`${node.url}/v1/envelopes`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          if (res.status === 503 && attempt < 20) {
            await res.arrayBuffer();
            await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
            continue;
          }
          if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
          const { results } = (await res.json()) as { results: { status: string }[] };
          envelopesRejected += results.filter((x) => x.status !== 'accepted').length;
          break;
        }
      }
      readingsSent += envelopes.length;
      await node.ctx.verifier.drain();
      await catchUp(rt.db, rt.params());
      const anchored = await anchorPending(anchorCtx);
      anchors += anchored.length;
      say(
        `${new Date(w).toISOString().slice(0, 13)}h +12 h: ${handoffs.length} hand-offs, ${envelopes.length} readings, ` +
          `${anchored.map((b) => `root of ${b.records} records anchored in batch ${b.chainBatch}`).join(', ') || 'nothing to anchor'}`,
      );
    }
    await node.ctx.verifier.drain();
    await catchUp(rt.db, rt.params());
    anchors += (await anchorPending(anchorCtx)).length;
    say(`sent ${readingsSent} readings and ${handoffsSent} hand-offs; ${anchors} roots anchored`);

    // Breaches found by the node against those put in on purpose.
    const db = ldb(rt.db);
    const alerts = await db
      .selectFrom('logistics_alerts as a')
      .innerJoin('logistics_shipments as s', 's.id', 'a.shipment_id')
      .select(['a.record_id', 'a.shipment_id', 'a.rule_index', 'a.code', 'a.start_at', 's.rules'])
      .orderBy('a.shipment_id')
      .orderBy('a.idx')
      .execute();
    const indexOf = new Map(ids.map((id, i) => [id, i]));
    const found = alerts.map((a) => ({
      recordId: a.record_id,
      shipment: indexOf.get(a.shipment_id)!,
      kind: (JSON.parse(a.rules) as Rule[])[a.rule_index]!.kind,
      code: a.code,
      startAt: Number(a.start_at),
    }));
    const unmatched = [...found];
    const missed: { shipment: number; kind: string }[] = [];
    for (const inj of scenario.injected) {
      const k = unmatched.findIndex(
        (f) =>
          f.shipment === inj.shipment &&
          f.kind === inj.kind &&
          f.startAt >= inj.startAt &&
          f.startAt < inj.endAt,
      );
      if (k < 0) missed.push({ shipment: inj.shipment, kind: inj.kind });
      else unmatched.splice(k, 1);
    }

    // Every record's proof, checked against the chain as an outside verifier would.
    const chain = rpcChainReader(clients.publicClient);
    const all = await db.selectFrom('logistics_records').select(['id']).orderBy('seq').execute();
    const batches = await db.selectFrom('logistics_batches').select('batch').orderBy('batch').execute();
    let proofsVerified = 0;
    let proofsInvalid = 0;
    for (const b of batches) {
      for (const proof of await buildBatchProofs(rt.db, b.batch, network)) {
        const rep = await verifyProof(proof, { chain, expectRegistry: network.anchorRegistry });
        if (rep.ok) proofsVerified++;
        else proofsInvalid++;
      }
    }
    say(`verified ${proofsVerified} proofs against the chain (${proofsInvalid} invalid)`);

    // The tamper shipment's records through the API, as its auditor; an outsider is turned away.
    const target = scenario.tamperShipment;
    const targetId = ids[target]!;
    const auditor = await session(auditorKey);
    const outsider = await session(outsiderKey);
    const records = await auditor.get<{ records: { id: string; type: string }[] }>(
      `/shipments/${targetId}/records?limit=5000`,
    );
    let apiProofsVerified = 0;
    for (const type of ['logistics.reading', 'logistics.handoff', 'logistics.alert']) {
      const rec = records.records.find((x) => x.type === type);
      if (!rec) continue;
      const proof = await auditor.get<Proof>(`/records/${rec.id}/proof`);
      if ((await verifyProof(proof, { chain, expectRegistry: network.anchorRegistry })).ok)
        apiProofsVerified++;
    }
    const outsiderStatus = (await outsider.raw('GET', `/records/${records.records[0]!.id}/proof`)).status;

    // A carrier edits a stored reading of the excursion to hide it: the worst one, set to 5.2 °C.
    const alert = found.find((f) => f.shipment === target && f.kind === 'temperature')!;
    const alertRecord = JSON.parse(
      (
        await db
          .selectFrom('logistics_records')
          .select('json')
          .where('id', '=', alert.recordId)
          .executeTakeFirstOrThrow()
      ).json,
    ) as { readings: string[] };
    const candidates = await db
      .selectFrom('logistics_readings')
      .select(['record_id', 'envelope_id', 'temp_mc', 'at'])
      .where('record_id', 'in', alertRecord.readings)
      .orderBy('temp_mc', 'desc')
      .orderBy('record_id')
      .execute();
    const victim = candidates[0]!;
    const custody = await db
      .selectFrom('logistics_handoffs')
      .select(['to_account', 'at'])
      .where('shipment_id', '=', targetId)
      .where('at', '<=', Number(victim.at))
      .orderBy('at', 'desc')
      .executeTakeFirst();
    const stored = await db
      .selectFrom('logistics_records')
      .select('json')
      .where('id', '=', victim.record_id)
      .executeTakeFirstOrThrow();
    const edited = JSON.parse(stored.json) as ReadingRecord;
    (edited.envelope.body as { tempMc: number }).tempMc = 5_200;
    await db
      .updateTable('logistics_records')
      .set({ json: canonicalize(edited as LogisticsRecord) })
      .where('id', '=', victim.record_id)
      .execute();
    await db
      .updateTable('logistics_readings')
      .set({ temp_mc: 5_200 })
      .where('record_id', '=', victim.record_id)
      .execute();
    await rt.db
      .updateTable('envelopes')
      .set({ body: canonicalize(edited.envelope.body) })
      .where('id', '=', Number(victim.envelope_id))
      .execute();

    const tamperedProof = await auditor.get<Proof>(`/records/${victim.record_id}/proof`);
    const tamperReport = await verifyProof(tamperedProof, { chain, expectRegistry: network.anchorRegistry });
    const audit = await auditShipment(rt.db, targetId, chain, network);
    const report = await auditor.get<{ integrity: { failed: unknown[] } }>(
      `/shipments/${targetId}/report?verify=true`,
    );
    if (o.reportDir) {
      mkdirSync(o.reportDir, { recursive: true });
      writeFileSync(
        join(o.reportDir, 'tampered-shipment.html'),
        await auditor.text(`/shipments/${targetId}/report.html?verify=true`),
      );
      writeFileSync(join(o.reportDir, 'tampered-shipment.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(join(o.reportDir, 'tampered-proof.json'), `${JSON.stringify(tamperedProof, null, 2)}\n`);
      say(`wrote the tampered shipment's report and proof to ${o.reportDir}`);
    }
    const tamperingCaught =
      !tamperReport.ok &&
      tamperReport.failed.includes('device signature') &&
      tamperReport.failed.includes('merkle path') &&
      audit.failed.length === 1 &&
      audit.failed[0]!.recordId === victim.record_id &&
      proofsInvalid === 0;

    const summary: SimSummary = {
      shipments: ids.length,
      records: all.length,
      anchors,
      breaches: found.length,
      breachesExpected: scenario.injected.length,
      tamperingCaught,
    };
    return {
      summary,
      details: {
        trackers: trackers.length,
        readings: readingsSent,
        handoffs: handoffsSent,
        alerts: found.length,
        envelopesRejected,
        injected: scenario.injected.map((i) => ({ shipment: i.shipment, kind: i.kind })),
        missed,
        unexpected: unmatched.map((u) => ({ shipment: u.shipment, code: u.code })),
        blipsIgnored: scenario.blips,
        proofsVerified,
        proofsInvalid,
        apiProofsVerified,
        outsiderStatus,
        tamper: {
          shipment: target,
          recordId: victim.record_id,
          editedBy: custody?.to_account ?? 'shipper',
          tempBeforeMc: Number(victim.temp_mc),
          tempAfterMc: 5_200,
          failedChecks: tamperReport.failed,
          auditFailed: audit.failed.map((f) => f.recordId),
          reportIntegrityFailed: report.integrity.failed.length,
        },
        seconds: Math.round((Date.now() - started) / 100) / 10,
      },
    };
  } catch (err) {
    if (err instanceof ApiError) throw new Error(`simulation: the API answered ${err.message}`);
    throw err;
  } finally {
    await node?.stop().catch(() => {});
    await anvil.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}
