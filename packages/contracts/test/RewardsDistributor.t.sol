// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {GroundToken} from "../src/GroundToken.sol";
import {RewardsDistributor} from "../src/RewardsDistributor.sol";
import {IRewardsDistributor} from "../src/interfaces/IRewardsDistributor.sol";
import {Merkle} from "./utils/Merkle.sol";
import {RewardsFixture} from "./utils/RewardsFixture.sol";

contract RewardsDistributorTest is RewardsFixture {
    bytes32 internal constant BUNDLE = keccak256("bundle");
    bytes32 internal constant ROOT = keccak256("root");
    bytes32 internal constant ROOT_1 = keccak256("root 1");
    bytes32 internal constant ROOT_2 = keccak256("root 2");
    bytes32 internal constant ROOT_7 = keccak256("root 7");
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA201);
    address internal dave = address(0xDA4E);
    address internal relayer = address(0x4E1A7);

    function setUp() public {
        _deployRewards(3, 2);
    }

    // ---------------------------------------------------------------- helpers

    function _accounts() internal view returns (address[] memory accounts) {
        accounts = new address[](4);
        (accounts[0], accounts[1], accounts[2], accounts[3]) = (alice, bob, carol, dave);
    }

    function _amounts(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (uint256[] memory amounts) {
        amounts = new uint256[](4);
        (amounts[0], amounts[1], amounts[2], amounts[3]) = (a, b, c, d);
    }

    function _sum(uint256[] memory amounts) internal pure returns (uint256 total) {
        for (uint256 i; i < amounts.length; ++i) {
            total += amounts[i];
        }
    }

    /// @dev Submits the tree of (accounts, amounts) as the next epoch and returns its leaves.
    function _submitTree(address[] memory accounts, uint256[] memory amounts) internal returns (bytes32[] memory) {
        bytes32[] memory leaves = Merkle.leaves(accounts, amounts);
        _submit(Merkle.root(leaves), _sum(amounts));
        return leaves;
    }

    function _array(address a) internal pure returns (address[] memory out) {
        out = new address[](1);
        out[0] = a;
    }

    function _array(uint256 a) internal pure returns (uint256[] memory out) {
        out = new uint256[](1);
        out[0] = a;
    }

    // ---------------------------------------------------------------- constructor and views

    function test_constructor_setsWiringAndOracles() public view {
        assertEq(address(distributor.token()), address(token));
        assertEq(address(distributor.schedule()), address(schedule));
        assertEq(distributor.owner(), governance);
        assertEq(distributor.threshold(), 2);
        address[] memory expected = new address[](3);
        for (uint256 i; i < 3; ++i) {
            expected[i] = vm.addr(oracleKeys[i]);
            assertTrue(distributor.isOracle(expected[i]), "oracle registered");
        }
        assertEq(distributor.oracles(), expected);
        assertFalse(distributor.isOracle(alice), "alice is no oracle");
        assertEq(distributor.lastEpoch(), 0);
        assertEq(distributor.currentRoot(), bytes32(0));
        assertEq(distributor.currentTotal(), 0);
        assertEq(distributor.totalFunded(), 0);
        assertEq(distributor.totalClaimed(), 0);
    }

    function test_constructor_emitsOraclesUpdated() public {
        address[] memory set = _array(alice);
        vm.expectEmit(false, false, false, true);
        emit IRewardsDistributor.OraclesUpdated(set, 1);
        new RewardsDistributor(token, schedule, governance, set, 1);
    }

    function test_constructor_revertsOnZeroThreshold() public {
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidThreshold.selector, 0, 1));
        new RewardsDistributor(token, schedule, governance, _array(alice), 0);
    }

    function test_constructor_revertsWhenTheCapDoesNotFit128Bits() public {
        GroundToken huge = new GroundToken(uint256(type(uint128).max) + 1, governance);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardsDistributor.RewardsDistributorCapTooLarge.selector, uint256(type(uint128).max) + 1
            )
        );
        new RewardsDistributor(huge, schedule, governance, _array(alice), 1);
    }

    function test_ROOT_SUBMISSION_TYPEHASH_matchesTheTypeString() public view {
        assertEq(
            distributor.ROOT_SUBMISSION_TYPEHASH(),
            keccak256("RootSubmission(uint256 epoch,bytes32 root,uint256 total,bytes32 bundleHash)")
        );
    }

    function test_rootSubmissionDigest_isTheEip712HashOfTheStruct() public view {
        bytes32 domainSeparator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("GroundworkRewards"),
                keccak256("1"),
                block.chainid,
                address(distributor)
            )
        );
        bytes32 structHash =
            keccak256(abi.encode(distributor.ROOT_SUBMISSION_TYPEHASH(), uint256(7), ROOT_7, uint256(99), BUNDLE));
        assertEq(
            distributor.rootSubmissionDigest(7, ROOT_7, 99, BUNDLE),
            keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash))
        );
    }

    // ---------------------------------------------------------------- submitRoot

    function test_submitRoot_setsRootAndReleasesThePool() public {
        bytes32 root = keccak256("root 1");
        uint256 total = 600e18;
        uint256[] memory keys = _oracleKeys(2);
        bytes[] memory signatures = _sign(keys, 1, root, total, BUNDLE);

        vm.expectEmit(true, false, false, true, address(distributor));
        emit IRewardsDistributor.RootSubmitted(1, root, total, BUNDLE, _sortedAddresses(keys));
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(address(0), address(distributor), POOL);
        vm.prank(relayer);
        distributor.submitRoot(1, root, total, BUNDLE, signatures);

        assertEq(distributor.lastEpoch(), 1);
        assertEq(distributor.currentRoot(), root);
        assertEq(distributor.rootOf(1), root);
        assertEq(distributor.currentTotal(), total);
        assertEq(distributor.totalFunded(), POOL);
        assertEq(token.balanceOf(address(distributor)), POOL);
        assertEq(schedule.released(1), POOL);
    }

    function test_submitRoot_keepsEarlierRootsAndMovesTheCurrentOne() public {
        _submit(keccak256("r1"), 100e18);
        _submit(keccak256("r2"), 150e18);
        assertEq(distributor.rootOf(1), keccak256("r1"));
        assertEq(distributor.rootOf(2), keccak256("r2"));
        assertEq(distributor.rootOf(3), bytes32(0));
        assertEq(distributor.currentRoot(), keccak256("r2"));
        assertEq(distributor.currentTotal(), 150e18);
        assertEq(distributor.totalFunded(), 2 * POOL);
    }

    function test_submitRoot_acceptsMoreSignaturesThanTheThreshold() public {
        uint256[] memory keys = _oracleKeys(3);
        distributor.submitRoot(1, ROOT, 1, BUNDLE, _sign(keys, 1, ROOT, 1, BUNDLE));
        assertEq(distributor.currentRoot(), ROOT);
    }

    function test_submitRoot_revertsOnASkippedEpoch() public {
        bytes[] memory signatures = _sign(_oracleKeys(2), 2, ROOT, 1, BUNDLE);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorWrongEpoch.selector, 2, 1));
        distributor.submitRoot(2, ROOT, 1, BUNDLE, signatures);
    }

    function test_submitRoot_revertsOnAResubmittedEpoch() public {
        bytes[] memory signatures = _sign(_oracleKeys(2), 1, ROOT, 1, BUNDLE);
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorWrongEpoch.selector, 1, 2));
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);
    }

    function test_submitRoot_revertsWhenQuorumNotMet() public {
        bytes[] memory signatures = _sign(_oracleKeys(1), 1, ROOT, 1, BUNDLE);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorQuorumNotMet.selector, 1, 2));
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);
        assertEq(distributor.currentRoot(), bytes32(0));
    }

    function test_submitRoot_revertsOnANonOracleSigner() public {
        uint256 outsider = 0xBADBAD;
        bytes[] memory signatures = _sign(_keys(oracleKeys[0], outsider), 1, ROOT, 1, BUNDLE);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorNotOracle.selector, vm.addr(outsider))
        );
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);
    }

    function test_submitRoot_revertsOnADuplicatedSignature() public {
        bytes[] memory one = _sign(_oracleKeys(1), 1, ROOT, 1, BUNDLE);
        bytes[] memory twice = new bytes[](2);
        (twice[0], twice[1]) = (one[0], one[0]);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorSignersNotSorted.selector));
        distributor.submitRoot(1, ROOT, 1, BUNDLE, twice);
    }

    function test_submitRoot_revertsOnDescendingSigners() public {
        bytes[] memory sorted = _sign(_oracleKeys(2), 1, ROOT, 1, BUNDLE);
        bytes[] memory reversed = new bytes[](2);
        (reversed[0], reversed[1]) = (sorted[1], sorted[0]);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorSignersNotSorted.selector));
        distributor.submitRoot(1, ROOT, 1, BUNDLE, reversed);
    }

    function test_submitRoot_revertsOnAShortSignature() public {
        bytes[] memory signatures = _sign(_oracleKeys(2), 1, ROOT, 1, BUNDLE);
        bytes memory full = signatures[1];
        bytes memory short = new bytes(64);
        for (uint256 i; i < 64; ++i) {
            short[i] = full[i];
        }
        signatures[1] = short;
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidSignature.selector, 1));
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);
    }

    function test_submitRoot_revertsOnAHighSSignature() public {
        bytes32 digest = distributor.rootSubmissionDigest(1, ROOT, 1, BUNDLE);
        uint256[] memory keys = _sortByAddress(_oracleKeys(2));
        bytes[] memory signatures = _signInOrder(keys, digest);
        // The malleable twin (r, n - s, flipped v) recovers the same signer; ECDSA rejects it.
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[0], digest);
        signatures[0] = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidSignature.selector, 0));
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);
    }

    function test_submitRoot_revertsWhenTheTotalDecreases() public {
        _submit(ROOT_1, 500e18);
        bytes[] memory signatures = _sign(_oracleKeys(2), 2, ROOT_2, 499e18, BUNDLE);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorTotalDecreased.selector, 499e18, 500e18)
        );
        distributor.submitRoot(2, ROOT_2, 499e18, BUNDLE, signatures);
    }

    function test_submitRoot_revertsWhenTheGrowthExceedsThePool() public {
        bytes[] memory signatures = _sign(_oracleKeys(2), 1, ROOT, POOL + 1, BUNDLE);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorPoolExceeded.selector, POOL + 1, POOL)
        );
        distributor.submitRoot(1, ROOT, POOL + 1, BUNDLE, signatures);
        assertEq(token.totalSupply(), 0);
        assertFalse(schedule.isReleased(1), "nothing released");
    }

    function test_submitRoot_acceptsGrowthEqualToThePool() public {
        _submit(ROOT_1, POOL);
        _submit(ROOT_2, 2 * POOL);
        assertEq(distributor.currentTotal(), 2 * POOL);
    }

    function test_submitRoot_fundsTheWholePoolEvenWhenLessIsAllocated() public {
        _submit(ROOT_1, 10e18);
        assertEq(distributor.totalFunded(), POOL);
        assertEq(token.balanceOf(address(distributor)), POOL);
        // The unallocated rest does not roll over: the next epoch may still grow the total by one pool only.
        bytes[] memory signatures = _sign(_oracleKeys(2), 2, ROOT_2, 10e18 + POOL + 1, BUNDLE);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorPoolExceeded.selector, POOL + 1, POOL)
        );
        distributor.submitRoot(2, ROOT_2, 10e18 + POOL + 1, BUNDLE, signatures);
    }

    function test_submitRoot_rejectsSignaturesReplayedForTheNextEpoch() public {
        bytes[] memory signatures = _sign(_oracleKeys(2), 1, ROOT, 1, BUNDLE);
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);

        bytes memory expected = _expectedSignerError(signatures, distributor.rootSubmissionDigest(2, ROOT, 1, BUNDLE));
        assertTrue(expected.length != 0, "replayed signatures must not verify");
        vm.expectRevert(expected);
        distributor.submitRoot(2, ROOT, 1, BUNDLE, signatures);
        assertEq(distributor.lastEpoch(), 1);
    }

    function test_submitRoot_rejectsSignaturesReplayedOnAnotherChain() public {
        bytes[] memory signatures = _sign(_oracleKeys(2), 1, ROOT, 1, BUNDLE);
        vm.chainId(10);
        bytes memory expected = _expectedSignerError(signatures, distributor.rootSubmissionDigest(1, ROOT, 1, BUNDLE));
        assertTrue(expected.length != 0, "replayed signatures must not verify");
        vm.expectRevert(expected);
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);

        // Signatures made for this chain work.
        distributor.submitRoot(1, ROOT, 1, BUNDLE, _sign(_oracleKeys(2), 1, ROOT, 1, BUNDLE));
        assertEq(distributor.currentRoot(), ROOT);
    }

    function test_submitRoot_rejectsSignaturesOfRemovedOracles() public {
        address[] memory newSet = new address[](2);
        newSet[0] = vm.addr(0xBEEF1);
        newSet[1] = vm.addr(0xBEEF2);
        vm.prank(governance);
        distributor.setOracles(newSet, 2);

        uint256[] memory oldKeys = _sortByAddress(_oracleKeys(2));
        bytes[] memory signatures = _sign(oldKeys, 1, ROOT, 1, BUNDLE);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorNotOracle.selector, vm.addr(oldKeys[0]))
        );
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);

        distributor.submitRoot(1, ROOT, 1, BUNDLE, _sign(_keys(0xBEEF1, 0xBEEF2), 1, ROOT, 1, BUNDLE));
        assertEq(distributor.currentRoot(), ROOT);
    }

    function testFuzz_submitRoot_acceptsAnyGrowthWithinThePool(uint256 first, uint256 second) public {
        first = _bound(first, 0, POOL);
        second = _bound(second, first, first + POOL);
        _submit(ROOT_1, first);
        _submit(ROOT_2, second);
        assertEq(distributor.currentTotal(), second);
        assertEq(distributor.totalFunded(), 2 * POOL);
        assertEq(token.balanceOf(address(distributor)), 2 * POOL);
    }

    function testFuzz_submitRoot_revertsWhenTheGrowthExceedsThePool(uint256 first, uint256 excess) public {
        first = _bound(first, 0, POOL);
        excess = _bound(excess, 1, type(uint256).max - first - POOL);
        _submit(ROOT_1, first);
        uint256 second = first + POOL + excess;
        bytes[] memory signatures = _sign(_oracleKeys(2), 2, ROOT_2, second, BUNDLE);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorPoolExceeded.selector, POOL + excess, POOL)
        );
        distributor.submitRoot(2, ROOT_2, second, BUNDLE, signatures);
        assertEq(distributor.lastEpoch(), 1);
        assertEq(distributor.totalFunded(), POOL);
    }

    function testFuzz_submitRoot_revertsWhenTheTotalDecreases(uint256 first, uint256 second) public {
        first = _bound(first, 1, POOL);
        second = _bound(second, 0, first - 1);
        _submit(ROOT_1, first);
        bytes[] memory signatures = _sign(_oracleKeys(2), 2, ROOT_2, second, BUNDLE);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorTotalDecreased.selector, second, first)
        );
        distributor.submitRoot(2, ROOT_2, second, BUNDLE, signatures);
    }

    function testFuzz_submitRoot_signaturesBindTheEpoch(uint256 signedEpoch) public {
        vm.assume(signedEpoch != 1);
        bytes[] memory signatures = _sign(_oracleKeys(2), signedEpoch, ROOT, 1, BUNDLE);
        vm.expectRevert(_expectedSignerError(signatures, distributor.rootSubmissionDigest(1, ROOT, 1, BUNDLE)));
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);
        assertEq(distributor.currentRoot(), bytes32(0));
    }

    function testFuzz_submitRoot_signaturesBindTheChain(uint64 otherChain) public {
        vm.assume(otherChain != block.chainid && otherChain != 0);
        bytes[] memory signatures = _sign(_oracleKeys(2), 1, ROOT, 1, BUNDLE);
        vm.chainId(otherChain);
        bytes memory expected = _expectedSignerError(signatures, distributor.rootSubmissionDigest(1, ROOT, 1, BUNDLE));
        assertTrue(expected.length != 0, "replayed signatures must not verify");
        vm.expectRevert(expected);
        distributor.submitRoot(1, ROOT, 1, BUNDLE, signatures);
        assertEq(distributor.currentRoot(), bytes32(0));
    }

    function testFuzz_submitRoot_signaturesBindRootTotalAndBundle(bytes32 root, uint256 total, bytes32 bundle) public {
        total = _bound(total, 0, POOL);
        vm.assume(root != ROOT || total != 1 || bundle != BUNDLE);
        bytes[] memory signatures = _sign(_oracleKeys(2), 1, ROOT, 1, BUNDLE);
        vm.expectRevert(_expectedSignerError(signatures, distributor.rootSubmissionDigest(1, root, total, bundle)));
        distributor.submitRoot(1, root, total, bundle, signatures);
    }

    // ---------------------------------------------------------------- claim

    function test_claim_paysTheCumulativeAmount() public {
        bytes32[] memory leaves = _submitTree(_accounts(), _amounts(100e18, 200e18, 300e18, 400e18));

        vm.expectEmit(true, true, false, true, address(distributor));
        emit IRewardsDistributor.RewardsClaimed(bob, 200e18, 200e18, bob);
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(address(distributor), bob, 200e18);
        vm.prank(bob);
        uint256 paid = distributor.claim(bob, 200e18, Merkle.proof(leaves, 1));

        assertEq(paid, 200e18);
        assertEq(token.balanceOf(bob), 200e18);
        assertEq(distributor.claimed(bob), 200e18);
        assertEq(distributor.totalClaimed(), 200e18);
        assertEq(token.balanceOf(address(distributor)), POOL - 200e18);
    }

    function test_claim_paysOnlyTheDifferenceAfterANewRoot() public {
        bytes32[] memory first = _submitTree(_accounts(), _amounts(100e18, 200e18, 300e18, 400e18));
        distributor.claim(alice, 100e18, Merkle.proof(first, 0));
        bytes32[] memory second = _submitTree(_accounts(), _amounts(175e18, 200e18, 300e18, 400e18));

        vm.expectEmit(true, true, false, true, address(distributor));
        emit IRewardsDistributor.RewardsClaimed(alice, 75e18, 175e18, address(this));
        uint256 paid = distributor.claim(alice, 175e18, Merkle.proof(second, 0));

        assertEq(paid, 75e18);
        assertEq(token.balanceOf(alice), 175e18);
        assertEq(distributor.claimed(alice), 175e18);
        assertEq(distributor.totalClaimed(), 175e18);
    }

    function test_claim_byARelayerPaysTheAccount() public {
        bytes32[] memory leaves = _submitTree(_accounts(), _amounts(100e18, 200e18, 300e18, 400e18));
        vm.expectEmit(true, true, false, true, address(distributor));
        emit IRewardsDistributor.RewardsClaimed(carol, 300e18, 300e18, relayer);
        vm.prank(relayer);
        distributor.claim(carol, 300e18, Merkle.proof(leaves, 2));
        assertEq(token.balanceOf(carol), 300e18);
        assertEq(token.balanceOf(relayer), 0);
    }

    function test_claim_revertsOnAWrongAmount() public {
        bytes32[] memory leaves = _submitTree(_accounts(), _amounts(100e18, 200e18, 300e18, 400e18));
        bytes32[] memory proof = Merkle.proof(leaves, 1);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidProof.selector));
        distributor.claim(bob, 201e18, proof);
    }

    function test_claim_revertsOnAnotherAccountsProof() public {
        bytes32[] memory leaves = _submitTree(_accounts(), _amounts(100e18, 200e18, 300e18, 400e18));
        bytes32[] memory proof = Merkle.proof(leaves, 3);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidProof.selector));
        distributor.claim(alice, 400e18, proof);
    }

    function test_claim_revertsBeforeAnyRoot() public {
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidProof.selector));
        distributor.claim(alice, 1, new bytes32[](0));
    }

    function test_claim_revertsWithAProofAgainstASupersededRoot() public {
        bytes32[] memory first = _submitTree(_accounts(), _amounts(100e18, 200e18, 300e18, 400e18));
        _submitTree(_accounts(), _amounts(150e18, 250e18, 350e18, 450e18));
        bytes32[] memory proof = Merkle.proof(first, 0);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidProof.selector));
        distributor.claim(alice, 100e18, proof);
    }

    function test_claim_revertsWhenNothingToClaim() public {
        bytes32[] memory leaves = _submitTree(_accounts(), _amounts(100e18, 200e18, 300e18, 400e18));
        bytes32[] memory proof = Merkle.proof(leaves, 0);
        distributor.claim(alice, 100e18, proof);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorNothingToClaim.selector, alice));
        distributor.claim(alice, 100e18, proof);
        assertEq(token.balanceOf(alice), 100e18);
    }

    function test_claim_revertsWhenClaimsWouldExceedFunding() public {
        // Oracles signed a total below the real sum of the leaves (2 * POOL): the second claim cannot be paid.
        address[] memory accounts = new address[](2);
        (accounts[0], accounts[1]) = (alice, bob);
        uint256[] memory amounts = new uint256[](2);
        (amounts[0], amounts[1]) = (POOL, POOL);
        bytes32[] memory leaves = Merkle.leaves(accounts, amounts);
        _submit(Merkle.root(leaves), POOL);

        distributor.claim(alice, POOL, Merkle.proof(leaves, 0));
        bytes32[] memory proof = Merkle.proof(leaves, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInsufficientFunds.selector, 2 * POOL, POOL)
        );
        distributor.claim(bob, POOL, proof);
    }

    function testFuzz_claim_paysExactlyTheCumulativeDifference(uint256 first, uint256 second, bool relayed) public {
        first = _bound(first, 1, POOL / 2);
        second = _bound(second, first, first + POOL / 2);
        address[] memory accounts = new address[](2);
        (accounts[0], accounts[1]) = (alice, bob);
        uint256[] memory amounts = new uint256[](2);
        (amounts[0], amounts[1]) = (first, POOL / 2);
        bytes32[] memory leaves = _submitTree(accounts, amounts);
        vm.prank(relayed ? relayer : alice);
        assertEq(distributor.claim(alice, first, Merkle.proof(leaves, 0)), first);

        amounts[0] = second;
        leaves = _submitTree(accounts, amounts);
        bytes32[] memory proof = Merkle.proof(leaves, 0);
        if (second == first) {
            vm.expectRevert(
                abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorNothingToClaim.selector, alice)
            );
            distributor.claim(alice, second, proof);
        } else {
            vm.prank(relayed ? relayer : alice);
            assertEq(distributor.claim(alice, second, proof), second - first);
        }
        assertEq(token.balanceOf(alice), second);
        assertEq(distributor.claimed(alice), second);
        assertEq(distributor.totalClaimed(), second);
        assertEq(token.balanceOf(address(distributor)), 2 * POOL - second);
    }

    // ---------------------------------------------------------------- claimMany

    function _proofs(bytes32[] memory leaves) internal pure returns (bytes32[][] memory proofs) {
        proofs = new bytes32[][](leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            proofs[i] = Merkle.proof(leaves, i);
        }
    }

    function test_claimMany_paysEveryAccount() public {
        uint256[] memory amounts = _amounts(100e18, 200e18, 300e18, 400e18);
        bytes32[] memory leaves = _submitTree(_accounts(), amounts);

        for (uint256 i; i < 4; ++i) {
            vm.expectEmit(true, true, false, true, address(distributor));
            emit IRewardsDistributor.RewardsClaimed(_accounts()[i], amounts[i], amounts[i], relayer);
        }
        vm.prank(relayer);
        uint256 totalPaid = distributor.claimMany(_accounts(), amounts, _proofs(leaves));

        assertEq(totalPaid, 1_000e18);
        for (uint256 i; i < 4; ++i) {
            assertEq(token.balanceOf(_accounts()[i]), amounts[i]);
            assertEq(distributor.claimed(_accounts()[i]), amounts[i]);
        }
        assertEq(distributor.totalClaimed(), 1_000e18);
        assertEq(token.balanceOf(address(distributor)), POOL - 1_000e18);
    }

    function test_claimMany_skipsAccountsWithNothingToClaim() public {
        uint256[] memory amounts = _amounts(100e18, 200e18, 300e18, 400e18);
        bytes32[] memory leaves = _submitTree(_accounts(), amounts);
        bytes32[][] memory proofs = _proofs(leaves);
        distributor.claim(bob, 200e18, proofs[1]);
        // A stale entry is skipped even with a proof that no longer verifies.
        proofs[1] = new bytes32[](0);

        uint256 totalPaid = distributor.claimMany(_accounts(), amounts, proofs);
        assertEq(totalPaid, 800e18);
        assertEq(token.balanceOf(bob), 200e18);
        assertEq(distributor.totalClaimed(), 1_000e18);
    }

    function test_claimMany_returnsZeroWhenEveryoneHasClaimed() public {
        uint256[] memory amounts = _amounts(100e18, 200e18, 300e18, 400e18);
        bytes32[] memory leaves = _submitTree(_accounts(), amounts);
        distributor.claimMany(_accounts(), amounts, _proofs(leaves));
        assertEq(distributor.claimMany(_accounts(), amounts, _proofs(leaves)), 0);
        assertEq(distributor.totalClaimed(), 1_000e18);
    }

    function test_claimMany_revertsOnAnInvalidProof() public {
        uint256[] memory amounts = _amounts(100e18, 200e18, 300e18, 400e18);
        bytes32[] memory leaves = _submitTree(_accounts(), amounts);
        bytes32[][] memory proofs = _proofs(leaves);
        proofs[2] = proofs[3];
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidProof.selector));
        distributor.claimMany(_accounts(), amounts, proofs);
        assertEq(token.balanceOf(alice), 0);
    }

    function test_claimMany_revertsOnLengthMismatch() public {
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorLengthMismatch.selector, 4, 1, 4));
        distributor.claimMany(_accounts(), _array(1), new bytes32[][](4));
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorLengthMismatch.selector, 4, 4, 3));
        distributor.claimMany(_accounts(), _amounts(1, 2, 3, 4), new bytes32[][](3));
    }

    function test_claimMany_revertsWhenClaimsWouldExceedFunding() public {
        uint256[] memory amounts = _amounts(POOL, POOL, 0, 0);
        bytes32[] memory leaves = Merkle.leaves(_accounts(), amounts);
        _submit(Merkle.root(leaves), POOL);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInsufficientFunds.selector, 2 * POOL, POOL)
        );
        distributor.claimMany(_accounts(), amounts, _proofs(leaves));
    }

    function testFuzz_claimMany_paysEachAccountItsDifference(uint256 seed, uint256 count) public {
        count = _bound(count, 1, 8);
        address[] memory accounts = new address[](count);
        uint256[] memory first = new uint256[](count);
        uint256[] memory second = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            accounts[i] = vm.addr(0x1000 + i);
            first[i] = uint256(keccak256(abi.encode(seed, i))) % (POOL / 8);
            second[i] = first[i] + uint256(keccak256(abi.encode(seed, i, "more"))) % (POOL / 8);
        }
        bytes32[] memory leaves = _submitTree(accounts, first);
        assertEq(distributor.claimMany(accounts, first, _proofs(leaves)), _sum(first));

        leaves = _submitTree(accounts, second);
        vm.prank(relayer);
        assertEq(distributor.claimMany(accounts, second, _proofs(leaves)), _sum(second) - _sum(first));
        for (uint256 i; i < count; ++i) {
            assertEq(token.balanceOf(accounts[i]), second[i]);
            assertEq(distributor.claimed(accounts[i]), second[i]);
        }
        assertEq(distributor.totalClaimed(), _sum(second));
        assertEq(token.balanceOf(address(distributor)), 2 * POOL - _sum(second));
    }

    // ---------------------------------------------------------------- setOracles

    function test_setOracles_replacesTheSetAndEmits() public {
        address[] memory newSet = new address[](2);
        (newSet[0], newSet[1]) = (alice, bob);
        address removed = vm.addr(oracleKeys[0]);
        vm.expectEmit(false, false, false, true, address(distributor));
        emit IRewardsDistributor.OraclesUpdated(newSet, 1);
        vm.prank(governance);
        distributor.setOracles(newSet, 1);

        assertEq(distributor.oracles(), newSet);
        assertEq(distributor.threshold(), 1);
        assertTrue(distributor.isOracle(alice), "alice added");
        assertTrue(distributor.isOracle(bob), "bob added");
        assertFalse(distributor.isOracle(removed), "old oracle removed");
    }

    function test_setOracles_revertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        distributor.setOracles(_array(alice), 1);
    }

    function test_setOracles_revertsOnZeroThreshold() public {
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidThreshold.selector, 0, 1));
        vm.prank(governance);
        distributor.setOracles(_array(alice), 0);
    }

    function test_setOracles_revertsOnThresholdAboveCount() public {
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidThreshold.selector, 2, 1));
        vm.prank(governance);
        distributor.setOracles(_array(alice), 2);
    }

    function test_setOracles_revertsOnADuplicate() public {
        address[] memory set = new address[](3);
        (set[0], set[1], set[2]) = (alice, bob, alice);
        vm.expectRevert(abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidOracle.selector, alice));
        vm.prank(governance);
        distributor.setOracles(set, 2);
    }

    function test_setOracles_revertsOnTheZeroAddress() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorInvalidOracle.selector, address(0))
        );
        vm.prank(governance);
        distributor.setOracles(_array(address(0)), 1);
    }
}
