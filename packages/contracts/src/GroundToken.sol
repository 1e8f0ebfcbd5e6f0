// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

import {IGroundToken} from "./interfaces/IGroundToken.sol";

/// @title GroundToken
/// @notice Groundwork (GRND), 18 decimals: ERC-20 with EIP-2612 permit, ERC-5805 votes (block-number clock) and
///         burn. Supply is hard-capped; only the minter (the emission schedule, set once by the owner) mints.
/// @dev The cap bounds the tokens in existence: burned tokens leave `totalSupply()`, so a later burn-and-mint
///      design can mint them again. The emission schedule separately guarantees that it never releases more than
///      the cap in total.
contract GroundToken is IGroundToken, ERC20, ERC20Permit, ERC20Votes, ERC20Burnable, Ownable {
    uint256 private immutable _cap;
    address private _minter;

    /// @param cap_ The hard cap in base units; `0 < cap_ <= 2**208 - 1` (the ERC20Votes checkpoint limit).
    /// @param owner_ The owner, who sets the minter once.
    constructor(uint256 cap_, address owner_) ERC20("Groundwork", "GRND") ERC20Permit("Groundwork") Ownable(owner_) {
        if (cap_ == 0 || cap_ > type(uint208).max) revert GroundTokenInvalidCap(cap_);
        _cap = cap_;
    }

    /// @inheritdoc IGroundToken
    function setMinter(address minter_) external onlyOwner {
        if (_minter != address(0)) revert GroundTokenMinterAlreadySet();
        if (minter_ == address(0)) revert GroundTokenInvalidMinter(minter_);
        _minter = minter_;
        emit MinterSet(minter_);
    }

    /// @inheritdoc IGroundToken
    function mint(address to, uint256 amount) external {
        if (msg.sender != _minter) revert GroundTokenNotMinter(msg.sender);
        uint256 supply = totalSupply();
        // `supply <= _cap` always holds (only this function adds supply), so the subtraction cannot underflow.
        if (amount > _cap - supply) {
            uint256 supplyAfter;
            unchecked {
                // May wrap for an absurd `amount`; saturate so the error still shows a number above the cap.
                supplyAfter = supply + amount;
                if (supplyAfter < supply) supplyAfter = type(uint256).max;
            }
            revert GroundTokenCapExceeded(supplyAfter, _cap);
        }
        _mint(to, amount);
    }

    /// @inheritdoc IGroundToken
    function cap() external view returns (uint256) {
        return _cap;
    }

    /// @inheritdoc IGroundToken
    function minter() external view returns (address) {
        return _minter;
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @dev Moves voting units along with balances.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
