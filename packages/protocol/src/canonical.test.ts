import { describe, expect, it } from 'vitest';
import { CanonicalizeError, canonicalize, canonicalizeBounded, MAX_CANONICAL_DEPTH } from './canonical.ts';

function doubleFromBits(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

function thrown(fn: () => unknown): CanonicalizeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CanonicalizeError) return error;
    throw error;
  }
  throw new Error('expected a CanonicalizeError');
}

describe('canonicalize', () => {
  it('reproduces the RFC 8785 §3.2.2 sample output', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    const expected =
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
    expect(canonicalize(input)).toBe(expected);
  });

  it('reproduces the RFC 8785 §3.2.4 UTF-8 bytes of the sample output', () => {
    const out = canonicalize({
      // 333333333.33333329 as written in the RFC; the nearest double prints as 333333333.3333333.
      numbers: [Number('333333333.33333329'), 1e30, 4.5, 2e-3, 1e-27],
      string: '\u20ac$\u000f\nA\'B"\\\\"/',
      literals: [null, true, false],
    });
    const rfcDump = `
      7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
      75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
      5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
      65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
      5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
      30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d`;
    expect(Buffer.from(out, 'utf8').toString('hex')).toBe(rfcDump.replace(/\s+/g, ''));
  });

  it('sorts members by UTF-16 code units as in the RFC 8785 §3.2.3 sample', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('reproduces the cyberphone/json-canonicalization weird.json output', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","1":"One","\\u0080":"Control\\u007f","\\ud83d\\ude02":"Smiley",' +
        '"\\u00f6":"Latin Small Letter O With Diaeresis","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
        '"</script>":"Browser Challenge"}',
    );
    expect(canonicalize(input)).toBe(
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('serializes the RFC 8785 Appendix B double %s as %s', (bits, expected) => {
    expect(canonicalize(doubleFromBits(bits))).toBe(expected);
  });

  it.each([
    ['7fffffffffffffff', 'NaN'],
    ['7ff0000000000000', 'Infinity'],
    ['fff0000000000000', '-Infinity'],
  ])('rejects the RFC 8785 Appendix B non-finite double %s (%s)', (bits) => {
    const error = thrown(() => canonicalize({ x: [doubleFromBits(bits)] }));
    expect(error.problem).toBe('non-finite number');
    expect(error.path).toBe('$.x[0]');
    expect(error.code).toBe('CANONICALIZE_UNSUPPORTED');
    expect(error.message).toBe('cannot canonicalize non-finite number at $.x[0]');
  });

  it('writes literals, empty containers and nesting without whitespace', () => {
    expect(canonicalize(null)).toBe('null');
    expect(canonicalize(true)).toBe('true');
    expect(canonicalize(false)).toBe('false');
    expect(canonicalize({})).toBe('{}');
    expect(canonicalize([])).toBe('[]');
    expect(canonicalize({ a: [{}, [], { b: null }] })).toBe('{"a":[{},[],{"b":null}]}');
    expect(canonicalize('')).toBe('""');
  });

  it('sorts integer-like member names as strings, not in JavaScript property order', () => {
    expect(canonicalize({ b: 1, 10: 2, 9: 3, B: 4, a: 5 })).toBe('{"10":2,"9":3,"B":4,"a":5,"b":1}');
  });

  it('escapes only what JSON requires, with lowercase \\u00xx for other control characters', () => {
    expect(canonicalize('\u0000\u0007\b\t\n\u000b\f\r\u001f')).toBe(
      '"\\u0000\\u0007\\b\\t\\n\\u000b\\f\\r\\u001f"',
    );
    expect(canonicalize('"\\/\u007f\u0080\u2028\u2029é😀')).toBe('"\\"\\\\/\u007f\u0080\u2028\u2029é😀"');
  });

  it('writes negative zero as 0 and integers without a fraction', () => {
    expect(canonicalize([-0, 1.0, 150, 1e21, 1e20, -3.25])).toBe(
      '[0,1,150,1e+21,100000000000000000000,-3.25]',
    );
  });

  it('accepts objects with a null prototype', () => {
    const obj = Object.create(null) as Record<string, unknown>;
    obj.z = 1;
    obj.a = 2;
    expect(canonicalize(obj)).toBe('{"a":2,"z":1}');
  });

  it('keeps a __proto__ member parsed from JSON as an ordinary member', () => {
    expect(canonicalize(JSON.parse('{"__proto__":{"x":1},"a":1}'))).toBe('{"__proto__":{"x":1},"a":1}');
  });

  it.each([
    ['undefined member', { a: undefined }, 'undefined', '$.a'],
    ['undefined element', [1, undefined], 'undefined', '$[1]'],
    ['array hole', Object.assign([1], { 2: 3 }), 'undefined', '$[1]'],
    ['function', { f: () => 1 }, 'function', '$.f'],
    ['bigint', { n: 1n }, 'bigint', '$.n'],
    ['symbol value', { s: Symbol('s') }, 'symbol', '$.s'],
    ['Date', { d: new Date(0) }, 'non-plain object', '$.d'],
    ['Map', { m: new Map() }, 'non-plain object', '$.m'],
    ['Uint8Array', { b: new Uint8Array(2) }, 'non-plain object', '$.b'],
    ['class instance', { c: new (class Point {})() }, 'non-plain object', '$.c'],
    ['boxed string', { s: new String('x') }, 'non-plain object', '$.s'],
    ['symbol key', { o: { [Symbol('k')]: 1 } }, 'symbol key', '$.o'],
    ['lone high surrogate', { 'a b': ['\ud83d'] }, 'lone surrogate', '$["a b"][0]'],
    ['lone low surrogate in a key', { k: { '\ude00x': 1 } }, 'lone surrogate', '$.k["\\ude00x"]'],
    ['top-level undefined', undefined, 'undefined', '$'],
  ])('rejects a %s with a typed error and its path', (_name, value, problem, path) => {
    const error = thrown(() => canonicalize(value));
    expect(error.problem).toBe(problem);
    expect(error.path).toBe(path);
  });

  it('rejects a cycle as too deep instead of overflowing the stack', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    const error = thrown(() => canonicalize(a));
    expect(error.problem).toBe('too deep');
    expect(error.path).toBe(`$${'.self'.repeat(MAX_CANONICAL_DEPTH)}`);
  });

  it('accepts nesting up to the maximum depth and rejects one level more', () => {
    let ok: unknown = 0;
    for (let i = 0; i < MAX_CANONICAL_DEPTH; i++) ok = [ok];
    expect(canonicalize(ok)).toBe(`${'['.repeat(MAX_CANONICAL_DEPTH)}0${']'.repeat(MAX_CANONICAL_DEPTH)}`);
    expect(thrown(() => canonicalize([ok])).problem).toBe('too deep');
  });
});

describe('canonicalizeBounded', () => {
  it('stops with too long as soon as the output passes the length bound', () => {
    expect(canonicalizeBounded({ a: 'xx' }, 10, 10)).toBe('{"a":"xx"}');
    const error = thrown(() => canonicalizeBounded({ a: 'xxxx' }, 10, 10, ['body']));
    expect(error.problem).toBe('too long');
    expect(error.path).toBe('$.body.a');
  });

  it('counts depth from the root container', () => {
    expect(canonicalizeBounded({ a: {} }, 2, 100)).toBe('{"a":{}}');
    expect(thrown(() => canonicalizeBounded({ a: { b: {} } }, 2, 100)).path).toBe('$.a.b');
  });
});
