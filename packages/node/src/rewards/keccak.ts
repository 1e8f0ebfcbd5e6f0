/**
 * keccak256 (the Ethereum variant: Keccak with 0x01 padding, not SHA3-256's
 * 0x06) for the two input sizes a reward tree hashes — 32 bytes (the outer
 * leaf hash) and 64 bytes (the inner leaf hash and every internal node) —
 * working in place on an *arena*: one byte buffer that holds the inputs and
 * receives the outputs, addressed by offset. No allocation, no hex.
 *
 * Why not `keccak_256` from `@noble/hashes` on the hot path: a tree of n
 * leaves costs 3n − 1 hashes, and JavaScript has no 64-bit integers, so a
 * JS Keccak emulates each 64-bit lane with two 32-bit halves. On the
 * reference machine noble needs about 5 µs per 64-byte hash; the WebAssembly
 * permutation generated below, with native 64-bit rotates, about 0.4 µs: the
 * hashing of a million-leaf tree drops from about 15 s to about 1.3 s.
 *
 * The WebAssembly module is not a binary blob: it is generated here, at load
 * time, from the FIPS 202 definitions (rotation offsets from the
 * (t + 1)(t + 2)/2 rule, round constants from the degree-8 LFSR), by the short
 * encoder at the end of this file. Where WebAssembly is unavailable (`node --jitless`) the
 * arena falls back to noble. Both are checked byte for byte against noble in
 * `keccak.test.ts` and `keccak.prop.test.ts`.
 *
 * @module
 */
import { keccak_256 } from '@noble/hashes/sha3.js';

/** A byte buffer plus keccak256 over fixed-size slices of it. */
export interface KeccakArena {
  /** The arena's bytes. Offsets below index into it. */
  readonly bytes: Uint8Array;
  /** bytes[out .. out + 32) = keccak256(bytes[a .. a + 32) ‖ bytes[b .. b + 32)). `out` may overlap the input. */
  hash64(a: number, b: number, out: number): void;
  /** bytes[out .. out + 32) = keccak256(bytes[a .. a + 32)). `out` may overlap the input. */
  hash32(a: number, out: number): void;
}

/**
 * A new arena of at least `size` bytes, zero-filled, hashing with WebAssembly
 * when the runtime has it and with noble otherwise.
 */
export function createKeccakArena(size: number): KeccakArena {
  const module = wasmModule();
  return module === undefined ? createJsKeccakArena(size) : createWasmKeccakArena(size, module);
}

/** The WebAssembly arena. Exported for tests (@internal). */
export function createWasmKeccakArena(
  size: number,
  module: WasmModule | undefined = wasmModule(),
): KeccakArena {
  if (module === undefined || wasm === undefined)
    throw new Error('WebAssembly is not available in this runtime');
  const PAGE = 65536;
  const memory = new wasm.Memory({ initial: Math.ceil((RESERVED + size) / PAGE) });
  const { exports } = new wasm.Instance(module, { env: { memory } });
  return {
    // The memory never grows after this point, so the view stays valid. The module
    // adds RESERVED to every address itself, so offsets are relative to this view.
    bytes: new Uint8Array(memory.buffer, RESERVED),
    hash64: exports.hash64 as KeccakArena['hash64'],
    hash32: exports.hash32 as KeccakArena['hash32'],
  };
}

/** The fallback arena, on noble's keccak_256. Exported for tests (@internal). */
export function createJsKeccakArena(size: number): KeccakArena {
  const bytes = new Uint8Array(size);
  const block = new Uint8Array(64);
  return {
    bytes,
    hash64(a, b, out) {
      block.set(bytes.subarray(a, a + 32), 0);
      block.set(bytes.subarray(b, b + 32), 32);
      bytes.set(keccak_256(block), out);
    },
    hash32(a, out) {
      bytes.set(keccak_256(bytes.subarray(a, a + 32)), out);
    },
  };
}

// ---------------------------------------------------------------------------
// The WebAssembly module.
//
// It imports its memory as env.memory and exports two functions:
//   hash64(a: i32, b: i32, out: i32)   hash32(a: i32, out: i32)
// Each loads the 25 Keccak lanes as i64 locals (WebAssembly memory is
// little-endian, as Keccak lanes are; locals start at zero, so only the input
// lanes and the two padding lanes are set), runs the 24 rounds in a loop, and
// stores lanes 0–3 (the 32-byte digest) at `out`. The first RESERVED bytes of
// memory hold the 24 round constants (a data segment); the arena the caller
// sees starts after them, and every input and output access adds RESERVED
// through the load/store offset immediate, at no cost. (A loop over one round
// runs faster than 24 unrolled rounds, whose code overflows the instruction cache.)

/** Bytes at the start of WebAssembly memory kept for the round constants (24 × 8, rounded up). */
const RESERVED = 256;

// The project's TypeScript libs declare no WebAssembly globals; this is the
// little of the standard API used here, looked up so that its absence is not an error.
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let cachedModule: WasmModule | null | undefined;

function wasmModule(): WasmModule | undefined {
  if (cachedModule === undefined) {
    try {
      cachedModule = wasm === undefined ? null : new wasm.Module(encodeKeccakModule());
    } catch {
      // WebAssembly present but unusable (e.g. node --jitless): use the JS fallback.
      cachedModule = null;
    }
  }
  return cachedModule ?? undefined;
}

/** Rotation offsets r[x + 5y] and round constants of Keccak-f[1600] (FIPS 202 §3.2.2, §3.2.5). */
function keccakConstants(): { rotation: number[]; roundConstants: bigint[] } {
  const rotation = new Array<number>(25).fill(0);
  for (let t = 0, x = 1, y = 0; t < 24; t++) {
    rotation[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  const roundConstants: bigint[] = [];
  let lfsr = 1;
  for (let round = 0; round < 24; round++) {
    let rc = 0n;
    for (let j = 0; j < 7; j++) {
      if (lfsr & 1) rc |= 1n << BigInt((1 << j) - 1);
      lfsr = lfsr & 0x80 ? ((lfsr << 1) ^ 0x71) & 0xff : lfsr << 1;
    }
    roundConstants.push(rc);
  }
  return { rotation, roundConstants };
}

// WebAssembly opcodes used below.
const LOOP = 0x03;
const BR_IF = 0x0d;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I64_LOAD = 0x29;
const I64_STORE = 0x37;
const I64_CONST = 0x42;
const I64_AND = 0x83;
const I64_XOR = 0x85;
const I64_ROTL = 0x89;
const END = 0x0b;
const EMPTY_BLOCK = 0x40;
const I32 = 0x7f;
const I64 = 0x7e;

function unsignedLeb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function signedLeb64(value: bigint): number[] {
  let v = BigInt.asIntN(64, value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const name = (s: string): number[] => vector([...s].map((c) => [c.charCodeAt(0)]));
const section = (id: number, body: number[]): number[] => [id, ...unsignedLeb(body.length), ...body];

/**
 * One function body. `inputs` lists, per input lane, the parameter holding the
 * base pointer and the byte offset from it; `padLane` is the lane of the 0x01
 * padding byte (the byte right after the input).
 */
function hashFunctionBody(
  params: number,
  inputs: [number, number][],
  padLane: number,
  outParam: number,
): number[] {
  const { rotation } = keccakConstants();
  // Locals after the parameters: lanes a0..a24, column parities c0..c4, d, b0..b24 (i64), round (i32).
  const a = (i: number) => params + i;
  const c = (x: number) => params + 25 + x;
  const d = params + 30;
  const b = (i: number) => params + 31 + i;
  const round = params + 56;
  const code: number[] = [];
  const get = (local: number) => code.push(LOCAL_GET, ...unsignedLeb(local));
  const set = (local: number) => code.push(LOCAL_SET, ...unsignedLeb(local));
  const constant = (v: bigint) => code.push(I64_CONST, ...signedLeb64(v));

  inputs.forEach(([param, offset], lane) => {
    get(param);
    code.push(I64_LOAD, 3, ...unsignedLeb(RESERVED + offset));
    set(a(lane));
  });
  constant(1n); // 0x01 right after the input
  set(a(padLane));
  constant(0x80n << 56n); // 0x80 in byte 135, the last of the 136-byte rate
  set(a(16));

  code.push(LOOP, EMPTY_BLOCK);
  // θ: c[x] = ⊕_y a[x, y]; a[x, y] ^= c[x − 1] ⊕ rotl(c[x + 1], 1)
  for (let x = 0; x < 5; x++) {
    get(a(x));
    for (let y = 1; y < 5; y++) {
      get(a(x + 5 * y));
      code.push(I64_XOR);
    }
    set(c(x));
  }
  for (let x = 0; x < 5; x++) {
    get(c((x + 4) % 5));
    get(c((x + 1) % 5));
    constant(1n);
    code.push(I64_ROTL, I64_XOR);
    set(d);
    for (let y = 0; y < 5; y++) {
      get(a(x + 5 * y));
      get(d);
      code.push(I64_XOR);
      set(a(x + 5 * y));
    }
  }
  // ρ and π: b[y, 2x + 3y] = rotl(a[x, y], r[x, y])
  for (let x = 0; x < 5; x++) {
    for (let y = 0; y < 5; y++) {
      get(a(x + 5 * y));
      const r = rotation[x + 5 * y]!;
      if (r !== 0) {
        constant(BigInt(r));
        code.push(I64_ROTL);
      }
      set(b(y + 5 * ((2 * x + 3 * y) % 5)));
    }
  }
  // χ: a[x, y] = b[x, y] ⊕ (¬b[x + 1, y] ∧ b[x + 2, y])
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      get(b(x + 5 * y));
      get(b(((x + 1) % 5) + 5 * y));
      constant(-1n);
      code.push(I64_XOR);
      get(b(((x + 2) % 5) + 5 * y));
      code.push(I64_AND, I64_XOR);
      set(a(x + 5 * y));
    }
  }
  // ι: a[0, 0] ^= the round constant at memory[8 · round]
  get(a(0));
  get(round);
  code.push(I32_CONST, 3, I32_SHL, I64_LOAD, 3, 0, I64_XOR);
  set(a(0));
  // loop while ++round < 24
  get(round);
  code.push(I32_CONST, 1, I32_ADD, LOCAL_TEE, ...unsignedLeb(round), I32_CONST, 24, I32_LT_U, BR_IF, 0);
  code.push(END);
  for (let lane = 0; lane < 4; lane++) {
    get(outParam);
    get(a(lane));
    code.push(I64_STORE, 3, ...unsignedLeb(RESERVED + 8 * lane));
  }
  code.push(END);
  const locals = vector([
    [...unsignedLeb(56), I64],
    [1, I32],
  ]);
  const body = [...locals, ...code];
  return [...unsignedLeb(body.length), ...body];
}

/** The module's bytes. Exported for tests (@internal). */
export function encodeKeccakModule(): Uint8Array {
  const hash64Inputs: [number, number][] = [0, 1, 2, 3, 4, 5, 6, 7].map((lane) => [
    lane < 4 ? 0 : 1,
    8 * (lane % 4),
  ]);
  const hash32Inputs: [number, number][] = [0, 1, 2, 3].map((lane) => [0, 8 * lane]);
  const roundConstantBytes = keccakConstants().roundConstants.flatMap((rc) =>
    Array.from({ length: 8 }, (_, i) => Number((rc >> BigInt(8 * i)) & 0xffn)),
  );
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(
      1,
      vector([
        [0x60, ...vector([[I32], [I32], [I32]]), 0x00],
        [0x60, ...vector([[I32], [I32]]), 0x00],
      ]),
    ),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])), // memory, min 0 pages
    ...section(3, vector([[0], [1]])),
    ...section(
      7,
      vector([
        [...name('hash64'), 0x00, 0],
        [...name('hash32'), 0x00, 1],
      ]),
    ),
    ...section(
      10,
      vector([hashFunctionBody(3, hash64Inputs, 8, 2), hashFunctionBody(2, hash32Inputs, 4, 1)]),
    ),
    // One active data segment: the round constants, little-endian, at memory offset 0.
    ...section(11, vector([[0x00, I32_CONST, 0, END, ...vector(roundConstantBytes.map((byte) => [byte]))]])),
  ];
  return Uint8Array.from(bytes);
}
