/**
 * Protocol size limits. Envelope and body limits are part of the envelope format and are
 * checked by `parseEnvelope`; batch and request limits belong to the node's HTTP ingest API.
 */
export const LIMITS = {
  /** Maximum UTF-8 bytes of an envelope's canonical JSON, `sig` included. */
  maxEnvelopeBytes: 16_384,
  /** Maximum UTF-8 bytes of the canonical JSON of `body`. */
  maxBodyBytes: 8_192,
  /** Maximum nesting depth of `body`: the body object itself is depth 1. */
  maxBodyDepth: 32,
  /** Largest `seq` (and `time`): 2^53 - 1, the largest integer a JSON number holds exactly. */
  maxSeq: Number.MAX_SAFE_INTEGER,
  /** Maximum envelopes in one `POST /v1/envelopes` request. */
  maxBatchEnvelopes: 1_000,
  /** Maximum bytes of one `POST /v1/envelopes` request body (4 MiB). */
  maxRequestBytes: 4 * 1024 * 1024,
} as const;
