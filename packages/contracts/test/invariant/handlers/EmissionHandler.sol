// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EmissionSchedule} from "../../../src/EmissionSchedule.sol";
import {GroundToken} from "../../../src/GroundToken.sol";
import {IEmissionSchedule} from "../../../src/interfaces/IEmissionSchedule.sol";

/// @notice Acts as the schedule's distributor: releases epochs in random order, retries released ones, and burns
///         part of what it received (burned tokens leave the supply but not the schedule's books).
contract EmissionHandler {
    uint256 public constant MAX_EPOCH = 40;

    GroundToken public immutable token;
    EmissionSchedule public immutable schedule;

    mapping(uint256 epoch => uint256) public releaseCount;
    uint256 public releasedSum;
    uint256 public burned;
    uint256 public duplicateReleasesAccepted;

    constructor(GroundToken token_, EmissionSchedule schedule_) {
        token = token_;
        schedule = schedule_;
    }

    function release(uint256 epochSeed) external {
        uint256 epoch = 1 + epochSeed % MAX_EPOCH;
        if (releaseCount[epoch] != 0) {
            try schedule.release(epoch) {
                ++duplicateReleasesAccepted;
            } catch (bytes memory reason) {
                require(
                    keccak256(reason)
                        == keccak256(
                            abi.encodeWithSelector(IEmissionSchedule.EmissionScheduleAlreadyReleased.selector, epoch)
                        ),
                    "unexpected revert"
                );
            }
            return;
        }
        uint256 amount = schedule.release(epoch);
        ++releaseCount[epoch];
        releasedSum += amount;
    }

    function burn(uint256 amount) external {
        uint256 balance = token.balanceOf(address(this));
        amount = balance == 0 ? 0 : amount % (balance + 1);
        token.burn(amount);
        burned += amount;
    }
}
