import { describe, expect, it } from 'vitest';
import { canonicalize } from './canonical.ts';
import { signEnvelope, signingBytes } from './envelope.ts';
import { deviceKeyFromSeed } from './keys.ts';
import { LIMITS } from './limits.ts';
import { parseEnvelope } from './parse.ts';
import type { Envelope } from './types.ts';

const key = deviceKeyFromSeed('ed25519', new Uint8Array(32).fill(3));

const valid: Envelope = signEnvelope(
  {
    v: 1,
    device: key.deviceId,
    seq: 7,
    time: 1_767_225_600_000,
    kind: 'energy.interval',
    body: { wh: 1520, start: 1_767_224_700_000 },
  },
  key,
);

/** A copy of the valid envelope with fields replaced (`undefined` deletes the field). */
function variant(changes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...valid };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

function rejection(input: unknown): { reason: string; detail: string } {
  const result = parseEnvelope(input);
  if (result.ok) throw new Error('expected a rejection');
  return { reason: result.reason, detail: result.detail };
}

/** Nested arrays `depth` deep inside the body object (which is depth 1). */
function nestedBody(depth: number): Record<string, unknown> {
  let inner: unknown = 0;
  for (let i = 1; i < depth; i++) inner = [inner];
  return { n: inner };
}

describe('parseEnvelope accepts', () => {
  it('a valid envelope, returning a fresh copy, its canonical size and its signing bytes', () => {
    const result = parseEnvelope(JSON.parse(JSON.stringify(valid)));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.envelope).toEqual(valid);
    expect(result.canonicalSize).toBe(Buffer.byteLength(canonicalize(valid)));
    expect(result.signingBytes.toString('utf8')).toBe(signingBytes(valid).toString('utf8'));
    expect(result.canonicalBody).toBe('{"start":1767224700000,"wh":1520}');
  });

  it('an envelope whose prototype is null, as some JSON parsers produce', () => {
    const bare = Object.assign(Object.create(null) as object, valid);
    expect(parseEnvelope(bare).ok).toBe(true);
  });

  it('seq at its maximum 2^53-1 and time 0', () => {
    expect(parseEnvelope(variant({ seq: Number.MAX_SAFE_INTEGER, time: 0 })).ok).toBe(true);
  });

  it.each(['a.b', 'coverage.beacon.v2', 'a1_.x_9.', `${'m'.repeat(32)}.${'n'.repeat(63)}`])(
    'kind %s',
    (kind) => {
      expect(parseEnvelope(variant({ kind })).ok).toBe(true);
    },
  );

  it(`a body of exactly ${LIMITS.maxBodyBytes} canonical bytes and ${LIMITS.maxBodyDepth} levels`, () => {
    // {"p":"…"} is 8 bytes around the string.
    expect(parseEnvelope(variant({ body: { p: 'x'.repeat(LIMITS.maxBodyBytes - 8) } })).ok).toBe(true);
    expect(parseEnvelope(variant({ body: nestedBody(LIMITS.maxBodyDepth) })).ok).toBe(true);
  });
});

describe('parseEnvelope sizes', () => {
  it('charges at most 385 bytes for everything but the body, as docs/PROTOCOL.md states', () => {
    const longest = variant({
      kind: `${'m'.repeat(32)}.${'n'.repeat(63)}`,
      seq: Number.MAX_SAFE_INTEGER,
      time: Number.MAX_SAFE_INTEGER,
      body: {},
    });
    const result = parseEnvelope(longest);
    expect(result.ok && result.canonicalSize).toBe(385 + '{}'.length);
    expect(result.ok && result.signingBytes.length).toBe(246 + '{}'.length);
  });
});

describe('parseEnvelope rejects as MALFORMED', () => {
  it.each([
    ['null', null],
    ['an array', [valid]],
    ['a string', JSON.stringify(valid)],
    ['a number', 1],
    ['a Map', new Map(Object.entries(valid))],
  ])('%s instead of an object', (_name, input) => {
    expect(rejection(input)).toEqual({ reason: 'MALFORMED', detail: 'envelope must be a JSON object' });
  });

  it.each(['v', 'device', 'seq', 'time', 'kind', 'body', 'sig'])('an envelope without %s', (field) => {
    expect(rejection(variant({ [field]: undefined }))).toEqual({
      reason: 'MALFORMED',
      detail: `missing field ${field}`,
    });
  });

  it('a v that is not a number', () => {
    expect(rejection(variant({ v: '1' }))).toEqual({
      reason: 'MALFORMED',
      detail: 'field v must be a number',
    });
  });

  it('an extra top-level field, including one named __proto__ by JSON', () => {
    expect(rejection(variant({ extra: 1 }))).toEqual({
      reason: 'MALFORMED',
      detail: 'unexpected field "extra"',
    });
    const proto = JSON.parse(`{"__proto__":1,${JSON.stringify(valid).slice(1)}`);
    expect(rejection(proto)).toEqual({ reason: 'MALFORMED', detail: 'unexpected field "__proto__"' });
  });

  it.each([
    ['upper-case hex', valid.device.toUpperCase().replace('0X', '0x')],
    ['no 0x prefix', valid.device.slice(2)],
    ['63 digits', valid.device.slice(0, -1)],
    ['a number', 1],
  ])('a device id with %s', (_name, device) => {
    expect(rejection(variant({ device }))).toEqual({
      reason: 'MALFORMED',
      detail: 'field device must be 0x followed by 64 lowercase hex digits',
    });
  });

  it.each([
    ['0', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['2^53', 2 ** 53],
    ['a string', '8'],
    ['null', null],
  ])('a seq that is %s', (_name, seq) => {
    expect(rejection(variant({ seq }))).toEqual({
      reason: 'MALFORMED',
      detail: 'field seq must be an integer from 1 to 2^53-1',
    });
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['a date string', '2026-01-01T00:00:00Z'],
  ])('a time that is %s', (_name, time) => {
    expect(rejection(variant({ time }))).toEqual({
      reason: 'MALFORMED',
      detail: 'field time must be an integer from 0 to 2^53-1 (ms since the Unix epoch)',
    });
  });

  it.each([
    'energy',
    'Energy.interval',
    'energy.Interval',
    '.interval',
    'energy.',
    '1energy.x',
    'energy.1x',
    'energy.inter-val',
    `${'m'.repeat(33)}.x`,
    `m.${'n'.repeat(64)}`,
  ])('the kind %s', (kind) => {
    expect(rejection(variant({ kind }))).toEqual({
      reason: 'MALFORMED',
      detail: 'field kind must match <module>.<name> (lowercase letters, digits, _ and .)',
    });
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', '{}'],
  ])('a body that is %s', (_name, body) => {
    expect(rejection(variant({ body }))).toEqual({
      reason: 'MALFORMED',
      detail: 'field body must be a JSON object',
    });
  });

  it.each([
    ['upper-case hex', `0x${valid.sig.slice(2).toUpperCase()}`],
    ['127 digits', valid.sig.slice(0, -1)],
    ['a non-hex digit', `${valid.sig.slice(0, -1)}g`],
    ['no 0x prefix', `00${valid.sig.slice(2)}`],
  ])('a sig with %s', (_name, sig) => {
    expect(rejection(variant({ sig }))).toEqual({
      reason: 'MALFORMED',
      detail: 'field sig must be 0x followed by 128 lowercase hex digits',
    });
  });

  it('a body holding a string with an unpaired surrogate', () => {
    expect(rejection(JSON.parse(JSON.stringify(variant({ body: { s: '\ud800' } }))))).toEqual({
      reason: 'MALFORMED',
      detail: 'body has no canonical JSON form: lone surrogate at $.body.s',
    });
  });

  it('a body holding values JSON cannot carry, when handed objects rather than parsed JSON', () => {
    expect(rejection(variant({ body: { x: [1, Number.NaN] } }))).toEqual({
      reason: 'MALFORMED',
      detail: 'body has no canonical JSON form: non-finite number at $.body.x[1]',
    });
    expect(rejection(variant({ body: { x: undefined } })).detail).toBe(
      'body has no canonical JSON form: undefined at $.body.x',
    );
  });

  it(`a body nested ${LIMITS.maxBodyDepth + 1} levels deep`, () => {
    expect(rejection(variant({ body: nestedBody(LIMITS.maxBodyDepth + 1) }))).toEqual({
      reason: 'MALFORMED',
      detail: `body nests deeper than 32 levels at $.body.n${'[0]'.repeat(LIMITS.maxBodyDepth - 1)}`,
    });
  });

  it('a body nested 100,000 levels deep, without overflowing the stack', () => {
    const text = `${JSON.stringify(valid).slice(0, -1)}`.replace(
      /"body":\{[^}]*\}/,
      `"body":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    );
    expect(rejection(JSON.parse(`${text}}`)).reason).toBe('MALFORMED');
  });
});

describe('parseEnvelope rejects other shapes', () => {
  it.each([0, 2, 1.5, -1])('v %s as UNSUPPORTED_VERSION', (v) => {
    expect(rejection(variant({ v }))).toEqual({
      reason: 'UNSUPPORTED_VERSION',
      detail: `unsupported version ${v}`,
    });
  });

  it('a future version with fields this version does not know as UNSUPPORTED_VERSION', () => {
    expect(rejection(variant({ v: 2, nonce: 'abc' })).reason).toBe('UNSUPPORTED_VERSION');
  });

  it(`a body of ${LIMITS.maxBodyBytes + 1} canonical bytes as BODY_TOO_LARGE`, () => {
    expect(rejection(variant({ body: { p: 'x'.repeat(LIMITS.maxBodyBytes - 7) } }))).toEqual({
      reason: 'BODY_TOO_LARGE',
      detail: 'canonical body is 8193 bytes, limit 8192',
    });
  });

  it('counts body size in UTF-8 bytes, not characters', () => {
    // 4094 × "é" is 8188 bytes, 8196 with {"s":""}, while only 4102 UTF-16 code units.
    expect(rejection(variant({ body: { s: 'é'.repeat(4094) } }))).toEqual({
      reason: 'BODY_TOO_LARGE',
      detail: 'canonical body is 8196 bytes, limit 8192',
    });
  });

  it('counts canonical, not wire, size: whitespace and member order do not matter', () => {
    const body: Record<string, unknown> = { p: 'x'.repeat(LIMITS.maxBodyBytes - 8) };
    const wire = JSON.stringify(variant({ body }), null, 8);
    expect(Buffer.byteLength(wire)).toBeGreaterThan(LIMITS.maxEnvelopeBytes / 2);
    expect(parseEnvelope(JSON.parse(wire)).ok).toBe(true);
  });

  it('an envelope whose canonical JSON exceeds 16384 bytes as ENVELOPE_TOO_LARGE, with its size', () => {
    const env = variant({ body: { p: 'x'.repeat(16_300) } });
    const size = Buffer.byteLength(canonicalize(env));
    // 8 + 16308 (body) + 11 + 66 + 10 + 15 + 8 + 1 + 8 + 13 + 7 + 139 (sig member)
    expect(size).toBe(16_594);
    expect(rejection(env)).toEqual({
      reason: 'ENVELOPE_TOO_LARGE',
      detail: `canonical envelope is ${size} bytes, limit 16384`,
    });
  });

  it('a body far over the limit as ENVELOPE_TOO_LARGE after reading only the first 16 KiB of it', () => {
    let reads = 0;
    const rows = new Proxy(
      Array.from({ length: 100_000 }, (_, i) => i),
      {
        get(target, prop, receiver) {
          if (typeof prop === 'string' && /^\d+$/.test(prop)) reads++;
          return Reflect.get(target, prop, receiver);
        },
      },
    );
    expect(rejection(variant({ body: { rows } }))).toEqual({
      reason: 'ENVELOPE_TOO_LARGE',
      detail: 'canonical envelope exceeds 16384 bytes',
    });
    // 100,000 integers serialize to ~590 KB; the check stops within the first 16384 characters.
    expect(reads).toBeLessThan(4_000);
    expect(reads).toBeGreaterThan(1_000);
  });

  it('reports the version before anything else and extra fields before field errors', () => {
    expect(rejection(variant({ v: 3, seq: -1, body: { p: 'x'.repeat(20_000) } })).reason).toBe(
      'UNSUPPORTED_VERSION',
    );
    expect(rejection(variant({ extra: true, seq: -1 })).detail).toBe('unexpected field "extra"');
  });
});
