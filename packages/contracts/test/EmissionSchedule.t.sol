// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {EmissionSchedule} from "../src/EmissionSchedule.sol";
import {GroundToken} from "../src/GroundToken.sol";
import {IEmissionSchedule} from "../src/interfaces/IEmissionSchedule.sol";
import {IGroundToken} from "../src/interfaces/IGroundToken.sol";
import {Test} from "./utils/Test.sol";

contract EmissionScheduleTest is Test {
    uint256 internal constant POOL = 1_000e18;
    uint256 internal constant HALVING = 4;
    // Scheduled pools: epochs 1-4 1000 each, 5-8 500, 9-12 250, ... (sum converges to 8000 < cap).
    uint256 internal constant CAP = 10_000e18;

    address internal governance = address(0x60F);
    address internal distributor = address(0xD15);
    GroundToken internal token;
    EmissionSchedule internal schedule;

    function setUp() public {
        (token, schedule) = _deploy(CAP, POOL, HALVING);
    }

    function _deploy(uint256 cap, uint256 pool, uint256 halving)
        internal
        returns (GroundToken token_, EmissionSchedule schedule_)
    {
        token_ = new GroundToken(cap, governance);
        schedule_ = new EmissionSchedule(token_, pool, halving, governance);
        vm.startPrank(governance);
        token_.setMinter(address(schedule_));
        schedule_.setDistributor(distributor);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- constructor

    function test_constructor_setsParameters() public view {
        assertEq(address(schedule.token()), address(token));
        assertEq(schedule.initialEpochPool(), POOL);
        assertEq(schedule.halvingEpochs(), HALVING);
        assertEq(schedule.owner(), governance);
        assertEq(schedule.distributor(), distributor);
        assertEq(schedule.totalReleased(), 0);
    }

    function test_constructor_revertsOnZeroPool() public {
        vm.expectRevert(
            abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleInvalidParameters.selector, 0, HALVING)
        );
        new EmissionSchedule(token, 0, HALVING, governance);
    }

    function test_constructor_revertsOnZeroHalvingPeriod() public {
        vm.expectRevert(abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleInvalidParameters.selector, POOL, 0));
        new EmissionSchedule(token, POOL, 0, governance);
    }

    // ---------------------------------------------------------------- setDistributor

    function test_setDistributor_setsAndEmits() public {
        EmissionSchedule fresh = new EmissionSchedule(token, POOL, HALVING, governance);
        vm.expectEmit(false, false, false, true, address(fresh));
        emit IEmissionSchedule.DistributorSet(distributor);
        vm.prank(governance);
        fresh.setDistributor(distributor);
        assertEq(fresh.distributor(), distributor);
    }

    function test_setDistributor_revertsWhenAlreadySet() public {
        vm.expectRevert(abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleDistributorAlreadySet.selector));
        vm.prank(governance);
        schedule.setDistributor(address(0xBAD));
    }

    function test_setDistributor_revertsForNonOwner() public {
        EmissionSchedule fresh = new EmissionSchedule(token, POOL, HALVING, governance);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, distributor));
        vm.prank(distributor);
        fresh.setDistributor(distributor);
    }

    function test_setDistributor_revertsOnZeroAddress() public {
        EmissionSchedule fresh = new EmissionSchedule(token, POOL, HALVING, governance);
        vm.expectRevert(
            abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleInvalidDistributor.selector, address(0))
        );
        vm.prank(governance);
        fresh.setDistributor(address(0));
    }

    // ---------------------------------------------------------------- poolOf

    function test_poolOf_isZeroForEpochZero() public view {
        assertEq(schedule.poolOf(0), 0);
    }

    function test_poolOf_halvesEveryHalvingPeriod() public view {
        assertEq(schedule.poolOf(1), 1_000e18);
        assertEq(schedule.poolOf(4), 1_000e18);
        assertEq(schedule.poolOf(5), 500e18);
        assertEq(schedule.poolOf(8), 500e18);
        assertEq(schedule.poolOf(9), 250e18);
        assertEq(schedule.poolOf(13), 125e18);
        assertEq(schedule.poolOf(4 * 10 + 1), POOL >> 10);
    }

    function test_poolOf_reachesZeroOnceThePoolIsShiftedOut() public view {
        // 1000e18 < 2**70: after 70 halvings the scheduled pool is 0, and far beyond too.
        assertEq(schedule.poolOf(4 * 70 + 1), 0);
        assertEq(schedule.poolOf(type(uint256).max), 0);
    }

    function test_poolOf_givesTheRemainderThenZeroAtTheCap() public {
        // Pools 4 x 1000 + 3 x 500 = 5500 > 5200: epoch 7 gets the last 200, epoch 8 nothing.
        (, EmissionSchedule capped) = _deploy(5_200e18, POOL, HALVING);
        assertEq(capped.poolOf(6), 500e18);
        assertEq(capped.poolOf(7), 200e18);
        assertEq(capped.poolOf(8), 0);
        assertEq(capped.poolOf(1_000), 0);
    }

    function test_poolOf_saturatesWithoutOverflowForExtremeParameters() public {
        uint256 cap = type(uint208).max;
        (, EmissionSchedule extreme) = _deploy(cap, type(uint256).max, type(uint256).max);
        assertEq(extreme.poolOf(1), cap);
        assertEq(extreme.poolOf(2), 0);
        assertEq(extreme.poolOf(type(uint256).max), 0);
    }

    function testFuzz_poolOf_matchesCappedRunningSum(uint256 cap, uint256 pool, uint256 halving, uint256 epoch) public {
        cap = _bound(cap, 1, type(uint208).max);
        pool = _bound(pool, 1, type(uint256).max);
        halving = _bound(halving, 1, 20);
        epoch = _bound(epoch, 1, 120);
        (, EmissionSchedule fuzzed) = _deploy(cap, pool, halving);

        // Reference: add the uncapped pools epoch by epoch, saturating at the cap.
        uint256 sumBefore;
        uint256 sumThrough;
        for (uint256 e = 1; e <= epoch; ++e) {
            uint256 halvings = (e - 1) / halving;
            uint256 scheduled = halvings >= 256 ? 0 : pool >> halvings;
            sumBefore = sumThrough;
            sumThrough = scheduled > cap - sumThrough ? cap : sumThrough + scheduled;
        }
        assertEq(fuzzed.poolOf(epoch), sumThrough - sumBefore);

        uint256 total;
        for (uint256 e = 1; e <= epoch; ++e) {
            total += fuzzed.poolOf(e);
        }
        assertEq(total, sumThrough);
        assertLe(total, cap, "pools exceed cap");
    }

    // ---------------------------------------------------------------- release

    function test_release_mintsThePoolToTheDistributor() public {
        vm.expectEmit(true, false, false, true, address(schedule));
        emit IEmissionSchedule.EpochReleased(1, POOL);
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(address(0), distributor, POOL);
        vm.prank(distributor);
        uint256 amount = schedule.release(1);

        assertEq(amount, POOL);
        assertEq(token.balanceOf(distributor), POOL);
        assertEq(schedule.released(1), POOL);
        assertTrue(schedule.isReleased(1), "epoch 1 released");
        assertFalse(schedule.isReleased(2), "epoch 2 not released");
        assertEq(schedule.totalReleased(), POOL);
    }

    function test_release_revertsWhenAlreadyReleased() public {
        vm.startPrank(distributor);
        schedule.release(3);
        vm.expectRevert(abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleAlreadyReleased.selector, 3));
        schedule.release(3);
        vm.stopPrank();
        assertEq(schedule.totalReleased(), POOL);
    }

    function test_release_revertsForNonDistributor() public {
        vm.expectRevert(abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleNotDistributor.selector, governance));
        vm.prank(governance);
        schedule.release(1);
    }

    function test_release_revertsBeforeTheDistributorIsSet() public {
        EmissionSchedule fresh = new EmissionSchedule(token, POOL, HALVING, governance);
        vm.expectRevert(abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleNotDistributor.selector, distributor));
        vm.prank(distributor);
        fresh.release(1);
    }

    function test_release_revertsForEpochZero() public {
        vm.expectRevert(abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleInvalidEpoch.selector, 0));
        vm.prank(distributor);
        schedule.release(0);
    }

    function test_release_revertsWhenTheScheduleIsNotTheMinter() public {
        GroundToken other = new GroundToken(CAP, governance);
        EmissionSchedule notMinter = new EmissionSchedule(other, POOL, HALVING, governance);
        vm.prank(governance);
        notMinter.setDistributor(distributor);
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenNotMinter.selector, address(notMinter)));
        vm.prank(distributor);
        notMinter.release(1);
    }

    function test_release_acceptsEpochsInAnyOrder() public {
        vm.startPrank(distributor);
        assertEq(schedule.release(9), 250e18);
        assertEq(schedule.release(1), 1_000e18);
        vm.stopPrank();
        assertEq(schedule.totalReleased(), 1_250e18);
        assertEq(token.totalSupply(), 1_250e18);
    }

    function test_release_stopsAtTheCapAndStillMarksLaterEpochs() public {
        (GroundToken cappedToken, EmissionSchedule capped) = _deploy(5_200e18, POOL, HALVING);
        vm.startPrank(distributor);
        for (uint256 e = 1; e <= 7; ++e) {
            capped.release(e);
        }
        assertEq(capped.totalReleased(), 5_200e18);
        assertEq(cappedToken.totalSupply(), 5_200e18);

        vm.expectEmit(true, false, false, true, address(capped));
        emit IEmissionSchedule.EpochReleased(8, 0);
        assertEq(capped.release(8), 0);
        vm.stopPrank();
        assertTrue(capped.isReleased(8), "epoch 8 released at 0");
        assertEq(capped.released(8), 0);
        assertEq(cappedToken.totalSupply(), 5_200e18);
    }

    function testFuzz_release_mintsPoolOfExactlyOnce(uint256 epoch) public {
        epoch = _bound(epoch, 1, 1_000);
        uint256 expected = schedule.poolOf(epoch);
        vm.startPrank(distributor);
        assertEq(schedule.release(epoch), expected);
        vm.expectRevert(abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleAlreadyReleased.selector, epoch));
        schedule.release(epoch);
        vm.stopPrank();
        assertEq(token.balanceOf(distributor), expected);
        assertEq(schedule.released(epoch), expected);
        assertEq(schedule.totalReleased(), expected);
    }
}
