// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ITestStable
/// @notice A mintable 6-decimal ERC-20 standing in for a stable token on local and test networks only. It has no
///         value and no peg: its owner mints it at will.
interface ITestStable {
    /// @notice Mints `amount` base units to `to`; owner only.
    /// @param to The recipient.
    /// @param amount The amount in base units (6 decimals).
    function mint(address to, uint256 amount) external;
}
