// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ed25519} from "../../src/libraries/Ed25519.sol";

/// @dev The few Foundry cheatcodes these tests use (there is no forge-std in this repo).
///      signEd25519(namespace, message, seed) signs namespace || message with plain Ed25519 (RFC 8032), so an empty
///      namespace gives the standard signature; checked against RFC 8032 TEST 1 in test_cheatcodeSignerMatchesRfc8032.
interface Vm {
    function assume(bool condition) external pure;
    function createEd25519Key(bytes32 salt) external pure returns (bytes32 publicKey, bytes32 privateKey);
    function signEd25519(bytes calldata namespace, bytes calldata message, bytes32 privateKey)
        external
        pure
        returns (bytes memory signature);
}

/// @dev External entry point, so that a revert would be observable as such and the gas report lists verify.
contract Ed25519Harness {
    function verify(bytes32 publicKey, bytes32 r, bytes32 s, bytes calldata message) external view returns (bool) {
        return Ed25519.verify(publicKey, r, s, message);
    }
}

contract Ed25519Test {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    error AssertionFailed(string what);

    event log_named_uint(string key, uint256 val);

    Ed25519Harness private harness;

    // --- RFC 8032 section 7.1 ---------------------------------------------------------------------------------

    // TEST 1 (empty message)
    bytes32 private constant T1_PK = 0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a;
    bytes32 private constant T1_R = 0xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155;
    bytes32 private constant T1_S = 0x5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b;
    bytes32 private constant T1_SEED = 0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60;
    // TEST 2 (message 72)
    bytes32 private constant T2_PK = 0x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c;
    bytes32 private constant T2_R = 0x92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da;
    bytes32 private constant T2_S = 0x085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00;
    // TEST 3 (message af82)
    bytes32 private constant T3_PK = 0xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025;
    bytes32 private constant T3_R = 0x6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac;
    bytes32 private constant T3_S = 0x18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a;
    // TEST 1024 (1023-byte message: 9 SHA-512 blocks for R || A || M)
    bytes32 private constant T1024_PK = 0x278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e;
    bytes32 private constant T1024_R = 0x0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350;
    bytes32 private constant T1024_S = 0xaa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03;

    // --- Generated with Node's crypto (OpenSSL): crypto.sign(null, msg, key), seeds
    //     sha256("groundwork/ed25519/device-key/" + i), messages sha256("groundwork/ed25519/registration-digest/" + i)

    bytes32 private constant N0_PK = 0xe2e574fdceb64c06331753acc8322dad42db7cf86884bb3c8e25ac15fa39bb3c;
    bytes32 private constant N0_R = 0x93a9882392dcc8df89983261d9b5b26e75db72cf3acdfc48232855768c3f8102;
    bytes32 private constant N0_S = 0xa527bcd3292c3791b548b7002f099f3de233b55c2c206c342536752d9b911e05;
    bytes32 private constant N0_M = 0xc973527d7b1b1da256ca1ac4034c5cd85fea896ccfb3d018f27af529e77e1701;

    bytes32 private constant N1_PK = 0xe709a7c483906876644759ab6ba4b66f8ec3831a20d3aa9793bdc48d87789fa8;
    bytes32 private constant N1_R = 0xdf997adc84a7f7dd6241cc0f616400319d25af8421399f589f9a8e756d3f84f2;
    bytes32 private constant N1_S = 0xd3196edce07e1b516520fda899d6f4f5959b057bfc2e316486e7ef4d623ba403;
    bytes32 private constant N1_M = 0x638831959cb22f4ac0ae378093c0e17265e9783060767c69ba8329bcd6b073d2;

    bytes32 private constant N2_PK = 0x28a46e92fdf72b05465e0a5e10ecdbd4e8d2b93daa84ea4b411f03033e4099a1;
    bytes32 private constant N2_R = 0x2049ed4e3e98056381a2d5602ffaa7157abca7e43be765163d52663d33f97188;
    bytes32 private constant N2_S = 0x7d854245ebf26195d8f8d5afd14af23c34d770ebed82b52d1e28e24b6b45210b;
    bytes32 private constant N2_M = 0xf3a9bfb6d74e1f5272e691e071d010b0c32bcd4508598c568a6f86b178b588fd;

    bytes32 private constant N3_PK = 0x3998d7332010cb830309c8ae3a58e93e743e7e805f39b79b3959389927fe7cb6;
    bytes32 private constant N3_R = 0x12c7673c6e9fcd4a7ca8c9ad75bc9307d54f9cab8c2eb89469f95dca1b219cb0;
    bytes32 private constant N3_S = 0x29d5088240bca3ba75ad9e7313eaa54b6d63cbcecc3e36502aaaaba25f3ef90d;
    bytes32 private constant N3_M = 0x76568ff819efaf802aa07f9b59f9dc46cd3e496a73ab0e11ba71de84851df8e2;

    bytes32 private constant N4_PK = 0x705c4a07941232fcab83c00174ea1c5e9a4dc8c9d9477db1ca58a94d06a288bb;
    bytes32 private constant N4_R = 0x8148e5e0bfba5f2a6cbacf2ec629b2a1d001e955d0578485fe902002445c20b9;
    bytes32 private constant N4_S = 0x48e164bf861865953562fc1bf22bd18b7cd9f0396d098ff8a57fad328becb400;
    bytes32 private constant N4_M = 0xba3284fb9f5e21126d3a691dac7775b1ad8dc015323243ae1571dc48fb6eeba6;

    // --- Special encodings (little-endian, as on the wire) ------------------------------------------------------

    /// @dev L, the group order, encoded little-endian.
    bytes32 private constant L_LE = 0xedd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010;
    /// @dev N0_S + L: the same scalar mod L, non-canonical. [S+L]B = [S]B, so only the S < L check rejects it.
    bytes32 private constant N0_S_PLUS_L = 0x92fbb130448f49e98be5aea30d037e52e233b55c2c206c342536752d9b911e15;
    /// @dev y = 2: (y^2 - 1) / (d y^2 + 1) is not a square mod p, so no point has this y.
    bytes32 private constant NOT_ON_CURVE = 0x0200000000000000000000000000000000000000000000000000000000000000;
    /// @dev The identity point (0, 1), of small order.
    bytes32 private constant IDENTITY = 0x0100000000000000000000000000000000000000000000000000000000000000;
    /// @dev The base point B (y = 4/5).
    bytes32 private constant BASE_POINT = 0x5866666666666666666666666666666666666666666666666666666666666666;

    function setUp() public {
        harness = new Ed25519Harness();
    }

    // =============================================================================================================
    // Valid signatures
    // =============================================================================================================

    function test_rfc8032_test1_emptyMessage() public view {
        _assertTrue(Ed25519.verify(T1_PK, T1_R, T1_S, ""), "RFC 8032 TEST 1");
    }

    function test_rfc8032_test2_oneByte() public view {
        _assertTrue(Ed25519.verify(T2_PK, T2_R, T2_S, hex"72"), "RFC 8032 TEST 2");
    }

    function test_rfc8032_test3_twoBytes() public view {
        _assertTrue(Ed25519.verify(T3_PK, T3_R, T3_S, hex"af82"), "RFC 8032 TEST 3");
    }

    function test_rfc8032_test1024_multiBlock() public view {
        bytes memory m = _rfc1024Message();
        _assertEq(m.length, 1023, "TEST 1024 message length");
        _assertTrue(Ed25519.verify(T1024_PK, T1024_R, T1024_S, m), "RFC 8032 TEST 1024");
    }

    function test_nodeVectors_32ByteMessages() public view {
        _assertTrue(Ed25519.verify(N0_PK, N0_R, N0_S, abi.encodePacked(N0_M)), "node vector 0");
        _assertTrue(Ed25519.verify(N1_PK, N1_R, N1_S, abi.encodePacked(N1_M)), "node vector 1");
        _assertTrue(Ed25519.verify(N2_PK, N2_R, N2_S, abi.encodePacked(N2_M)), "node vector 2");
        _assertTrue(Ed25519.verify(N3_PK, N3_R, N3_S, abi.encodePacked(N3_M)), "node vector 3");
        _assertTrue(Ed25519.verify(N4_PK, N4_R, N4_S, abi.encodePacked(N4_M)), "node vector 4");
    }

    /// @dev Message lengths around the SHA-512 block boundaries of R || A || M (64 + len bytes + 17 bytes of
    ///      padding at least): 47 -> 1 block, 48 -> 2, 63, 64, 175 -> exactly 2, 176 -> 3, 300 -> 4.
    ///      Messages are m[j] = (7j + len) mod 256; signatures from Node's crypto with seed
    ///      sha256("groundwork/ed25519/length-key/" + len).
    function test_nodeVectors_paddingBoundaries() public view {
        _assertTrue(
            Ed25519.verify(
                0x83a6e434c670386715555e6cc6ad437b8bcfdb90b892b9ec80d9fe8570994555,
                0xac1956fab00f3fbb73ce37cdb90ba584d37a1bf27f85349e41e7f609ec0a75b8,
                0x96d7de883b2f26e8cd381a9124a1a2f84a3bc11eb0f55d63aa12e8d37c5b360c,
                _patternMessage(47)
            ),
            "len 47"
        );
        _assertTrue(
            Ed25519.verify(
                0xa4db5dbee0489a4c72c57fd37b830e337279628e89b5f0c6f28405930a21e1ee,
                0x038c5dd0328c49057f17fdcf85450b4bf83733e033238106fefe79152b6bc40e,
                0xc351a4a30e917e1a335a0483fb1a1d1bf8a673f0423fa96f95659cf67540f209,
                _patternMessage(48)
            ),
            "len 48"
        );
        _assertTrue(
            Ed25519.verify(
                0x0e99056481320a421462314477b5030fb6018c72a424ca42c1489cb9c621e662,
                0xd260aeb41b92bfc093fc42ed8db69636e76533a9e02aeb27b776d15026568429,
                0xcbf2ad6d1847db73c0e55122455082eff2fa993c7a269b13c382901535f75b0d,
                _patternMessage(63)
            ),
            "len 63"
        );
        _assertTrue(
            Ed25519.verify(
                0xfa6b6f75d9617b40347c43fa927290281fa8b5496f61922d21f82c2efbea343d,
                0x09eb183deaecd16f10133e376d25eacfcd52cfd46bc3b763715575525fb05c71,
                0xec6be2aa097864230141533a4f164de9709fc5e8a1fa25b437ecc1780cade500,
                _patternMessage(64)
            ),
            "len 64"
        );
        _assertTrue(
            Ed25519.verify(
                0xc46f2824723e0832be0b44f45d177deec8afc691b3b9bdd75faea15d15cf5e24,
                0x6c0d4a2fa53627643f2cd1f6a492da0dd1fcc9ade00db695a9385405689508a7,
                0xa848ca54b6a19dbd8429243e9a5a469d69e04033284276be4e83c422ce1b3008,
                _patternMessage(175)
            ),
            "len 175"
        );
        _assertTrue(
            Ed25519.verify(
                0x144c3e4e663262d7ec39592d3b055839f8ee6510794dcfe1b08c49b9a2438696,
                0xfe2db64fb61b613645135989fc36ba2ce5efe0e9190ff221b6e16115b9d69fda,
                0xe2158be70f215d61288551fb641ba125f97e05912768df46bdded8e6a0e94a06,
                _patternMessage(176)
            ),
            "len 176"
        );
        _assertTrue(
            Ed25519.verify(
                0x30736afd2cf6980a5620697425dd754f3d7337d2e190af9bb6df938967cbd217,
                0xda1b1086297d8e55e6753bbc03ea3cb2dfcb8f89fa7db33c1113631d44377f1b,
                0xf8cb333751c2119fc45e96cbece0cb99f4ad84d31c5b3278fe14ed9aaecffa01,
                _patternMessage(300)
            ),
            "len 300"
        );
    }

    function test_viaExternalHarness() public view {
        _assertTrue(harness.verify(N0_PK, N0_R, N0_S, abi.encodePacked(N0_M)), "harness, valid");
        _assertTrue(!harness.verify(N0_PK, N0_R, N0_S, abi.encodePacked(N1_M)), "harness, wrong message");
    }

    // =============================================================================================================
    // Tampering: every case returns false and does not revert
    // =============================================================================================================

    function test_rejects_flippedMessageBit() public view {
        bytes32 m = N0_M ^ bytes32(uint256(1));
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, N0_S, abi.encodePacked(m)), "message low bit");
        m = N0_M ^ bytes32(uint256(1) << 255);
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, N0_S, abi.encodePacked(m)), "message high bit");
        _assertTrue(!Ed25519.verify(T2_PK, T2_R, T2_S, hex"73"), "RFC TEST 2, message 73");
        bytes memory long = _rfc1024Message();
        long[1000] ^= 0x01;
        _assertTrue(!Ed25519.verify(T1024_PK, T1024_R, T1024_S, long), "RFC TEST 1024, byte 1000");
    }

    function test_rejects_flippedRBit() public view {
        _assertTrue(!Ed25519.verify(N0_PK, N0_R ^ bytes32(uint256(1)), N0_S, abi.encodePacked(N0_M)), "R last byte");
        bytes32 rFlipped = N0_R ^ bytes32(uint256(1) << 248);
        _assertTrue(!Ed25519.verify(N0_PK, rFlipped, N0_S, abi.encodePacked(N0_M)), "R byte 0");
        // Bit 255 of the encoding (x's sign): R and -R differ only there.
        _assertTrue(!Ed25519.verify(N0_PK, N0_R ^ bytes32(uint256(0x80)), N0_S, abi.encodePacked(N0_M)), "R sign bit");
    }

    function test_rejects_flippedSBit() public view {
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, N0_S ^ bytes32(uint256(1) << 248), abi.encodePacked(N0_M)), "S bit 0");
        _assertTrue(
            !Ed25519.verify(N0_PK, N0_R, N0_S ^ bytes32(uint256(1) << 128), abi.encodePacked(N0_M)), "S mid bit"
        );
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, N0_S ^ bytes32(uint256(1)), abi.encodePacked(N0_M)), "S bit 248");
    }

    function test_rejects_flippedPublicKeyBit() public view {
        _assertTrue(!Ed25519.verify(N0_PK ^ bytes32(uint256(1) << 248), N0_R, N0_S, abi.encodePacked(N0_M)), "A bit 0");
        _assertTrue(
            !Ed25519.verify(N0_PK ^ bytes32(uint256(1) << 100), N0_R, N0_S, abi.encodePacked(N0_M)), "A mid bit"
        );
        _assertTrue(!Ed25519.verify(N0_PK ^ bytes32(uint256(0x80)), N0_R, N0_S, abi.encodePacked(N0_M)), "A sign bit");
    }

    function test_rejects_signatureUnderOtherKey() public view {
        _assertTrue(!Ed25519.verify(N1_PK, N0_R, N0_S, abi.encodePacked(N0_M)), "other key");
        _assertTrue(!Ed25519.verify(N0_PK, N1_R, N1_S, abi.encodePacked(N1_M)), "other signature");
    }

    function test_rejects_messageOfOtherLength() public view {
        // Same bytes with a trailing zero, and truncated: the length is part of the hash.
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, N0_S, abi.encodePacked(N0_M, bytes1(0))), "33 bytes");
        _assertTrue(!Ed25519.verify(T3_PK, T3_R, T3_S, hex"af"), "RFC TEST 3 truncated");
        _assertTrue(!Ed25519.verify(T1_PK, T1_R, T1_S, hex"00"), "RFC TEST 1 with one zero byte");
    }

    function test_rejects_nonCanonicalS() public view {
        // S + L is the same scalar mod L; without the S < L check this would verify (malleability).
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, N0_S_PLUS_L, abi.encodePacked(N0_M)), "S + L");
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, L_LE, abi.encodePacked(N0_M)), "S = L");
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, bytes32(type(uint256).max), abi.encodePacked(N0_M)), "S = 2^256 - 1");
    }

    function test_rejects_publicKeyNotOnCurve() public view {
        _assertTrue(!Ed25519.verify(NOT_ON_CURVE, N0_R, N0_S, abi.encodePacked(N0_M)), "A with y = 2");
        // y = p (non-canonical encoding of y = 0) and y = 2^255 - 1 (>= p): both rejected by decoding.
        bytes32 yEqualsP = 0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f;
        _assertTrue(!Ed25519.verify(yEqualsP, N0_R, N0_S, abi.encodePacked(N0_M)), "A with y = p");
        _assertTrue(!Ed25519.verify(bytes32(type(uint256).max), N0_R, N0_S, abi.encodePacked(N0_M)), "A all ones");
        // x = 0 with the sign bit set (RFC 8032 5.1.3 step 4 failure).
        _assertTrue(!Ed25519.verify(IDENTITY | bytes32(uint256(0x80)), N0_R, N0_S, abi.encodePacked(N0_M)), "-0");
    }

    /// @dev Invalid keys must be rejected while decoding, not merely fail the final comparison: each of these
    ///      returns false in far less gas than one scalar multiplication (~0.28M). Covers y >= p for a y whose
    ///      reduced value is on the curve (y = p + 3), no square root (y = 2), and the small-order keys.
    function test_rejects_invalidPublicKeyBeforeScalarMultiplication() public view {
        bytes memory m = abi.encodePacked(N0_M);
        bytes32[5] memory keys = [
            NOT_ON_CURVE,
            // y = p + 3 (non-canonical; y = 3 is on the curve)
            bytes32(0xf0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f),
            bytes32(0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f), // y = p
            IDENTITY | bytes32(uint256(0x80)), // x = 0 with the sign bit set
            IDENTITY
        ];
        for (uint256 i = 0; i < keys.length; i++) {
            uint256 before = gasleft();
            bool ok = Ed25519.verify(keys[i], N0_R, N0_S, m);
            uint256 used = before - gasleft();
            _assertTrue(!ok, "invalid key accepted");
            _assertTrue(used < 60_000, "invalid key not rejected while decoding");
        }
    }

    function test_rejects_rNotOnCurve() public view {
        _assertTrue(!Ed25519.verify(N0_PK, NOT_ON_CURVE, N0_S, abi.encodePacked(N0_M)), "R with y = 2");
        _assertTrue(!Ed25519.verify(N0_PK, bytes32(type(uint256).max), N0_S, abi.encodePacked(N0_M)), "R all ones");
    }

    /// @dev With A = identity, [k]A = identity, so (R = B, S = 1) satisfies [S]B = R + [k]A for every message:
    ///      a forgery that RFC 8032 alone would accept. verify rejects small-order keys.
    function test_rejects_smallOrderPublicKeyForgery() public view {
        bytes32 one = bytes32(uint256(1) << 248); // S = 1, little-endian
        _assertTrue(!Ed25519.verify(IDENTITY, BASE_POINT, one, "anything"), "identity key forgery");
        // The other small-order points: y = -1; y = 0 (order 4, both signs); y = +-Y8 (order 8, both signs).
        bytes32[5] memory ys = [
            bytes32(0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f),
            bytes32(0),
            bytes32(0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05),
            bytes32(0xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a),
            IDENTITY
        ];
        for (uint256 i = 0; i < ys.length; i++) {
            // R = B, S = 1 again: for y = 1 and y = -1 ([k]A = +-identity) this is the forgery above.
            _assertTrue(!Ed25519.verify(ys[i], BASE_POINT, one, "anything"), "small-order key");
            _assertTrue(
                !Ed25519.verify(ys[i] | bytes32(uint256(0x80)), BASE_POINT, one, "anything"), "small-order key, sign"
            );
        }
    }

    function test_rejects_allZeroAndAllOnes() public view {
        _assertTrue(!Ed25519.verify(bytes32(0), bytes32(0), bytes32(0), ""), "all zero");
        bytes32 ones = bytes32(type(uint256).max);
        _assertTrue(!Ed25519.verify(ones, ones, ones, abi.encodePacked(ones)), "all ones");
    }

    // =============================================================================================================
    // Fuzz
    // =============================================================================================================

    /// @dev A fixed valid signature over a fixed 32-byte message fails for any other 32-byte message.
    function testFuzz_verify_rejectsTamperedMessage(bytes32 m) public view {
        vm.assume(m != N0_M);
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, N0_S, abi.encodePacked(m)), "tampered message accepted");
    }

    /// @dev ... and for any message of any other length or content.
    function testFuzz_verify_rejectsOtherMessage(bytes calldata m) public view {
        vm.assume(keccak256(m) != keccak256(abi.encodePacked(N0_M)));
        _assertTrue(!Ed25519.verify(N0_PK, N0_R, N0_S, m), "other message accepted");
    }

    /// @dev Any single bit flipped anywhere in (A, R, S, M) of a valid 32-byte-message signature is rejected.
    function testFuzz_verify_rejectsAnySingleBitFlip(uint16 bitSeed) public view {
        uint256 bit = uint256(bitSeed) % 1024;
        bytes32[4] memory parts = [N0_PK, N0_R, N0_S, N0_M];
        parts[bit / 256] ^= bytes32(uint256(1) << (bit % 256));
        _assertTrue(!Ed25519.verify(parts[0], parts[1], parts[2], abi.encodePacked(parts[3])), "bit flip accepted");
    }

    /// @dev Random inputs are rejected, through an external call that must not revert. S is forced below 2^252
    ///      (top nibble of its last byte cleared) so that most runs get past the S < L check into the curve code.
    function testFuzz_verify_randomInputsReturnFalseWithoutRevert(bytes32 a, bytes32 r, bytes32 s, bytes32 m)
        public
        view
    {
        s &= ~bytes32(uint256(0xf0));
        (bool ok, bytes memory ret) =
            address(harness).staticcall(abi.encodeCall(Ed25519Harness.verify, (a, r, s, abi.encodePacked(m))));
        _assertTrue(ok, "verify reverted");
        _assertTrue(!abi.decode(ret, (bool)), "random input accepted");
    }

    /// @dev Random S >= L never verifies (and never reverts), for the valid A, R, M of vector 0.
    function testFuzz_verify_rejectsNonCanonicalS(uint256 excess) public view {
        uint256 l = _reverse(uint256(L_LE)); // L as an integer
        // S = L + excess, kept below 2^256.
        excess = excess % (type(uint256).max - l);
        bytes32 s = bytes32(_reverse(l + excess));
        bytes memory call = abi.encodeCall(Ed25519Harness.verify, (N0_PK, N0_R, s, abi.encodePacked(N0_M)));
        (bool ok, bytes memory ret) = address(harness).staticcall(call);
        _assertTrue(ok && !abi.decode(ret, (bool)), "S >= L accepted or reverted");
    }

    /// @dev Keys and signatures made by Foundry's own Ed25519 signer (its cheatcodes exist in forge 1.7.1) on
    ///      random 32-byte messages verify, and the same signature fails on the next message.
    function testFuzz_verify_acceptsCheatcodeSignatures(bytes32 salt, bytes32 m) public view {
        (bytes32 pk, bytes32 sk) = vm.createEd25519Key(salt);
        bytes memory sig = vm.signEd25519("", abi.encodePacked(m), sk);
        (bytes32 r, bytes32 s) = _split(sig);
        _assertTrue(Ed25519.verify(pk, r, s, abi.encodePacked(m)), "cheatcode signature rejected");
        unchecked {
            // Wrapping is intended: any different message will do.
            _assertTrue(!Ed25519.verify(pk, r, s, abi.encodePacked(bytes32(uint256(m) + 1))), "wrong message accepted");
        }
    }

    /// @dev Same with random-length messages (multi-block hashing).
    function testFuzz_verify_acceptsCheatcodeSignaturesAnyLength(bytes32 salt, bytes calldata m) public view {
        (bytes32 pk, bytes32 sk) = vm.createEd25519Key(salt);
        (bytes32 r, bytes32 s) = _split(vm.signEd25519("", m, sk));
        _assertTrue(Ed25519.verify(pk, r, s, m), "cheatcode signature rejected");
    }

    /// @dev A valid key with a random signature (S < 2^252, so it reaches the curve code) is rejected.
    function testFuzz_verify_rejectsRandomSignatureForValidKey(bytes32 salt, bytes32 r, bytes32 s, bytes32 m)
        public
        view
    {
        (bytes32 pk,) = vm.createEd25519Key(salt);
        s &= ~bytes32(uint256(0xf0));
        _assertTrue(!Ed25519.verify(pk, r, s, abi.encodePacked(m)), "random signature accepted");
    }

    function test_cheatcodeSignerMatchesRfc8032() public pure {
        (bytes32 r, bytes32 s) = _split(vm.signEd25519("", "", T1_SEED));
        _assertTrue(r == T1_R && s == T1_S, "signEd25519 is not plain RFC 8032");
    }

    // =============================================================================================================
    // Gas
    // =============================================================================================================

    /// @dev Gas of verify for the DeviceRegistry case (32-byte message), measured around the library call.
    function test_gas_verify32ByteMessage() public {
        bytes memory m = abi.encodePacked(N0_M);
        uint256 before = gasleft();
        bool ok = Ed25519.verify(N0_PK, N0_R, N0_S, m);
        uint256 used = before - gasleft();
        emit log_named_uint("Ed25519.verify gas, 32-byte message", used);
        _assertTrue(ok, "valid signature rejected");
        _assertTrue(used < 1_500_000, "verify over budget");
    }

    function test_gas_verify1023ByteMessage() public {
        bytes memory m = _rfc1024Message();
        uint256 before = gasleft();
        bool ok = Ed25519.verify(T1024_PK, T1024_R, T1024_S, m);
        uint256 used = before - gasleft();
        emit log_named_uint("Ed25519.verify gas, 1023-byte message", used);
        _assertTrue(ok, "valid signature rejected");
    }

    // =============================================================================================================
    // Helpers
    // =============================================================================================================

    function _assertTrue(bool condition, string memory what) private pure {
        if (!condition) revert AssertionFailed(what);
    }

    function _assertEq(uint256 a, uint256 b, string memory what) private pure {
        if (a != b) revert AssertionFailed(what);
    }

    function _split(bytes memory sig) private pure returns (bytes32 r, bytes32 s) {
        _assertEq(sig.length, 64, "signature length");
        // Safe: sig is 64 bytes long (checked above), so both words are within it.
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
        }
    }

    function _reverse(uint256 v) private pure returns (uint256 out) {
        for (uint256 i = 0; i < 32; i++) {
            out = (out << 8) | ((v >> (8 * i)) & 0xff);
        }
    }

    function _patternMessage(uint256 len) private pure returns (bytes memory m) {
        m = new bytes(len);
        for (uint256 j = 0; j < len; j++) {
            m[j] = bytes1(uint8((j * 7 + len) & 0xff));
        }
    }

    function _rfc1024Message() private pure returns (bytes memory) {
        return hex"08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
            hex"e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
            hex"658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
            hex"7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
            hex"06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
            hex"3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
            hex"85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
            hex"502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
            hex"88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
            hex"eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
            hex"b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
            hex"e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
            hex"51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
            hex"cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
            hex"f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
            hex"984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
            hex"88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
            hex"43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
            hex"b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
            hex"0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
            hex"b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
            hex"c60c905c15fc910840b94c00a0b9d0";
    }
}
