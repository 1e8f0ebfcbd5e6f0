// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RewardsFixture} from "../utils/RewardsFixture.sol";
import {FuzzSelector} from "../utils/Test.sol";
import {RewardsHandler} from "./handlers/RewardsHandler.sol";

/// @notice Money invariants of the distributor under random sequences of honest epochs, claims and attacks.
contract RewardsDistributorInvariantTest is RewardsFixture {
    RewardsHandler internal handler;

    function setUp() public {
        _deployRewards(3, 2);
        handler = new RewardsHandler(token, schedule, distributor, oracleKeys);
        vm.label(address(handler), "RewardsHandler");
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory selectors) {
        bytes4[] memory actions = new bytes4[](5);
        actions[0] = RewardsHandler.submitGoodRoot.selector;
        actions[1] = RewardsHandler.submitBadRoot.selector;
        actions[2] = RewardsHandler.claim.selector;
        actions[3] = RewardsHandler.claimMany.selector;
        actions[4] = RewardsHandler.claimWrongAmount.selector;
        selectors = new FuzzSelector[](1);
        selectors[0] = FuzzSelector({addr: address(handler), selectors: actions});
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_totalClaimedNeverExceedsTotalFunded() public view {
        assertLe(distributor.totalClaimed(), distributor.totalFunded(), "claimed > funded");
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_balanceEqualsFundedMinusClaimed() public view {
        assertEq(token.balanceOf(address(distributor)), distributor.totalFunded() - distributor.totalClaimed());
        assertEq(distributor.totalFunded(), schedule.totalReleased());
        assertEq(distributor.totalClaimed(), handler.claimsPaid());
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_noAccountReceivesMoreThanItsCumulativeAmount() public view {
        address[] memory accounts = handler.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            uint256 balance = token.balanceOf(accounts[i]);
            assertEq(balance, handler.received(accounts[i]), "balance vs ghost");
            assertEq(balance, distributor.claimed(accounts[i]), "balance vs claimed");
            assertLe(balance, handler.cumulative(i), "received above cumulative");
        }
        assertEq(handler.badClaimsAccepted(), 0, "a wrong amount was paid");
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_rootChangesOnlyWithQuorum() public view {
        assertEq(handler.badSubmissionsAccepted(), 0, "a bad submission took effect");
        assertEq(distributor.currentRoot(), handler.expectedRoot());
        assertEq(distributor.lastEpoch(), handler.expectedEpoch());
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_currentTotalWithinFunding() public view {
        assertLe(distributor.currentTotal(), distributor.totalFunded(), "total above funding");
    }
}
