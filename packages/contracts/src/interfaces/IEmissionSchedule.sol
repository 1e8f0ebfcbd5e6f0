// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGroundToken} from "./IGroundToken.sol";

/// @title IEmissionSchedule
/// @notice Releases each reward epoch's token pool to the rewards distributor exactly once. The pool halves every
///         `halvingEpochs` epochs and the sum of all pools never exceeds the token's cap.
interface IEmissionSchedule {
    /// @notice Emitted once, when the owner names the only account that may release epochs.
    /// @param distributor The rewards distributor.
    event DistributorSet(address distributor);

    /// @notice Emitted when an epoch's pool is released (minted to the distributor).
    /// @param epoch The epoch, numbered from 1.
    /// @param amount The amount minted; can be 0 once the cap is reached.
    event EpochReleased(uint256 indexed epoch, uint256 amount);

    /// @notice `release` was called by an account other than the distributor.
    /// @param caller The account that tried to release.
    error EmissionScheduleNotDistributor(address caller);

    /// @notice The epoch has already been released.
    /// @param epoch The epoch.
    error EmissionScheduleAlreadyReleased(uint256 epoch);

    /// @notice `release` was called for epoch 0; epochs are numbered from 1.
    /// @param epoch The rejected epoch.
    error EmissionScheduleInvalidEpoch(uint256 epoch);

    /// @notice `setDistributor` was called after the distributor had already been set.
    error EmissionScheduleDistributorAlreadySet();

    /// @notice `setDistributor` was called with the zero address.
    /// @param distributor The rejected distributor.
    error EmissionScheduleInvalidDistributor(address distributor);

    /// @notice The constructor was given a zero initial pool or a zero halving period.
    /// @param initialEpochPool The rejected initial pool.
    /// @param halvingEpochs The rejected halving period.
    error EmissionScheduleInvalidParameters(uint256 initialEpochPool, uint256 halvingEpochs);

    /// @notice Names the only account that may release epochs. Owner only, callable once.
    /// @param distributor The rewards distributor; not the zero address.
    function setDistributor(address distributor) external;

    /// @notice Mints `poolOf(epoch)` to the distributor. Distributor only, once per epoch.
    /// @param epoch The epoch, numbered from 1.
    /// @return amount The amount minted.
    function release(uint256 epoch) external returns (uint256 amount);

    /// @notice The pool of an epoch: `initialEpochPool >> ((epoch - 1) / halvingEpochs)`, 0 for epoch 0, capped so
    ///         that the pools of all epochs together never exceed the token's cap (the epoch in which the running
    ///         sum reaches the cap gets the remainder, every later epoch gets 0). Depends only on immutable values.
    /// @param epoch The epoch.
    /// @return The pool in token base units.
    function poolOf(uint256 epoch) external view returns (uint256);

    /// @notice The amount released for an epoch; 0 if not released (or released at 0 after the cap).
    /// @param epoch The epoch.
    /// @return The amount.
    function released(uint256 epoch) external view returns (uint256);

    /// @notice Whether an epoch has been released (distinguishes a release of 0 from none).
    /// @param epoch The epoch.
    /// @return True once released.
    function isReleased(uint256 epoch) external view returns (bool);

    /// @notice Sum of all amounts released so far; never above the token's cap.
    /// @return The sum.
    function totalReleased() external view returns (uint256);

    /// @notice The pool of epochs 1 to `halvingEpochs`.
    /// @return The initial pool.
    function initialEpochPool() external view returns (uint256);

    /// @notice The number of epochs between halvings.
    /// @return The halving period in epochs.
    function halvingEpochs() external view returns (uint256);

    /// @notice The token minted.
    /// @return The token.
    function token() external view returns (IGroundToken);

    /// @notice The only account that may release epochs; the zero address until set.
    /// @return The distributor.
    function distributor() external view returns (address);
}
