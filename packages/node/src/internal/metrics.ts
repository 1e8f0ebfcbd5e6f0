import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Metric names in one place (Prometheus conventions, snake_case). */
export const METRIC = {
  envelopesAccepted: 'groundwork_envelopes_accepted_total',
  envelopesRejected: 'groundwork_envelopes_rejected_total',
  ingestBatchSeconds: 'groundwork_ingest_batch_seconds',
  verdicts: 'groundwork_module_verdicts_total',
  epochsClosed: 'groundwork_epochs_closed_total',
  chainHead: 'groundwork_indexer_block',
  devicesKnown: 'groundwork_devices_known',
  verifyKeyImports: 'groundwork_verify_key_imports_total',
} as const;

export interface Metrics {
  registry: Registry;
  envelopesAccepted: Counter<'module'>;
  envelopesRejected: Counter<'reason'>;
  ingestBatchSeconds: Histogram;
  verdicts: Counter<'module' | 'status'>;
  epochsClosed: Counter;
  chainHead: Gauge;
  devicesKnown: Gauge;
  verifyKeyImports: Counter;
}

/** A fresh registry per node so several nodes (tests) can live in one process. */
export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    envelopesAccepted: new Counter({
      name: METRIC.envelopesAccepted,
      help: 'Envelopes accepted and durably stored',
      labelNames: ['module'],
      registers: [registry],
    }),
    envelopesRejected: new Counter({
      name: METRIC.envelopesRejected,
      help: 'Envelopes rejected at ingest, by reason code',
      labelNames: ['reason'],
      registers: [registry],
    }),
    ingestBatchSeconds: new Histogram({
      name: METRIC.ingestBatchSeconds,
      help: 'Time to verify and commit one ingest batch',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    verdicts: new Counter({
      name: METRIC.verdicts,
      help: 'Module verifier verdicts',
      labelNames: ['module', 'status'],
      registers: [registry],
    }),
    epochsClosed: new Counter({ name: METRIC.epochsClosed, help: 'Epochs closed', registers: [registry] }),
    chainHead: new Gauge({ name: METRIC.chainHead, help: 'Last block indexed', registers: [registry] }),
    devicesKnown: new Gauge({
      name: METRIC.devicesKnown,
      help: 'Devices known from DeviceRegistry',
      registers: [registry],
    }),
    verifyKeyImports: new Counter({
      name: METRIC.verifyKeyImports,
      help: "Device public keys parsed by the verify workers: each key once per worker, more when a worker's key cache (verify.maxCachedKeys) is too small for the fleet",
      registers: [registry],
    }),
  };
}
