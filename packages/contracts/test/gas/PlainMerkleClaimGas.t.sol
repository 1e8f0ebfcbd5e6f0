// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Merkle} from "../utils/Merkle.sol";
import {Test} from "../utils/Test.sol";
import {Gas} from "./Gas.sol";
import {PlainMerkleClaim, PlainToken} from "./PlainMerkleClaim.sol";

/// @notice The baseline beside `ClaimDepthTwentyGasTest`: the textbook cumulative Merkle claim paying a plain
///         OpenZeppelin ERC-20, under the same conditions — one claim by a repeat claimer (who holds tokens from its
///         first claim), a synthetic depth-20 proof, the same beneficiary, amounts and calldata, measured the same
///         way (transaction gas against cooled accounts, `Gas.transaction`).
contract PlainMerkleClaimGasTest is Test {
    address internal beneficiary = vm.addr(0xBE7E);
    PlainToken internal token;
    PlainMerkleClaim internal drop;
    bytes32[] internal path;

    function setUp() public {
        token = new PlainToken(address(this), 1_000_000e18);
        drop = new PlainMerkleClaim(token, address(this));
        assertTrue(token.transfer(address(drop), 1_000e18), "fund");
        _deepRound(1e18);
        drop.claim(beneficiary, 1e18, path);
        _deepRound(2.5e18);
    }

    function _deepRound(uint256 cumulativeAmount) internal {
        path = Gas.siblings(keccak256(abi.encode("depth20", cumulativeAmount)), 20);
        drop.setRoot(Gas.fold(Merkle.leaf(beneficiary, cumulativeAmount), path));
    }

    function test_gas_plainMerkleClaim_repeatClaimerAtDepthTwenty() public {
        assertEq(path.length, 20, "proof depth");
        vm.cool(address(drop));
        vm.cool(address(token));
        uint256 transaction =
            Gas.transaction(address(drop), abi.encodeCall(PlainMerkleClaim.claim, (beneficiary, 2.5e18, path)));
        _log("baseline: plain Merkle claim (OZ ERC-20), repeat claimer, depth 20: tx", transaction);
        Gas.log("baselineClaim", transaction);
        assertEq(token.balanceOf(beneficiary), 2.5e18);
        assertEq(drop.claimed(beneficiary), 2.5e18);
    }
}
