/**
 * keccak256 (the Ethereum variant: Keccak with 0x01 padding, not SHA3-256's
 * 0x06) specialised for the two input sizes a reward tree hashes: 32 bytes
 * (the outer leaf hash) and 64 bytes (the inner leaf hash and every internal
 * node). Both fit in one 136-byte block, so there is no streaming state, no
 * allocation and no hex: bytes are read from and written to caller buffers.
 *
 * Why not `keccak_256` from `@noble/hashes`: a reward tree of n leaves costs
 * 3n − 1 hashes, and noble's general-purpose sponge (object per call, argument
 * checks, `keccakP` reading its state from an array) is about 2.5× slower on
 * 64-byte inputs than this unrolled permutation over local variables. The
 * output is checked byte for byte against noble in `keccak.test.ts`.
 *
 * Lanes are 64-bit, held as two int32 halves (`l` = low, `h` = high word),
 * little-endian as in the Keccak reference. Bytes are read and written one by
 * one, so the code does not depend on the platform's endianness.
 *
 * @module
 */

/** Round constants of Keccak-f[1600], low and high 32-bit words (FIPS 202, ι step). */
const RC_LO = new Int32Array([
  1, 32898, 32906, -2147450880, 32907, -2147483647, -2147450751, 32777, 138, 136, -2147450871, -2147483638,
  -2147450741, 139, 32905, 32771, 32770, 128, 32778, -2147483638, -2147450751, 32896, -2147483647,
  -2147450872,
]);
const RC_HI = new Int32Array([
  0, 0, -2147483648, -2147483648, 0, 0, -2147483648, -2147483648, 0, 0, 0, 0, 0, -2147483648, -2147483648,
  -2147483648, -2147483648, -2147483648, 0, -2147483648, -2147483648, -2147483648, 0, -2147483648,
]);

/**
 * The Keccak-f[1600] permutation, in place, on 25 lanes stored as 50 int32
 * words (lane i = words 2i (low) and 2i + 1 (high)). Each round is θ, then ρ
 * and π together (b[y, 2x + 3y] = rotl(a[x, y], r[x, y])), then χ, then ι.
 * The body is unrolled so that every lane lives in a local variable; it was
 * generated from the FIPS 202 definitions (rotation offsets from the
 * (t + 1)(t + 2)/2 rule, round constants from the degree-8 LFSR).
 */
export function keccakF1600(s: Int32Array): void {
  let a0l = s[0]!;
  let a0h = s[1]!;
  let a1l = s[2]!;
  let a1h = s[3]!;
  let a2l = s[4]!;
  let a2h = s[5]!;
  let a3l = s[6]!;
  let a3h = s[7]!;
  let a4l = s[8]!;
  let a4h = s[9]!;
  let a5l = s[10]!;
  let a5h = s[11]!;
  let a6l = s[12]!;
  let a6h = s[13]!;
  let a7l = s[14]!;
  let a7h = s[15]!;
  let a8l = s[16]!;
  let a8h = s[17]!;
  let a9l = s[18]!;
  let a9h = s[19]!;
  let a10l = s[20]!;
  let a10h = s[21]!;
  let a11l = s[22]!;
  let a11h = s[23]!;
  let a12l = s[24]!;
  let a12h = s[25]!;
  let a13l = s[26]!;
  let a13h = s[27]!;
  let a14l = s[28]!;
  let a14h = s[29]!;
  let a15l = s[30]!;
  let a15h = s[31]!;
  let a16l = s[32]!;
  let a16h = s[33]!;
  let a17l = s[34]!;
  let a17h = s[35]!;
  let a18l = s[36]!;
  let a18h = s[37]!;
  let a19l = s[38]!;
  let a19h = s[39]!;
  let a20l = s[40]!;
  let a20h = s[41]!;
  let a21l = s[42]!;
  let a21h = s[43]!;
  let a22l = s[44]!;
  let a22h = s[45]!;
  let a23l = s[46]!;
  let a23h = s[47]!;
  let a24l = s[48]!;
  let a24h = s[49]!;
  let c0l = 0,
    c0h = 0,
    c1l = 0,
    c1h = 0,
    c2l = 0,
    c2h = 0,
    c3l = 0,
    c3h = 0,
    c4l = 0,
    c4h = 0,
    dl = 0,
    dh = 0;
  let b0l = 0,
    b0h = 0,
    b1l = 0,
    b1h = 0,
    b2l = 0,
    b2h = 0,
    b3l = 0,
    b3h = 0,
    b4l = 0,
    b4h = 0,
    b5l = 0,
    b5h = 0,
    b6l = 0,
    b6h = 0,
    b7l = 0,
    b7h = 0,
    b8l = 0,
    b8h = 0,
    b9l = 0,
    b9h = 0,
    b10l = 0,
    b10h = 0,
    b11l = 0,
    b11h = 0,
    b12l = 0,
    b12h = 0,
    b13l = 0,
    b13h = 0,
    b14l = 0,
    b14h = 0,
    b15l = 0,
    b15h = 0,
    b16l = 0,
    b16h = 0,
    b17l = 0,
    b17h = 0,
    b18l = 0,
    b18h = 0,
    b19l = 0,
    b19h = 0,
    b20l = 0,
    b20h = 0,
    b21l = 0,
    b21h = 0,
    b22l = 0,
    b22h = 0,
    b23l = 0,
    b23h = 0,
    b24l = 0,
    b24h = 0;
  for (let round = 0; round < 24; round++) {
    c0l = a0l ^ a5l ^ a10l ^ a15l ^ a20l;
    c0h = a0h ^ a5h ^ a10h ^ a15h ^ a20h;
    c1l = a1l ^ a6l ^ a11l ^ a16l ^ a21l;
    c1h = a1h ^ a6h ^ a11h ^ a16h ^ a21h;
    c2l = a2l ^ a7l ^ a12l ^ a17l ^ a22l;
    c2h = a2h ^ a7h ^ a12h ^ a17h ^ a22h;
    c3l = a3l ^ a8l ^ a13l ^ a18l ^ a23l;
    c3h = a3h ^ a8h ^ a13h ^ a18h ^ a23h;
    c4l = a4l ^ a9l ^ a14l ^ a19l ^ a24l;
    c4h = a4h ^ a9h ^ a14h ^ a19h ^ a24h;
    dh = c4h ^ ((c1h << 1) | (c1l >>> 31));
    dl = c4l ^ ((c1l << 1) | (c1h >>> 31));
    a0h ^= dh;
    a0l ^= dl;
    a5h ^= dh;
    a5l ^= dl;
    a10h ^= dh;
    a10l ^= dl;
    a15h ^= dh;
    a15l ^= dl;
    a20h ^= dh;
    a20l ^= dl;
    dh = c0h ^ ((c2h << 1) | (c2l >>> 31));
    dl = c0l ^ ((c2l << 1) | (c2h >>> 31));
    a1h ^= dh;
    a1l ^= dl;
    a6h ^= dh;
    a6l ^= dl;
    a11h ^= dh;
    a11l ^= dl;
    a16h ^= dh;
    a16l ^= dl;
    a21h ^= dh;
    a21l ^= dl;
    dh = c1h ^ ((c3h << 1) | (c3l >>> 31));
    dl = c1l ^ ((c3l << 1) | (c3h >>> 31));
    a2h ^= dh;
    a2l ^= dl;
    a7h ^= dh;
    a7l ^= dl;
    a12h ^= dh;
    a12l ^= dl;
    a17h ^= dh;
    a17l ^= dl;
    a22h ^= dh;
    a22l ^= dl;
    dh = c2h ^ ((c4h << 1) | (c4l >>> 31));
    dl = c2l ^ ((c4l << 1) | (c4h >>> 31));
    a3h ^= dh;
    a3l ^= dl;
    a8h ^= dh;
    a8l ^= dl;
    a13h ^= dh;
    a13l ^= dl;
    a18h ^= dh;
    a18l ^= dl;
    a23h ^= dh;
    a23l ^= dl;
    dh = c3h ^ ((c0h << 1) | (c0l >>> 31));
    dl = c3l ^ ((c0l << 1) | (c0h >>> 31));
    a4h ^= dh;
    a4l ^= dl;
    a9h ^= dh;
    a9l ^= dl;
    a14h ^= dh;
    a14l ^= dl;
    a19h ^= dh;
    a19l ^= dl;
    a24h ^= dh;
    a24l ^= dl;
    b0h = a0h;
    b0l = a0l;
    b16h = (a5l << 4) | (a5h >>> 28);
    b16l = (a5h << 4) | (a5l >>> 28);
    b7h = (a10h << 3) | (a10l >>> 29);
    b7l = (a10l << 3) | (a10h >>> 29);
    b23h = (a15l << 9) | (a15h >>> 23);
    b23l = (a15h << 9) | (a15l >>> 23);
    b14h = (a20h << 18) | (a20l >>> 14);
    b14l = (a20l << 18) | (a20h >>> 14);
    b10h = (a1h << 1) | (a1l >>> 31);
    b10l = (a1l << 1) | (a1h >>> 31);
    b1h = (a6l << 12) | (a6h >>> 20);
    b1l = (a6h << 12) | (a6l >>> 20);
    b17h = (a11h << 10) | (a11l >>> 22);
    b17l = (a11l << 10) | (a11h >>> 22);
    b8h = (a16l << 13) | (a16h >>> 19);
    b8l = (a16h << 13) | (a16l >>> 19);
    b24h = (a21h << 2) | (a21l >>> 30);
    b24l = (a21l << 2) | (a21h >>> 30);
    b20h = (a2l << 30) | (a2h >>> 2);
    b20l = (a2h << 30) | (a2l >>> 2);
    b11h = (a7h << 6) | (a7l >>> 26);
    b11l = (a7l << 6) | (a7h >>> 26);
    b2h = (a12l << 11) | (a12h >>> 21);
    b2l = (a12h << 11) | (a12l >>> 21);
    b18h = (a17h << 15) | (a17l >>> 17);
    b18l = (a17l << 15) | (a17h >>> 17);
    b9h = (a22l << 29) | (a22h >>> 3);
    b9l = (a22h << 29) | (a22l >>> 3);
    b5h = (a3h << 28) | (a3l >>> 4);
    b5l = (a3l << 28) | (a3h >>> 4);
    b21h = (a8l << 23) | (a8h >>> 9);
    b21l = (a8h << 23) | (a8l >>> 9);
    b12h = (a13h << 25) | (a13l >>> 7);
    b12l = (a13l << 25) | (a13h >>> 7);
    b3h = (a18h << 21) | (a18l >>> 11);
    b3l = (a18l << 21) | (a18h >>> 11);
    b19h = (a23l << 24) | (a23h >>> 8);
    b19l = (a23h << 24) | (a23l >>> 8);
    b15h = (a4h << 27) | (a4l >>> 5);
    b15l = (a4l << 27) | (a4h >>> 5);
    b6h = (a9h << 20) | (a9l >>> 12);
    b6l = (a9l << 20) | (a9h >>> 12);
    b22h = (a14l << 7) | (a14h >>> 25);
    b22l = (a14h << 7) | (a14l >>> 25);
    b13h = (a19h << 8) | (a19l >>> 24);
    b13l = (a19l << 8) | (a19h >>> 24);
    b4h = (a24h << 14) | (a24l >>> 18);
    b4l = (a24l << 14) | (a24h >>> 18);
    a0h = b0h ^ (~b1h & b2h);
    a0l = b0l ^ (~b1l & b2l);
    a1h = b1h ^ (~b2h & b3h);
    a1l = b1l ^ (~b2l & b3l);
    a2h = b2h ^ (~b3h & b4h);
    a2l = b2l ^ (~b3l & b4l);
    a3h = b3h ^ (~b4h & b0h);
    a3l = b3l ^ (~b4l & b0l);
    a4h = b4h ^ (~b0h & b1h);
    a4l = b4l ^ (~b0l & b1l);
    a5h = b5h ^ (~b6h & b7h);
    a5l = b5l ^ (~b6l & b7l);
    a6h = b6h ^ (~b7h & b8h);
    a6l = b6l ^ (~b7l & b8l);
    a7h = b7h ^ (~b8h & b9h);
    a7l = b7l ^ (~b8l & b9l);
    a8h = b8h ^ (~b9h & b5h);
    a8l = b8l ^ (~b9l & b5l);
    a9h = b9h ^ (~b5h & b6h);
    a9l = b9l ^ (~b5l & b6l);
    a10h = b10h ^ (~b11h & b12h);
    a10l = b10l ^ (~b11l & b12l);
    a11h = b11h ^ (~b12h & b13h);
    a11l = b11l ^ (~b12l & b13l);
    a12h = b12h ^ (~b13h & b14h);
    a12l = b12l ^ (~b13l & b14l);
    a13h = b13h ^ (~b14h & b10h);
    a13l = b13l ^ (~b14l & b10l);
    a14h = b14h ^ (~b10h & b11h);
    a14l = b14l ^ (~b10l & b11l);
    a15h = b15h ^ (~b16h & b17h);
    a15l = b15l ^ (~b16l & b17l);
    a16h = b16h ^ (~b17h & b18h);
    a16l = b16l ^ (~b17l & b18l);
    a17h = b17h ^ (~b18h & b19h);
    a17l = b17l ^ (~b18l & b19l);
    a18h = b18h ^ (~b19h & b15h);
    a18l = b18l ^ (~b19l & b15l);
    a19h = b19h ^ (~b15h & b16h);
    a19l = b19l ^ (~b15l & b16l);
    a20h = b20h ^ (~b21h & b22h);
    a20l = b20l ^ (~b21l & b22l);
    a21h = b21h ^ (~b22h & b23h);
    a21l = b21l ^ (~b22l & b23l);
    a22h = b22h ^ (~b23h & b24h);
    a22l = b22l ^ (~b23l & b24l);
    a23h = b23h ^ (~b24h & b20h);
    a23l = b23l ^ (~b24l & b20l);
    a24h = b24h ^ (~b20h & b21h);
    a24l = b24l ^ (~b20l & b21l);
    a0h ^= RC_HI[round]!;
    a0l ^= RC_LO[round]!;
  }
  s[0] = a0l;
  s[1] = a0h;
  s[2] = a1l;
  s[3] = a1h;
  s[4] = a2l;
  s[5] = a2h;
  s[6] = a3l;
  s[7] = a3h;
  s[8] = a4l;
  s[9] = a4h;
  s[10] = a5l;
  s[11] = a5h;
  s[12] = a6l;
  s[13] = a6h;
  s[14] = a7l;
  s[15] = a7h;
  s[16] = a8l;
  s[17] = a8h;
  s[18] = a9l;
  s[19] = a9h;
  s[20] = a10l;
  s[21] = a10h;
  s[22] = a11l;
  s[23] = a11h;
  s[24] = a12l;
  s[25] = a12h;
  s[26] = a13l;
  s[27] = a13h;
  s[28] = a14l;
  s[29] = a14h;
  s[30] = a15l;
  s[31] = a15h;
  s[32] = a16l;
  s[33] = a16h;
  s[34] = a17l;
  s[35] = a17h;
  s[36] = a18l;
  s[37] = a18h;
  s[38] = a19l;
  s[39] = a19h;
  s[40] = a20l;
  s[41] = a20h;
  s[42] = a21l;
  s[43] = a21h;
  s[44] = a22l;
  s[45] = a22h;
  s[46] = a23l;
  s[47] = a23h;
  s[48] = a24l;
  s[49] = a24h;
}

/** Scratch state, shared: the functions below run to completion without re-entry. */
const state = new Int32Array(50);
/** Byte 135 (the last byte of the 136-byte rate) gets the final padding bit 0x80. */
const LAST_PAD = 0x80 << 24;

function readWord(src: Uint8Array, off: number): number {
  return src[off]! | (src[off + 1]! << 8) | (src[off + 2]! << 16) | (src[off + 3]! << 24);
}

function squeeze32(dst: Uint8Array, dstOff: number): void {
  for (let i = 0; i < 8; i++) {
    const w = state[i]!;
    const o = dstOff + 4 * i;
    dst[o] = w;
    dst[o + 1] = w >>> 8;
    dst[o + 2] = w >>> 16;
    dst[o + 3] = w >>> 24;
  }
}

/**
 * Writes keccak256 of the 32 bytes `src[srcOff .. srcOff + 32)` to `dst[dstOff .. dstOff + 32)`.
 * `dst` may overlap `src`: the input is fully absorbed before the output is written.
 */
export function keccak256Of32(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  state.fill(0);
  for (let i = 0; i < 8; i++) state[i] = readWord(src, srcOff + 4 * i);
  state[8] = 0x01;
  state[33] = LAST_PAD;
  keccakF1600(state);
  squeeze32(dst, dstOff);
}

/**
 * Writes keccak256 of the 64 bytes `a[aOff .. aOff + 32) ‖ b[bOff .. bOff + 32)` to
 * `dst[dstOff .. dstOff + 32)`. Taking the two halves separately lets a tree hash a pair
 * of nodes in place, without first concatenating them.
 */
export function keccak256Of64(
  a: Uint8Array,
  aOff: number,
  b: Uint8Array,
  bOff: number,
  dst: Uint8Array,
  dstOff: number,
): void {
  state.fill(0);
  for (let i = 0; i < 8; i++) {
    state[i] = readWord(a, aOff + 4 * i);
    state[8 + i] = readWord(b, bOff + 4 * i);
  }
  state[16] = 0x01;
  state[33] = LAST_PAD;
  keccakF1600(state);
  squeeze32(dst, dstOff);
}
