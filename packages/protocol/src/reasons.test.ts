import { describe, expect, it } from 'vitest';
import { isReasonCode, REASONS, ReasonCode } from './reasons.ts';

describe('ReasonCode and REASONS', () => {
  it('list the twelve stable codes in ingest check order, each equal to its name', () => {
    expect(Object.keys(ReasonCode)).toEqual([
      'MALFORMED',
      'UNSUPPORTED_VERSION',
      'ENVELOPE_TOO_LARGE',
      'BODY_TOO_LARGE',
      'UNKNOWN_DEVICE',
      'DEVICE_INACTIVE',
      'BAD_SIGNATURE',
      'SEQ_REPLAYED',
      'CLOCK_SKEW',
      'UNKNOWN_KIND',
      'MODULE_MISMATCH',
      'BODY_INVALID',
    ]);
    for (const [name, code] of Object.entries(ReasonCode)) expect(code).toBe(name);
  });

  it('give every code a one-line meaning and no more', () => {
    expect(Object.keys(REASONS).sort()).toEqual(Object.keys(ReasonCode).sort());
    for (const meaning of Object.values(REASONS)) expect(meaning).toMatch(/^[^\n]{10,}$/);
  });

  it('recognise codes and nothing else', () => {
    expect(isReasonCode('SEQ_REPLAYED')).toBe(true);
    expect(isReasonCode('seq_replayed')).toBe(false);
    expect(isReasonCode('toString')).toBe(false);
    expect(isReasonCode(undefined)).toBe(false);
  });
});
