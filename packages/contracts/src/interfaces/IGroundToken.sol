// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IGroundToken
/// @notice The Groundwork network token (GRND): an ERC-20 with permit, votes and burn, a hard supply cap and a
///         single minter (the emission schedule) that is set once.
interface IGroundToken is IERC20 {
    /// @notice Emitted once, when the owner names the only account that may mint.
    /// @param minter The account allowed to mint from now on.
    event MinterSet(address minter);

    /// @notice `setMinter` was called after the minter had already been set.
    error GroundTokenMinterAlreadySet();

    /// @notice `setMinter` was called with the zero address.
    /// @param minter The rejected minter.
    error GroundTokenInvalidMinter(address minter);

    /// @notice `mint` was called by an account other than the minter.
    /// @param caller The account that tried to mint.
    error GroundTokenNotMinter(address caller);

    /// @notice A mint would take the total supply above the cap.
    /// @param supplyAfter The total supply the mint would have produced (saturated at 2**256 - 1).
    /// @param cap The hard cap.
    error GroundTokenCapExceeded(uint256 supplyAfter, uint256 cap);

    /// @notice The constructor was given a cap of zero or one above what ERC20Votes can checkpoint (2**208 - 1).
    /// @param cap The rejected cap.
    error GroundTokenInvalidCap(uint256 cap);

    /// @notice Names the only account that may mint. Owner only, callable once.
    /// @param minter The minter (the emission schedule); not the zero address.
    function setMinter(address minter) external;

    /// @notice Mints `amount` to `to`. Minter only; reverts past the cap.
    /// @param to The recipient.
    /// @param amount The amount in base units (18 decimals).
    function mint(address to, uint256 amount) external;

    /// @notice The hard cap on total supply, fixed at deployment. Burned tokens leave the total supply, so the cap
    ///         bounds tokens in existence, not tokens ever minted.
    /// @return The cap in base units.
    function cap() external view returns (uint256);

    /// @notice The only account that may mint; the zero address until set.
    /// @return The minter.
    function minter() external view returns (address);
}
