// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EmissionSchedule} from "../../src/EmissionSchedule.sol";
import {GroundToken} from "../../src/GroundToken.sol";
import {FuzzSelector, Test} from "../utils/Test.sol";
import {EmissionHandler} from "./handlers/EmissionHandler.sol";

/// @notice Each epoch is released at most once, at exactly its pool, and the schedule never releases more than the
///         cap in total. The cap (5,200) is reached within the 40 epochs the handler can release: pools are
///         4 x 1,000, then 500, 500, and 200 for epoch 7.
contract EmissionScheduleInvariantTest is Test {
    uint256 internal constant CAP = 5_200e18;

    GroundToken internal token;
    EmissionSchedule internal schedule;
    EmissionHandler internal handler;

    function setUp() public {
        address governance = address(0x60F);
        token = new GroundToken(CAP, governance);
        schedule = new EmissionSchedule(token, 1_000e18, 4, governance);
        handler = new EmissionHandler(token, schedule);
        vm.startPrank(governance);
        token.setMinter(address(schedule));
        schedule.setDistributor(address(handler));
        vm.stopPrank();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory selectors) {
        bytes4[] memory actions = new bytes4[](2);
        actions[0] = EmissionHandler.release.selector;
        actions[1] = EmissionHandler.burn.selector;
        selectors = new FuzzSelector[](1);
        selectors[0] = FuzzSelector({addr: address(handler), selectors: actions});
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_eachEpochReleasedAtMostOnceAtItsPool() public view {
        assertEq(handler.duplicateReleasesAccepted(), 0, "an epoch was released twice");
        uint256 sum;
        for (uint256 epoch = 1; epoch <= handler.MAX_EPOCH(); ++epoch) {
            uint256 count = handler.releaseCount(epoch);
            assertLe(count, 1, "release count");
            assertEq(schedule.isReleased(epoch), count == 1);
            assertEq(schedule.released(epoch), count == 1 ? schedule.poolOf(epoch) : 0);
            sum += schedule.released(epoch);
        }
        assertEq(sum, schedule.totalReleased());
        assertEq(sum, handler.releasedSum());
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_totalReleasedNeverAboveTheCap() public view {
        assertLe(schedule.totalReleased(), CAP, "released above cap");
        assertLe(token.totalSupply(), CAP, "supply above cap");
        assertEq(token.totalSupply(), schedule.totalReleased() - handler.burned());
    }
}
