// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {ITestStable} from "./interfaces/ITestStable.sol";

/// @title TestStable
/// @notice "Groundwork Test Stable (no value)", symbol tUSD, 6 decimals: the settlement token of the energy market on
///         local and test networks. Its owner mints freely, so it must never stand in for money on a real network.
contract TestStable is ITestStable, ERC20, Ownable {
    /// @param owner_ The owner, who mints.
    constructor(address owner_) ERC20("Groundwork Test Stable (no value)", "tUSD") Ownable(owner_) {}

    /// @inheritdoc ITestStable
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @notice Six decimals, like the common stable tokens.
    /// @return 6.
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
