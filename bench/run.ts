/**
 * `npm run bench [-- <suite>…] [-- --quick]`: runs benchmark suites and writes
 * bench/report.json and bench/report.md. Every figure stands beside a
 * baseline measured in the same run, because these machines are noisy.
 * Suites: ingest, epoch, merkle, gas, market. --quick: smaller sizes (< 2 min).
 * Ingest measures HTTP, MQTT through the embedded broker, and MQTT through the
 * external broker at MQTT_URL (default the local Mosquitto, 127.0.0.1:1883;
 * skipped when none answers).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadSettings } from '@groundwork/node/internal/settings.ts';
import { benchEpoch } from './epoch.ts';
import { benchIngest } from './ingest.ts';
import { benchMerkle } from './merkle.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const suites = args.filter((a) => !a.startsWith('--'));
const want = (s: string) => suites.length === 0 || suites.includes(s);
const pgUrl = process.env.GROUNDWORK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// A partial run (one suite) updates the previous report instead of replacing it.
const reportPath = join(here, 'report.json');
// --render: report.md written again from report.json (after a change to its layout), nothing run.
if (args.includes('--render')) {
  writeFileSync(join(here, 'report.md'), renderMarkdown(JSON.parse(readFileSync(reportPath, 'utf8'))));
  process.stdout.write('wrote bench/report.md from bench/report.json\n');
  process.exit(0);
}
const previous =
  suites.length > 0 && existsSync(reportPath)
    ? (JSON.parse(readFileSync(reportPath, 'utf8')) as Record<string, unknown>)
    : {};
// The verify workers' nice steps, as the node's own setting of the same name (docs/OPERATIONS.md),
// read and checked as the node does (an integer 0–19) from that variable alone, before any bench
// runs; unset: 0, the default.
let verifyNice: number;
try {
  verifyNice = loadSettings(
    { dataDir: join(here, 'out') },
    {
      env:
        process.env.GROUNDWORK_VERIFY_NICE === undefined
          ? {}
          : { GROUNDWORK_VERIFY_NICE: process.env.GROUNDWORK_VERIFY_NICE },
    },
  ).verify.nice;
} catch (err) {
  console.error(`bench: GROUNDWORK_VERIFY_NICE: ${(err as Error).message}`);
  process.exit(2);
}

const report: Record<string, unknown> = {
  ...previous,
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  // Ratios travel between machines better than rates, but not perfectly: the node's fixed costs
  // per envelope weigh more against a faster verify.
  cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
  loadAverageAtStart: loadavg()[0]!.toFixed(2),
  quick,
};

if (want('ingest')) {
  const r = await benchIngest({
    envelopes: quick ? 10_000 : 60_000,
    repeats: quick ? 1 : 5,
    externalMqttUrl: process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
    verifyNice,
  });
  report.ingest = {
    ...(report.ingest as object),
    http: r.http,
    mqtt: r.mqtt,
    mqttBatched: r.mqttBatched,
    mqttExternal: r.mqttExternal,
    verifyPerSec: r.verifyPerSec,
    verifyRounds: r.verifyRounds,
    verifyRoundCpuUs: r.verifyRoundCpuUs,
    verifyRoundWorkerCpuUs: r.verifyRoundWorkerCpuUs,
    verifyPerSecOneCore: r.verifyPerSecOneCore,
    verifyCpuUs: r.verifyCpuUs,
    workers: r.workers,
    verifyNice: r.verifyNice,
    repeats: r.repeats,
    envelopes: r.envelopes,
    devices: r.devices,
    batchSize: r.batchSize,
  };
  report.memory = { peakRssMb: r.peakRssMb };
  // A wide fleet: as many devices as a national network's node sees in a minute, so that
  // every envelope is a device's only one in the run. Each verify worker builds that
  // device's key object on first sight, and every commit advances device_seq rows that
  // share no page. Once, HTTP and MQTT (one envelope per message) only.
  const wideDevices = quick ? 20_000 : 100_000;
  process.stderr.write(`bench ingest: a wide fleet, ${wideDevices} devices\n`);
  const wide = await benchIngest({
    envelopes: quick ? 10_000 : 60_000,
    devices: wideDevices,
    repeats: 1,
    batched: false,
    verifyNice,
  });
  report.ingest = {
    ...(report.ingest as object),
    wideFleet: {
      devices: wide.devices,
      envelopes: wide.envelopes,
      verifyPerSec: wide.verifyPerSec,
      http: wide.http,
      mqtt: wide.mqtt,
    },
  };
  const ext = r.mqttExternal && 'perSec' in r.mqttExternal ? r.mqttExternal : undefined;
  process.stdout.write(
    `ingest: raw verify ${r.verifyPerSec}/s on ${r.workers} workers (rounds ${r.verifyRounds.join(', ')}); ` +
      `http ${r.http.perSec}/s, ratio ${r.http.ratio}; mqtt ${r.mqtt.perSec}/s, ratio ${r.mqtt.ratio}` +
      (r.mqttBatched ? `; mqtt batched ${r.mqttBatched.perSec}/s, ratio ${r.mqttBatched.ratio}` : '') +
      (ext ? `; mqtt external ${ext.perSec}/s, ratio ${ext.ratio}` : '') +
      `; peak RSS ${r.peakRssMb} MB\n` +
      `ingest, ${wide.devices} devices: raw verify ${wide.verifyPerSec}/s; http ${wide.http.perSec}/s, ratio ${wide.http.ratio}; ` +
      `mqtt ${wide.mqtt.perSec}/s, ratio ${wide.mqtt.ratio}\n`,
  );
}

if (want('epoch')) {
  const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const epoch: Record<string, Record<string, number>> = { sqlite: {}, postgres: {} };
  const phases: Record<string, unknown> = {};
  const details: Record<string, unknown> = {};
  for (const kind of ['sqlite', 'postgres'] as const) {
    for (const devices of sizes) {
      if (quick && kind === 'postgres' && devices > 10_000) continue;
      const r = await benchEpoch({ devices, kind, pgUrl });
      epoch[kind]![String(devices)] = r.seconds;
      phases[`${kind}/${devices}`] = r.phases;
      details[`${kind}/${devices}`] = {
        closeSeconds: r.seconds,
        indexSeconds: r.indexSeconds,
        baselineSeconds: r.baselineSeconds,
        ratio: Number((r.seconds / r.baselineSeconds).toFixed(2)),
        bundleMb: Number((r.bundleBytes / 1e6).toFixed(1)),
      };
      process.stdout.write(`epoch/${kind}/${devices}: ${r.seconds} s ${JSON.stringify(r.phases)}\n`);
    }
  }
  report.epoch = { ...epoch, phases, details };
}

if (want('merkle')) {
  const r = benchMerkle(
    quick ? { leaves: 100_000, ozLeaves: 10_000 } : { leaves: 1_000_000, ozLeaves: 100_000 },
  );
  if (!r.rootsEqual) throw new Error('Merkle roots differ from @openzeppelin/merkle-tree');
  report.merkle = r;
  process.stdout.write(
    `merkle: ${r.leaves} leaves in ${r.seconds} s; OZ ${r.ozSeconds} s; speed-up ${r.speedup}×\n`,
  );
}

if (want('gas')) {
  const gasModule = join(here, 'gas.ts');
  if (existsSync(gasModule)) {
    const { benchGas } = (await import(pathToFileURL(gasModule).href)) as {
      benchGas: () => Promise<Record<string, number>>;
    };
    report.gas = await benchGas();
    process.stdout.write(`gas: ${JSON.stringify(report.gas)}\n`);
  }
}

if (want('market')) {
  const marketModule = join(here, '../modules/energy/bench/market.ts');
  if (existsSync(marketModule)) {
    const { benchMarket } = (await import(pathToFileURL(marketModule).href)) as {
      benchMarket: (o: { orders: number }) => Promise<Record<string, unknown>> | Record<string, unknown>;
    };
    report.market = await benchMarket({ orders: quick ? 20_000 : 100_000 });
    process.stdout.write(`market: ${JSON.stringify(report.market)}\n`);
  }
}

writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(here, 'report.md'), renderMarkdown(report));
process.stdout.write('wrote bench/report.json and bench/report.md\n');

function renderMarkdown(r: Record<string, unknown>): string {
  const md: string[] = [
    '# Groundwork benchmarks',
    '',
    `${r.date}, Node ${r.node}, ${r.cpus} CPUs${r.cpuModel ? ` (${r.cpuModel})` : ''}, load average at start ${r.loadAverageAtStart}${r.quick ? ', --quick' : ''}.`,
    'Each figure stands beside a baseline measured in the same run; ratios travel between machines, absolute rates do not.',
    '',
  ];
  type Run = {
    perSec: number;
    ratio: number;
    ratioAdjacent?: number;
    adjacentBaselinePerSec?: number;
    peakRssMb?: number;
    rssBeforeMb?: number;
    mainThreadBusy?: number;
    machineIdle?: number;
    cpuUsPerEnvelope?: { node: number; loadGenerator: number; mainThread?: number; verifyWorkers?: number };
    verifyShareOfCpu?: number;
    repeats?: { perSec: number; ratio: number; ratioAdjacent: number; verifyShareOfCpu: number }[];
  };
  /** A run's cells after its rate and ratio: ÷ adjacent rounds, CPU, verify share, main thread, RSS. */
  const rowCells = (x: Run) =>
    [
      x.ratioAdjacent === undefined ? '' : `${x.ratioAdjacent} (of ${x.adjacentBaselinePerSec}/s)`,
      x.cpuUsPerEnvelope
        ? `${x.cpuUsPerEnvelope.node} µs${
            x.cpuUsPerEnvelope.mainThread === undefined
              ? ''
              : `, main thread ${x.cpuUsPerEnvelope.mainThread} µs`
          }${
            x.cpuUsPerEnvelope.verifyWorkers === undefined
              ? ''
              : `, verify workers ${x.cpuUsPerEnvelope.verifyWorkers} µs`
          } (+ ${x.cpuUsPerEnvelope.loadGenerator} µs load generator)`
        : '',
      x.verifyShareOfCpu === undefined ? '' : String(x.verifyShareOfCpu),
      x.mainThreadBusy === undefined
        ? ''
        : `${Math.round(x.mainThreadBusy * 100)} %${
            x.machineIdle === undefined ? '' : ` (${(x.machineIdle * 100).toFixed(1)} %)`
          }`,
      x.peakRssMb === undefined ? '' : `${x.peakRssMb} MB (${x.rssBeforeMb} MB)`,
    ].join(' | ');
  const ing = r.ingest as
    | {
        http?: Run;
        mqtt?: Run & { connections: number; window: number };
        mqttBatched?: Run & { connections: number; window: number; perMessage: number };
        mqttExternal?:
          | (Run & { connections: number; window: number; maxInFlightSeen: number })
          | { skipped: string };
        verifyPerSec: number;
        verifyRounds?: number[];
        verifyRoundCpuUs?: number[];
        verifyRoundWorkerCpuUs?: number[];
        verifyPerSecOneCore: number;
        verifyCpuUs?: number;
        workers: number;
        verifyNice?: number;
        repeats?: number;
        envelopes: number;
        devices?: number;
        batchSize: number;
      }
    | undefined;
  if (ing) {
    const verifyUs = Math.round(ing.verifyCpuUs ?? 1e6 / ing.verifyPerSecOneCore);
    md.push(
      '## Ingest',
      '',
      '| figure | value | ÷ baseline (best round) | ÷ adjacent rounds | node CPU per envelope | verify share of node CPU | main thread busy (machine idle) | peak RSS (before) |',
      '|---|---|---|---|---|---|---|---|',
    );
    md.push(
      `| baseline: raw node:crypto ed25519 verify, ${ing.workers} worker threads${ing.verifyNice ? ` at ${ing.verifyNice} nice steps below the main thread (verify.nice)` : ''} (best of ${ing.verifyRounds?.length ?? 1} rounds) | ${ing.verifyPerSec}/s | 1 | | | | | |`,
    );
    md.push(
      `| raw verify, one core | ${ing.verifyPerSecOneCore}/s | ${(ing.verifyPerSecOneCore / ing.verifyPerSec).toFixed(2)} | | ${verifyUs} µs | | | |`,
    );
    if (ing.http)
      md.push(
        `| HTTP ingest, verified and durably stored (${ing.envelopes} envelopes, batches of ${ing.batchSize}) | ${ing.http.perSec}/s | **${ing.http.ratio}** (target ≥ 0.8) | ${rowCells(ing.http)} |`,
      );
    if (ing.mqtt)
      md.push(
        `| MQTT ingest, embedded broker (one envelope per message, QoS 1, PUBACK after commit; ${ing.mqtt.connections} connections × ${ing.mqtt.window} in flight) | ${ing.mqtt.perSec}/s | **${ing.mqtt.ratio}** (target ≥ 0.8) | ${rowCells(ing.mqtt)} |`,
      );
    if (ing.mqttBatched)
      md.push(
        `| MQTT ingest, embedded broker, devices that buffer (${ing.mqttBatched.perMessage} envelopes per message as one batch, QoS 1, PUBACK after commit) | ${ing.mqttBatched.perSec}/s | ${ing.mqttBatched.ratio} | ${rowCells(ing.mqttBatched)} |`,
      );
    const ext = ing.mqttExternal;
    if (ext && 'perSec' in ext)
      md.push(
        `| MQTT ingest, external Mosquitto and shared subscription (settled by verdict; at most ${ext.maxInFlightSeen} messages in flight at the node) | ${ext.perSec}/s | ${ext.ratio} | ${rowCells(ext)} |`,
      );
    else if (ext) md.push(`| MQTT ingest, external broker | skipped: ${ext.skipped} | | | | | | |`);
    md.push('');
    const spread = (label: string, x: Run | undefined) =>
      x?.repeats
        ? `${label}: ${x.repeats.map((q) => `${q.ratio} / ${q.ratioAdjacent} / ${q.verifyShareOfCpu}`).join('; ')}`
        : undefined;
    const spreads = [
      spread('HTTP', ing.http),
      spread('MQTT, one envelope per message', ing.mqtt),
      spread('MQTT, ten per message', ing.mqttBatched),
    ].filter((x) => x !== undefined);
    if (spreads.length > 0)
      md.push(
        `The HTTP and embedded-MQTT runs were made ${ing.repeats} times, in turn; each row above is the repeat with the median rate. ` +
          `Every repeat, as ÷ baseline / ÷ adjacent rounds / verify share: ${spreads.join('. ')}.`,
        '',
      );
    if (ing.verifyRounds)
      md.push(
        `Baseline rounds (before, between and after the runs): ${ing.verifyRounds.map((v) => `${v}/s`).join(', ')}. ` +
          (ing.verifyRoundCpuUs
            ? `CPU per verify in those rounds: ${ing.verifyRoundCpuUs.map((v) => `${v} µs`).join(', ')}` +
              (ing.verifyRoundWorkerCpuUs?.length
                ? ` (of which the verify workers: ${ing.verifyRoundWorkerCpuUs.map((v) => `${v} µs`).join(', ')}; ` +
                  'beside the workers’ CPU per envelope in a run it shows whether the same verifies ran slower during ingest)'
                : '') +
              '. '
            : '') +
          "“÷ adjacent rounds” divides a run's rate by the mean of the rounds just before and just after it, the verify rate the machine " +
          'had around that run; “÷ baseline” divides by the best round of the whole benchmark, which on a machine whose speed drifts ' +
          'during the benchmark penalizes the later runs. The targets are checked against both. ' +
          `The baseline has the ${r.cpus} cores to itself; during an ingest run the same cores also carry the node's main thread ` +
          '(HTTP or MQTT, JSON, canonical JSON, SQLite) and the load generator (another process, which a real deployment would not have; ' +
          'it sends HTTP through node:http and MQTT over raw sockets, every body and PUBLISH packet encoded before the run), ' +
          'and on a shared machine whatever else runs. CPU time per envelope depends less on that (though shared cores run slower): the verify share, ' +
          "the pool's CPU per verify in the rounds just before and after a run ÷ the node's CPU per envelope in the run, is the part of the node's work that is checking signatures, " +
          'and about the ratio it would reach on idle cores with the load generator elsewhere. ' +
          `${ing.devices ?? ''} devices. The node runs in a process of its own (bench/ingestNode.ts), the verify pool of the baseline rounds with it: ` +
          "its CPU time and RSS are the node's alone, not the benchmark's, which holds every envelope pre-signed. " +
          "The node here is the ingestor alone (signature, replay and skew checks, durable commit): the modules' verification of " +
          'stored envelopes (verdicts, contributions), which a running node does next on the same cores, is not in these figures. ' +
          `The main thread's share is the floor: on ${r.cpus} cores the ratio cannot pass raw verify CPU ÷ (raw verify + main thread + load generator).`,
        '',
      );
  }
  const mem = r.memory as { peakRssMb: number } | undefined;
  if (mem) md.push(`Peak RSS of the node process during the ingest runs above: ${mem.peakRssMb} MB.`, '');
  const wide = (
    r.ingest as {
      wideFleet?: { devices: number; envelopes: number; verifyPerSec: number; http: Run; mqtt: Run };
    }
  )?.wideFleet;
  if (wide) {
    md.push(
      `### A wide fleet: ${wide.devices.toLocaleString('en-US')} devices`,
      '',
      '| figure | value | ÷ baseline (best round) | ÷ adjacent rounds | node CPU per envelope | verify share of node CPU | main thread busy (machine idle) | peak RSS (before) |',
      '|---|---|---|---|---|---|---|---|',
      `| baseline: raw verify, best round of this run | ${wide.verifyPerSec}/s | 1 | | | | | |`,
      `| HTTP ingest (${wide.envelopes} envelopes) | ${wide.http.perSec}/s | ${wide.http.ratio} | ${rowCells(wide.http)} |`,
      `| MQTT ingest, embedded broker, one envelope per message | ${wide.mqtt.perSec}/s | ${wide.mqtt.ratio} | ${rowCells(wide.mqtt)} |`,
      '',
      `Each envelope is its device's only one in the run, as in a national network whose node hears from ${wide.devices.toLocaleString('en-US')} devices a minute: ` +
        "each verify worker builds the device's key object on first sight (from a JWK), and each commit advances `device_seq` rows " +
        'that share no page, where the runs above rewrite the same few pages of their 2,000 devices every commit. ' +
        'The baseline rounds verify with key objects built beforehand. One run of each. ' +
        "Both runs are made by one node process, whose verify workers keep every key they built (up to verify.maxCachedKeys, 262,144, each; keyCache.ts): the MQTT run's RSS before it holds the HTTP run's keys.",
      '',
    );
  }
  const ep = r.epoch as
    | {
        sqlite: Record<string, number>;
        postgres: Record<string, number>;
        phases?: Record<string, Record<string, number>>;
        details?: Record<
          string,
          { indexSeconds: number; baselineSeconds: number; ratio: number; bundleMb: number } | undefined
        >;
      }
    | undefined;
  if (ep) {
    md.push(
      '## Epoch close (seconds)',
      '',
      'Close: from the first query until the root, the bundle (written and hashed) and the cumulative amounts are durable — what the oracles sign. ' +
        'Index: writing the reward lines into the API table, which follows the close (docs/REWARDS.md §4). ' +
        'Baseline: one plain `count(*) … group by device_id` over the same contributions, same store, same run.',
      '',
      '| devices | store | close | ÷ baseline | index lines | baseline | bundle |',
      '|---|---|---|---|---|---|---|',
    );
    for (const kind of ['sqlite', 'postgres'] as const)
      for (const n of ['10000', '100000', '1000000']) {
        const close = ep[kind][n];
        if (close === undefined) continue;
        const d = ep.details?.[`${kind}/${n}`];
        md.push(
          `| ${Number(n).toLocaleString('en')} | ${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} | ${close} | ${d?.ratio ?? '—'} | ${d?.indexSeconds ?? '—'} | ${d?.baselineSeconds ?? '—'} | ${d ? `${d.bundleMb} MB` : '—'} |`,
        );
      }
    const big = ep.phases?.['sqlite/1000000'];
    if (big)
      md.push(
        '',
        `Phases at 1,000,000 devices on SQLite (s): ${Object.entries(big)
          .map(([k, v]) => `${k} ${v}`)
          .join(
            ', ',
          )}. The epoch has two one-minute heartbeat slots. The inputs digest is built from one-minute parts (docs/REWARDS.md §4): as a running node does, the first minute's part is digested during the epoch, before the close and not in its time ("digest ahead"); the close digests the last minute in a worker thread during collect, compute and the writing of the bundle body, and "digest (wait)" is how long it then still waited for it.`,
      );
    md.push('', 'Target: 1,000,000 devices in under 10 s on SQLite.', '');
  }
  const mk = r.merkle as
    | { leaves: number; seconds: number; ozLeaves: number; ozSeconds: number; speedup: number }
    | undefined;
  if (mk) {
    md.push('## Merkle tree', '', '| figure | value |', '|---|---|');
    md.push(`| ours, ${mk.leaves.toLocaleString('en')} leaves | ${mk.seconds} s |`);
    md.push(
      `| baseline: @openzeppelin/merkle-tree StandardMerkleTree (timed on ${mk.ozLeaves.toLocaleString('en')} leaves, scaled) | ${mk.ozSeconds} s |`,
    );
    md.push(`| speed-up (roots checked equal) | **${mk.speedup}×** (target ≥ 5×) |`, '');
  }
  const gas = r.gas as Record<string, number> | undefined;
  if (gas) {
    md.push('## Gas (per transaction)', '', '| operation | gas |', '|---|---|');
    for (const [k, v] of Object.entries(gas)) md.push(`| ${k} | ${v.toLocaleString('en')} |`);
    if (gas.claimDepth20 && gas.baselineClaim) {
      md.push(
        '',
        `Claim at depth 20 ÷ plain Merkle claim baseline: **${(gas.claimDepth20 / gas.baselineClaim).toFixed(2)}**. claimMany target: ≤ 35,000 per beneficiary.`,
      );
    }
    md.push('');
  }
  const market = r.market as Record<string, unknown> | undefined;
  if (market) md.push('## Energy market clearing', '', '```json', JSON.stringify(market, null, 2), '```', '');
  return `${md.join('\n')}\n`;
}
