// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {TestStable} from "../src/TestStable.sol";
import {Test} from "./utils/Test.sol";

contract TestStableTest is Test {
    address internal owner = address(0x0A11);
    address internal alice = address(0xA11CE);
    TestStable internal stable;

    event Transfer(address indexed from, address indexed to, uint256 value);

    function setUp() public {
        stable = new TestStable(owner);
    }

    function test_metadata_namesItAValuelessTestTokenWithSixDecimals() public view {
        assertEq(stable.name(), "Groundwork Test Stable (no value)");
        assertEq(stable.symbol(), "tUSD");
        assertEq(uint256(stable.decimals()), 6);
        assertEq(stable.owner(), owner);
        assertEq(stable.totalSupply(), 0);
    }

    function test_mint_creditsTheRecipientForTheOwner() public {
        vm.expectEmit(true, true, false, true, address(stable));
        emit Transfer(address(0), alice, 5e6);
        vm.prank(owner);
        stable.mint(alice, 5e6);
        assertEq(stable.balanceOf(alice), 5e6);
        assertEq(stable.totalSupply(), 5e6);
    }

    function test_mint_revertsForAnyoneButTheOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        stable.mint(alice, 1);
    }

    function testFuzz_mint_addsExactlyTheAmount(address to, uint256 a, uint256 b) public {
        vm.assume(to != address(0));
        a = _bound(a, 0, 1e40);
        b = _bound(b, 0, 1e40);
        vm.startPrank(owner);
        stable.mint(to, a);
        stable.mint(to, b);
        vm.stopPrank();
        assertEq(stable.balanceOf(to), a + b);
        assertEq(stable.totalSupply(), a + b);
    }
}
