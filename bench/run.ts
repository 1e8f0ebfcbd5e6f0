/**
 * `npm run bench [-- <suite>…] [-- --quick]`: runs benchmark suites and writes
 * bench/report.json and bench/report.md. Every figure stands beside a
 * baseline measured in the same run, because these machines are noisy.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchIngest } from './ingest.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const suites = args.filter((a) => !a.startsWith('--'));
const want = (s: string) => suites.length === 0 || suites.includes(s);

const report: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, quick };
const md: string[] = [
  '# Groundwork benchmarks',
  '',
  `${report.date}, Node ${process.version}${quick ? ', --quick' : ''}`,
  '',
];

if (want('ingest')) {
  const r = await benchIngest({ envelopes: quick ? 10_000 : 50_000 });
  report.ingest = {
    http: r.http,
    verifyPerSec: r.verifyPerSec,
    envelopes: r.envelopes,
    batchSize: r.batchSize,
  };
  report.memory = { peakRssMb: r.peakRssMb };
  md.push(
    '## Ingest over HTTP',
    '',
    '| figure | value |',
    '|---|---|',
    `| envelopes stored | ${r.envelopes} (batches of ${r.batchSize}) |`,
    `| raw node:crypto ed25519 verify, ${r.workers} worker threads (baseline) | ${r.verifyPerSec}/s |`,
    `| raw node:crypto ed25519 verify, one core | ${r.verifyPerSecOneCore}/s |`,
    `| HTTP ingest, verified and durably stored | ${r.http.perSec}/s |`,
    `| ratio ingest ÷ raw verify | ${r.http.ratio} |`,
    `| peak RSS of the node process | ${r.peakRssMb} MB |`,
    '',
  );
  process.stdout.write(
    `ingest: ${r.http.perSec} envelopes/s stored over HTTP; raw verify ${r.verifyPerSec}/s on ${r.workers} workers (${r.verifyPerSecOneCore}/s one core); ratio ${r.http.ratio}\n`,
  );
}

writeFileSync(join(here, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(here, 'report.md'), `${md.join('\n')}\n`);
process.stdout.write(`wrote bench/report.json and bench/report.md\n`);
