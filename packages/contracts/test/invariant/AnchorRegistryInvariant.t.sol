// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AnchorRegistry} from "../../src/AnchorRegistry.sol";
import {IAnchorRegistry} from "../../src/interfaces/IAnchorRegistry.sol";
import {MockOracleSet} from "../AnchorRegistry.t.sol";
import {FuzzSelector, Test} from "../utils/Test.sol";
import {ActorProxy, AnchorHandler, IOracleToggle} from "./handlers/AnchorHandler.sol";

/// @notice Only current oracles anchor, each root once, and batches are numbered 1..batchCount without gaps.
contract AnchorRegistryInvariantTest is Test {
    MockOracleSet internal oracles;
    AnchorRegistry internal registry;
    AnchorHandler internal handler;

    function setUp() public {
        oracles = new MockOracleSet();
        registry = new AnchorRegistry(oracles, address(0xDE7));
        address[3] memory actors = [address(new ActorProxy()), address(new ActorProxy()), address(new ActorProxy())];
        handler = new AnchorHandler(registry, IOracleToggle(address(oracles)), actors);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory selectors) {
        bytes4[] memory actions = new bytes4[](3);
        actions[0] = AnchorHandler.anchor.selector;
        actions[1] = AnchorHandler.reanchor.selector;
        actions[2] = AnchorHandler.toggleOracle.selector;
        selectors = new FuzzSelector[](1);
        selectors[0] = FuzzSelector({addr: address(handler), selectors: actions});
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_onlyCurrentOraclesAnchorEachRootOnce() public view {
        assertEq(handler.forbiddenAccepted(), 0, "a forbidden anchor was accepted");
        uint256 count = handler.acceptedCount();
        assertEq(registry.batchCount(), count, "batch count");
        for (uint256 i; i < count; ++i) {
            bytes32 root = handler.accepted(i);
            IAnchorRegistry.Anchor memory a = registry.anchorOf(root);
            assertEq(uint256(a.batch), i + 1, "batches numbered in order");
            assertEq(a.anchorer, handler.anchorerOf(root), "anchorer");
        }
    }
}
