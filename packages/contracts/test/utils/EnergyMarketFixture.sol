// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EnergyMarket} from "../../src/EnergyMarket.sol";
import {TestStable} from "../../src/TestStable.sol";
import {IOracleQuorum} from "../../src/interfaces/IEnergyMarket.sol";
import {Merkle} from "./Merkle.sol";
import {RewardsFixture} from "./RewardsFixture.sol";

/// @notice The spine's oracle set (a RewardsDistributor with 3 oracles, threshold 2), a TestStable and an
///         EnergyMarket reading its quorum from that distributor; with funding, deposit and settlement helpers.
abstract contract EnergyMarketFixture is RewardsFixture {
    uint256 internal constant SLOT_SECONDS = 900;
    uint256 internal constant WINDOW = 7 days;
    /// @dev A slot far enough from the test's start time (unix 1) that deposits are open.
    uint64 internal constant SLOT = 2_000_000;

    address internal grid = address(0x6121D);
    TestStable internal stable;
    EnergyMarket internal market;

    function _deployMarket() internal {
        _deployRewards(3, 2);
        stable = new TestStable(governance);
        market = new EnergyMarket(stable, IOracleQuorum(address(distributor)), governance, grid, SLOT_SECONDS, WINDOW);
        vm.label(address(stable), "TestStable");
        vm.label(address(market), "EnergyMarket");
    }

    /// @dev Mints `amount` to `who` and approves the market for it.
    function _fund(address who, uint256 amount) internal {
        vm.prank(governance);
        stable.mint(who, amount);
        vm.prank(who);
        stable.approve(address(market), type(uint256).max);
    }

    function _deposit(address who, uint64 slot, uint256 amount) internal {
        _fund(who, amount);
        vm.prank(who);
        market.deposit(slot, amount);
    }

    function _fundReserve(uint256 amount) internal {
        _fund(grid, amount);
        vm.prank(grid);
        market.fundGridReserve(amount);
    }

    /// @dev Moves time to just after `slot` ended.
    function _afterSlot(uint64 slot) internal {
        vm.warp(market.slotEnd(slot) + 60);
    }

    /// @dev Oracle signatures (the first `threshold()` oracles, sorted by signer) over a settlement that follows the
    ///      last one.
    function _signSettlement(uint64 slot, bytes32 root, uint256 total, uint256 gridDraw, bytes32 statementHash)
        internal
        view
        returns (bytes[] memory)
    {
        return _signInOrder(
            _sortByAddress(_oracleKeys(distributor.threshold())),
            market.settlementDigest(slot, market.lastSlot(), root, total, gridDraw, statementHash)
        );
    }

    /// @dev Settles `slot` with the tree of (accounts, cumulative amounts) and returns its leaves.
    function _settleTree(uint64 slot, address[] memory accounts, uint256[] memory cumulative, uint256 gridDraw)
        internal
        returns (bytes32[] memory leaves)
    {
        leaves = Merkle.leaves(accounts, cumulative);
        bytes32 root = Merkle.root(leaves);
        uint256 total;
        for (uint256 i; i < cumulative.length; ++i) {
            total += cumulative[i];
        }
        bytes32 statement = keccak256(abi.encode("statement", slot));
        bytes[] memory sigs = _signSettlement(slot, root, total, gridDraw, statement);
        market.settle(slot, market.lastSlot(), root, total, gridDraw, statement, sigs);
    }
}
