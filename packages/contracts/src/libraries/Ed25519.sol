// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Ed25519
/// @notice Pure-Solidity verifier for RFC 8032 Ed25519 signatures (PureEdDSA only: no Ed25519ph, no Ed25519ctx).
/// @dev How a signature is checked:
///      1. S is read little-endian and must be canonical (S < L), else false.
///      2. A is decoded as RFC 8032 section 5.1.3 says (y < p, x recovered with one square root taken through the
///         modexp precompile, x = 0 with the sign bit set rejected), else false.
///      3. k = SHA-512(R || A || M) mod L, with SHA-512 (FIPS 180-4, multi-block, with padding) written below.
///      4. Q = [S]B + [k](-A) is computed with Shamir's trick in extended twisted Edwards coordinates
///         (Hisil-Wong-Carter-Dawson 2008, the same formulas as ref10), one inversion at the end.
///      5. The signature is valid iff the canonical encoding of Q equals the 32 bytes of R.
///      Step 5 is the cofactorless equation [S]B = R + [k]A, as in ref10, libsodium, OpenSSL and Node's `crypto`;
///      comparing encodings also rejects an R that is non-canonical (y >= p) or not on the curve, since the encoding
///      of a real point is always canonical. Stricter than RFC 8032 (and OpenSSL/Node), as libsodium: a public key
///      of small order (one of the 8 torsion points) is rejected, because anyone can forge signatures for it.
///      Arithmetic mod p = 2^255 - 19 uses mulmod/addmod; every field element held between operations is < p, so
///      `sub(P, v)` never underflows, and `add` of two elements (< 2^256) is only fed straight into mulmod/addmod.
///      Everything here is view-only and never reverts on bad input; it returns false instead.
library Ed25519 {
    /// @dev The field prime p = 2^255 - 19.
    uint256 private constant P = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed;
    /// @dev The order of the base point, L = 2^252 + 27742317777372353535851937790883648493.
    uint256 private constant L = 0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed;
    /// @dev The curve constant d = -121665/121666 mod p.
    uint256 private constant D = 0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3;
    /// @dev 2d mod p, used by the cached form of a point.
    uint256 private constant D2 = 0x2406d9dc56dffce7198e80f2eef3d13000e0149a8283b156ebd69b9426b2f159;
    /// @dev sqrt(-1) mod p = 2^((p-1)/4).
    uint256 private constant SQRT_M1 = 0x2b8324804fc1df0b2b4d00993dfbd7a72f431806ad2fe478c4ee1b274a0ea0b0;
    /// @dev Affine coordinates of the base point B (y = 4/5, x even).
    uint256 private constant BX = 0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a;
    uint256 private constant BY = 0x6666666666666666666666666666666666666666666666666666666666666658;
    /// @dev The y-coordinate of a point of order 8 (the others of order 8 have y = Y8 or p - Y8).
    uint256 private constant Y8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826;
    /// @dev 2^256 mod L, to reduce the 512-bit hash: k = hi * 2^256 + lo.
    uint256 private constant TWO_POW_256_MOD_L = 0x0ffffffffffffffffffffffffffffffec6ef5bf4737dcf70d6ec31748d98951d;
    /// @dev (p - 5) / 8, the exponent of the square root candidate in RFC 8032 section 5.1.3.
    uint256 private constant SQRT_EXP = 0x0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd;
    /// @dev p - 2, the exponent of an inversion by Fermat's little theorem.
    uint256 private constant INV_EXP = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeb;

    /// @notice Verifies an RFC 8032 Ed25519 (pure, not ph/ctx) signature.
    /// @dev Cofactorless check ([S]B == R + [k]A with R compared by its encoding), as ref10/libsodium/OpenSSL.
    ///      Also false for a public key of small order (libsodium does the same; RFC 8032 alone would accept).
    ///      Needs the modexp precompile (0x05); where it is missing or fails, the result is false, never a revert.
    ///      Gas (solc 0.8.30, optimizer 10000 runs): about 340k for a 32-byte message (R || A || M = 96 bytes, one
    ///      SHA-512 block); each further 128-byte block adds about 59k. Invalid S or A return in under 20k.
    ///      Not constant-time, which is fine: verification handles no secret.
    /// @param publicKey the 32-byte encoded public key A
    /// @param r the first 32 bytes of the signature (encoded point R)
    /// @param s the last 32 bytes of the signature (scalar S, little-endian as in RFC 8032)
    /// @param message the signed message bytes
    /// @return true only for a valid signature; false (never revert) for any invalid input, including non-canonical
    ///         S (S >= L), a public key or R that does not decode to a curve point
    function verify(bytes32 publicKey, bytes32 r, bytes32 s, bytes memory message) internal view returns (bool) {
        uint256 scalarS = _reverseBytes(uint256(s));
        if (scalarS >= L) return false;

        (bool decoded, uint256 ax, uint256 ay) = _decompress(_reverseBytes(uint256(publicKey)));
        if (!decoded || _hasSmallOrder(ay)) return false;

        uint256 k = _challenge(r, publicKey, message);

        (uint256 qx, uint256 qy, uint256 qz) = _doubleScalarMul(scalarS, k, ax, ay);
        (bool encoded, uint256 encodedQ) = _encode(qx, qy, qz);
        return encoded && encodedQ == _reverseBytes(uint256(r));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Encoding helpers
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Reverses the 32 bytes of a word: turns RFC 8032's little-endian encodings (bytes32 byte 0 = least
    ///      significant byte) into integers and back. Shifts never revert and the masks keep each step lossless.
    function _reverseBytes(uint256 v) private pure returns (uint256) {
        v = ((v >> 8) & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
            | ((v & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) << 8);
        v = ((v >> 16) & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
            | ((v & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) << 16);
        v = ((v >> 32) & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)
            | ((v & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff) << 32);
        v = ((v >> 64) & 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff)
            | ((v & 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff) << 64);
        return (v >> 128) | (v << 128);
    }

    /// @dev Decodes a point as RFC 8032 section 5.1.3 (`encoding` already read little-endian):
    ///      y = low 255 bits, x's parity = bit 255. Fails if y >= p, if (y^2 - 1) / (d y^2 + 1) has no square root,
    ///      or if x = 0 while the sign bit is 1.
    function _decompress(uint256 encoding) private view returns (bool ok, uint256 x, uint256 y) {
        y = encoding & ((1 << 255) - 1);
        uint256 sign = encoding >> 255;
        if (y >= P) return (false, 0, 0);

        uint256 yy = mulmod(y, y, P);
        uint256 u = addmod(yy, P - 1, P); // y^2 - 1
        uint256 v = addmod(mulmod(D, yy, P), 1, P); // d y^2 + 1, never 0 since -1/d is not a square
        uint256 v3 = mulmod(mulmod(v, v, P), v, P);
        uint256 v7 = mulmod(mulmod(v3, v3, P), v, P);
        // x = u v^3 (u v^7)^((p-5)/8) is a square root of u/v, or of -u/v, when either exists.
        (bool powered, uint256 pw) = _modExp(mulmod(u, v7, P), SQRT_EXP);
        if (!powered) return (false, 0, 0);
        x = mulmod(mulmod(u, v3, P), pw, P);

        uint256 vxx = mulmod(v, mulmod(x, x, P), P);
        if (vxx != u) {
            // u != 0 here (u == 0 gives x == 0 and vxx == u above), so P - u is the reduced -u.
            if (vxx != P - u) return (false, 0, 0);
            x = mulmod(x, SQRT_M1, P);
        }
        if (x == 0 && sign == 1) return (false, 0, 0);
        if ((x & 1) != sign) x = P - x; // x != 0 here, so P - x is reduced
        return (true, x, y);
    }

    /// @dev True for the 8 points of small order (the torsion subgroup), identified by their y (x = 0 for y = +-1,
    ///      y = 0 for the two points of order 4, y = +-Y8 for the four of order 8; y is already canonical).
    ///      For such a key [k]A takes at most 8 values, so signatures for it can be forged without any secret key
    ///      (e.g. A = identity, R = B, S = 1 "signs" every message); libsodium rejects these keys too.
    function _hasSmallOrder(uint256 y) private pure returns (bool) {
        return y == 0 || y == 1 || y == P - 1 || y == Y8 || y == P - Y8;
    }

    /// @dev Affine form of the projective point (X : Y : Z) in its RFC 8032 encoding as an integer:
    ///      y | (x mod 2) << 255, with x = X/Z and y = Y/Z. One inversion, by the modexp precompile.
    function _encode(uint256 qx, uint256 qy, uint256 qz) private view returns (bool ok, uint256 encoding) {
        // Z is never 0 on this curve (the addition law is complete), but a zero would "invert" to 0 and could
        // encode as the all-zero R; rule it out explicitly.
        if (qz == 0) return (false, 0);
        (bool inverted, uint256 zInv) = _modExp(qz, INV_EXP);
        if (!inverted) return (false, 0);
        uint256 x = mulmod(qx, zInv, P);
        uint256 y = mulmod(qy, zInv, P);
        return (true, y | ((x & 1) << 255));
    }

    /// @dev base^exponent mod p through the modexp precompile (EIP-198) at 0x05.
    ///      ok is false if the call fails or returns anything but 32 bytes (e.g. a chain without the precompile,
    ///      where the call to an empty account would "succeed" with no return data).
    function _modExp(uint256 base, uint256 exponent) private view returns (bool ok, uint256 result) {
        // Safe: writes only the 192 bytes at the free memory pointer, which is scratch space the compiler does
        // not rely on (the pointer is not advanced), and reads back the 32-byte result from the same place.
        // The success flag is read into its own variable before returndatasize(), because Yul evaluates call
        // arguments right to left.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 0x20) // length of base
            mstore(add(ptr, 0x20), 0x20) // length of exponent
            mstore(add(ptr, 0x40), 0x20) // length of modulus
            mstore(add(ptr, 0x60), base)
            mstore(add(ptr, 0x80), exponent)
            mstore(add(ptr, 0xa0), P)
            let success := staticcall(gas(), 0x05, ptr, 0xc0, ptr, 0x20)
            ok := and(success, eq(returndatasize(), 0x20))
            result := mload(ptr)
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The challenge k = SHA-512(R || A || M) mod L
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Hashes R || A || M with SHA-512 and reduces the digest, read as a 512-bit little-endian integer, mod L.
    function _challenge(bytes32 r, bytes32 publicKey, bytes memory message) private pure returns (uint256) {
        // FIPS 180-4 padding: the bytes, 0x80, zeros, then the length in bits as a 128-bit big-endian integer,
        // to a multiple of 128 bytes. len + 17 is the minimum; `zeros` tops it up to the next block boundary.
        uint256 len = 64 + message.length;
        uint256 zeros = (128 - ((len + 17) % 128)) % 128;
        // casting to 'uint128' is safe because len * 8 < 2^128: no message in memory comes near 2^125 bytes
        // forge-lint: disable-next-line(unsafe-typecast)
        bytes memory padded = abi.encodePacked(r, publicKey, message, bytes1(0x80), new bytes(zeros), uint128(len * 8));

        (uint256 first, uint256 second) = _sha512(padded);
        // The digest's bytes 0..31 are the low half of the little-endian integer, bytes 32..63 the high half.
        uint256 lo = _reverseBytes(first);
        uint256 hi = _reverseBytes(second);
        return addmod(mulmod(hi, TWO_POW_256_MOD_L, L), lo, L);
    }

    /// @dev SHA-512 (FIPS 180-4) of an already padded message (length a multiple of 128 bytes).
    ///      Returns the 64-byte digest as two big-endian words: bytes 0..31 and bytes 32..63.
    function _sha512(bytes memory padded) private pure returns (uint256 first, uint256 second) {
        // The 80 round constants K[t] (first 64 bits of the fractional parts of the cube roots of the first 80
        // primes), 8 bytes each, big-endian.
        bytes memory roundConstants = hex"428a2f98d728ae227137449123ef65cdb5c0fbcfec4d3b2fe9b5dba58189dbbc"
            hex"3956c25bf348b53859f111f1b605d019923f82a4af194f9bab1c5ed5da6d8118"
            hex"d807aa98a303024212835b0145706fbe243185be4ee4b28c550c7dc3d5ffb4e2"
            hex"72be5d74f27b896f80deb1fe3b1696b19bdc06a725c71235c19bf174cf692694"
            hex"e49b69c19ef14ad2efbe4786384f25e30fc19dc68b8cd5b5240ca1cc77ac9c65"
            hex"2de92c6f592b02754a7484aa6ea6e4835cb0a9dcbd41fbd476f988da831153b5"
            hex"983e5152ee66dfaba831c66d2db43210b00327c898fb213fbf597fc7beef0ee4"
            hex"c6e00bf33da88fc2d5a79147930aa72506ca6351e003826f142929670a0e6e70"
            hex"27b70a8546d22ffc2e1b21385c26c9264d2c6dfc5ac42aed53380d139d95b3df"
            hex"650a73548baf63de766a0abb3c77b2a881c2c92e47edaee692722c851482353b"
            hex"a2bfe8a14cf10364a81a664bbc423001c24b8b70d0f89791c76c51a30654be30"
            hex"d192e819d6ef5218d69906245565a910f40e35855771202a106aa07032bbd1b8"
            hex"19a4c116b8d2d0c81e376c085141ab532748774cdf8eeb9934b0bcb5e19b48a8"
            hex"391c0cb3c5c95a634ed8aa4ae3418acb5b9cca4f7763e373682e6ff3d6b2b8a3"
            hex"748f82ee5defb2fc78a5636f43172f6084c87814a1f0ab728cc702081a6439ec"
            hex"90befffa23631e28a4506cebde82bde9bef9a3f7b2c67915c67178f2e372532b"
            hex"ca273eceea26619cd186b8c721c0c207eada7dd6cde0eb1ef57d4f7fee6ed178"
            hex"06f067aa72176fba0a637dc5a2c898a6113f9804bef90dae1b710b35131c471b"
            hex"28db77f523047d8432caab7b40c724933c9ebe0a15c9bebc431d67c49c100d4c"
            hex"4cc5d4becb3e42b6597f299cfc657e2a5fcb6fab3ad6faec6c44198c4a475817";

        // Safe / why assembly: SHA-512 works on 64-bit words modulo 2^64. Each word lives in a 256-bit stack
        // slot; sums of at most five 64-bit words stay below 2^67, so nothing wraps at 256 bits, and the
        // `and(..., 0xffffffffffffffff)` applied to every stored word is the intended reduction mod 2^64 (the
        // wrapping SHA-512 specifies, done explicitly instead of with unchecked uint64 arithmetic). Rotations are
        // or(shr(n, x), shl(64 - n, x)) on a 64-bit x; the bits shifted above bit 63 are removed by the same mask.
        // Assembly keeps the eight working variables on the stack (Solidity locals would be "stack too deep").
        // Memory: `padded` and `roundConstants` are only read (within their lengths); the message schedule W
        // (80 words) and the chaining state H (8 words) live in scratch space at the free memory pointer, which is
        // not advanced and not relied on by the compiler afterwards.
        assembly ("memory-safe") {
            // rotr(x, n) for 64-bit x, before masking (callers mask the combined result).
            function rotr(x, n) -> y {
                y := or(shr(n, x), shl(sub(64, n), x))
            }

            let w := mload(0x40) // W[0..79], 32 bytes each
            let h := add(w, 0xa00) // H[0..7], 32 bytes each
            mstore(h, 0x6a09e667f3bcc908)
            mstore(add(h, 0x20), 0xbb67ae8584caa73b)
            mstore(add(h, 0x40), 0x3c6ef372fe94f82b)
            mstore(add(h, 0x60), 0xa54ff53a5f1d36f1)
            mstore(add(h, 0x80), 0x510e527fade682d1)
            mstore(add(h, 0xa0), 0x9b05688c2b3e6c1f)
            mstore(add(h, 0xc0), 0x1f83d9abfb41bd6b)
            mstore(add(h, 0xe0), 0x5be0cd19137e2179)

            let kPtr := add(roundConstants, 0x20)
            for {
                let blockPtr := add(padded, 0x20)
                let end := add(blockPtr, mload(padded))
            } lt(blockPtr, end) { blockPtr := add(blockPtr, 0x80) } {
                // W[0..15]: the block's sixteen big-endian 64-bit words.
                for { let t := 0 } lt(t, 16) { t := add(t, 1) } {
                    mstore(add(w, shl(5, t)), shr(192, mload(add(blockPtr, shl(3, t)))))
                }
                // W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16] mod 2^64.
                for { let t := 16 } lt(t, 80) { t := add(t, 1) } {
                    let wt := add(w, shl(5, t))
                    let w15 := mload(sub(wt, 0x1e0))
                    let w2 := mload(sub(wt, 0x40))
                    let s0 := xor(xor(rotr(w15, 1), rotr(w15, 8)), shr(7, w15))
                    let s1 := xor(xor(rotr(w2, 19), rotr(w2, 61)), shr(6, w2))
                    // s0 and s1 carry rotation bits above 63; the final mask drops them along with the carry.
                    mstore(
                        wt,
                        and(
                            add(
                                add(and(s0, 0xffffffffffffffff), and(s1, 0xffffffffffffffff)),
                                add(mload(sub(wt, 0xe0)), mload(sub(wt, 0x200)))
                            ),
                            0xffffffffffffffff
                        )
                    )
                }

                let a := mload(h)
                let b := mload(add(h, 0x20))
                let c := mload(add(h, 0x40))
                let d := mload(add(h, 0x60))
                let e := mload(add(h, 0x80))
                let f := mload(add(h, 0xa0))
                let g := mload(add(h, 0xc0))
                let hh := mload(add(h, 0xe0))

                for { let t := 0 } lt(t, 80) { t := add(t, 1) } {
                    // T1 = h + Sigma1(e) + Ch(e, f, g) + K[t] + W[t]   (< 2^67, masked below)
                    let t1 :=
                        add(
                            add(hh, and(xor(xor(rotr(e, 14), rotr(e, 18)), rotr(e, 41)), 0xffffffffffffffff)),
                            add(
                                xor(g, and(e, xor(f, g))), // Ch(e, f, g)
                                add(shr(192, mload(add(kPtr, shl(3, t)))), mload(add(w, shl(5, t))))
                            )
                        )
                    hh := g
                    g := f
                    f := e
                    e := and(add(d, t1), 0xffffffffffffffff)
                    d := c
                    c := b
                    b := a
                    // a = T1 + Sigma0(a) + Maj(a, b, c) with the old a, b, c now in b, c, d.
                    a := and(
                        add(
                            t1,
                            add(
                                and(xor(xor(rotr(b, 28), rotr(b, 34)), rotr(b, 39)), 0xffffffffffffffff),
                                or(and(b, c), and(d, or(b, c))) // Maj
                            )
                        ),
                        0xffffffffffffffff
                    )
                }

                mstore(h, and(add(mload(h), a), 0xffffffffffffffff))
                mstore(add(h, 0x20), and(add(mload(add(h, 0x20)), b), 0xffffffffffffffff))
                mstore(add(h, 0x40), and(add(mload(add(h, 0x40)), c), 0xffffffffffffffff))
                mstore(add(h, 0x60), and(add(mload(add(h, 0x60)), d), 0xffffffffffffffff))
                mstore(add(h, 0x80), and(add(mload(add(h, 0x80)), e), 0xffffffffffffffff))
                mstore(add(h, 0xa0), and(add(mload(add(h, 0xa0)), f), 0xffffffffffffffff))
                mstore(add(h, 0xc0), and(add(mload(add(h, 0xc0)), g), 0xffffffffffffffff))
                mstore(add(h, 0xe0), and(add(mload(add(h, 0xe0)), hh), 0xffffffffffffffff))
            }

            first := or(
                or(shl(192, mload(h)), shl(128, mload(add(h, 0x20)))),
                or(shl(64, mload(add(h, 0x40))), mload(add(h, 0x60)))
            )
            second := or(
                or(shl(192, mload(add(h, 0x80))), shl(128, mload(add(h, 0xa0)))),
                or(shl(64, mload(add(h, 0xc0))), mload(add(h, 0xe0)))
            )
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Curve arithmetic: -x^2 + y^2 = 1 + d x^2 y^2 over GF(p)
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Q = [scalarS]B + [k](-A) in extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, xy = T/Z.
    ///      Shamir's trick over 253 bits (both scalars are < L < 2^253): per bit one doubling and, unless both
    ///      bits are 0, one addition of B, -A or B - A from a table in "cached" form (Y+X, Y-X, 2dT, 2Z).
    ///      The formulas are complete on this curve (a = -1 is a square, d is not), so no case is special,
    ///      including the identity (0 : 1 : 1 : 0) and low-order points.
    ///      Runs in variable time; fine for verification, where nothing is secret.
    function _doubleScalarMul(uint256 scalarS, uint256 k, uint256 ax, uint256 ay)
        private
        pure
        returns (uint256 qx, uint256 qy, uint256 qz)
    {
        // Safe / why assembly: only mulmod/addmod and `add`s of two reduced field elements (each < p < 2^255, so
        // the sum is < 2^256 and cannot wrap) that go straight into a mulmod; subtractions are written
        // addmod(x, sub(P, y), P) with y < P, so sub never underflows. Memory: the 4 x 128-byte table (entry 0
        // unused) is scratch space at the free memory pointer, which is not advanced; nothing else is touched.
        assembly ("memory-safe") {
            // Writes the cached form (Y+X, Y-X, 2dT, 2Z) of (X : Y : Z : T) at ptr.
            function store_cached(ptr, x, y, z, t) {
                mstore(ptr, addmod(y, x, P))
                mstore(add(ptr, 0x20), addmod(y, sub(P, x), P))
                mstore(add(ptr, 0x40), mulmod(t, D2, P))
                mstore(add(ptr, 0x60), addmod(z, z, P))
            }

            // (X : Y : Z : T) + cached point at ptr ("add-2008-hwcd-3", 8M; ref10 ge_add then p1p1 -> p3).
            function point_add(x, y, z, t, ptr) -> x3, y3, z3, t3 {
                let a := mulmod(add(y, sub(P, x)), mload(add(ptr, 0x20)), P) // (Y1-X1)(Y2-X2)
                let b := mulmod(add(y, x), mload(ptr), P) // (Y1+X1)(Y2+X2)
                let c := mulmod(t, mload(add(ptr, 0x40)), P) // 2d T1 T2
                let dd := mulmod(z, mload(add(ptr, 0x60)), P) // 2 Z1 Z2
                let e := addmod(b, sub(P, a), P)
                let hh := addmod(b, a, P)
                let f := addmod(dd, sub(P, c), P)
                let g := addmod(dd, c, P)
                x3 := mulmod(e, f, P)
                y3 := mulmod(g, hh, P)
                z3 := mulmod(f, g, P)
                t3 := mulmod(e, hh, P)
            }

            // 2 (X : Y : Z) ("dbl-2008-hwcd" with a = -1, 4M + 4S; ref10 ge_p2_dbl then p1p1 -> p3).
            function point_double(x, y, z) -> x3, y3, z3, t3 {
                let xx := mulmod(x, x, P)
                let yy := mulmod(y, y, P)
                let zz2 := mulmod(add(z, z), z, P) // 2 Z^2
                let sxy := mulmod(add(x, y), add(x, y), P) // (X+Y)^2
                let hh := addmod(yy, xx, P)
                let g := addmod(yy, sub(P, xx), P)
                let e := addmod(sxy, sub(P, hh), P) // 2XY
                let f := addmod(zz2, sub(P, g), P)
                x3 := mulmod(e, f, P)
                y3 := mulmod(g, hh, P)
                z3 := mulmod(f, g, P)
                t3 := mulmod(e, hh, P)
            }

            let table := mload(0x40)
            // Entry 1 (S bit only): B.
            store_cached(add(table, 0x80), BX, BY, 1, mulmod(BX, BY, P))
            // Entry 2 (k bit only): -A = (-x, y). ax < P, and mod() maps x = 0 to 0.
            let nax := mod(sub(P, ax), P)
            store_cached(add(table, 0x100), nax, ay, 1, mulmod(nax, ay, P))
            // Entry 3 (both bits): B + (-A).
            {
                let x3, y3, z3, t3 := point_add(BX, BY, 1, mulmod(BX, BY, P), add(table, 0x100))
                store_cached(add(table, 0x180), x3, y3, z3, t3)
            }

            let x := 0
            let y := 1
            let z := 1
            let t := 0
            for { let i := 253 } i {} {
                i := sub(i, 1)
                x, y, z, t := point_double(x, y, z)
                let idx := or(and(shr(i, scalarS), 1), shl(1, and(shr(i, k), 1)))
                if idx { x, y, z, t := point_add(x, y, z, t, add(table, shl(7, idx))) }
            }
            qx := x
            qy := y
            qz := z
        }
    }
}
