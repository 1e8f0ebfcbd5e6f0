// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AnchorRegistry} from "../src/AnchorRegistry.sol";
import {IAnchorOracleSet, IAnchorRegistry} from "../src/interfaces/IAnchorRegistry.sol";
import {Merkle} from "./utils/Merkle.sol";
import {Test} from "./utils/Test.sol";

/// @notice An oracle set the test controls (the network's is RewardsDistributor).
contract MockOracleSet is IAnchorOracleSet {
    mapping(address account => bool) public isOracle;

    function setOracle(address account, bool oracle) external {
        isOracle[account] = oracle;
    }
}

contract AnchorRegistryTest is Test {
    bytes32 internal constant TOPIC = "logistics";
    bytes32 internal constant ROOT = keccak256("root");
    bytes32 internal constant ROOT_2 = keccak256("root 2");

    address internal oracle = address(0x0A1);
    address internal oracle2 = address(0x0A2);
    address internal stranger = address(0x57A);
    address internal devices = address(0xDE7);
    MockOracleSet internal oracles;
    AnchorRegistry internal registry;

    function setUp() public {
        oracles = new MockOracleSet();
        oracles.setOracle(oracle, true);
        oracles.setOracle(oracle2, true);
        registry = new AnchorRegistry(oracles, devices);
        vm.warp(1_767_225_600);
    }

    function test_constructor_publishesTheOracleSetAndDeviceRegistry() public view {
        assertEq(address(registry.oracleSet()), address(oracles));
        assertEq(registry.deviceRegistry(), devices);
        assertEq(registry.batchCount(), 0);
    }

    function test_constructor_revertsOnAZeroOracleSet() public {
        vm.expectRevert(IAnchorRegistry.AnchorRegistryInvalidAddress.selector);
        new AnchorRegistry(IAnchorOracleSet(address(0)), devices);
    }

    function test_constructor_revertsOnAZeroDeviceRegistry() public {
        vm.expectRevert(IAnchorRegistry.AnchorRegistryInvalidAddress.selector);
        new AnchorRegistry(oracles, address(0));
    }

    function test_anchor_storesTheRootAndEmits() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAnchorRegistry.RootAnchored(1, ROOT, TOPIC, 1_234, oracle);
        vm.prank(oracle);
        uint256 batch = registry.anchor(TOPIC, ROOT, 1_234);
        assertEq(batch, 1);
        assertEq(registry.batchCount(), 1);
        assertTrue(registry.isAnchored(ROOT), "anchored");
        IAnchorRegistry.Anchor memory a = registry.anchorOf(ROOT);
        assertEq(a.anchorer, oracle);
        assertEq(uint256(a.batch), 1);
        assertEq(uint256(a.timestamp), 1_767_225_600);
    }

    function test_anchor_numbersBatchesInAnchoringOrder() public {
        vm.prank(oracle);
        registry.anchor(TOPIC, ROOT, 1);
        vm.warp(1_767_225_900);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAnchorRegistry.RootAnchored(2, ROOT_2, TOPIC, 7, oracle2);
        vm.prank(oracle2);
        assertEq(registry.anchor(TOPIC, ROOT_2, 7), 2);
        assertEq(registry.batchCount(), 2);
        IAnchorRegistry.Anchor memory a = registry.anchorOf(ROOT_2);
        assertEq(a.anchorer, oracle2);
        assertEq(uint256(a.batch), 2);
        assertEq(uint256(a.timestamp), 1_767_225_900);
        assertEq(uint256(registry.anchorOf(ROOT).batch), 1);
    }

    function test_anchor_revertsForANonOracle() public {
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.AnchorRegistryNotAnchorer.selector, stranger));
        vm.prank(stranger);
        registry.anchor(TOPIC, ROOT, 1);
        assertFalse(registry.isAnchored(ROOT), "not anchored");
    }

    function test_anchor_followsTheOracleSetLive() public {
        oracles.setOracle(oracle, false);
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.AnchorRegistryNotAnchorer.selector, oracle));
        vm.prank(oracle);
        registry.anchor(TOPIC, ROOT, 1);
        oracles.setOracle(stranger, true);
        vm.prank(stranger);
        assertEq(registry.anchor(TOPIC, ROOT, 1), 1);
    }

    function test_anchor_revertsOnTheZeroRoot() public {
        vm.expectRevert(IAnchorRegistry.AnchorRegistryInvalidRoot.selector);
        vm.prank(oracle);
        registry.anchor(TOPIC, bytes32(0), 1);
    }

    function test_anchor_revertsOnAnEmptyBatch() public {
        vm.expectRevert(IAnchorRegistry.AnchorRegistryEmptyBatch.selector);
        vm.prank(oracle);
        registry.anchor(TOPIC, ROOT, 0);
    }

    function test_anchor_revertsWhenTheRootWasAnchoredBefore() public {
        vm.prank(oracle);
        registry.anchor(TOPIC, ROOT, 3);
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.AnchorRegistryAlreadyAnchored.selector, ROOT, 1));
        vm.prank(oracle2);
        registry.anchor("city", ROOT, 5);
        assertEq(registry.batchCount(), 1);
        assertEq(registry.anchorOf(ROOT).anchorer, oracle);
    }

    function test_anchorOf_isZeroForAnUnknownRoot() public view {
        IAnchorRegistry.Anchor memory a = registry.anchorOf(ROOT);
        assertEq(a.anchorer, address(0));
        assertEq(uint256(a.batch), 0);
        assertEq(uint256(a.timestamp), 0);
        assertFalse(registry.isAnchored(ROOT), "unknown");
    }

    function _leaves() internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](5);
        for (uint256 i; i < 5; ++i) {
            leaves[i] = keccak256(abi.encodePacked(uint8(0), keccak256(abi.encode("salt", i)), keccak256(abi.encode(i))));
        }
    }

    function test_rootOfProof_leadsEveryLeafToItsAnchoredBatch() public {
        bytes32[] memory leaves = _leaves();
        bytes32 root = Merkle.root(leaves);
        vm.prank(oracle);
        registry.anchor(TOPIC, ROOT, 1);
        vm.prank(oracle);
        registry.anchor(TOPIC, root, leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            (bytes32 got, uint256 batch) = registry.rootOfProof(leaves[i], Merkle.proof(leaves, i));
            assertEq(got, root);
            assertEq(batch, 2);
        }
    }

    function test_rootOfProof_returnsBatchZeroForAnAlteredLeaf() public {
        bytes32[] memory leaves = _leaves();
        bytes32 root = Merkle.root(leaves);
        vm.prank(oracle);
        registry.anchor(TOPIC, root, leaves.length);
        bytes32 altered = leaves[3] ^ bytes32(uint256(1));
        (bytes32 got, uint256 batch) = registry.rootOfProof(altered, Merkle.proof(leaves, 3));
        assertTrue(got != root, "different root");
        assertEq(batch, 0);
    }

    function testFuzz_anchor_anchorsAnyNonZeroRootExactlyOnce(bytes32 topic, bytes32 root, uint256 records, uint48 time)
        public
    {
        vm.assume(root != bytes32(0) && records != 0);
        vm.warp(time);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAnchorRegistry.RootAnchored(1, root, topic, records, oracle);
        vm.prank(oracle);
        assertEq(registry.anchor(topic, root, records), 1);
        IAnchorRegistry.Anchor memory a = registry.anchorOf(root);
        assertEq(a.anchorer, oracle);
        assertEq(uint256(a.batch), 1);
        assertEq(uint256(a.timestamp), uint256(time));
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.AnchorRegistryAlreadyAnchored.selector, root, 1));
        vm.prank(oracle2);
        registry.anchor(topic, root, records);
    }

    function testFuzz_anchor_revertsForAnyNonOracle(address caller, bytes32 root) public {
        vm.assume(caller != oracle && caller != oracle2 && root != bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.AnchorRegistryNotAnchorer.selector, caller));
        vm.prank(caller);
        registry.anchor(TOPIC, root, 1);
        assertEq(registry.batchCount(), 0);
    }

    function testFuzz_rootOfProof_hashesSortedPairs(bytes32 a, bytes32 b) public view {
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = b;
        (bytes32 root, uint256 batch) = registry.rootOfProof(a, proof);
        assertEq(root, a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a)));
        assertEq(batch, 0);
    }
}
