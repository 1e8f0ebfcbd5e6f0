import type { ReasonCode } from './reasons.ts';

/** Path of the node's HTTP ingest endpoint. */
export const INGEST_PATH = '/v1/envelopes';

/** Request body of `POST /v1/envelopes`. Elements are checked one by one by the node. */
export interface IngestRequest {
  envelopes: unknown[];
}

/** Verdict for one envelope of a request, by its position in `envelopes`. */
export type IngestResult =
  | { index: number; status: 'accepted'; seq: number }
  | { index: number; status: 'rejected'; reason: ReasonCode };

/** 202 response of `POST /v1/envelopes`: one result per envelope, in request order. */
export interface IngestResponse {
  results: IngestResult[];
}

/** Codes of whole-request errors of the ingest API: the request was not processed at all. */
export const IngestErrorCode = {
  /** 400: the body is not `{"envelopes":[...]}` with at least one element. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** 400: the body is not valid JSON (or is empty). */
  MALFORMED_JSON: 'MALFORMED_JSON',
  /** 400: more than `LIMITS.maxBatchEnvelopes` envelopes. */
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  /** 413: request body larger than `LIMITS.maxRequestBytes`. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** 415: Content-Type is not application/json. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** 500: the node failed (for example, it could not commit); nothing in the request was accepted. */
  INTERNAL: 'INTERNAL',
} as const;

/** One of the {@link IngestErrorCode} strings. */
export type IngestErrorCode = (typeof IngestErrorCode)[keyof typeof IngestErrorCode];

/** Body of an error response of the ingest API. */
export interface IngestErrorResponse {
  error: { code: IngestErrorCode | (string & {}); message: string; details?: unknown };
}
