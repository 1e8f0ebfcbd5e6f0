// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {GroundToken} from "./GroundToken.sol";
import {IEmissionSchedule} from "./interfaces/IEmissionSchedule.sol";
import {IGroundToken} from "./interfaces/IGroundToken.sol";

/// @title EmissionSchedule
/// @notice Releases each epoch's pool of new tokens to the rewards distributor exactly once. Epochs are numbered
///         from 1; the pool is `initialEpochPool` for epochs 1..halvingEpochs, half of it for the next
///         `halvingEpochs` epochs, and so on.
/// @dev The cap is applied to the schedule itself, not to what happens to have been released: `poolOf(e)` is
///      `min(scheduled(e), cap - min(cap, S(e - 1)))` where `S(n)` is the sum of the scheduled pools of epochs
///      1..n. Hence `poolOf(1) + ... + poolOf(n) == min(cap, S(n))`, every pool is a pure function of immutable
///      values (the reward engine can compute it off chain), and however epochs are released — each at most once —
///      the total released never exceeds the cap.
contract EmissionSchedule is IEmissionSchedule, Ownable {
    /// @dev One slot per epoch: the amount (at most the cap, which fits 208 bits) and whether it was released, so
    ///      a release of 0 after the cap still counts as released.
    struct Release {
        uint248 amount;
        bool done;
    }

    IGroundToken private immutable _token;
    uint256 private immutable _cap;
    uint256 private immutable _initialEpochPool;
    uint256 private immutable _halvingEpochs;

    address private _distributor;
    uint256 private _totalReleased;
    mapping(uint256 epoch => Release) private _releases;

    /// @param token_ The token; this contract must be set as its minter.
    /// @param initialEpochPool_ The pool of each of the first `halvingEpochs_` epochs; not zero.
    /// @param halvingEpochs_ The number of epochs between halvings; not zero.
    /// @param owner_ The owner, who sets the distributor once.
    constructor(GroundToken token_, uint256 initialEpochPool_, uint256 halvingEpochs_, address owner_) Ownable(owner_) {
        if (initialEpochPool_ == 0 || halvingEpochs_ == 0) {
            revert EmissionScheduleInvalidParameters(initialEpochPool_, halvingEpochs_);
        }
        _token = token_;
        _cap = token_.cap();
        _initialEpochPool = initialEpochPool_;
        _halvingEpochs = halvingEpochs_;
    }

    /// @inheritdoc IEmissionSchedule
    function setDistributor(address distributor_) external onlyOwner {
        if (_distributor != address(0)) revert EmissionScheduleDistributorAlreadySet();
        if (distributor_ == address(0)) revert EmissionScheduleInvalidDistributor(distributor_);
        _distributor = distributor_;
        emit DistributorSet(distributor_);
    }

    /// @inheritdoc IEmissionSchedule
    function release(uint256 epoch) external returns (uint256 amount) {
        if (msg.sender != _distributor) revert EmissionScheduleNotDistributor(msg.sender);
        if (epoch == 0) revert EmissionScheduleInvalidEpoch(epoch);
        Release storage entry = _releases[epoch];
        if (entry.done) revert EmissionScheduleAlreadyReleased(epoch);

        amount = poolOf(epoch);
        // casting to 'uint248' is safe because `amount <= _cap <= 2**208 - 1` (the token rejects larger caps)
        // forge-lint: disable-next-line(unsafe-typecast)
        entry.amount = uint248(amount);
        entry.done = true;
        _totalReleased += amount;
        emit EpochReleased(epoch, amount);

        if (amount != 0) _token.mint(msg.sender, amount);
    }

    /// @inheritdoc IEmissionSchedule
    function poolOf(uint256 epoch) public view returns (uint256) {
        if (epoch == 0) return 0;
        uint256 before = _scheduledThrough(epoch - 1);
        if (before >= _cap) return 0;
        uint256 scheduled = _scheduledPool(epoch);
        uint256 room = _cap - before;
        return scheduled < room ? scheduled : room;
    }

    /// @inheritdoc IEmissionSchedule
    function released(uint256 epoch) external view returns (uint256) {
        return _releases[epoch].amount;
    }

    /// @inheritdoc IEmissionSchedule
    function isReleased(uint256 epoch) external view returns (bool) {
        return _releases[epoch].done;
    }

    /// @inheritdoc IEmissionSchedule
    function totalReleased() external view returns (uint256) {
        return _totalReleased;
    }

    /// @inheritdoc IEmissionSchedule
    function initialEpochPool() external view returns (uint256) {
        return _initialEpochPool;
    }

    /// @inheritdoc IEmissionSchedule
    function halvingEpochs() external view returns (uint256) {
        return _halvingEpochs;
    }

    /// @inheritdoc IEmissionSchedule
    function token() external view returns (IGroundToken) {
        return _token;
    }

    /// @inheritdoc IEmissionSchedule
    function distributor() external view returns (address) {
        return _distributor;
    }

    /// @dev The uncapped pool of an epoch >= 1.
    function _scheduledPool(uint256 epoch) private view returns (uint256) {
        uint256 halvings = (epoch - 1) / _halvingEpochs;
        return halvings >= 256 ? 0 : _initialEpochPool >> halvings;
    }

    /// @dev `min(_cap, S(epochs))`: the sum of the uncapped pools of epochs 1..epochs, saturated at the cap. The
    ///      loop runs once per completed halving period while the pool is non-zero (at most 256 times).
    function _scheduledThrough(uint256 epochs) private view returns (uint256 sum) {
        uint256 periods = epochs / _halvingEpochs;
        uint256 pool = _initialEpochPool;
        for (uint256 i; i < periods && pool != 0; ++i) {
            // `_halvingEpochs * pool > _cap - sum` exactly when `pool > (_cap - sum) / _halvingEpochs`; checking
            // the division first keeps the multiplication below from overflowing.
            if (pool > (_cap - sum) / _halvingEpochs) return _cap;
            sum += _halvingEpochs * pool;
            pool >>= 1;
        }
        // If the loop stopped early, `pool` is 0 and the remainder adds nothing.
        uint256 remainder = epochs % _halvingEpochs;
        if (remainder != 0 && pool > (_cap - sum) / remainder) return _cap;
        sum += remainder * pool;
    }
}
